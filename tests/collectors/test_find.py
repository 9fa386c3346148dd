"""Finding the processes to watch: the server behind a port (its supervisor, when it has
workers), a process by its command line, and the ``--watch`` syntax."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from erpcap.collectors.find import listener_of, matching, parse_watch
from erpcap.errors import BadInput
from erpcap.processes import free_port
from erpcap.reference_erp.seed import seed as seed_db


def _wait_listening(port: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listened on {port} within {timeout_s} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def test_the_listener_of_a_port_is_the_server_process() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_listening(port)
        assert listener_of(port) == proc.pid
        assert matching(rf"http\.server --bind 127\.0\.0\.1 {port}") == proc.pid
    finally:
        _stop(proc)
    assert listener_of(port) is None


def test_a_server_with_workers_is_watched_from_its_supervisor(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'erp.sqlite'}"
    seed_db(db, 0.02, 1)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "erpcap.reference_erp", "serve", "--port", str(port),
         "--lever", "workers=on", "--workers", "2"],
        env={**os.environ, "ERPCAP_ERP_DB": db},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_listening(port)
        assert listener_of(port) == proc.pid  # the supervisor, whose tree holds the workers
    finally:
        _stop(proc)


@pytest.mark.parametrize(
    "text", ["db", "db=", "=123", "1db=5", "db=postgres", "db=~(", "locust=1", "target=~x"]
)
def test_bad_watch_specs_say_how(text: str) -> None:
    with pytest.raises(BadInput) as info:
        parse_watch(text)
    assert "--watch" in info.value.one_line()
