"""The arithmetic of ``erpcap whatif``: capacity at the target, gains, ranking, the plan."""

from __future__ import annotations

import json

import pytest

from erpcap.reference_erp.settings import LEVERS
from erpcap.whatif import Configuration, WhatifPlan, configurations
from erpcap.whatif_capacity import (
    LEVER_CATEGORIES,
    capacity_at_slo,
    lever_of,
    plan_check,
    plan_estimate,
    rank_levers,
)
from erpcap.whatif_report import build_doc, write_outputs


def _step(users, p95, ok_rps, errors=0.0, measured=True):
    return {"users": users, "p95_ms": p95, "ok_rps": ok_rps, "error_rate": errors,
            "measured": measured}  # fmt: skip


def test_capacity_is_interpolated_where_p95_crosses_the_target():
    steps = [_step(5, 120.0, 9.0), _step(10, 260.0, 17.0), _step(20, 900.0, 21.0)]
    cap = capacity_at_slo(steps, 500.0)
    share = (500.0 - 260.0) / (900.0 - 260.0)
    assert cap["basis"] == "interpolated"
    assert cap["users"] == pytest.approx(10 + share * 10, abs=0.01)
    assert cap["ok_rps"] == pytest.approx(17.0 + share * 4.0, abs=0.001)
    # A stricter target is reached earlier, a looser one later.
    assert (
        capacity_at_slo(steps, 300.0)["users"]
        < cap["users"]
        < capacity_at_slo(steps, 800.0)["users"]
    )


def test_capacity_bounds_and_edges():
    within = [_step(5, 100.0, 9.0), _step(10, 200.0, 17.0)]
    assert capacity_at_slo(within, 500.0) == {"users": 10.0, "ok_rps": 17.0, "basis": "at_least"}
    over = [_step(5, 800.0, 9.0), _step(10, 1200.0, 10.0)]
    assert capacity_at_slo(over, 500.0)["basis"] == "none_within"
    assert capacity_at_slo(over, 500.0)["users"] == 0.0
    # Over on errors, not latency: the last step within, no interpolation.
    failing = [_step(5, 100.0, 9.0), _step(10, 200.0, 12.0, errors=0.2)]
    assert capacity_at_slo(failing, 500.0) == {"users": 5.0, "ok_rps": 9.0, "basis": "step"}
    # A noisy low step over the target does not hide a larger load that met it.
    noisy = [_step(1, 900.0, 3.0), _step(2, 300.0, 6.0), _step(4, 700.0, 9.0)]
    cap = capacity_at_slo(noisy, 500.0)
    assert cap["basis"] == "interpolated" and 2 < cap["users"] < 4
    # Unmeasured steps do not count; none measured: unknown.
    assert capacity_at_slo([_step(5, 100.0, 9.0, measured=False)], 500.0)["users"] is None
    # The order of the steps in the list does not matter.
    steps = [_step(20, 900.0, 21.0), _step(5, 120.0, 9.0), _step(10, 260.0, 17.0)]
    assert capacity_at_slo(steps, 500.0) == capacity_at_slo(
        sorted(steps, key=lambda s: s["users"]), 500.0
    )


def test_levers_are_ranked_by_measured_capacity():
    results = [
        {"name": "legacy", "lever": None, "capacity": {"users": 8.0, "ok_rps": 10.0}},
        {"name": "a", "lever": "a", "capacity": {"users": 12.0, "ok_rps": 14.0}},
        {"name": "b", "lever": "b", "capacity": {"users": 30.0, "ok_rps": 20.0}},
        {"name": "c", "lever": "c", "capacity": {"users": 12.0, "ok_rps": 16.0}},
        {"name": "d", "lever": "d", "capacity": {"users": None, "ok_rps": None}},
        {"name": "all", "lever": None, "capacity": {"users": 50.0, "ok_rps": 40.0}},
    ]
    ranking = rank_levers(results)
    assert [r["lever"] for r in ranking] == ["b", "c", "a", "d"]
    assert [r["rank"] for r in ranking] == [1, 2, 3, 4]


