"""Bottleneck attribution end to end, on a server this test writes (planted_server.py): a
stdlib ThreadingHTTPServer talking to PostgreSQL with psycopg, in its own process, driven by
``erpcap run`` (a ladder of 2 → 4 → 8 users, 6 s a step, loopback only; the server's process
is watched as ``target``, found by its port) with the psutil and postgres collectors, then
``erpcap analyze``.

Planted: (a) every request waits on the same row lock, (b) every request burns CPU under a
process-wide lock; (c) a healthy server under a light load, which must get no bottleneck
warning; (d) the same healthy server beside a process outside the watched roles that burns
a core: a noisy neighbour.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from erpcap.rundir import RunDir
from erpcap.sqltext import fingerprint

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SERVER = Path(__file__).with_name("planted_server.py")
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SCENARIO = "users:\n  - role: order_entry\n    tasks: {check_availability: 1}\n"
FOR_UPDATE = "SELECT n FROM hot_counter WHERE id = 1 FOR UPDATE /*op='reserve'*/"


@pytest.fixture
def database() -> Iterator[str]:
    """A database of this branch's own (unique name), with the table and
    pg_stat_statements; dropped, sessions and all, after."""
    name = f"h2_bottleneck_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            conn.execute("CREATE TABLE hot_counter (id int PRIMARY KEY, n int NOT NULL)")
            conn.execute("INSERT INTO hot_counter VALUES (1, 0)")
        yield dsn
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def planted(mode: str, dsn: str) -> Iterator[tuple[str, int]]:
    """The planted server in its own process group; yields its URL and pid."""
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), mode, dsn],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().split()
        assert line[:1] == ["PORT"], f"the planted server did not start: {line}"
        yield f"http://127.0.0.1:{line[1]}", proc.pid
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def _run(
    mode: str, dsn: str, tmp_path: Path, users: tuple[int, ...] = (2, 4, 8), think: str = "0.005"
) -> dict[str, Any]:
    shape = "steps:\n" + "".join(f"  - users: {n}\n    duration: 6s\n" for n in users)
    (tmp_path / "shape.yaml").write_text(shape, encoding="utf-8")
    (tmp_path / "scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    with planted(mode, dsn) as (target, pid):
        result = subprocess.run(
            [sys.executable, "-m", "erpcap", "run", "--target", target,
             "--scenario", str(tmp_path / "scenario.yaml"), "--shape", str(tmp_path / "shape.yaml"),
             "--think-scale", think, "--out", str(tmp_path / "runs"), "--no-report",
             "--collect", "psutil", "--collect", f"postgres={dsn}"],
            capture_output=True, text=True, timeout=240,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    run = RunDir.open(tmp_path / "runs" / "latest")
    assert run.read_meta()["watched"]["target"] == pid  # found by its port, watched as target
    analysed = subprocess.run(
        [sys.executable, "-m", "erpcap", "analyze", str(tmp_path / "runs" / "latest")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert analysed.returncode == 0, analysed.stderr[-3000:]
    return run.read_findings()


def _warnings(findings: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        f for f in findings["findings"]
        if f["id"].startswith("bottleneck.") and f["severity"] != "info"
    ]  # fmt: skip


def test_a_hot_row_lock_is_named_with_its_table_and_statement(
    database: str, tmp_path: Path
) -> None:
    # Enough users past the lock's ceiling (50 requests/s) that most sessions at the first
    # levelled step wait on the lock: with 2 → 4 the knee could fall where one waited.
    findings = _run("lock", database, tmp_path, users=(2, 6, 12))
    block = findings["capacity"]["bottleneck"]
    print(
        block["texts"]["en"],
        block["method"],
        block["saturation"],
        [(c["resource"], c["score"]) for c in block["candidates"]],
    )
    assert block["kind"] == "lock" and block["confidence"] in ("strong", "likely"), block
    assert any("hot_counter" in t for t in block["tables"]), block["tables"]
    waiting = [s for s in block["statements"] if s["fingerprint"] == fingerprint(FOR_UPDATE)]
    assert waiting, block["statements"]
    assert waiting[0]["operation"] == "reserve" and "hot_counter" in waiting[0]["tables"]
    assert block["evidence"]["lock_wait_share"] >= 0.5
    [finding] = _warnings(findings)
    assert finding["id"] == "bottleneck.lock" and "hot_counter" in finding["detail"]
    assert set(finding["texts"]) == {"en", "zh-CN"}


def test_application_cpu_under_a_process_lock_is_the_target_role(
    database: str, tmp_path: Path
) -> None:
    findings = _run("cpu", database, tmp_path)
    block = findings["capacity"]["bottleneck"]
    print(
        block["texts"]["en"],
        block["method"],
        block["saturation"],
        [(c["resource"], c["score"]) for c in block["candidates"]],
    )
    assert block["kind"] in ("cpu", "unknown"), block  # never a lock, I/O or the database
    if block["resource"] != "cpu:target":
        # The machine is shared: a neighbour that takes the CPU starves the server, and the
        # attribution must then say so rather than blame the server's own ceiling.
        assert any(w["id"] == "host.noisy_neighbour" for w in block["warnings"]), block
        return
    assert block["confidence"] in ("strong", "likely")
    assert block["evidence"]["ceiling_cores"] == 1 and block["evidence"]["utilisation"] >= 0.6
    assert block["statements"] == []  # the database is not what limits: no SQL blamed
    [finding] = _warnings(findings)
    assert finding["id"] == "bottleneck.cpu" and finding["subject"]["name"] == "cpu:target"


def test_a_healthy_server_under_light_load_gets_no_bottleneck_warning(
    database: str, tmp_path: Path
) -> None:
    findings = _run("healthy", database, tmp_path, users=(2, 4, 8), think="0.1")
    block = findings["capacity"]["bottleneck"]
    print(
        block["texts"]["en"],
        block["method"],
        block["saturation"],
        [(c["resource"], c["score"]) for c in block["candidates"]],
    )
    assert _warnings(findings) == [], [f["title"] for f in _warnings(findings)]
    assert block["confidence"] == "thin" and block["kind"] == "unknown"
    assert "thin" in block["texts"]["en"]


@contextmanager
def neighbour() -> Iterator[None]:
    """A process that burns one core (at most 90 s), in its own process group, stopped after."""
    code = "import time\nend = time.monotonic() + 90\nwhile time.monotonic() < end:\n    pass\n"
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        yield
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def test_a_process_outside_the_watched_roles_is_a_noisy_neighbour(
    database: str, tmp_path: Path
) -> None:
    with neighbour():
        # enough users that each step holds 20 requests while the burner takes a core
        findings = _run("healthy", database, tmp_path, users=(4, 8), think="0.1")
    block = findings["capacity"]["bottleneck"]
    assert block is not None, [(s["users"], s["count"]) for s in findings["steps"]]
    print(block["warnings"])
    [warning] = [w for w in block["warnings"] if w["id"] == "host.noisy_neighbour"]
    assert warning["evidence"]["unexplained_cores"] >= 0.5  # the burner's core, at least half
    assert warning["evidence"]["watched_cores"] < warning["evidence"]["busy_cores"]
    [finding] = [f for f in findings["findings"] if f["id"] == "host.noisy_neighbour"]
    assert finding["severity"] == "warning" and set(finding["texts"]) == {"en", "zh-CN"}
    assert _warnings(findings) == []  # the server itself is still not a bottleneck
