"""What each ``erpcap whatif`` configuration measured: its capacity at the response-time
target, its gain against ``legacy``, the ranking of the levers, and the plan beside them.

The capacity at the SLO is read off the ladder: the largest load (users) and successful
throughput whose overall p95 is within the target, interpolated linearly between the
largest step within the target and the next one (over it). A noisy low step over the
target does not hide a larger load that met it. A ladder whose top step is within gives a
lower bound (``at_least``); one over the target at every step gives 0.

:data:`LEVER_CATEGORIES` maps the reference ERP's levers to the plan's generic
recommendation categories (analysis/plan). It is the one place where reference-ERP names
appear: ``whatif`` only ever runs the reference ERP, while the plan works on any ERP.

>>> steps = [{"users": 5, "p95_ms": 100.0, "ok_rps": 10.0, "error_rate": 0.0, "measured": True},
...          {"users": 10, "p95_ms": 300.0, "ok_rps": 18.0, "error_rate": 0.0, "measured": True},
...          {"users": 20, "p95_ms": 700.0, "ok_rps": 22.0, "error_rate": 0.0, "measured": True}]
>>> c = capacity_at_slo(steps, 500.0)
>>> c["users"], c["ok_rps"], c["basis"]
(15.0, 20.0, 'interpolated')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from erpcap.findings import phrase

#: The reference ERP's levers (reference_erp/settings.py LEVERS, in its order) → the plan's
#: recommendation ids (docs/findings.md, ``plan.recommendations[].id``) that stand for them.
LEVER_CATEGORIES: Mapping[str, tuple[str, ...]] = {
    "indexes": ("index",),
    "batching": ("batch_queries",),
    "cache": ("cache",),
    "async": ("queue",),
    "pool": ("pool",),
    "workers": ("app_scale_out",),
    "replica": ("read_replica",),
}

#: The ``basis`` of a capacity that is only a lower bound.
BOUND = "at_least"

#: The highest error rate a step may have and still count as within the target.
MAX_ERROR_RATE = 0.01


def _over(step: Mapping[str, Any], target_ms: float) -> bool:
    return float(step.get("p95_ms") or 0.0) > target_ms or (
        float(step.get("error_rate") or 0.0) > MAX_ERROR_RATE
    )


def capacity_at_slo(steps: Sequence[Mapping[str, Any]], target_ms: float) -> dict[str, Any]:
    """The largest users and successful req/s whose overall p95 is within ``target_ms``.

    ``basis`` says how it was read: ``interpolated`` (between the largest step within and
    the next one), ``step`` (the largest step within, when the next one failed on errors
    rather than latency), ``at_least`` (the top step was within: a lower bound),
    ``none_within`` (no step within: 0) or ``unmeasured`` (no measured step: null).
    """
    ladder = sorted(
        (s for s in steps if s.get("measured") and s.get("p95_ms") is not None),
        key=lambda s: float(s["users"]),
    )
    if not ladder:
        return {"users": None, "ok_rps": None, "basis": "unmeasured"}
    within = [i for i, s in enumerate(ladder) if not _over(s, target_ms)]
    if not within:
        return {"users": 0.0, "ok_rps": 0.0, "basis": "none_within"}
    last = within[-1]
    if last == len(ladder) - 1:
        top = ladder[-1]
        return {"users": float(top["users"]), "ok_rps": top.get("ok_rps"), "basis": BOUND}
    lo, hi = ladder[last], ladder[last + 1]
    p_lo, p_hi = float(lo["p95_ms"]), float(hi["p95_ms"])
    errors_ok = float(hi.get("error_rate") or 0.0) <= MAX_ERROR_RATE
    if not errors_ok or p_hi <= p_lo:
        return {"users": float(lo["users"]), "ok_rps": lo.get("ok_rps"), "basis": "step"}
    share = (target_ms - p_lo) / (p_hi - p_lo)
    users = float(lo["users"]) + share * (float(hi["users"]) - float(lo["users"]))
    x_lo, x_hi = float(lo.get("ok_rps") or 0.0), float(hi.get("ok_rps") or 0.0)
    return {
        "users": round(users, 2),
        "ok_rps": round(x_lo + share * (x_hi - x_lo), 3),
        "basis": "interpolated",
    }


def gain(value: float | None, base: float | None) -> float | None:
    """``value / base`` rounded, or None when either is unknown or the base is 0.

    >>> gain(30.0, 12.0), gain(5.0, 0.0), gain(None, 3.0)
    (2.5, None, None)
    """
    if value is None or base is None or base <= 0:
        return None
    return round(value / base, 3)


def rank_levers(results: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The single-lever configurations, best capacity first (users at the SLO, then
    successful throughput at the SLO, then peak throughput, to break ties)."""

    def number(value: Any, missing: float) -> float:
        return missing if value is None else float(value)

    def key(r: Mapping[str, Any]) -> tuple[float, float, float]:
        cap = r.get("capacity") or {}
        return (
            number(cap.get("users"), -1.0),
            number(cap.get("ok_rps"), -1.0),
            number(r.get("peak_ok_rps"), 0.0),
        )

    singles = [r for r in results if r.get("lever")]
    ordered = sorted(singles, key=key, reverse=True)
    return [
        {
            "rank": i,
            "lever": r["lever"],
            "users": (r.get("capacity") or {}).get("users"),
            "ok_rps": (r.get("capacity") or {}).get("ok_rps"),
            "gain_users": (r.get("gain") or {}).get("users"),
            "gain_ok_rps": (r.get("gain") or {}).get("ok_rps"),
        }
        for i, r in enumerate(ordered, start=1)
    ]


