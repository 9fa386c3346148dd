"""The expected gain of a recommendation, by the bottleneck law.

Each recommendation says what it changes in the measured service demands (``capacity.demands``:
resource-seconds per successful request, and each resource's units): a share of the database
time removed (an index, a batched query, a cache), a share of one resource's demand removed
(work moved off the locked rows), more units of a resource (nodes, cores), or a limit
lifted (a pool in front of ``max_connections``). The throughput ceiling is
``min_k units_k / D_k``; the capacity factor is the new ceiling over the old one, so a
change that relieves the bottleneck is capped by the next resource's ceiling.

>>> rows = [{"resource": "cpu:db", "kind": "cpu", "role": "db", "units": 2, "demand_s": 0.04},
...         {"resource": "cpu:target", "kind": "cpu", "role": "target", "units": 2,
...          "demand_s": 0.025}]
>>> estimate(rows, Relief(db_share=0.5), db_time_s=0.03)["capacity_factor"]
1.6
>>> estimate(rows, Relief(db_share=0.25), db_time_s=0.03)["capacity_factor"]
1.33
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from erpcap.analysis.capacity.demands import APP_ROLES, DB_ROLES

#: Resource kinds that live in the database.
DB_KINDS = ("lock", "connections", "io")
#: The host's CPU row of the demands: every process on the host, watched or not.
HOST = "cpu:host"


@dataclass(frozen=True)
class Relief:
    """What a recommendation changes in the demands (any combination)."""

    #: Share of the database's statement time removed: every database-side demand shrinks.
    db_share: float = 0.0
    #: Share of one resource's demand removed: ``(resource, share)``.
    resource_share: tuple[str, float] | None = None
    #: Units multiplied, per side (``"app"`` or ``"db"``) and resource kind: ``(side, kinds, factor)``.
    scale: tuple[str, tuple[str, ...], float] | None = None
    #: Resources whose limit disappears (a pool in front of the connection limit).
    lift: tuple[str, ...] = field(default_factory=tuple)
    #: The assumption behind the figure, per language.
    basis: dict[str, str] = field(default_factory=dict)


def db_side(row: dict[str, Any]) -> bool:
    """Whether a demands row is the database's (its CPU, I/O, locks, connections)."""
    name = str(row.get("resource") or "")
    return (
        str(row.get("role")) in DB_ROLES
        or row.get("kind") in DB_KINDS
        or any(word in name for word in ("postgres", "mysql", ":db"))
    )


def app_side(row: dict[str, Any]) -> bool:
    return str(row.get("role")) in APP_ROLES and not db_side(row)


def ceiling(rows: list[dict[str, Any]]) -> tuple[float | None, str | None]:
    """The bottleneck law: ``min units / demand`` over the rows, and the resource at it."""
    best: tuple[float | None, str | None] = (None, None)
    for row in rows:
        demand, units = _num(row.get("demand_s")), _num(row.get("units"))
        if demand and demand > 0 and units and units > 0:
            value = units / demand
            if best[0] is None or value < best[0]:
                best = (value, row.get("resource"))
    return best


def _apply(row: dict[str, Any], relief: Relief) -> dict[str, Any] | None:
    if row.get("resource") in relief.lift:
        return None
    out = dict(row)
    demand = _num(row.get("demand_s")) or 0.0
    if relief.db_share and db_side(row):
        demand *= 1 - min(relief.db_share, 1.0)
    if relief.resource_share and row.get("resource") == relief.resource_share[0]:
        demand *= 1 - min(relief.resource_share[1], 1.0)
    if relief.scale:
        side, kinds, factor = relief.scale
        on_side = db_side(row) if side == "db" else app_side(row)
        if on_side and row.get("kind") in kinds and _num(row.get("units")):
            out["units"] = float(row["units"]) * factor
    out["demand_s"] = demand
    return out


def estimate(
    rows: list[dict[str, Any]], relief: Relief, *, db_time_s: float | None = None
) -> dict[str, Any]:
    """``expected_gain``: the database-time share, the share of the bottleneck's demand
    removed, the capacity factor (new ceiling / old) and the limit after the change."""
    old, bottleneck = ceiling(rows)
    changed = _shared_host(
        [r for r in (_apply(row, relief) for row in rows) if r is not None], rows
    )
    new, after = ceiling(changed)
    removed = None
    for row, new_row in zip(rows, (_apply(r, relief) for r in rows), strict=True):
        if row.get("resource") == bottleneck:
            before = (_num(row.get("demand_s")) or 0.0) / (_num(row.get("units")) or 1.0)
            if new_row is None:
                removed = 1.0
            elif before > 0:
                now = (new_row["demand_s"] or 0.0) / (_num(new_row.get("units")) or 1.0)
                removed = round(1 - now / before, 4)
    factor = None
    if old and new:
        factor = round(new / old, 2)
    elif old and not changed:
        factor = None  # every limit lifted: nothing measured caps the new ceiling
    return {
        "db_time_share": round(relief.db_share, 4) if relief.db_share else None,
        "db_time_s": round(db_time_s * relief.db_share, 5)
        if db_time_s and relief.db_share
        else None,
        "demand_share": removed,
        "capacity_factor": factor,
        "bottleneck": bottleneck,
        "limit_after": after,
        "basis": relief.basis,
    }


def _shared_host(changed: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The host's CPU row (``cpu:host``, the sum of every process on it) loses what the
    change took off the CPU of the roles measured on it: an index that halves the
    database's CPU on a shared host frees that CPU for the application too.

    >>> rows = [{"resource": "cpu:db", "kind": "cpu", "role": "db", "units": 2, "demand_s": 0.02},
    ...         {"resource": "cpu:host", "kind": "cpu", "role": None, "units": 2,
    ...          "demand_s": 0.04}]
    >>> estimate(rows, Relief(db_share=0.5))["capacity_factor"]
    1.33
    """
    before = {str(r.get("resource")): _num(r.get("demand_s")) or 0.0 for r in rows}
    freed = sum(
        before.get(str(r.get("resource")), 0.0) - (_num(r.get("demand_s")) or 0.0)
        for r in changed
        if r.get("kind") == "cpu" and r.get("role") and r.get("resource") != HOST
    )
    if freed <= 0:
        return changed
    out = []
    for row in changed:
        if row.get("resource") == HOST and _num(row.get("demand_s")):
            row = {**row, "demand_s": max(float(row["demand_s"]) - freed, 0.0)}
        out.append(row)
    return out


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
