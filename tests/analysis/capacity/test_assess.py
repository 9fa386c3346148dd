"""The capacity stage on constructed steps: knee, no knee, too few points, unsteady steps,
errors only, missing metrics, Little's law against a configured think time, the USL block."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from erpcap.analysis.capacity.assess import assess
from erpcap.analysis.capacity.knee import _levelled_off
from erpcap.analysis.capacity.steady import judge, rate_figures, steady_fields
from erpcap.analysis.rules import Context, Slo
from erpcap.analysis.rules.capacity_model import generator_limit, knee, unsteady_steps, usl

NO_METRICS = pd.DataFrame(columns=["ts", "source", "metric", "labels", "value"])


def _step(number: int, users: int, ok_rps: float, p95: float, **extra: Any) -> dict[str, Any]:
    mean_ms = extra.pop("mean_ms", p95 / 2)
    step = {
        "step": number,
        "users": users,
        "measured": True,
        "count": int(ok_rps * 20),
        "rps": ok_rps,
        "ok_rps": ok_rps,
        "p95_ms": p95,
        "mean_ms": mean_ms,
        "within_slo": p95 <= 1000,
        "duration_s": 25.0,
        "think_s": max(users / ok_rps - mean_ms / 1000, 0.0) if ok_rps else None,
        "steady": True,
        "unsteady_reasons": [],
        "transactions": [
            {"name": "post_invoice", "group": "order", "count": int(ok_rps * 20), "p95_ms": p95}
        ],
    }
    step.update(extra)
    return step


def _ladder(users: list[int], rates: list[float], p95s: list[float]) -> list[dict[str, Any]]:
    return [
        _step(i, n, x, p)
        for i, (n, x, p) in enumerate(zip(users, rates, p95s, strict=True), start=1)
    ]


def _assess(steps: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    return assess(steps, NO_METRICS, None, None, meta or {}, Slo())


def _ctx(steps: list[dict[str, Any]], capacity: dict[str, Any]) -> Context:
    return Context(
        meta={}, overall={}, transactions=[], steps=steps, resources={}, errors=[], slo=Slo(),
        capacity=capacity,
    )  # fmt: skip


def test_a_clear_knee_is_found_on_the_throughput_curve():
    steps = _ladder([5, 10, 20, 40], [20, 40, 41, 42], [20, 30, 900, 2500])
    capacity = _assess(steps)
    assert capacity["knee"] == {
        "users": 10, "step": 2, "ok_rps": 40, "p95_ms": 30, "method": "kneedle",
        "curve": "throughput",
    }  # fmt: skip
    assert capacity["knee_note"] is None
    found = list(knee(_ctx(steps, capacity)))
    assert len(found) == 1 and found[0].evidence["users"] == 10
    assert "10 users" in found[0].title and "10 个用户" in found[0].texts["zh-CN"].title
    assert found[0].evidence["ok_rps_curve"] == [20, 40, 41, 42]


def test_a_linear_curve_has_no_knee_and_says_why():
    steps = _ladder([5, 10, 20, 40], [20, 40, 80, 160], [20, 21, 20, 22])
    capacity = _assess(steps)
    assert capacity["knee"] is None
    assert "no knee" in capacity["knee_note"]["en"] and capacity["knee_note"]["zh-CN"]
    assert capacity["knee_note"] in capacity["notes"]
    assert not list(knee(_ctx(steps, capacity)))
    fit = capacity["usl"]
    assert fit["fitted"] and fit["sigma"] == pytest.approx(0, abs=1e-6) and fit["kappa"] == 0


def test_a_low_first_step_or_a_top_that_kept_up_is_no_knee():
    # the first step came in above the second (noise): an end point is never the knee
    steps = _ladder([2, 4, 6, 8, 10, 12], [6, 5, 9, 12, 15, 18], [20] * 6)
    capacity = _assess(steps)
    assert capacity["knee"] is None and "no knee" in capacity["knee_note"]["en"]
    # a bend the top step does not bear out: it delivered the knee's rate per user
    assert not _levelled_off([5, 10, 20, 40], [20, 40, 60, 150], 1)
    assert _levelled_off([5, 10, 20, 40], [20, 40, 41, 42], 1)


def test_a_latency_knee_when_throughput_keeps_rising():
    steps = _ladder([4, 8, 12, 16, 20], [20, 40, 60, 79, 98], [30, 32, 35, 300, 900])
    capacity = _assess(steps)
    assert capacity["knee"]["curve"] == "latency"
    assert capacity["knee"]["users"] == 12  # the last step before p95 turns upwards


def test_too_few_points_conclude_what_they_can():
    steps = _ladder([5, 10], [20, 40], [20, 25])
    capacity = _assess(steps)
    assert capacity["knee"] is None and "at least 3" in capacity["knee_note"]["en"]
    assert capacity["usl"]["fitted"] is False and capacity["usl"]["note"]["zh-CN"]
    assert capacity["demands"]["step"] == 2  # the highest steady step within the SLO
    assert capacity["slo_limits"][0]["max_users"] == 10
    assert not list(usl(_ctx(steps, capacity)))


def test_no_steps_at_all():
    capacity = _assess([])
    assert capacity["knee"] is None and capacity["demands"] is None
    assert capacity["littles_law"] == [] and capacity["usl"]["fitted"] is False
    assert {"en", "zh-CN"} <= set(capacity["notes"][0])


def test_errors_only_is_not_steady_and_has_no_demands():
    steps = [_step(1, 5, 0.0, 30.0, rps=10.0), _step(2, 10, 0.0, 35.0, rps=20.0)]
    for step in steps:
        step.update(steady_fields(step))
    assert steps[0]["steady"] is False and "no successful" in steps[0]["unsteady_reasons"][0]
    capacity = _assess(steps)
    assert capacity["demands"] is None and capacity["knee"] is None
    assert any("no measured step with successful" in n["en"] for n in capacity["notes"])
    findings = list(unsteady_steps(_ctx(steps, capacity)))
    assert len(findings) == 2 and "没有成功的请求" in findings[0].texts["zh-CN"].detail


def test_per_second_figures_tell_steady_from_drifting_and_noisy():
    rng = np.random.default_rng(5)
    steady = rng.poisson(30, 20).tolist()
    figures = rate_figures(steady) | {"ok_count": sum(steady), "seconds": 20}
    assert judge(figures) == []
    drifting = list(range(10, 50, 2))  # 10 → 48 per second
    figures = rate_figures(drifting) | {"ok_count": sum(drifting), "seconds": 20}
    assert figures["x_trend"] > 0.5 and "drifted" in judge(figures)[-1]
    stalls = [60, 0] * 10  # bursts and stalls around the same mean
    figures = rate_figures(stalls) | {"ok_count": sum(stalls), "seconds": 20}
    reasons = judge(figures)
    assert len(reasons) == 1 and "noisy" in reasons[0]
    # few requests a second are noisy by nature (Poisson): not called unsteady
    sparse = rng.poisson(2, 20).tolist()
    assert judge(rate_figures(sparse) | {"ok_count": sum(sparse), "seconds": 20}) == []


def test_an_unsteady_step_is_left_out_of_the_knee_and_reported():
    steps = _ladder([5, 10, 20, 40, 80], [20, 40, 80, 81, 82], [20, 25, 30, 900, 2000])
    steps[1].update(steady=False, unsteady_reasons=["throughput drifted +40% from …"])
    capacity = _assess(steps)
    assert capacity["knee"]["users"] == 20
    assert capacity["usl"]["points"] == 4
    found = list(unsteady_steps(_ctx(steps, capacity)))
    assert [f.evidence["step"] for f in found] == [2]
    assert "drifted" in found[0].detail and "漂移" in found[0].texts["zh-CN"].detail


def test_the_usl_block_on_six_points_predicts_the_slo_limit():
    users = [1, 2, 4, 8, 16, 32]
    sigma, kappa, lam = 0.05, 0.001, 10.0
    rates = [lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1)) for n in users]
    think = 0.5
    steps = [
        _step(i, n, x, 100.0, mean_ms=(n / x - think) * 1000)
        for i, (n, x) in enumerate(zip(users, rates, strict=True), start=1)
    ]
    fit = _assess(steps)["usl"]
    assert fit["fitted"] and fit["sigma"] == pytest.approx(sigma, rel=1e-3)
    assert fit["kappa"] == pytest.approx(kappa, rel=1e-3)
    assert fit["think_s"] == pytest.approx(think, rel=1e-6)
    assert not any("too few" in w for w in fit["warnings"])
    assert fit["curve"][0][0] == 1 and fit["curve"][-1][0] == 64
    assert all(row[2] <= row[1] <= row[3] for row in fit["curve"])

    def response(n: float) -> float:
        return n / (lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))) - think

    n = fit["slo_users"]
    assert response(n) <= 1.0 < response(n + 1)
    found = list(usl(_ctx(steps, _assess(steps))))
    assert found[0].severity == "info" and "σ = 0.05" in found[0].title


def test_few_points_give_a_caution_and_a_poor_fit_a_warning():
    steps = _ladder([5, 10, 20, 40], [20, 40, 60, 62], [20, 30, 60, 400])
    capacity = _assess(steps)
    found = list(usl(_ctx(steps, capacity)))
    assert found[0].severity == "info" and "too few" in found[0].detail
    assert found[0].evidence["points"] == 4 and "警告" in found[0].texts["zh-CN"].detail
    jumpy = _ladder([2, 4, 6, 8, 10, 12], [10, 40, 12, 45, 15, 50], [20] * 6)
    capacity = _assess(jumpy)
    found = list(usl(_ctx(jumpy, capacity)))
    assert capacity["usl"]["r_squared"] < 0.9
    assert found[0].severity == "warning" and "poor fit" in found[0].detail


def test_slo_limits_per_transaction():
    steps = _ladder([5, 10, 20], [20, 40, 50], [200, 400, 1500])
    steps[2]["transactions"].append({"name": "trial_balance", "group": "close", "count": 30,
                                     "p95_ms": 9000.0})  # fmt: skip
    limits = {row["transaction"]: row for row in _assess(steps)["slo_limits"]}
    assert limits["post_invoice"] == {
        "transaction": "post_invoice", "group": "order", "target_ms": 1000.0, "max_users": 10,
        "first_over_users": 20, "p95_ms_at_max": 400,
    }  # fmt: skip
    assert limits["trial_balance"]["max_users"] == 20
    assert limits["trial_balance"]["target_ms"] == 20000.0


def _meta(think_s: float, scale: float) -> dict[str, Any]:
    """run.json as ``erpcap run`` writes it: the scenario's user mixes and the think scale."""
    users = [{"role": "clerk", "weight": 1, "fixed_count": 0, "think_s": think_s, "paced": False}]
    return {"scenario_users": users, "parameters": {"think_scale": scale}}


