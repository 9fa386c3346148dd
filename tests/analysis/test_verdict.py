"""The verdict's headline speaks in the load the run varied: users, or an arrival rate."""

from __future__ import annotations

from typing import Any

from erpcap.analysis.rules import Slo
from erpcap.analysis.run import _capacity
from erpcap.analysis.verdict import verdict


def _step(
    step: int, users: int, ok_rps: float, within: bool, rate: float | None = None
) -> dict[str, Any]:
    doc = {"step": step, "users": users, "ok_rps": ok_rps, "rps": ok_rps, "measured": True,
           "within_slo": within}  # fmt: skip
    if rate is not None:
        doc["rate"] = rate
    return doc


OVERALL = {"count": 1000, "error_rate": 0.0}


def test_a_closed_run_is_judged_in_users() -> None:
    steps = [_step(1, 10, 20.0, True), _step(2, 20, 38.0, True), _step(3, 40, 41.0, False)]
    capacity = _capacity(steps)
    assert "rate_within_slo" not in capacity and capacity["max_users_within_slo"] == 20
    headline = verdict(OVERALL, capacity, [], {}, Slo())["headline"]
    assert "Handled 20 concurrent users" in headline and "broke at 40 users" in headline


def test_an_open_model_run_is_judged_in_its_arrival_rate() -> None:
    """Its users are one pool on every step: the best step is the highest rate held."""
    steps = [_step(1, 50, 10.0, True, rate=10.0), _step(2, 50, 19.8, True, rate=20.0),
             _step(3, 50, 24.0, False, rate=40.0)]  # fmt: skip
    capacity = _capacity(steps)
    assert capacity["rate_within_slo"] == 20.0 and capacity["rps_within_slo"] == 19.8
    assert capacity["first_step_over_slo"] == {"step": 3, "users": 50, "rate": 40.0}
    said = verdict(OVERALL, capacity, [], {}, Slo())
    headline = said["headline"]
    assert "offered 20/s (19.8 successful req/s) within the targets" in headline
    assert "broke at 40/s" in headline and "users" not in headline
    assert "到达率 40/秒" in said["texts"]["zh-CN"]["headline"]
