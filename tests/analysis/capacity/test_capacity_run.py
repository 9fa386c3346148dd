"""The capacity stage end to end: ``erpcap run`` with a short ladder against a small server
this module writes itself, then ``erpcap analyze``.

Planted: every request takes one global lock and holds it :data:`HOLD_MS` (wall time), of
which it burns :data:`CPU_MS` of CPU; so the server completes at most 1000 / HOLD_MS
requests a second whatever else the machine runs (the burn may take up to HOLD_MS), and
users thinking :data:`THINK_S` between requests reach that rate at N* = (Z + D) / D users
(D = HOLD_MS: the operational laws' saturation point). The knee must lie within one step
of the first step at or beyond N*, and the target's CPU per successful request must be
near the planted CPU_MS. Healthy: the same server without the lock, users thinking longer:
throughput follows the users, and no knee is claimed.

The server is lock_server.py, in its own process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

#: Planted per request: CPU burnt (ms) inside the lock held HOLD_MS; users' think time (s).
CPU_MS = 6.0
HOLD_MS = 20.0
THINK_S = 0.1
LADDER = (2, 4, 6, 8, 10, 12)
STEP_S = 5
SERVER = Path(__file__).with_name("lock_server.py")


@contextmanager
def running_server(cpu_ms: float, hold_ms: float) -> Iterator[str]:
    """lock_server.py in its own process (its own group); stopped, children and all."""
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), str(cpu_ms), str(hold_ms)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().split()
        assert line[:1] == ["PORT"], f"the test server did not start: {line}"
        yield f"http://127.0.0.1:{line[1]}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def _run(target: str, folder: Path, think_s: float) -> dict[str, Any]:
    folder.mkdir()
    shape = "spawn_rate: 50\nsteps:\n" + "".join(
        f"  - users: {n}\n    duration: {STEP_S}s\n" for n in LADDER
    )
    (folder / "shape.yaml").write_text(shape, encoding="utf-8")
    (folder / "scenario.yaml").write_text(
        "users:\n  - role: order_entry\n"
        f"    think_s: {think_s}\n    tasks: {{check_availability: 1}}\n",
        encoding="utf-8",
    )
    common = {"capture_output": True, "text": True, "timeout": 240}
    result = subprocess.run(
        [
            sys.executable, "-m", "erpcap", "run", "--target", target,
            "--scenario", str(folder / "scenario.yaml"), "--shape", str(folder / "shape.yaml"),
            "--think-scale", "1", "--out", str(folder / "runs"), "--no-report",
        ],
        **common,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = folder / "runs" / "latest"
    result = subprocess.run(
        [sys.executable, "-m", "erpcap", "analyze", str(run_dir)], **common
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((run_dir / "findings.json").read_text(encoding="utf-8"))


def _ids(doc: dict[str, Any]) -> set[str]:
    return {f["id"] for f in doc["findings"]}


@pytest.mark.slow
def test_the_knee_lies_where_the_planted_capacity_is_reached(tmp_path: Path) -> None:
    with running_server(CPU_MS, HOLD_MS) as target:
        doc = _run(target, tmp_path / "planted", THINK_S)
    capacity = doc["capacity"]
    hold_s, cpu_s = HOLD_MS / 1000.0, CPU_MS / 1000.0
    saturation_users = (THINK_S + hold_s) / hold_s  # N* = (Z + D) / D
    reached = next(n for n in LADDER if n >= saturation_users)
    knee = capacity["knee"]
    assert knee is not None, capacity["knee_note"]
    assert abs(LADDER.index(knee["users"]) - LADDER.index(reached)) <= 1, (knee, reached)
    assert "capacity.knee" in _ids(doc)
    # throughput cannot pass the lock's rate
    assert max(s["ok_rps"] for s in doc["steps"] if s["measured"]) <= 1.05 / hold_s
    # the target's CPU per successful request is the planted cost, plus HTTP handling
    demands = {r["resource"]: r for r in capacity["demands"]["resources"]}
    assert 0.8 * cpu_s <= demands["cpu:target"]["demand_s"] <= 2.0 * cpu_s, demands
    top = max((s for s in doc["steps"] if s["measured"]), key=lambda s: s["users"])
    cpu = {u["resource"]: u for u in top["utilisation"]}
    cores = doc["steps"][0]["utilisation"][0]["units"]
    assert cpu["cpu:target"]["units"] == cpu["cpu:host"]["units"] == cores >= 1
    assert cpu["cpu:target"]["busy"] == pytest.approx(top["ok_rps"] * cpu_s, rel=0.5)
    fit = capacity["usl"]
    assert fit["fitted"] and fit["curve"][-1][0] == 2 * LADDER[-1]
    # Little's law knows the configured think time from what erpcap run recorded
    laws = [r for r in capacity["littles_law"] if r["r_s"] is not None]
    assert laws and all(r["z_configured_s"] == pytest.approx(THINK_S, abs=0.01) for r in laws)


@pytest.mark.slow
def test_a_think_time_bound_run_gets_no_knee(tmp_path: Path) -> None:
    with running_server(0.0, 0.0) as target:
        doc = _run(target, tmp_path / "healthy", 0.25)
    assert doc["capacity"]["knee"] is None, doc["capacity"]["knee"]
    assert "capacity.knee" not in _ids(doc)
    assert "no knee" in doc["capacity"]["knee_note"]["en"]
    steps = [s for s in doc["steps"] if s["measured"]]
    assert steps[-1]["ok_rps"] > 4 * steps[0]["ok_rps"]  # throughput followed the users
