"""Child processes erpcap starts (the reference ERP, Locust) and how it stops them.

Each child runs in its own session (process group), so a Ctrl-C in the terminal reaches
erpcap alone, and erpcap stops the whole group — uvicorn or Locust workers included — with
SIGTERM, then SIGKILL after a grace period. Output goes to a log file in the run directory,
whose tail explains a child that died.

A child must not outlive erpcap even when erpcap cannot stop it (``kill -9``, the OOM
killer): on Linux each child asks the kernel for SIGTERM the moment its parent dies
(:func:`die_with_parent`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from erpcap.errors import BadInput, TargetError

#: Run by a child's own Python before it becomes the real program: ask the kernel for SIGTERM
#: when the parent dies (prctl PR_SET_PDEATHSIG = 1, kept across exec), then check that the
#: parent did not die before that (the child would have been re-parented already), then exec.
_LIFELINE = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)\n"
    "os.getppid() == int(sys.argv[1]) or sys.exit(143)\n"
    "os.execvp(sys.argv[2], sys.argv[2:])\n"
)


def die_with_parent(argv: Sequence[str]) -> list[str]:
    """``argv`` run so that the kernel sends it SIGTERM when this process dies.

    Linux's parent-death signal, set by a few lines of Python just before they exec ``argv``
    (it survives the exec, so the pid stays the program's own). Elsewhere ``argv`` is
    returned unchanged and the child relies on erpcap's own stop.

    >>> die_with_parent(["locust", "-f", "x.py"])[-3:] if sys.platform == "linux" else ["locust", "-f", "x.py"]
    ['locust', '-f', 'x.py']
    """
    if not sys.platform.startswith("linux"):
        return list(argv)
    return [sys.executable, "-I", "-S", "-c", _LIFELINE, str(os.getpid()), *argv]


class ManagedProcess:
    """A child process in its own process group, logging to a file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        try:
            self._proc = subprocess.Popen(
                die_with_parent(self.argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        finally:
            log.close()
        return self

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise RuntimeError(f"{self.name} was not started")
        return self._proc.pid

    def poll(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    def wait(self, timeout: float | None = None) -> int:
        if self._proc is None:
            raise RuntimeError(f"{self.name} was not started")
        return self._proc.wait(timeout)

    def signal(self, sig: int) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)

    def stop(self, grace_s: float = 10.0) -> int | None:
        """SIGTERM the group, wait up to ``grace_s``, then SIGKILL; return the exit code."""
        if self._proc is None:
            return None
        if self._proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self._proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self._proc.wait(5)
        # Reap anything left in the group (workers whose parent died first).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        return self._proc.returncode

    def tail(self, lines: int = 5) -> str:
        """The last lines of the log, joined by ' | ' (for one-line error messages)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        kept = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
        return " | ".join(kept)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def ensure_port_free(host: str, port: int) -> None:
    """Raise TargetError when ``host:port`` cannot be bound (another server has it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise TargetError(
                f"port {port} on {host} is in use ({exc.strerror})",
                hint="stop the other server or choose another --port",
            ) from exc


def wait_http_ok(
    url: str,
    *,
    timeout_s: float,
    alive: Callable[[], bool] = lambda: True,
    why_dead: Callable[[], str] = lambda: "",
) -> None:
    """Poll ``url`` until it answers 200, the deadline passes, or ``alive()`` turns false."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not alive():
                raise TargetError(
                    f"the server exited while starting: {why_dead() or 'no output'}",
                    hint="see the log in the run directory",
                )
            try:
                response = client.get(url)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(0.2)
    raise TargetError(
        f"{url} did not answer within {timeout_s:.0f} s ({last})",
        hint="check that the server starts; see its log in the run directory",
    )


def check_reachable(url: str) -> None:
    """Raise TargetError unless something answers HTTP at ``url`` (any status)."""
    try:
        with httpx.Client(timeout=5.0) as client:
            client.get(url)
    except httpx.HTTPError as exc:
        raise TargetError(
            f"cannot reach {url}: {exc.__class__.__name__}: {exc}",
            hint="check the URL and that the ERP is running",
        ) from exc


def is_loopback(url: str) -> bool:
    """True when ``url``'s host is a loopback address or ``localhost``.

    >>> is_loopback("http://127.0.0.1:8000"), is_loopback("http://[::1]/"), is_loopback("http://erp.example")
    (True, True, False)
    """
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_http_url(url: str, option: str = "--target") -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(
            f"{option} {url!r} is not an http(s) URL", hint="for example http://127.0.0.1:8000"
        )