def test_every_reference_lever_maps_to_a_plan_category():
    assert tuple(LEVER_CATEGORIES) == LEVERS
    for lever, categories in LEVER_CATEGORIES.items():
        assert categories and all(lever_of(c) == lever for c in categories)
    assert lever_of("database_scale_up") is None


PLAN = {
    "recommendations": [
        {"rank": 2, "id": "cache", "phase": 1, "effort": "low", "risk": "low",
         "expected_gain": {"capacity_factor": 1.3, "db_time_share": 0.2}},
        {"rank": 1, "id": "index", "phase": 1, "effort": "low", "risk": "low",
         "expected_gain": {"capacity_factor": 2.0, "db_time_share": 0.55}},
        {"rank": 3, "id": "database_scale_up", "phase": 2},
    ]
}  # fmt: skip


def test_the_plan_is_set_beside_the_measurements():
    est = plan_estimate(PLAN, "indexes")
    assert est is not None and est["rank"] == 1 and est["capacity_factor"] == 2.0
    assert plan_estimate(PLAN, "pool") is None
    ranking = [{"lever": "indexes"}, {"lever": "cache"}]
    check = plan_check(PLAN, ranking)
    assert check["top_recommendation"] == "index" and check["top_lever"] == "indexes"
    assert check["agrees"] is True
    assert plan_check(PLAN, ranking[::-1])["agrees"] is False
    # The top recommendation is no lever measured here: no verdict, and a note why.
    untested = plan_check(PLAN, [{"lever": "pool"}])
    assert untested["agrees"] is None and "not one of the levers" in untested["note"]["en"]
    empty = plan_check(None, ranking)
    assert empty["agrees"] is None and empty["note"]["zh-CN"]


def test_configurations_skip_replica_without_a_replica_database():
    configs, skipped = configurations(WhatifPlan())
    names = [c.name for c in configs]
    assert names[0] == "legacy" and names[-1] == "all" and "replica" not in names
    assert [s.lever for s in skipped] == ["replica"] and skipped[0].why["zh-CN"]
    assert configs[-1].overrides == tuple(f"{n}=on" for n in LEVERS if n != "replica")
    configs, skipped = configurations(WhatifPlan(replica_db="postgresql://x/y"))
    assert "replica" in [c.name for c in configs] and not skipped
    one, _ = configurations(WhatifPlan(levers=("cache",)))
    assert one == [Configuration("legacy"), Configuration("cache", ("cache=on",), "cache")]


def test_whatif_documents(tmp_path):
    def summary(name, lever, users, rps, basis="interpolated"):
        return {"name": name, "lever": lever, "status": "completed", "run_dir": name,
                "capacity": {"users": users, "ok_rps": rps, "basis": basis}}  # fmt: skip

    results = [
        summary("legacy", None, 8.0, 10.0),
        summary("indexes", "indexes", 20.0, 25.0),
        summary("cache", "cache", 10.0, 12.0, basis="at_least"),
    ]
    doc = build_doc({"slo_p95_ms": 500.0, "steps": [5, 10], "step_seconds": 10.0,
                     "db": "postgresql", "scale": 1.0}, results, {"plan": PLAN},
                    status="completed")  # fmt: skip
    gains = {c["name"]: c["gain"] for c in doc["configurations"]}
    assert gains["indexes"] == {"users": 2.5, "ok_rps": 2.5, "exact": True}
    assert gains["cache"]["exact"] is False  # a lower bound against a measured value
    assert [r["lever"] for r in doc["ranking"]] == ["indexes", "cache"]
    assert doc["plan_check"]["agrees"] is True
    paths = write_outputs(tmp_path, doc)
    assert [p.name for p in paths] == ["whatif.json", "whatif.md", "whatif.html"]
    assert json.loads(paths[0].read_text(encoding="utf-8")) == json.loads(json.dumps(doc))
    md = paths[1].read_text(encoding="utf-8")
    assert "1. indexes (×2.50)" in md and "is the lever that measured best" in md
    assert "×1.25 (bound)" in md
    page = paths[2].read_text(encoding="utf-8")
    assert "<script" not in page and "indexes/report.html" in page
