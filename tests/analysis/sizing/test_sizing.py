"""The sizing arithmetic on a run with known demands: a run directory analysed for real,
with the service demands a database and an application would have shown written in by hand
(what analysis/capacity/demands.py computes from the collectors)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from erpcap.analysis import analyze_run
from erpcap.analysis.capacity.sizing import Target, size, usl_users_within, usl_x
from erpcap.rundir import RunDir

#: CPU-seconds per successful request: the database's and the application's.
D_DB, D_APP, CORES = 0.02, 0.012, 2.0


def _with_demands(doc: dict[str, Any], step: int) -> dict[str, Any]:
    x = next(s["ok_rps"] for s in doc["steps"] if s["step"] == step)
    rows = [
        {"resource": "cpu:db", "kind": "cpu", "role": "db", "units": CORES, "demand_s": D_DB,
         "busy": D_DB * x, "utilisation": D_DB * x / CORES, "ceiling_rps": CORES / D_DB},
        {"resource": "cpu:target", "kind": "cpu", "role": "target", "units": CORES,
         "demand_s": D_APP, "busy": D_APP * x, "utilisation": D_APP * x / CORES,
         "ceiling_rps": CORES / D_APP},
    ]  # fmt: skip
    doc["capacity"]["demands"] = {
        "step": step, "x": x, "per": "successful request", "resources": rows,
        "db_time_s": 0.01, "bottleneck": "cpu:db", "ceiling_rps": CORES / D_DB,
    }  # fmt: skip
    return doc


@pytest.fixture
def analysed(make_run: Callable[..., RunDir]) -> dict[str, Any]:
    run = make_run([(5, 10.0, 10.0, 40.0, 0.0), (10, 10.0, 19.0, 50.0, 0.0),
                    (20, 10.0, 30.0, 400.0, 0.0)])  # fmt: skip
    doc = _with_demands(analyze_run(run), step=2)
    # the measured steps' arithmetic: the USL limits have tests of their own (below)
    doc["capacity"]["usl"] = {"fitted": False, "note": {"en": "left out", "zh-CN": "省略"}}
    return doc


@pytest.mark.parametrize("users, ceiling", [(120, 0.7), (400, 0.7), (400, 0.5)])
def test_what_a_target_in_users_needs(analysed: dict[str, Any], users: int, ceiling: float) -> None:
    step = next(s for s in analysed["steps"] if s["step"] == 2)
    block = size(analysed, Target(users=users, utilisation_ceiling=ceiling))
    assert block is not None
    r, z = step["mean_ms"] / 1000, step["think_s"]
    x = users / (r + z)  # the response-time law
    assert block["target"]["x"] == pytest.approx(x, rel=1e-3)
    db_cores = x * D_DB / ceiling  # the utilisation law at the ceiling
    app_cores = x * D_APP / ceiling
    needed = block["needed"]
    assert needed["database"]["cores"] == pytest.approx(db_cores, abs=0.01)
    assert needed["app"]["cores"] == pytest.approx(app_cores, abs=0.01)
    assert needed["app"]["workers"] == 2 * math.ceil(needed["app"]["cores"]) + 1
    assert needed["app"]["nodes"] == max(1, math.ceil(needed["app"]["cores"] / CORES))
    assert needed["app"]["workers_by_users"] == math.ceil(users / 6)
    # today: the smaller of the largest step within the targets and the ceiling's throughput
    at_ceiling = ceiling * CORES / D_DB
    within = analysed["capacity"]["rps_within_slo"]
    assert block["today"]["x"] == pytest.approx(min(at_ceiling, within), rel=1e-3)
    assert block["target"]["factor"] == pytest.approx(x / block["today"]["x"], rel=1e-2)
    texts = block["texts"]
    assert str(users) in texts["en"] and str(users) in texts["zh-CN"]
    assert any("Odoo" in a["en"] for a in block["assumptions"])


def test_think_time_given_replaces_the_measured_one(analysed: dict[str, Any]) -> None:
    step = next(s for s in analysed["steps"] if s["step"] == 2)
    block = size(analysed, Target(users=300, think_time_s=10.0))
    assert block is not None
    assert block["target"]["x"] == pytest.approx(300 / (step["mean_ms"] / 1000 + 10.0), rel=1e-3)
    assert block["target"]["z_source"] == "given"


def test_a_rate_of_order_lines_and_of_a_named_transaction(analysed: dict[str, Any]) -> None:
    lines = size(analysed, Target(rate=6000 / 3600, rate_unit="order lines"))
    assert lines is not None
    assert lines["target"]["saps_equivalent"] == 300.0  # 100 SAPS = 2,000 order lines/h
    assert lines["target"]["x"] == pytest.approx(6000 / 3600, rel=1e-3)
    assert any("SAPS" in a["en"] and "SAPS" in a["zh-CN"] for a in lines["assumptions"])
    ts = analysed["transactions"]
    ok = {t["name"]: t["count"] - t["errors"] for t in ts}
    share = ok["create_sales_order"] / sum(ok.values())
    named = size(analysed, Target(rate=2.0, rate_unit="create_sales_order"))
    assert named is not None
    assert named["target"]["unit_is"] == "transaction"
    assert named["target"]["x"] == pytest.approx(2.0 / share, rel=1e-3)


def test_today_only_without_a_target(analysed: dict[str, Any]) -> None:
    block = size(analysed)
    assert block is not None
    assert block["target"] is None and block["needed"] is None
    assert block["today"]["limited_by"] in ("slo", "utilisation")
    assert block["today"]["at_ceiling"]["x"] == pytest.approx(0.7 * CORES / D_DB)


def test_a_p95_target_given_picks_the_steps_within_it(analysed: dict[str, Any]) -> None:
    steps = [s for s in analysed["steps"] if s["measured"]]
    limit = sorted(s["p95_ms"] for s in steps)[0] + 1.0  # only the first step is within it
    block = size(analysed, Target(users=50, slo_p95_ms=limit))
    assert block is not None
    within = block["today"]["within_slo"]
    assert within["users"] == min(s["users"] for s in steps if s["p95_ms"] <= limit)


SPECSDM91 = {"fitted": True, "sigma": 0.0277285, "kappa": 1.044e-4, "lambda": 89.9952,
             "peak_n": 96.52, "peak_x": 1884.0, "points": 7}  # fmt: skip


def test_usl_limits(analysed: dict[str, Any]) -> None:
    z, r_max = 1.0, 0.05
    n = usl_users_within(SPECSDM91, r_max, z)
    assert n is not None
    assert n / usl_x(SPECSDM91, n) - z <= r_max < (n + 1) / usl_x(SPECSDM91, n + 1) - z
    analysed["capacity"]["usl"] = {**SPECSDM91, "slo_users": 80}
    block = size(analysed, Target(users=150))
    assert block is not None
    assert block["today"]["within_slo"] == {
        "users": 80, "x": round(usl_x(SPECSDM91, 80), 3), "basis": "usl"
    }  # fmt: skip
    usl = block["needed"]["usl"]
    assert usl["beyond_peak"] is True and usl["instances"] == math.ceil(150 / 80)
    assert usl["x_at_target"] == pytest.approx(usl_x(SPECSDM91, 150), rel=1e-4)


def test_nothing_to_size_from() -> None:
    assert size({}) is None
    assert size({"steps": [{"step": 1, "measured": False, "ok_rps": 0}], "capacity": {}}) is None