def test_littles_law_flags_a_generator_that_could_not_keep_up():
    meta = _meta(2.0, 0.5)
    steps = [
        # 10 users thinking 1 s, R 0.1 s: 9.1 req/s expected
        _step(1, 10, 9.0, 200.0, mean_ms=100.0),
        # 40 users managed only 12 req/s at R 0.1 s: 3.2 s outside requests instead of 1 s
        _step(2, 40, 12.0, 200.0, mean_ms=100.0),
    ]
    capacity = _assess(steps, meta)
    rows = capacity["littles_law"]
    assert [r["status"] for r in rows] == ["ok", "generator_limit"]
    assert rows[0]["z_configured_s"] == pytest.approx(1.0)
    assert rows[1]["z_s"] == pytest.approx(40 / 12 - 0.1, abs=1e-3)
    found = list(generator_limit(_ctx(steps, capacity)))
    assert len(found) == 1 and found[0].severity == "warning"
    assert "40 users" in found[0].title and found[0].evidence["steps"][0]["step"] == 2


def test_littles_law_without_a_known_scenario_is_unknown():
    steps = _ladder([5, 10, 20], [20, 40, 50], [200, 400, 500])
    capacity = _assess(steps, {"scenario": "imported", "parameters": {"think_scale": 1.0}})
    assert {r["status"] for r in capacity["littles_law"]} == {"unknown"}
    assert any("think time is unknown" in n["en"] for n in capacity["notes"])
    assert not list(generator_limit(_ctx(steps, capacity)))


