"""Numbers that say what they measure: response vs service time, steps too thin to judge,
'levels off' only with evidence, successful throughput, errors grouped by what they mean.

Runs are written with the real run-directory writer; each test plants one situation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from erpcap.analysis import analyze_run
from erpcap.rundir import RunDir

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def _rows(
    count: int,
    *,
    start_s: float,
    seconds: float,
    name: str = "check_availability",
    group: str = "query",
    service_ms: float = 50.0,
    delay_ms: float = 0.0,
    paced: bool = False,
    ok: bool = True,
    status: int = 200,
    error: str | None = None,
    users: int = 10,
) -> list[dict]:
    rows = []
    for i in range(count):
        start = T0 + timedelta(seconds=start_s + seconds * i / max(count, 1))
        service = int(service_ms * 1000)
        delay = int(delay_ms * 1000)
        rows.append(
            {
                "intended_start": start - timedelta(microseconds=delay),
                "start": start,
                "name": name,
                "group": group,
                "user_class": "u",
                "method": "GET",
                "status_code": status,
                "ok": ok,
                "latency_us": service + delay,
                "service_us": service,
                "bytes": 100,
                "users": users,
                "worker": "w",
                "error": error,
                "paced": paced,
            }
        )
    return rows


def _run(tmp_path, rows: list[dict], steps: list[tuple[float, int]] = ()) -> dict:
    run = RunDir.create(tmp_path / "run", scenario="x", status="completed")
    events = [
        {"ts": (T0 + timedelta(seconds=at)).isoformat(), "kind": "step", "step": i + 1, "users": u}
        for i, (at, u) in enumerate(steps)
    ]
    (run.path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    writer = run.part_writer("requests")
    writer.extend(rows)
    writer.flush()
    return analyze_run(run)


def _tx(doc: dict, name: str) -> dict:
    return next(t for t in doc["transactions"] if t["name"] == name)


def test_response_time_of_paced_requests_counts_from_their_intended_start(tmp_path):
    rows = _rows(100, start_s=0, seconds=60, name="paced_op", service_ms=1250, delay_ms=26_650,
                 paced=True)  # fmt: skip
    # A closed-model row that (as an importer may write it) has an earlier intended start is
    # still judged by its service time: only paced requests wait for a schedule.
    rows += _rows(100, start_s=0, seconds=60, name="closed_op", service_ms=40, delay_ms=5_000)
    doc = _run(tmp_path, rows)
    paced, closed = _tx(doc, "paced_op"), _tx(doc, "closed_op")
    assert paced["p95_ms"] == pytest.approx(27_900.0)
    assert paced["service"]["p95_ms"] == pytest.approx(1_250.0)
    assert paced["queue"]["p95_ms"] == pytest.approx(26_650.0)
    assert paced["paced_share"] == 1.0
    assert closed["p95_ms"] == pytest.approx(40.0)  # judged on service time
    assert closed["paced_share"] == 0.0
    slow = {
        f["evidence"].get("transaction")
        for f in doc["findings"]
        if f["id"] == "latency.p95_over_target"
    }
    assert slow == {"paced_op"}


def test_a_step_with_too_few_requests_is_not_measured(tmp_path):
    rows = _rows(200, start_s=0, seconds=20, users=5) + _rows(5, start_s=20, seconds=20, users=10)
    doc = _run(tmp_path, rows, steps=[(0, 5), (20, 10)])
    first, second = doc["steps"]
    assert first["measured"] is True and first["within_slo"] is True
    assert second["measured"] is False and second["within_slo"] is None
    assert doc["capacity"]["first_step_over_slo"] is None
    assert doc["capacity"]["unmeasured_steps"] == [2]
    assert any("step(s) 2" in m for m in doc["data_quality"]["missing"])


def _ladder(users_rps_ms: list[tuple[int, float, float]]) -> tuple[list[dict], list]:
    rows, steps, at = [], [], 0.0
    rng = np.random.default_rng(5)
    for users, rps, ms in users_rps_ms:
        count = int(rps * 30)
        for row in _rows(count, start_s=at, seconds=30, users=users):
            row["service_us"] = row["latency_us"] = int(rng.lognormal(np.log(ms * 1000), 0.3))
            rows.append(row)
        steps.append((at, users))
        at += 30
    return rows, steps


def test_throughput_that_follows_the_users_does_not_level_off(tmp_path):
    # A think-time-bound run: 0.2 → 0.4 → 0.8 req/s; p95 noisy but users are not queueing.
    rows, steps = _ladder([(5, 1.0, 40.0), (10, 2.0, 90.0), (20, 4.0, 200.0)])
    doc = _run(tmp_path, rows, steps)
    ids = {f["id"] for f in doc["findings"]}
    assert "capacity.saturated" not in ids
    assert "load.light" in ids
    top = doc["steps"][-1]
    assert top["busy_share"] < 0.05 and top["think_s"] > 4


def test_levels_off_needs_offered_load_above_throughput(tmp_path):
    rows, steps = _ladder([(10, 40.0, 50.0), (20, 72.0, 200.0), (40, 73.0, 520.0)])
    doc = _run(tmp_path, rows, steps)
    (saturated,) = [f for f in doc["findings"] if f["id"] == "capacity.saturated"]
    ev = saturated["evidence"]
    assert ev["users"] == [20, 40]
    assert ev["expected_rps"] == pytest.approx(2 * ev["rps"][0], rel=1e-3)
    assert ev["delivered_share"] == pytest.approx(ev["rps"][1] / ev["expected_rps"], rel=1e-3)
    assert "rose only" not in saturated["detail"] and "rose 1%" in saturated["detail"]
    assert "load.light" not in {f["id"] for f in doc["findings"]}


def test_falling_throughput_is_said_as_falling(tmp_path):
    rows, steps = _ladder([(20, 72.0, 200.0), (40, 60.0, 900.0)])
    doc = _run(tmp_path, rows, steps)
    (saturated,) = [f for f in doc["findings"] if f["id"] == "capacity.saturated"]
    assert "fell 17%" in saturated["detail"] and "-" not in saturated["detail"].split("fell")[1][:4]


def test_peak_throughput_counts_successful_requests(tmp_path):
    good = _rows(600, start_s=0, seconds=30, users=10)
    # The second step answers fast, but nearly everything fails: more requests, less work.
    bad = _rows(100, start_s=30, seconds=30, users=20)
    bad += _rows(1400, start_s=30, seconds=30, users=20, ok=False, status=503, error="HTTP 503")
    doc = _run(tmp_path, good + bad, steps=[(0, 10), (30, 20)])
    peak = doc["capacity"]["peak"]
    assert peak["users"] == 10 and peak["ok_rps"] == pytest.approx(doc["steps"][0]["ok_rps"])
    assert doc["steps"][1]["rps"] > doc["steps"][0]["rps"]  # busier, but not more work
    assert "successful req/s" in doc["verdict"]["headline"]


def test_errors_group_by_message_shape_and_advise_by_cause(tmp_path):
    rows = _rows(500, start_s=0, seconds=30)
    for item in range(60):
        rows += _rows(1, start_s=item / 2, seconds=1, ok=False, status=404,
                      error=f"404 not_found: no item {item} (GET /availability?item_id={item})")  # fmt: skip
    rows += _rows(30, start_s=0, seconds=30, ok=False, status=0, name="create_sales_order",
                  error="connection error: [Errno 111] Connection refused")  # fmt: skip
    doc = _run(tmp_path, rows)
    errors = doc["errors"]
    assert errors[0]["count"] == 60 and errors[0]["cause"] == "client"
    assert errors[0]["error"] == "404 not_found: no item N (GET /availability?item_id=N)"
    assert errors[0]["sample"].startswith("404 not_found: no item ")
    assert errors[1] == {
        "transaction": "create_sales_order",
        "status_code": 0,
        "error": "connection error: [Errno N] Connection refused",
        "sample": "connection error: [Errno 111] Connection refused",
        "cause": "connection",
        "count": 30,
    }
    assert sum(e["count"] for e in errors) == 90  # every failure is in a group
    assert doc["error_causes"] == {"connection": 30, "client": 60}
    (finding,) = [f for f in doc["findings"] if f["id"] == "errors.rate_high"]
    assert finding["evidence"]["cause"] == "client"  # 60 of 90: the main cause
    assert "test data" in finding["fix"]


def test_a_target_that_went_away_gets_advice_about_the_target(tmp_path):
    rows = _rows(100, start_s=0, seconds=30)
    rows += _rows(50, start_s=10, seconds=20, ok=False, status=0,
                  error="connection error: [Errno 111] Connection refused")  # fmt: skip
    doc = _run(tmp_path, rows)
    (finding,) = [f for f in doc["findings"] if f["id"] == "errors.rate_high"]
    assert finding["evidence"]["cause"] == "connection"
    assert "stopped answering" in finding["fix"]


def test_in_flight_requests_are_reported_as_missing(tmp_path):
    run = RunDir.create(tmp_path / "run", scenario="x", status="interrupted", in_flight=3)
    writer = run.part_writer("requests")
    writer.extend(_rows(50, start_s=0, seconds=10))
    writer.flush()
    doc = analyze_run(run)
    assert doc["data_quality"]["in_flight"] == 3
    assert (
        "not recorded: 3 requests in flight when the load stopped" in doc["data_quality"]["missing"]
    )


def test_runs_before_schema_1_1_judge_late_requests_as_they_did(tmp_path):
    """A 1.0 run has no ``paced`` column: a late request counts as paced, as 1.0 judged it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    run = RunDir.create(tmp_path / "run", scenario="x", status="completed")
    rows = _rows(40, start_s=0, seconds=10, service_ms=100, delay_ms=900)
    rows += _rows(40, start_s=0, seconds=10, name="on_time", service_ms=100)
    frame = pd.DataFrame(rows).drop(columns=["paced"])
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), run.file("requests.parquet"))
    table = run.read_table("requests")
    assert table.loc[table["name"] == "check_availability", "paced"].all()
    assert not table.loc[table["name"] == "on_time", "paced"].any()
    doc = analyze_run(run)
    assert _tx(doc, "check_availability")["p95_ms"] == pytest.approx(1000.0)


def test_an_error_limit_below_one_percent_is_said_as_it_is(tmp_path):
    from erpcap.analysis import Slo

    run = RunDir.create(tmp_path / "run", scenario="x", status="completed")
    writer = run.part_writer("requests")
    writer.extend(_rows(400, start_s=0, seconds=20))
    writer.flush()
    doc = analyze_run(run, slo=Slo(error_rate=0.005))
    assert "errors ≤ 0.5%" in doc["verdict"]["headline"]
