"""Running the service: checks, lever setup, uvicorn, and the readiness line.

``serve`` refuses bad input with one line and exit code 2 (unknown profile or lever, a
database that is not seeded or not reachable, a port already in use), sets the levers up in
the database, then starts uvicorn (one process, or a supervisor with ``--workers`` processes)
and prints ``reference ERP listening on http://HOST:PORT (...)`` once ``/health`` answers.
SIGTERM and SIGINT stop it cleanly (uvicorn's graceful shutdown).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from typing import TextIO

from .db import Database, redact, rows
from .errors import ServeError
from .lifeline import ENV_SUPERVISOR
from .passwords import verify_password
from .settings import ENV_SECRET, ENV_SETTINGS, LEVERS, Settings, prog_name

DEMO_USERS = ("sales", "warehouse", "qa", "finance", "manager", "integration")
DEFAULT_DEMO_PASSWORD = "erpcap"


def check_port(host: str, port: int) -> None:
    """Fail with :class:`ServeError` when ``host:port`` cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(
                    f"port {port} on {host} is already in use; pick another with --port"
                ) from None
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_database(settings: Settings, *, check_passwords: bool = True) -> bool:
    """Check the database is reachable and seeded; return True when a demo user still has the
    default password (only checked when ``check_passwords``: it costs a PBKDF2 per user)."""
    db = Database(settings.db_url, pooled=False)
    try:
        with db.read() as conn:
            found = rows(conn, "SELECT username, password_hash FROM app_user")
    except Exception as exc:  # noqa: BLE001 - turned into one line
        text_ = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "no such table" in text_ or "does not exist" in text_ or "UndefinedTable" in text_:
            raise ServeError(
                f"database {redact(settings.db_url)} is not seeded: run `{prog_name()} "
                "seed --db URL` first"
            ) from None
        raise ServeError(f"cannot open database {redact(settings.db_url)}: {text_}") from None
    finally:
        db.dispose()
    return any(
        r["username"] in DEMO_USERS and verify_password(DEFAULT_DEMO_PASSWORD, r["password_hash"])
        for r in found
    )


def _announce(settings: Settings, out: TextIO, stop: threading.Event) -> None:
    host = (
        "127.0.0.1"
        if settings.host in ("0.0.0.0", "")
        else ("[::1]" if settings.host == "::" else settings.host)
    )
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    url = f"http://{host}:{settings.port}/health"
    while not stop.is_set():
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - our own loopback URL
                if resp.status == 200:
                    break
        except Exception:  # noqa: BLE001 - not up yet
            pass
        stop.wait(0.1)
    else:
        return
    levers = ", ".join(f"{n}={'on' if settings.lever(n) else 'off'}" for n in LEVERS)
    shown = settings.host if ":" not in settings.host else f"[{settings.host}]"
    out.write(
        f"reference ERP listening on http://{shown}:{settings.port} (profile {settings.profile}, "
        f"workers {settings.workers}, levers {levers})\n"
    )
    out.flush()


APP = "erpcap.reference_erp.app:create_app_from_env"


def tcp_socket(sock: socket.socket) -> socket.socket:
    """Mark a listening socket as TCP so that asyncio sets TCP_NODELAY on accepted connections.

    uvicorn creates the shared socket of its worker processes with protocol 0; asyncio only
    disables Nagle's algorithm on sockets whose protocol is IPPROTO_TCP, and without it every
    response waits ~40 ms for the client's delayed ACK.
    """
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        fixed = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        fixed.set_inheritable(True)
        return fixed
    return sock


def server_stack(settings: Settings) -> dict[str, str]:
    """uvicorn's event loop and HTTP parser: with the ``workers`` lever, the fast ones (uvloop
    and httptools, C extensions, where installed); without it, the pure-Python ones (asyncio,
    h11) that a legacy deployment runs.

    >>> server_stack(Settings.resolve("sqlite:///x", "legacy"))
    {'loop': 'asyncio', 'http': 'h11'}
    >>> server_stack(Settings.resolve("sqlite:///x", "upgraded"))
    {'loop': 'auto', 'http': 'auto'}
    """
    if settings.lever("workers"):
        return {"loop": "auto", "http": "auto"}  # uvicorn takes uvloop and httptools if present
    return {"loop": "asyncio", "http": "h11"}


def _exit_cleanly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def serve(settings: Settings, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Check, prepare and run the service until it is stopped; return the exit code."""
    import uvicorn

    from .context import prepare_database

    out = out or sys.stdout
    err = err or sys.stderr
    check_port(settings.host, settings.port)
    exposed = not is_loopback(settings.host)
    if check_database(settings, check_passwords=exposed) and exposed:
        err.write(
            "!" * 78 + "\n"
            f"WARNING: listening on {settings.host}, beyond loopback, while demo users still have the default "
            "password.\n         Re-seed with --demo-password or keep --host 127.0.0.1.\n"
            + "!" * 78
            + "\n"
        )
        err.flush()
    secret = os.environ.get(ENV_SECRET) or secrets.token_urlsafe(32)
    settings = Settings(**{**settings.__dict__, "secret": secret})
    t0 = time.perf_counter()
    prepare_database(settings)
    if settings.lever("indexes"):
        err.write(f"lever setup done in {time.perf_counter() - t0:.1f} s\n")
    metrics_dir = None
    kept = (ENV_SETTINGS, "PROMETHEUS_MULTIPROC_DIR", ENV_SUPERVISOR)
    env_backup = {k: os.environ.get(k) for k in kept}
    if settings.workers > 1:
        metrics_dir = tempfile.mkdtemp(prefix="erpcap-erp-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        os.environ[ENV_SUPERVISOR] = str(os.getpid())  # this process supervises the workers
    else:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    os.environ[ENV_SETTINGS] = settings.to_json()
    stop = threading.Event()
    announcer = threading.Thread(
        target=_announce, args=(settings, out, stop), name="erp-announce", daemon=True
    )
    announcer.start()
    # uvicorn re-raises the stop signal after its graceful shutdown; a requested stop is a
    # clean exit for us (code 0), so SIGTERM's re-raise ends in SystemExit(0), SIGINT's in
    # KeyboardInterrupt (handled by the CLI).
    previous = signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        options = {
            "factory": True,
            "host": settings.host,
            "port": settings.port,
            "log_level": "warning",
            "access_log": False,
            "timeout_graceful_shutdown": 5,
            **server_stack(settings),
        }
        if settings.workers > 1:
            from uvicorn.supervisors import Multiprocess

            config = uvicorn.Config(APP, workers=settings.workers, **options)  # type: ignore[arg-type]
            Multiprocess(config, sockets=[tcp_socket(config.bind_socket())]).run()
        else:
            uvicorn.run(APP, **options)  # type: ignore[arg-type]
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop.set()
        for key, value in env_backup.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0
