"""Fixtures for the scenario tests: a stub ERP server and a Locust process runner."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from erpcap.rundir import RunDir
from erpcap.scenarios.launch import locust_command
from erpcap.scenarios.shapes import Shape

STUB = Path(__file__).with_name("stub_erp.py")


def stop_process(proc: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after ``grace_s``: the way the pipeline stops its children."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(grace_s)


@contextmanager
def running_server(script: Path, *args: str) -> Iterator[str]:
    """A test server script that prints ``PORT <n>`` first (stub_erp.py, rest_server.py, …)
    in its own process on 127.0.0.1; yields its base URL, and stops it."""
    proc = subprocess.Popen(
        [sys.executable, str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().split()
        assert line[:1] == ["PORT"], f"{script.name} did not start: {line}"
        yield f"http://127.0.0.1:{line[1]}"
    finally:
        stop_process(proc)
        if proc.stdout is not None:
            proc.stdout.close()


def running_stub(*args: str) -> Any:
    """The stub ERP (tests/scenarios/stub_erp.py) in its own process; yields its base URL."""
    return running_server(STUB, *args)


@pytest.fixture
def stub_erp() -> Iterator[str]:
    """A stub ERP in its own process on 127.0.0.1; yields its base URL."""
    with running_stub() as url:
        yield url


@pytest.fixture
def serial_stub_erp() -> Iterator[str]:
    """The stub ERP with a planted bottleneck: every request holds one lock for 40 ms, so
    users that do not think wait for each other (response time ≈ users × 40 ms)."""
    with running_stub("--serial-ms", "40") as url:
        yield url


LocustStarter = Callable[..., tuple[subprocess.Popen[bytes], RunDir]]


@pytest.fixture
def start_locust(tmp_path: Path) -> Iterator[LocustStarter]:
    """Start Locust the way the pipeline does; every process is stopped at teardown."""
    started: list[subprocess.Popen[bytes]] = []

    def start(
        target: str, shape: Shape, *, scenario: str = "demo-mix", workers: int = 0,
        think_scale: float = 0.05, password: str = "erpcap",
    ) -> tuple[subprocess.Popen[bytes], RunDir]:  # fmt: skip
        run = RunDir.create(tmp_path / f"run{len(started) + 1}", scenario=scenario)
        argv, env = locust_command(
            target=target, scenario=scenario, shape=shape, run_dir=run.path, password=password,
            workers=workers, think_scale=think_scale, seed=11,
        )  # fmt: skip
        proc = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path
        )
        started.append(proc)
        return proc, run

    yield start
    for proc in started:
        stop_process(proc)
        if proc.stdout is not None:
            proc.stdout.close()
