"""Starting the reference ERP from the toolkit: it is a separate application, so erpcap only
launches it (``python -m erpcap.reference_erp``) as child processes and talks HTTP to it.

The database URL travels in the child's environment (``ERPCAP_ERP_DB``), never on its
command line, where ``ps`` would show its password to every user of the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from erpcap.errors import StageError
from erpcap.processes import ManagedProcess, die_with_parent, ensure_port_free, wait_http_ok
from erpcap.progress import Progress

MODULE = "erpcap.reference_erp"

#: The reference ERP's environment variables (reference_erp/settings.py; it imports nothing of
#: erpcap, so the names are written twice): the database URL, and the command's name in help.
ENV_DB = "ERPCAP_ERP_DB"
ENV_PROG = "ERPCAP_ERP_PROG"
ENV_REPLICA_DB = "ERPCAP_ERP_REPLICA_DB"


def erp_env(db: str) -> dict[str, str]:
    """This process's environment plus the database URL for the reference ERP."""
    return {**os.environ, ENV_DB: db, ENV_PROG: "erpcap erp"}


def erp_argv(args: Sequence[str]) -> list[str]:
    """The command line that runs the reference ERP's own CLI with ``args``."""
    return [sys.executable, "-m", MODULE, *args]


def seed(db: str, *, scale: float, log_path: Path, progress: Progress, seed: int = 1) -> None:
    """Create and fill the reference ERP's database, showing its progress lines."""
    argv = erp_argv(["seed", "--scale", str(scale), "--seed", str(seed)])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            die_with_parent(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=erp_env(db),
            start_new_session=True,
        )
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                log.write(line)
                if line.strip():
                    progress.status(line.strip(), key=line.strip())
            code = proc.wait()
        except KeyboardInterrupt:
            proc.kill()
            proc.wait()
            raise
    if code != 0:
        tail = " | ".join(
            x.strip()
            for x in log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-3:]
        )
        raise StageError(f"seeding the reference ERP failed (exit {code}): {tail}")


def serve(
    db: str,
    *,
    port: int,
    log_path: Path,
    profile: str = "legacy",
    levers: Sequence[str] = (),
    workers: int | None = None,
    replica_db: str | None = None,
    host: str = "127.0.0.1",
    startup_timeout_s: float = 120.0,
) -> ManagedProcess:
    """Start the reference ERP on ``host:port`` and wait until ``/health`` answers.

    ``replica_db`` is the database the ``replica`` lever sends reports to (in the child's
    environment, like ``db``)."""
    ensure_port_free(host, port)
    args = ["serve", "--profile", profile, "--host", host, "--port", str(port)]
    for lever in levers:
        args += ["--lever", lever]
    if workers:
        args += ["--workers", str(workers)]
    env = erp_env(db)
    if replica_db:
        env[ENV_REPLICA_DB] = replica_db
    proc = ManagedProcess("reference-erp", erp_argv(args), log_path=log_path, env=env).start()
    try:
        wait_http_ok(
            f"http://{host}:{port}/health",
            timeout_s=startup_timeout_s,
            alive=lambda: proc.poll() is None,
            why_dead=proc.tail,
        )
    except BaseException:
        proc.stop()
        raise
    return proc
