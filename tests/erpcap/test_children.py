"""Processes erpcap starts never outlive it, and no secret reaches a command line.

Real servers on free loopback ports: ``erpcap erp serve`` killed by SIGTERM or SIGKILL (one
process, or a supervisor with two workers), the reference ERP started by the toolkit with a
PostgreSQL URL that carries a password, and a child whose parent is killed outright.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from erpcap.processes import ManagedProcess, free_port
from erpcap.progress import Progress
from erpcap.reference import seed, serve
from erpcap.reference_erp.seed import seed as seed_db


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that contain ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{entry.name}: {cmdline.strip()}")
    return found


@pytest.fixture(scope="module")
def sqlite_erp(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("erp") / "erp.sqlite"
    url = f"sqlite:///{path}"
    seed_db(url, 0.02, 1)
    return url


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
@pytest.mark.parametrize("workers", [1, 2])
def test_killing_erp_serve_leaves_no_server(sqlite_erp, tmp_path, sig, workers, wait):
    port = free_port()
    argv = [sys.executable, "-m", "erpcap", "erp", "serve", "--port", str(port)]
    if workers > 1:
        argv += ["--lever", "workers=on", "--workers", str(workers)]
    with (tmp_path / "serve.log").open("wb") as log:
        proc = subprocess.Popen(
            argv,
            env={**os.environ, "ERPCAP_ERP_DB": sqlite_erp},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a test must be able to reap the group if this fails
        )
    try:
        wait(lambda: _listening(port), 60, "the server listening")
        assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
        marker = f"--port {port}"
        # exec, not a wrapper: the pid the user got is the server itself
        assert (
            marker in Path(f"/proc/{proc.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        )
        proc.send_signal(sig)
        proc.wait(30)
        wait(lambda: not _listening(port), 20, "the port closing")
        wait(lambda: not _processes_mentioning(marker), 20, "every server process exiting")
        if workers > 1:  # the workers, started by spawn, do not carry the port on their line
            wait(lambda: not _children_of(proc.pid), 20, "the workers exiting")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def _children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` or that were re-parented after it died but came
    from its session (the same process group)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, ppid, pgrp = fields[0], int(fields[1]), int(fields[2])
        if state != "Z" and (ppid == pid or pgrp == pid) and int(entry.name) != pid:
            found.append(int(entry.name))
    return found


def test_a_child_dies_with_its_parent(tmp_path, wait):
    """A parent killed outright (no chance to stop its children) takes its child along."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from erpcap.processes import ManagedProcess\n"
        "child = ManagedProcess('sleeper', [sys.executable, '-c', 'import time; time.sleep(120)'],"
        " log_path=Path(sys.argv[1])).start()\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "child.log")],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert Path(f"/proc/{child}").exists()
        parent.kill()
        parent.wait(10)
        wait(lambda: not _alive(child), 10, "the child exiting after its parent")
    finally:
        for pid in (parent.pid,):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class _CmdlineWatch:
    """Scans every process's command line for a secret until stopped."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.hits: list[str] = []
        self.scans = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.hits += _processes_mentioning(self.secret)
            self.scans += 1
            self._stop.wait(0.02)

    def __enter__(self) -> _CmdlineWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def pg_url_with_password(pg_database: str) -> str:
    # The server trusts loopback connections, so the password is carried but never checked:
    # what matters is where erpcap lets it show.
    return pg_database.replace("postgres@", f"postgres:s3cret-pw-{os.getpid()}@", 1)


@pytest.mark.postgres
def test_the_database_password_never_reaches_a_command_line(pg_url_with_password, tmp_path, wait):
    secret = pg_url_with_password.split(":")[2].split("@")[0]
    erp: ManagedProcess | None = None
    with _CmdlineWatch(secret) as watch:
        seed(pg_url_with_password, scale=0.02, log_path=tmp_path / "seed.log", progress=Progress())
        erp = serve(pg_url_with_password, port=free_port(), log_path=tmp_path / "erp.log")
        try:
            assert Path(f"/proc/{erp.pid}").exists()
            scans = watch.scans
            wait(lambda: watch.scans > scans + 3, 10, "a few scans of the server's line")
        finally:
            erp.stop()
    assert watch.scans > 5
    assert watch.hits == []
    for log in ("seed.log", "erp.log"):
        assert secret not in (tmp_path / log).read_text()
