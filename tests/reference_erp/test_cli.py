"""The command line: help with examples, one-line errors with exit 2, readiness line, clean stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from erpcap.processes import free_port
from erpcap.reference_erp.cli import main
from erpcap.reference_erp.server import is_loopback

CMD = [sys.executable, "-m", "erpcap.reference_erp"]


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CMD, *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("sub", [[], ["seed"], ["serve"]])
def test_help_has_examples(sub):
    r = run(*sub, "--help")
    assert r.returncode == 0
    assert "examples:" in r.stdout and "python -m erpcap.reference_erp" in r.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--db", "sqlite:///x.sqlite", "--lever", "turbo=on"],
        ["serve", "--db", "sqlite:///x.sqlite", "--lever", "cache=maybe"],
        ["serve", "--db", "sqlite:///x.sqlite", "--profile", "fast"],
        ["serve", "--db", "mysql://x/y"],
        ["serve", "--db", "sqlite:///x.sqlite", "--port", "70000"],
        ["seed", "--db", "sqlite:///x.sqlite", "--scale", "0"],
        ["seed"],
        ["frobnicate"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(args):
    r = run(*args)
    assert r.returncode == 2, r
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr


def test_main_is_callable_in_process(capsys):
    assert main(["serve", "--db", "sqlite:///x.sqlite", "--lever", "nope=on"]) == 2
    assert "nope" in capsys.readouterr().err


def test_unseeded_database_is_refused(tmp_path):
    r = run("serve", "--db", f"sqlite:///{tmp_path / 'empty.sqlite'}", "--port", str(free_port()))
    assert r.returncode == 2 and "not seeded" in r.stderr and "Traceback" not in r.stderr


def test_port_in_use_is_one_line_and_exit_2(sqlite_url):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run("serve", "--db", sqlite_url, "--port", str(port))
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "already in use" in r.stderr


def test_serve_announces_readiness_and_stops_on_sigterm(sqlite_url):
    port = free_port()
    proc = subprocess.Popen(
        [*CMD, "serve", "--db", sqlite_url, "--port", str(port), "--lever", "indexes=on"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the announcement (or exit)
        assert line.startswith(
            f"reference ERP listening on http://127.0.0.1:{port} (profile legacy"
        )
        assert "indexes=on" in line and "cache=off" in line
        assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigint_stops_a_multi_worker_server(sqlite_url):
    port = free_port()
    proc = subprocess.Popen(
        [
            *CMD,
            "serve",
            "--db",
            sqlite_url,
            "--port",
            str(port),
            "--lever",
            "workers=on",
            "--workers",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "workers 2" in proc.stdout.readline()
        proc.send_signal(signal.SIGINT)
        start = time.monotonic()
        assert proc.wait(timeout=30) == 0
        assert time.monotonic() - start < 30
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
    ],
)
def test_loopback_detection_for_the_default_password_warning(host, expected):
    assert is_loopback(host) is expected
