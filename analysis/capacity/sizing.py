"""Sizing: from a run's demands and USL fit to what a target load needs.

:func:`size` returns the ``sizing`` block of findings.json; without a target it states
today's headroom only (``erpcap analyze``), with one what the target needs (``erpcap size``).

The arithmetic (docs/capacity.md, "Sizing and plan"):

- the throughput a target needs: ``X = N / (R + Z)`` for N users (R the response time measured
  at the reference step, Z the think time given or measured), or the rate given;
- today's supported throughput: the smaller of the largest load within the targets (the USL
  fit's ``slo_users``, else the largest measured step within them) and the bottleneck law at
  the utilisation ceiling, ``u / D_max``;
- per resource, the units the target needs at the ceiling: ``X · D_k / u`` (utilisation law);
  application workers ``2 × cores + 1`` and one worker per 6 users (Odoo's rule), nodes of
  today's size, and database cores.

>>> doc = {"steps": [{"step": 1, "users": 10, "measured": True, "within_slo": True,
...                   "ok_rps": 20.0, "mean_ms": 100.0, "think_s": 0.4, "p95_ms": 300.0}],
...        "capacity": {"max_users_within_slo": 10, "rps_within_slo": 20.0,
...                     "demands": {"step": 1, "x": 20.0, "ceiling_rps": 40.0,
...                                 "resources": [{"resource": "cpu:db", "kind": "cpu",
...                                                "role": "db", "units": 2, "demand_s": 0.05}]}}}
>>> block = size(doc, Target(users=50))
>>> block["target"]["x"], block["needed"]["database"]["cores"]
(100.0, 7.14)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from erpcap.analysis.capacity.sizing_needs import needed as needs
from erpcap.analysis.capacity.sizing_needs import usl_users_within, usl_x
from erpcap.analysis.capacity.sizing_words import assumptions, headline

__all__ = ["CEILING", "Target", "reference_step", "size", "usl_users_within", "usl_x"]

#: The default utilisation ceiling: queues grow fast above it (R = S / (1 − U)).
CEILING = 0.7


@dataclass(frozen=True)
class Target:
    """What to size for: users (with their think time) or a rate, and the ceiling."""

    users: int | None = None
    think_time_s: float | None = None
    #: Transactions per second (``--target-rate 6000/h`` is 1.667).
    rate: float | None = None
    #: What the rate counts ("order lines", "orders"); words for the report.
    rate_unit: str | None = None
    utilisation_ceiling: float = CEILING
    #: A p95 target for the whole mix (``--slo p95<800ms``), ms; None: the run's own targets.
    slo_p95_ms: float | None = None


def size(doc: dict[str, Any], target: Target | None = None) -> dict[str, Any] | None:
    """``doc["sizing"]``, or None when the run has no capacity to size from."""
    target = target or Target()
    ceiling = target.utilisation_ceiling
    cap = doc.get("capacity") or {}
    ref = reference_step(doc)
    if ref is None and not (cap.get("demands") or {}).get("ceiling_rps"):
        return None
    cycle = _cycle(doc, ref)
    today = _today(doc, cap, cycle, target)
    if today is None:
        return None
    wanted = _target(doc, cycle, target, today) if (target.users or target.rate) else None
    needed = needs(cap, wanted, ceiling) if wanted else None
    return {
        "ceiling": ceiling,
        "today": today,
        "target": wanted,
        "needed": needed,
        "assumptions": assumptions(doc, cycle, today, wanted, needed, target),
        "texts": headline(today, wanted, needed, ceiling),
    }


def reference_step(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The step whose response and think time describe the workload: the demands' step,
    else the largest step within the targets, else the busiest one."""
    steps: list[dict[str, Any]] = [
        s for s in doc.get("steps") or [] if s.get("measured") and s.get("ok_rps")
    ]
    if not steps:
        return None
    demand_step = ((doc.get("capacity") or {}).get("demands") or {}).get("step")
    for s in steps:
        if s.get("step") == demand_step:
            return s
    ok = [s for s in steps if s.get("within_slo")]
    if ok:
        return max(ok, key=lambda s: s.get("users") or 0)
    return max(steps, key=lambda s: s["ok_rps"])


def _cycle(doc: dict[str, Any], ref: dict[str, Any] | None) -> dict[str, Any]:
    """R and Z (seconds) at the reference step, and where Z came from."""
    if ref is None:
        return {"step": None, "users": None, "r_s": None, "z_s": None, "z_source": None}
    r_s = float(ref.get("mean_ms") or 0.0) / 1000
    z_s, source = None, None
    for row in (doc.get("capacity") or {}).get("littles_law") or []:
        if row.get("step") != ref.get("step"):
            continue
        # measured Z = N / X − R keeps N, X and R consistent; the configured one is a fallback
        if _number(row.get("z_s")) is not None:
            z_s, source = max(float(row["z_s"]), 0.0), "measured"
        elif _number(row.get("z_configured_s")) is not None:
            z_s, source = float(row["z_configured_s"]), "configured"
    if z_s is None and _number(ref.get("think_s")) is not None:
        z_s, source = max(float(ref["think_s"]), 0.0), "measured"
    return {
        "step": ref.get("step"),
        "users": ref.get("users"),
        "r_s": round(r_s, 4),
        "z_s": None if z_s is None else round(z_s, 4),
        "z_source": source,
    }


