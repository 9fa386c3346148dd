"""A PostgreSQL 15 or MariaDB server of the caller's own (own data folder, port and socket;
the shared servers are left alone), for tests and benchmarks that need a log the server
itself wrote. Each runs as its OS user in its own process group, stopped by the kernel if
the caller dies (PR_SET_PDEATHSIG), and stopped, group and all, when the ``with`` ends.

Loaded by path (``importlib.util.spec_from_file_location``): test modules are not packages.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from erpcap.processes import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db")


def _wait(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def _as(user: str) -> dict[str, Any]:
    def lifeline() -> None:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)

    base: dict[str, Any] = {"preexec_fn": lifeline}
    if os.geteuid() == 0:
        base.update(user=user, group=user, extra_groups=[])
    return base


def _stop(proc: subprocess.Popen[bytes], sig: int) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def gone() -> bool:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return True
        return False

    try:
        _wait(gone, 15, "the server's process group to exit")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


@dataclass
class Postgres:
    folder: Path
    port: int
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop the server (fast shutdown): its log is then complete."""
        _stop(self.proc, signal.SIGINT)

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    @property
    def log(self) -> Path:
        return self.folder / "log" / "postgresql.log"


@contextlib.contextmanager
def postgres(
    settings: Mapping[str, str] | None = None, *, collector: bool = True
) -> Iterator[Postgres]:
    """A PostgreSQL 15 server logging every statement to ``log/postgresql.log`` (stderr,
    ``log_line_prefix = '%m [%p] %q%u@%d '``); the folder is removed after.

    ``collector=False`` logs without the logging collector: the server's own stderr goes to
    the file, each backend writing its lines as it finishes them, so a caller can read the
    log while the server runs."""
    import psycopg

    folder = Path(tempfile.mkdtemp(prefix="erpcap-pg-"))
    proc: subprocess.Popen[bytes] | None = None
    try:
        for sub in ("data", "log", "socket"):
            (folder / sub).mkdir()
        if os.geteuid() == 0:
            for path in (folder, *folder.iterdir()):
                shutil.chown(path, "postgres", "postgres")
        initdb = [str(PG_BIN / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U",
                  "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]  # fmt: skip
        subprocess.run(initdb, check=True, capture_output=True, timeout=120, **_as("postgres"))
        port = free_port()
        config = {
            "listen_addresses": "127.0.0.1",
            "port": str(port),
            "unix_socket_directories": str(folder / "socket"),
            "logging_collector": "on" if collector else "off",
            "log_destination": "stderr",
            "log_directory": str(folder / "log"),
            "log_filename": "postgresql.log",
            "log_rotation_age": "0",
            "log_rotation_size": "0",
            "log_line_prefix": "%m [%p] %q%u@%d ",
            "log_min_duration_statement": "0",
            "log_timezone": "UTC",
            "lc_messages": "C",
            "shared_buffers": "32MB",
            "max_connections": "30",
            "fsync": "off",
            **(settings or {}),
        }
        argv = [str(PG_BIN / "postgres"), "-D", str(folder / "data")]
        for key, value in config.items():
            argv += ["-c", f"{key}={value}"]
        with contextlib.ExitStack() as files:
            out: Any = subprocess.DEVNULL
            if not collector:
                out = files.enter_context((folder / "log" / "postgresql.log").open("wb"))
            proc = subprocess.Popen(
                argv, stdout=out, stderr=out, start_new_session=True, **_as("postgres"),
            )  # fmt: skip
        server = Postgres(folder, port, proc)

        def ready() -> bool:
            assert proc is not None and proc.poll() is None, "the test server exited"
            try:
                psycopg.connect(server.dsn, connect_timeout=2).close()
            except psycopg.OperationalError:
                return False
            return True

        _wait(ready, 60, "the own PostgreSQL server to accept connections")
        yield server
    finally:
        if proc is not None:
            _stop(proc, signal.SIGINT)  # fast shutdown; the logger flushes the log
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Mariadb:
    folder: Path
    socket: Path
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop the server (a normal shutdown): its slow log is then complete."""
        _stop(self.proc, signal.SIGTERM)

    @property
    def log(self) -> Path:
        return self.folder / "slow.log"

    def sql(self, script: str, *, user: str = "root", database: str = "") -> str:
        """Run a script of statements (``;``-separated) in one session; its output."""
        argv = ["mariadb", "--no-defaults", f"--socket={self.socket}", f"--user={user}",
                "--batch", "--skip-column-names", *([database] if database else [])]  # fmt: skip
        return subprocess.run(
            argv, input=script, capture_output=True, text=True, timeout=600, check=True
        ).stdout


@contextlib.contextmanager
def mariadb() -> Iterator[Mariadb]:
    """A MariaDB server writing every statement to its slow log (``long_query_time = 0``)."""
    folder = Path(tempfile.mkdtemp(prefix="erpcap-maria-"))
    proc: subprocess.Popen[bytes] | None = None
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, "mysql", "mysql")
        install = [str(INSTALL_DB), "--no-defaults", f"--datadir={folder / 'data'}",
                   "--auth-root-authentication-method=normal", "--skip-test-db",
                   "--skip-name-resolve"]  # fmt: skip
        subprocess.run(install, check=True, capture_output=True, timeout=180, **_as("mysql"))
        socket = folder / "mysqld.sock"
        argv = [MARIADBD, "--no-defaults", f"--datadir={folder / 'data'}", f"--socket={socket}",
                f"--port={free_port()}", "--bind-address=127.0.0.1",
                f"--pid-file={folder / 'mysqld.pid'}", f"--log-error={folder / 'error.log'}",
                "--skip-log-bin", "--innodb-buffer-pool-size=32M", "--slow-query-log",
                f"--slow-query-log-file={folder / 'slow.log'}", "--long-query-time=0"]  # fmt: skip
        proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, **_as("mysql"),
        )  # fmt: skip

        def ready() -> bool:
            assert proc is not None and proc.poll() is None, (folder / "error.log").read_text()
            ping = ["mariadb-admin", "--no-defaults", f"--socket={socket}", "-uroot", "ping"]
            return subprocess.run(ping, capture_output=True, timeout=10).returncode == 0

        _wait(ready, 60, "the own MariaDB server to accept connections")
        yield Mariadb(folder, socket, proc)
    finally:
        if proc is not None:
            _stop(proc, signal.SIGTERM)  # a normal shutdown
        shutil.rmtree(folder, ignore_errors=True)