def test_missing_metrics_leave_utilisation_empty_and_say_so():
    steps = _ladder([5, 10, 20], [20, 40, 50], [200, 400, 500])
    for step in steps:
        step["resources"] = {"cpu_by_role": {}, "host_cpu": None, "databases": []}
    capacity = _assess(steps, {"host": {"cpu_count": 2}})
    assert all(s["utilisation"] == [] for s in steps)
    assert capacity["demands"]["resources"] == [] and capacity["demands"]["bottleneck"] is None
    assert any("no process CPU" in n["en"] for n in capacity["notes"])
    json.dumps(capacity)  # the block is plain JSON


def test_configured_think_time_of_mixed_and_paced_users():
    from erpcap.analysis.capacity.demands import configured_think, think_plan

    meta = {
        "scenario_users": [
            {"role": "a", "weight": 3, "fixed_count": 0, "think_s": 10.0, "paced": False},
            {"role": "b", "weight": 1, "fixed_count": 0, "think_s": 30.0, "paced": False},
            {"role": "c", "weight": 0, "fixed_count": 2, "think_s": 5.0, "paced": True},
        ],
        "parameters": {"think_scale": 0.1},
    }
    plan = think_plan(meta)
    assert plan is not None and [p["think_s"] for p in plan] == pytest.approx([1.0, 3.0, 0.5])
    # 10 users: 2 paced (one arrival every max(0.5, R) s), then 6 and 2 by weight
    r = 0.2
    rate = 6 / (1.0 + r) + 2 / (3.0 + r) + 2 / 0.5
    assert configured_think(plan, 10, r) == pytest.approx(10 / rate - r)
    assert think_plan({"scenario_users": [{"think_s": "x"}]}) is None
