"""Load shapes end to end: the capacity ladder against the reference ERP on SQLite and on
PostgreSQL (one steady step per level), its early stop at a ``--stop-when`` ceiling against
a small independent server (with two Locust workers, while the part files are compacted),
and the working day of ``mixed-day``.

Planted for the early stop: every request of the stub ERP (tests/scenarios/stub_erp.py
``--serial-ms 40``) takes one global lock for 40 ms, so with users that do not think a
request waits for the others: the response time is about users × 40 ms (1 user: 40 ms;
4 users: 160 ms). The ceiling ``p95 > 100ms`` lies between the first two levels, so the
ladder must stop after its second step and never run the third.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

CEILING = "p95>100ms"
LEVELS = (1, 4, 12)
REFERENCE_LEVELS = (1, 2, 4)
STEP_S = 5

pytestmark = pytest.mark.slow


@contextmanager
def reference_erp(db: str, folder: Path) -> Iterator[str]:
    """The reference ERP seeded at scale 0.02 on ``db`` and served on a free port."""
    from erpcap.processes import free_port
    from erpcap.progress import Progress
    from erpcap.reference import seed
    from erpcap.reference import serve as serve_erp

    seed(db, scale=0.02, log_path=folder / "seed.log", progress=Progress(io.StringIO()))
    port = free_port()
    proc = serve_erp(db, port=port, log_path=folder / "erp.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def sqlite_erp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("erp")
    with reference_erp(f"sqlite:///{folder / 'erp.sqlite'}", folder) as url:
        yield url


@pytest.fixture
def postgres_erp(pg_database: str, tmp_path: Path) -> Iterator[str]:
    with reference_erp(pg_database, tmp_path) as url:
        yield url


def _erpcap(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "erpcap", *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _events(run: Path, kind: str) -> list[dict[str, Any]]:
    lines = (run / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return [e for e in map(json.loads, lines) if e["kind"] == kind]


# PostgreSQL only: the ladder's logic does not depend on the ERP's database, and the demo's
# tests run the reference ERP on SQLite (CI's time).
@pytest.mark.parametrize("database", ["postgres"])
def test_a_ladder_has_one_steady_step_per_level(
    database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue(f"{database}_erp")
    shape = tmp_path / "ladder.yaml"
    shape.write_text(
        f"spawn_rate: 20\nladder: {{levels: {list(REFERENCE_LEVELS)}, hold: {STEP_S}s}}\n"
    )
    _erpcap(
        "run", "--target", url, "--scenario", "query", "--shape", str(shape),
        "--stop-when", "errors>50%", "--think-scale", "0.005", "--collect", "none",
        "--out", str(tmp_path / "runs"),
    )  # fmt: skip
    run = tmp_path / "runs" / "latest"
    assert [e["users"] for e in _events(run, "step")] == list(REFERENCE_LEVELS)
    assert [e["reason"] for e in _events(run, "stop")] == ["shape complete"]
    findings = json.loads((run / "findings.json").read_text())
    steps = findings["steps"]
    assert [s["users"] for s in steps] == list(REFERENCE_LEVELS)
    for step in steps:
        assert step["measured"], step
        assert step["steady"] is True, (step["step"], step["unsteady_reasons"])
        assert step["error_rate"] <= 0.5
    assert findings["run"]["stopped_early"] is None
    assert "run.stopped_early" not in {f["id"] for f in findings["findings"]}


def test_the_ladder_stops_at_the_ceiling_with_workers(serial_stub_erp: str, tmp_path: Path) -> None:
    from erpcap.pipeline import LoadPlan, analyze_and_report, record_run
    from erpcap.progress import Progress
    from erpcap.reports import render_reports
    from erpcap.rundir import RunDir
    from erpcap.scenarios.catalog import load_scenario_file
    from erpcap.scenarios.shapes import ladder_shape

    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(
        "users:\n  - role: order_entry\n    think_s: 0\n    tasks: {check_availability: 1}\n"
    )
    progress = Progress(io.StringIO())
    run = RunDir.create(tmp_path / "run")
    plan = LoadPlan(
        target=serial_stub_erp,
        scenario=load_scenario_file(scenario),
        shape=ladder_shape(LEVELS, 6.0, spawn_rate=20),
        workers=2,
        collect=(),
        stop_when=CEILING,
        compact_every_s=1.0,
        compact_min_parts=3,
    )
    status = record_run(run, plan, progress)
    assert status == "completed"
    events = run.read_events()
    assert [e["users"] for e in events if e["kind"] == "step"] == list(LEVELS[:2])
    (stop,) = [e for e in events if e["kind"] == "stop"]
    assert stop["reason"] == "stop_when" and stop["expr"] == CEILING
    assert (stop["step"], stop["users"]) == (2, LEVELS[1])
    assert stop["observed"]["p95_ms"] > 100 and stop["observed"]["requests"] > 0
    meta = run.read_meta()
    assert meta["status"] == "completed"
    assert meta["stopped_early"]["step"] == 2 and meta["stopped_early"]["expr"] == CEILING

    # the part files were compacted while the load ran, and no row was lost or doubled
    assert any(e["kind"] == "compacted" and e["table"] == "requests" for e in events)
    requests = run.read_table("requests")
    assert len(requests) == meta["requests"] > 0
    assert not requests.duplicated().any()
    assert requests["worker"].nunique() == 2  # both workers' samples, judged by the master

    analyze_and_report(run, progress)
    findings = run.read_findings()
    assert findings["run"]["stopped_early"]["step"] == 2
    assert "run.stopped_early" in {f["id"] for f in findings["findings"]}
    assert [s["users"] for s in findings["steps"]] == list(LEVELS[:2])
    first, second = findings["steps"]
    assert first["p95_ms"] < 100 < second["p95_ms"]  # the ceiling lies between the steps
    said = "The load stopped early after step 2 (4 users)"
    assert said in run.file("summary.md").read_text()
    assert said in run.file("report.html").read_text()
    render_reports(run, lang="zh-CN", formats=("md",))
    assert "负载在第 2 阶（4 个用户）后提前停止" in run.file("summary.md").read_text()


def test_mixed_day_follows_the_phases(sqlite_erp: str, tmp_path: Path) -> None:
    from erpcap.scenarios.shapes import DAY_PHASES

    _erpcap(
        "run", "--target", sqlite_erp, "--scenario", "mixed-day", "--users", "6",
        "--duration", "18s", "--think-scale", "0.02", "--collect", "none", "--no-report",
        "--out", str(tmp_path / "runs"),
    )  # fmt: skip
    run = tmp_path / "runs" / "latest"
    steps = _events(run, "step")
    assert [e["phase"] for e in steps] == [p.name for p in DAY_PHASES]
    assert [e["users"] for e in steps] == [6, 4, 2]
    from erpcap.rundir import RunDir

    requests = RunDir.open(run).read_table("requests")
    requests = requests[requests["name"] != "login"]
    for i, step in enumerate(steps):
        begins = pd.Timestamp(step["ts"]) + pd.Timedelta(seconds=2)  # the switch-over
        ends = pd.Timestamp(steps[i + 1]["ts"]) if i + 1 < len(steps) else None
        during = requests[requests["start"] >= begins]
        if ends is not None:
            during = during[during["start"] < ends]
        assert len(during) > 0, step["phase"]
        assert set(during["user_class"]) <= set(step["classes"]), step["phase"]
    groups = requests.groupby(requests["start"] >= pd.Timestamp(steps[2]["ts"]))["group"]
    assert "close" in set(groups.get_group(True)) and "close" not in set(groups.get_group(False))
