"""The plan on hand-built documents: one planted cause each, the recommendation it maps to
(with evidence, gain, effort, phase), and a healthy document that gets nothing but
monitoring."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from erpcap.analysis.plan import make_plan
from erpcap.analysis.plan.catalogue import EFFORT_WEIGHT, KINDS

Doc = Callable[[], dict[str, Any]]
Law = Callable[[list[dict[str, Any]]], float]


def _by_id(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in plan["recommendations"]}


def _check_shape(plan: dict[str, Any]) -> None:
    ranks = [r["rank"] for r in plan["recommendations"]]
    assert ranks == list(range(1, len(ranks) + 1))
    for rec in plan["recommendations"]:
        kind = KINDS[rec["id"]]
        assert (rec["phase"], rec["effort"], rec["risk"]) == (kind.phase, kind.effort, kind.risk)
        for lang in ("en", "zh-CN"):
            assert rec["texts"][lang]["title"] and rec["texts"][lang]["detail"], (rec["id"], lang)
            assert "{" not in rec["texts"][lang]["detail"], rec["texts"][lang]["detail"]
        assert "finding_ids" in rec["evidence"]
    assert [p["phase"] for p in plan["phases"]] == [1, 2, 3]


def test_a_healthy_run_gets_only_monitoring(doc: Doc) -> None:
    plan = make_plan(doc())
    assert plan is not None
    _check_shape(plan)
    assert [r["id"] for r in plan["recommendations"]] == ["monitoring"]
    assert plan["alerts"]["file"] == "alerts.yml" and plan["alerts"]["rules"]


def test_nothing_measured_gives_no_plan() -> None:
    assert make_plan({"steps": [], "capacity": {}, "findings": []}) is None


def test_missing_index_from_the_sql_analysis(doc: Doc, law: Law) -> None:
    d = doc()
    create = "CREATE INDEX ON public.t_lines (parent_id)"
    d["findings"].append(
        {"id": "sql.index_missing", "severity": "warning", "evidence": {
            "create": create, "table": "public.t_lines", "columns": ["parent_id"],
            "verified": True, "share": 0.4, "reduction": 0.9, "cost_before": 900.0,
            "cost_after": 90.0, "statements": [{"fingerprint": "select * from t_lines where "
                                                "parent_id = ?", "share": 0.4}]}}
    )  # fmt: skip
    plan = make_plan(d)
    assert plan is not None
    _check_shape(plan)
    rec = _by_id(plan)["index"]
    assert rec["phase"] == 1 and rec["evidence"]["finding_ids"] == ["sql.index_missing"]
    assert rec["evidence"]["create"] == create and create in rec["texts"]["en"]["detail"]
    removed = 0.4 * 0.9
    assert abs(rec["expected_gain"]["db_time_share"] - removed) < 1e-9
    rows = copy.deepcopy(d["capacity"]["demands"]["resources"])
    before = law(rows)
    rows[0]["demand_s"] *= 1 - removed  # the database's CPU
    assert rec["expected_gain"]["capacity_factor"] == round(law(rows) / before, 2)
    assert rec["expected_gain"]["limit_after"] == "cpu:target"  # capped by the application


def test_n_plus_one_in_a_named_operation(doc: Doc) -> None:
    d = doc()
    d["findings"].append(
        {"id": "sql.n_plus_one", "severity": "critical", "evidence": {
            "operation": "op_browse", "fingerprint": "select qty from t_lines where id = ?",
            "fingerprint_id": "abc123", "share": 0.3, "median_per_request": 10.0,
            "max_per_request": 25, "requests": 40, "calls": 500, "total_ms": 900.0}}
    )  # fmt: skip
    rec = _by_id(make_plan(d) or {})["batch_queries"]
    assert rec["subject"] == {"kind": "operation", "name": "op_browse"}
    assert (
        "op_browse" in rec["texts"]["en"]["title"] and "op_browse" in rec["texts"]["zh-CN"]["title"]
    )
    assert abs(rec["expected_gain"]["db_time_share"] - 0.3 * (1 - 1 / 10)) < 1e-9


def _with_reads(d: dict[str, Any], *, pressure: bool) -> dict[str, Any]:
    d["sql"] = {
        "top": [
            {"fingerprint": "select name, price from t_catalog where id = ?",
             "fingerprint_id": "c1", "calls": 5400, "total_ms": 5400.0, "mean_ms": 1.0,
             "share": 0.3},
            {"fingerprint": "update t_stock set qty = qty - ? where id = ?",
             "fingerprint_id": "w1", "calls": 900, "total_ms": 900.0, "mean_ms": 1.0,
             "share": 0.05},
            {"fingerprint": "select a, sum(b) from t_ledger group by a", "fingerprint_id": "h1",
             "calls": 20, "total_ms": 8000.0, "mean_ms": 400.0, "share": 0.45},
        ],
        "operations": {"operations": [
            {"operation": "op_browse", "top": [{"fingerprint": "select name, price from "
                                                 "t_catalog where id = ?", "calls_per_request": 3.0}]},
            {"operation": "op_period_report", "top": [{"fingerprint": "select a, sum(b) from "
                                                        "t_ledger group by a", "calls_per_request": 1.0}]},
        ]},
    }  # fmt: skip
    if pressure:
        d["capacity"]["first_step_over_slo"] = {"step": 3, "users": 20}
    return d


def test_cache_and_replica_for_named_reads_when_the_database_matters(doc: Doc) -> None:
    plan = make_plan(_with_reads(doc(), pressure=True))
    assert plan is not None
    _check_shape(plan)
    recs = _by_id(plan)
    cache = recs["cache"]
    assert [s["fingerprint_id"] for s in cache["evidence"]["statements"]] == ["c1"]  # not the write
    assert cache["evidence"]["operations"] == ["op_browse"]
    assert abs(cache["expected_gain"]["db_time_share"] - 0.3 * 0.8) < 1e-9
    replica = recs["read_replica"]
    assert replica["evidence"]["close_operations"] == ["op_period_report"]
    assert "op_period_report" in replica["texts"]["en"]["detail"]
    assert abs(replica["expected_gain"]["db_time_share"] - 0.45) < 1e-9


def test_a_read_an_index_fixes_is_not_cached(doc: Doc) -> None:
    d = _with_reads(doc(), pressure=True)
    d["findings"].append(
        {"id": "sql.index_missing", "evidence": {
            "create": "CREATE INDEX ON t_catalog (id)", "table": "t_catalog", "columns": ["id"],
            "share": 0.3, "reduction": 0.8, "statements": [{"fingerprint_id": "c1"}]}}
    )  # fmt: skip
    recs = _by_id(make_plan(d) or {})
    assert "index" in recs and "cache" not in recs


def test_no_cache_or_replica_advice_when_the_database_has_time_to_spare(doc: Doc) -> None:
    plan = make_plan(_with_reads(doc(), pressure=False))
    assert [r["id"] for r in (plan or {})["recommendations"]] == ["monitoring"]


def test_lock_waits_map_to_shorter_transactions_and_a_queue(doc: Doc, law: Law) -> None:
    d = doc()
    d["capacity"]["demands"]["resources"].append(
        {"resource": "lock:t_stock", "kind": "lock", "role": "db", "units": 1.0,
         "demand_s": 0.016, "utilisation": 0.32, "ceiling_rps": 62.5}
    )  # fmt: skip
    d["capacity"]["demands"]["bottleneck"] = "lock:t_stock"
    d["capacity"]["bottleneck"] = {
        "resource": "lock:t_stock", "kind": "lock", "confidence": "strong", "step": 3,
        "statements": [
            {"fingerprint_id": "w1", "fingerprint": "update t_stock set qty = qty - ? where id = ?",
             "operation": "op_submit", "share": 0.6, "tables": ["t_stock"]},
            {"fingerprint_id": "r1", "fingerprint": "select qty from t_stock where id = ?",
             "operation": "op_browse", "share": 0.1, "tables": ["t_stock"]}],
    }  # fmt: skip
    d["findings"].append({"id": "bottleneck.lock_waits", "evidence": {"kind": "lock"}})
    plan = make_plan(d)
    assert plan is not None
    _check_shape(plan)
    recs = _by_id(plan)
    fix, queue = recs["fix_locking"], recs["queue"]
    assert (fix["phase"], queue["phase"]) == (1, 2)
    assert fix["evidence"]["finding_ids"] == ["bottleneck.lock_waits"]
    assert fix["evidence"]["statements"] == ["w1"]  # the write holds the lock
    rows = copy.deepcopy(d["capacity"]["demands"]["resources"])
    before = law(rows)
    rows[2]["demand_s"] *= 1 - 0.6
    assert queue["expected_gain"]["capacity_factor"] == round(law(rows) / before, 2)
    assert queue["expected_gain"]["demand_share"] == 0.6
    assert "op_submit" in queue["texts"]["en"]["detail"]


def test_connections_near_the_limit_call_for_a_pool(doc: Doc) -> None:
    d = doc()
    d["steps"][2]["resources"]["databases"][0]["connections_max"] = 92.0
    rec = _by_id(make_plan(d) or {})["pool"]
    assert (
        rec["evidence"]["connections_max"] == 92.0 and rec["evidence"]["max_connections"] == 100.0
    )
    assert "92" in rec["texts"]["en"]["detail"] and "92" in rec["texts"]["zh-CN"]["detail"]
    d2 = doc()
    d2["steps"][2]["resources"]["databases"][0]["connections_max"] = 79.0
    assert "pool" not in _by_id(make_plan(d2) or {})


def test_application_cpu_bottleneck_gains_capped_by_the_database(doc: Doc, law: Law) -> None:
    d = doc()
    rows = d["capacity"]["demands"]["resources"]
    rows[1].update(demand_s=0.03, utilisation=0.9)  # the application: 2 / 0.03 = 66.7 req/s
    d["capacity"]["demands"]["bottleneck"] = "cpu:target"
    d["capacity"]["bottleneck"] = {"resource": "cpu:target", "kind": "cpu", "confidence": "strong"}
    recs = _by_id(make_plan(d) or {})
    rec = recs["app_scale_out"]
    assert "database_scale_up" not in recs
    doubled = copy.deepcopy(rows)
    doubled[1]["units"] *= 2
    factor = law(doubled) / law(rows)
    assert rec["expected_gain"]["capacity_factor"] == round(factor, 2)
    assert factor < 2  # the database's ceiling caps the second node
    assert rec["expected_gain"]["limit_after"] == "cpu:db"


def test_database_cpu_bottleneck_calls_for_a_bigger_database(doc: Doc) -> None:
    d = doc()
    d["capacity"]["demands"]["resources"][0]["utilisation"] = 0.85
    recs = _by_id(make_plan(d) or {})  # no bottleneck block: the demands' own, 85 % busy
    assert "database_scale_up" in recs and "app_scale_out" not in recs
    assert recs["database_scale_up"]["phase"] == 2


def test_the_load_generator_as_the_limit_asks_for_a_new_measurement(doc: Doc) -> None:
    d = doc()
    d["capacity"]["bottleneck"] = {
        "resource": "cpu:locust", "kind": "generator", "confidence": "strong",
        "texts": {"en": "The load generator's CPU was 98% busy.", "zh-CN": "压测机 CPU 为 98%。"},
    }  # fmt: skip
    d["capacity"]["first_step_over_slo"] = {"step": 3, "users": 20}
    recs = _by_id(make_plan(d) or {})
    assert "measure_again" in recs
    assert "98%" in recs["measure_again"]["texts"]["en"]["detail"]
    assert not {"app_scale_out", "database_scale_up"} & set(recs)


def test_ranked_by_expected_gain_per_effort(doc: Doc) -> None:
    d = doc()
    d["capacity"]["demands"]["resources"][1]["demand_s"] = 0.005  # room behind the database
    d["findings"] += [
        {"id": "sql.index_missing", "evidence": {"create": "CREATE INDEX ON t (a)", "table": "t",
                                                 "columns": ["a"], "share": 0.1, "reduction": 0.5}},
        {"id": "sql.n_plus_one", "evidence": {"operation": "op_x", "fingerprint": "select 1",
                                              "share": 0.5, "median_per_request": 20.0}},
    ]  # fmt: skip
    plan = make_plan(d)
    assert plan is not None
    recs = plan["recommendations"]

    def score(r: dict[str, Any]) -> float:
        return (r["expected_gain"]["capacity_factor"] - 1) / EFFORT_WEIGHT[r["effort"]]

    gained = [r for r in recs if r["id"] in ("index", "batch_queries")]
    assert [r["id"] for r in gained] == [r["id"] for r in sorted(gained, key=score, reverse=True)]
    assert recs[-1]["id"] == "monitoring"


def test_without_demands_the_gain_is_the_database_time_share(doc: Doc) -> None:
    d = doc()
    d["capacity"]["demands"] = None
    d["findings"].append(
        {"id": "sql.index_missing", "evidence": {"create": "CREATE INDEX ON t (a)", "table": "t",
                                                 "columns": ["a"], "share": 0.2, "reduction": 0.5}}
    )  # fmt: skip
    rec = _by_id(make_plan(d) or {})["index"]
    assert rec["expected_gain"]["capacity_factor"] is None
    assert rec["expected_gain"]["db_time_share"] == 0.1
