"""Finding the processes to watch: the server behind a port, or a process by its command line.

``erpcap run`` watches the target's own processes when the target runs on this machine: the
process tree that listens on the target's port (uvicorn and its workers, gunicorn, any
server), as role ``target``. ``--watch ROLE=PID`` or ``--watch ROLE=~PATTERN`` (a regular
expression searched in the command line) adds others: the database server, a broker.

A server with worker processes shares its listening socket with them, so the port leads to
several processes; the watched root is the topmost of them (the supervisor), whose tree
holds the workers. Reading other users' sockets needs the rights to (root, or the same user).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import psutil

from erpcap.errors import BadInput

_ROLE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$")


def listener_of(port: int) -> int | None:
    """The root pid of the process tree listening on TCP ``port`` here, or None.

    >>> listener_of(1) is None  # nothing listens on port 1 on a test machine
    True
    """
    try:
        connections = psutil.net_connections(kind="tcp")
    except (psutil.AccessDenied, OSError):
        return None
    pids = {
        c.pid
        for c in connections
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid
    }
    if not pids:
        return None
    return _holder_above(_topmost(pids), port)


def _listens(proc: psutil.Process, port: int) -> bool:
    try:
        connections = proc.net_connections(kind="tcp")
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    return any(
        c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port for c in connections
    )


def _holder_above(pid: int, port: int) -> int:
    """Climb from ``pid`` to the highest ancestor that holds the same listening socket.

    The system-wide table names one process per socket; a supervisor that shares its socket
    with its workers holds it too, and it is the root worth watching.
    """
    try:
        proc = psutil.Process(pid)
        for parent in proc.parents():
            if not _listens(parent, port):
                break
            pid = parent.pid
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        pass
    return pid


def _topmost(pids: set[int]) -> int:
    """Of ``pids``, one whose ancestors are not in the set (the supervisor of its workers)."""
    for pid in sorted(pids):
        try:
            ancestors = {p.pid for p in psutil.Process(pid).parents()}
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if not ancestors & pids:
            return pid
    return min(pids)


def matching(pattern: str) -> int | None:
    """The root pid of the oldest process (not erpcap itself) whose command line matches."""
    regex = re.compile(pattern)
    mine = {os.getpid(), *(p.pid for p in psutil.Process().parents())}
    found: list[tuple[float, int]] = []
    for proc in psutil.process_iter(["pid", "cmdline", "create_time"]):
        info = proc.info
        if info["pid"] in mine or not info.get("cmdline"):
            continue
        if regex.search(" ".join(info["cmdline"])):
            found.append((info.get("create_time") or 0.0, info["pid"]))
    if not found:
        return None
    pids = {pid for _, pid in found}
    return _topmost(pids)


@dataclass(frozen=True)
class WatchSpec:
    """One ``--watch ROLE=PID`` or ``--watch ROLE=~PATTERN``."""

    role: str
    pid: int | None = None
    pattern: str | None = None

    def resolve(self) -> int | None:
        """The pid to watch now (a pattern may find nothing)."""
        return self.pid if self.pid is not None else matching(self.pattern or "")


def parse_watch(text: str) -> WatchSpec:
    """``ROLE=PID`` or ``ROLE=~PATTERN``; :class:`BadInput` says what a good one looks like.

    >>> parse_watch("db=~postgres: .*checkpointer").pattern, parse_watch("broker=4242").pid
    ('postgres: .*checkpointer', 4242)
    """
    role, eq, rest = text.partition("=")
    hint = "write --watch ROLE=PID or --watch ROLE=~PATTERN, e.g. db=~postgres"
    if not eq or not _ROLE.match(role):
        raise BadInput(f"--watch {text!r} is not ROLE=PID or ROLE=~PATTERN", hint=hint)
    if role in ("locust", "target"):
        raise BadInput(f"--watch role {role!r} is erpcap's own", hint="choose another role name")
    if rest.startswith("~"):
        try:
            re.compile(rest[1:])
        except re.error as exc:
            raise BadInput(
                f"--watch {text!r}: not a regular expression ({exc})", hint=hint
            ) from exc
        return WatchSpec(role, pattern=rest[1:])
    if not rest.isdigit():
        raise BadInput(f"--watch {text!r}: {rest!r} is not a process id", hint=hint)
    return WatchSpec(role, pid=int(rest))
