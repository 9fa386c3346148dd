"""analyze_run over synthetic runs with known shapes."""

from __future__ import annotations

import json

from erpcap.analysis import Slo, analyze_run


def _ids(doc):
    return {f["id"] for f in doc["findings"]}


def test_healthy_ladder_passes_with_capacity_at_the_top_step(make_run):
    run = make_run([(2, 20, 8, 20, 0), (5, 20, 20, 22, 0), (10, 20, 40, 25, 0)])
    doc = analyze_run(run)
    assert doc["verdict"]["status"] == "pass"
    assert [s["users"] for s in doc["steps"]] == [2, 5, 10]
    assert all(s["within_slo"] for s in doc["steps"])
    assert doc["capacity"]["max_users_within_slo"] == 10
    # Each step's rps is measured after its warm-up; it must be near the generated rate.
    assert 36 <= doc["steps"][2]["rps"] <= 44
    assert 15 <= doc["steps"][1]["p50_ms"] <= 30
    assert json.loads(run.file("findings.json").read_text())["run_id"] == doc["run_id"]


def test_saturating_ladder_is_found_with_evidence(make_run):
    # Throughput stalls at ~40 req/s while latency climbs: the knee is at 10 users.
    run = make_run(
        [(5, 20, 20, 20, 0), (10, 20, 40, 30, 0), (20, 20, 41, 900, 0), (40, 20, 42, 2500, 0)]
    )
    doc = analyze_run(run)
    saturated = [f for f in doc["findings"] if f["id"] == "capacity.saturated"]
    assert saturated, doc["findings"]
    assert saturated[0]["evidence"]["users"] == [10, 20]
    assert doc["capacity"]["max_users_within_slo"] == 10
    assert doc["capacity"]["first_step_over_slo"]["users"] == 20
    assert "latency.p95_over_target" in _ids(doc)
    assert doc["verdict"]["status"] in ("warn", "fail")
    assert "10 concurrent users" in doc["verdict"]["headline"]


def test_errors_over_the_limit_are_critical_with_top_messages(make_run):
    run = make_run([(5, 30, 20, 20, 0.10)])
    doc = analyze_run(run)
    errors = [f for f in doc["findings"] if f["id"] == "errors.rate_high"]
    assert errors and errors[0]["severity"] == "critical"
    assert doc["verdict"]["status"] == "fail"
    assert doc["errors"][0]["error"] == "HTTP 500: pool exhausted"
    assert doc["errors"][0]["status_code"] == 500


def test_a_stricter_slo_changes_the_verdict(make_run):
    run = make_run([(5, 30, 20, 200, 0)])
    assert analyze_run(run)["verdict"]["status"] == "pass"
    strict = Slo(
        p95_ms={"order": 100.0, "query": 100.0, "auth": 100.0, "close": 100.0, "other": 100.0}
    )
    doc = analyze_run(run, slo=strict)
    assert doc["verdict"]["status"] != "pass"
    assert doc["slo"]["p95_ms"]["order"] == 100.0


def test_interrupted_run_is_reported_and_still_analysed(make_run):
    run = make_run([(5, 10, 20, 20, 0)], status="interrupted")
    doc = analyze_run(run)
    assert "run.incomplete" in _ids(doc)
    assert any("ended early" in m for m in doc["data_quality"]["missing"])
    assert doc["overall"]["count"] == 200


def test_empty_run_fails_without_crashing(tmp_path):
    from erpcap.rundir import RunDir

    run = RunDir.create(tmp_path / "r", status="failed")
    doc = analyze_run(run)
    assert doc["verdict"]["status"] == "fail"
    assert "no requests were recorded" in doc["data_quality"]["missing"]
    assert run.file("intervals.parquet").exists()


def test_intervals_hold_per_second_rows_for_all_and_each_transaction(make_run):
    run = make_run([(2, 10, 10, 20, 0)])
    analyze_run(run)
    intervals = run.read_table("intervals")
    everything = intervals[intervals["name"] == "*"]
    assert 9 <= len(everything) <= 11
    assert everything["count"].sum() == 100
    per_name = intervals[intervals["name"] != "*"]
    assert set(per_name["name"]) == {"create_sales_order", "check_availability"}
    assert per_name["count"].sum() == 100