def _recommendations(plan: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    recs = (plan or {}).get("recommendations") or []
    return sorted(
        (r for r in recs if isinstance(r, Mapping)), key=lambda r: int(r.get("rank") or 1_000)
    )


def lever_of(category: str | None) -> str | None:
    """The lever a plan category stands for, or None (e.g. a bigger database).

    >>> lever_of("index"), lever_of("database_scale_up")
    ('indexes', None)
    """
    return next((lv for lv, cats in LEVER_CATEGORIES.items() if category in cats), None)


def plan_estimate(plan: Mapping[str, Any] | None, lever: str) -> dict[str, Any] | None:
    """The plan's best-ranked recommendation standing for ``lever``, with its expected gain,
    or None when the plan does not recommend it."""
    cats = LEVER_CATEGORIES.get(lever, ())
    rec = next((r for r in _recommendations(plan) if r.get("id") in cats), None)
    if rec is None:
        return None
    expected = rec.get("expected_gain") or {}
    return {
        "id": rec.get("id"),
        "rank": rec.get("rank"),
        "phase": rec.get("phase"),
        "capacity_factor": expected.get("capacity_factor"),
        "db_time_share": expected.get("db_time_share"),
        "demand_share": expected.get("demand_share"),
        "basis": expected.get("basis"),
        "effort": rec.get("effort"),
        "risk": rec.get("risk"),
    }


def plan_check(
    plan: Mapping[str, Any] | None, ranking: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Whether the plan's top recommendation is the lever that measured best."""
    recs = _recommendations(plan)
    best = ranking[0]["lever"] if ranking else None
    if not recs:
        return {
            "top_recommendation": None,
            "top_lever": None,
            "best_measured": best,
            "agrees": None,
            "note": phrase(
                en="the legacy run's plan holds no recommendation to check",
                zh_CN="legacy 运行的计划中没有可供核对的建议",
            ),
        }
    top = recs[0].get("id")
    top_lever = lever_of(str(top))
    tested = {r["lever"] for r in ranking}
    agrees: bool | None = top_lever == best if top_lever in tested and best else None
    note = None
    if agrees is None:
        note = phrase(
            en=f"the plan's top recommendation ({top}) is not one of the levers measured here",
            zh_CN=f"计划的首要建议（{top}）不在本次测量的开关之中",
        )
    return {
        "top_recommendation": top,
        "top_lever": top_lever,
        "best_measured": best,
        "agrees": agrees,
        "note": note,
    }