def _today(
    doc: dict[str, Any], cap: dict[str, Any], cycle: dict[str, Any], target: Target
) -> dict[str, Any] | None:
    slo = _within_slo(doc, cap, cycle, target)
    demands = cap.get("demands") or {}
    per_user = (cycle["r_s"] or 0.0) + (cycle["z_s"] or 0.0)
    util = None
    if _number(demands.get("ceiling_rps")):
        x = float(demands["ceiling_rps"]) * target.utilisation_ceiling
        util = {
            "x": round(x, 3),
            "users": math.floor(x * per_user) if per_user > 0 else None,
            "resource": demands.get("bottleneck"),
            "ceiling_rps": demands["ceiling_rps"],
        }
    if slo is None and util is None:
        return None
    options = [("slo", slo), ("utilisation", util)]
    limited_by, best = min(
        ((name, b) for name, b in options if b is not None and b.get("x") is not None),
        key=lambda item: item[1]["x"],
        default=(None, None),
    )
    usl = cap.get("usl") or {}
    return {
        "users": best["users"] if best else None,
        "x": best["x"] if best else None,
        "limited_by": limited_by,
        "within_slo": slo,
        "at_ceiling": util,
        "usl_peak": (
            {"users": usl.get("peak_n"), "x": usl.get("peak_x")} if usl.get("fitted") else None
        ),
        **cycle,
    }


def _within_slo(
    doc: dict[str, Any], cap: dict[str, Any], cycle: dict[str, Any], target: Target
) -> dict[str, Any] | None:
    """The largest load within the response targets: from the USL fit, else measured."""
    usl = cap.get("usl") or {}
    if usl.get("fitted"):
        users: float | None = usl.get("slo_users")
        if target.slo_p95_ms is not None:
            users = usl_users_within(usl, target.slo_p95_ms / 1000, cycle["z_s"] or 0.0)
        if users:
            return {"users": int(users), "x": round(usl_x(usl, users), 3), "basis": "usl"}
    steps = [s for s in doc.get("steps") or [] if s.get("measured")]
    if target.slo_p95_ms is not None:
        limit = target.slo_p95_ms
        error_rate = float((doc.get("slo") or {}).get("error_rate") or 0.01)
        ok = [
            s
            for s in steps
            if (s.get("p95_ms") or math.inf) <= limit and (s.get("error_rate") or 0) <= error_rate
        ]
    else:
        ok = [s for s in steps if s.get("within_slo")]
    if not ok:
        return None
    best = max(ok, key=lambda s: s.get("users") or 0)
    top = max(steps, key=lambda s: s.get("users") or 0)
    return {
        "users": best.get("users"),
        "x": best.get("ok_rps"),
        "basis": "measured",
        # the largest step measured was within the targets: the system takes at least this
        "lower_bound": best is top,
    }


def _target(
    doc: dict[str, Any], cycle: dict[str, Any], target: Target, today: dict[str, Any]
) -> dict[str, Any]:
    r_s = cycle["r_s"] or 0.0
    z_s = target.think_time_s if target.think_time_s is not None else (cycle["z_s"] or 0.0)
    out: dict[str, Any] = {"users": target.users, "r_s": r_s, "z_s": z_s}
    out["z_source"] = "given" if target.think_time_s is not None else cycle["z_source"]
    if target.users:
        x = target.users / (r_s + z_s) if r_s + z_s > 0 else None
        out.update(basis="users", x=None if x is None else round(x, 3))
    else:
        rate = float(target.rate or 0.0)
        share, per = _unit_share(doc, target.rate_unit)
        x = rate / share if share else rate
        out.update(
            basis="rate",
            rate=rate,
            rate_per_hour=round(rate * 3600, 1),
            rate_unit=target.rate_unit,
            unit_is=per,
            unit_share=share,
            x=round(x, 3),
            users=math.ceil(x * (r_s + z_s)) if r_s + z_s > 0 else None,
        )
        if target.rate_unit and "order line" in target.rate_unit.lower():
            # SAP's SD benchmark: 100 SAPS = 2,000 fully processed order line items per hour
            out["saps_equivalent"] = round(rate * 3600 / 20, 1)
    today_x = today.get("x")
    out["factor"] = round(out["x"] / today_x, 2) if out.get("x") and today_x else None
    return out


def _unit_share(doc: dict[str, Any], unit: str | None) -> tuple[float | None, str]:
    """The share of the run's successful requests that one unit of the rate is: a
    transaction or a group the unit names, else one request of the mix (share None)."""
    if not unit:
        return None, "request"
    wanted = unit.strip().lower()
    total = sum(
        int(t.get("count") or 0) - int(t.get("errors") or 0) for t in doc.get("transactions") or []
    )
    for kind, rows in (("transaction", doc.get("transactions")), ("group", doc.get("groups"))):
        for row in rows or []:
            if str(row.get("name", "")).lower() == wanted and total > 0:
                ok = int(row.get("count") or 0) - int(row.get("errors") or 0)
                return (ok / total if ok > 0 else None), kind
    return None, "request"


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
