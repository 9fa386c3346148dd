"""Service demands on a run directory with known CPU: the arithmetic of D = U / X, the
bottleneck law's ceilings and the database time per request, through analyze_run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from erpcap.analysis import analyze_run
from erpcap.types import SQL_STATS_SCHEMA

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # where tests/conftest.py's runs start
#: Per step: users, seconds, requests per second, median latency (ms), error share.
LADDER = [(4, 20, 20, 20, 0), (8, 20, 40, 25, 0), (16, 20, 60, 30, 0)]
#: Planted CPU per request (seconds) of each role, and the host's cores.
TARGET_CPU_S, DB_CPU_S, CORES = 0.02, 0.01, 4
DB_TIME_S = 0.005


def _metrics() -> pd.DataFrame:
    rows = []
    offset = 0
    for _users, seconds, rps, _median, _err in LADDER:
        for second in range(seconds):
            ts = T0 + timedelta(seconds=offset + second + 0.5)
            target, db = rps * TARGET_CPU_S * 100, rps * DB_CPU_S * 100  # % of one core
            rows += [
                (ts, "process", "cpu_percent", json.dumps({"role": "target"}), target),
                (ts, "process", "cpu_percent", json.dumps({"role": "db"}), db),
                (ts, "host", "cpu_percent", "{}", (target + db) / CORES + 5.0),
            ]
        offset += seconds
    return pd.DataFrame(rows, columns=["ts", "source", "metric", "labels", "value"])


def _sql_stats() -> pd.DataFrame:
    rows = []
    offset = 0
    blank = {field.name: None for field in SQL_STATS_SCHEMA}
    for number, (_users, seconds, rps, _median, _err) in enumerate(LADDER, start=1):
        start = T0 + timedelta(seconds=offset)
        rows.append(
            {
                **blank, "source": "postgres", "instance": "127.0.0.1:5432/app", "start": start,
                "end": start + timedelta(seconds=seconds), "step": number,
                "fingerprint": "select ? from t", "query": "SELECT $1 FROM t",
                "calls": rps * seconds, "total_ms": rps * seconds * DB_TIME_S * 1000,
            }
        )  # fmt: skip
        offset += seconds
    whole = {**rows[0], "step": None, "end": rows[-1]["end"]}
    whole["calls"] = sum(r["calls"] for r in rows)
    whole["total_ms"] = sum(r["total_ms"] for r in rows)
    return pd.DataFrame([*rows, whole])


@pytest.fixture
def doc(make_run):
    run = make_run(LADDER)
    run.write_table("metrics", _metrics())
    run.write_table("sql_stats", _sql_stats())
    run.update_meta(host={"cpu_count": CORES})
    return analyze_run(run)


def test_demands_are_cpu_seconds_per_successful_request(doc):
    demands = doc["capacity"]["demands"]
    top = doc["steps"][-1]
    assert demands["step"] == 3 and demands["x"] == pytest.approx(top["ok_rps"], rel=1e-4)
    by_name = {r["resource"]: r for r in demands["resources"]}
    target = by_name["cpu:target"]
    # D = U / X exactly, on the step's own measured figures …
    assert target["demand_s"] == pytest.approx(target["busy"] / demands["x"], rel=1e-4)
    assert target["ceiling_rps"] == pytest.approx(CORES / target["demand_s"], rel=1e-3)
    assert target["utilisation"] == pytest.approx(target["busy"] / CORES, rel=1e-3)
    # … and near the planted cost (the measured rate is a sample of the planted one)
    assert target["demand_s"] == pytest.approx(TARGET_CPU_S, rel=0.1)
    assert by_name["cpu:db"]["demand_s"] == pytest.approx(DB_CPU_S, rel=0.1)
    host = by_name["cpu:host"]
    assert host["busy"] == pytest.approx(60 * (TARGET_CPU_S + DB_CPU_S) + 0.05 * CORES, rel=0.02)
    # the host carries both roles (and a little more): the lowest ceiling, the bottleneck
    assert demands["bottleneck"] == "cpu:host"
    assert demands["ceiling_rps"] == host["ceiling_rps"]
    assert demands["db_time_s"] == pytest.approx(DB_TIME_S, rel=0.1)


def test_each_step_carries_its_utilisation(doc):
    for step, (_users, _seconds, rps, _median, _err) in zip(doc["steps"], LADDER, strict=True):
        shares = {u["resource"]: u for u in step["utilisation"]}
        assert shares["cpu:target"]["busy"] == pytest.approx(rps * TARGET_CPU_S, rel=1e-3)
        assert shares["cpu:target"]["value"] == pytest.approx(rps * TARGET_CPU_S / CORES, rel=1e-3)
        assert shares["cpu:target"]["units"] == CORES and shares["cpu:host"]["source"] == "host"
        assert step["steady"] is True and step["unsteady_reasons"] == []
        assert step["x_cv"] is not None and abs(step["x_trend"]) < 0.3


def test_a_synthetic_ladder_that_follows_its_users_gets_no_knee(doc):
    assert doc["capacity"]["knee"] is None
    ids = {f["id"] for f in doc["findings"]}
    assert "capacity.knee" not in ids and "capacity.unsteady_step" not in ids
    assert doc["capacity"]["usl"]["fitted"] is True


def test_errors_only_and_a_single_step_conclude_what_they_can(make_run):
    doc = analyze_run(make_run([(5, 20, 20, 20, 1.0), (10, 20, 40, 20, 1.0)]))
    capacity = doc["capacity"]
    assert capacity["demands"] is None and capacity["knee"] is None
    assert all(s["steady"] is False for s in doc["steps"])
    assert "no successful requests in the step" in doc["steps"][0]["unsteady_reasons"]
    said = " ".join(n["en"] for n in capacity["notes"])
    assert "no service demands" in said and "no USL fit" in said
    assert all(n["zh-CN"] for n in capacity["notes"])
    ids = [f["id"] for f in doc["findings"]]
    assert ids.count("capacity.unsteady_step") == 2

    doc = analyze_run(make_run([(5, 30, 20, 20, 0)]))  # no ladder: one step, no plateau
    capacity = doc["capacity"]
    assert capacity["knee"] is None and "at least 3" in capacity["knee_note"]["en"]
    assert capacity["usl"]["fitted"] is False
    assert capacity["demands"]["step"] == 1 and capacity["demands"]["resources"] == []
    assert doc["steps"][0]["steady"] is True and doc["verdict"]["status"] == "pass"
