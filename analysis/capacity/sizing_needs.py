"""What a target needs per resource (the utilisation law at the ceiling), and the USL's
view of it: the arithmetic behind analysis/capacity/sizing.py, kept apart to stay small."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from erpcap.analysis.capacity.demands import APP_ROLES, DB_ROLES
from erpcap.findings import phrase

#: Odoo's deployment rule: one worker serves about this many concurrent users.
USERS_PER_WORKER = 6
#: The USL is searched for the largest N within a response target up to this many users.
USL_SEARCH_MAX = 100_000


def usl_x(usl: dict[str, Any], n: float) -> float:
    """X(N) = λN / (1 + σ(N − 1) + κN(N − 1)) from a fitted ``capacity.usl`` block.

    >>> round(usl_x({"sigma": 0.0277285, "kappa": 1.044e-4, "lambda": 89.9952}, 96.52))
    1884
    """
    sigma, kappa, lam = float(usl["sigma"]), float(usl["kappa"]), float(usl["lambda"])
    return lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))


def usl_users_within(usl: dict[str, Any], r_max_s: float, z_s: float) -> int | None:
    """The largest N whose predicted response time N / X(N) − Z stays within ``r_max_s``.

    >>> usl_users_within({"sigma": 0.0, "kappa": 0.0, "lambda": 10.0}, 0.5, 1.0) is None
    True
    >>> usl_users_within({"sigma": 0.1, "kappa": 0.0, "lambda": 10.0}, 1.0, 1.0)
    191
    """
    n = np.arange(1, USL_SEARCH_MAX + 1, dtype=np.float64)
    sigma, kappa, lam = float(usl["sigma"]), float(usl["kappa"]), float(usl["lambda"])
    if lam <= 0:
        return None
    r = (1 + sigma * (n - 1) + kappa * n * (n - 1)) / lam - z_s  # N / X(N) − Z
    ok = np.nonzero(r <= r_max_s)[0]
    if len(ok) == 0 or ok[-1] == len(n) - 1:
        return None  # none, or no limit in the searched range
    return int(n[ok[-1]])


def needed(cap: dict[str, Any], wanted: dict[str, Any], ceiling: float) -> dict[str, Any]:
    x = float(wanted.get("x") or 0.0)
    demands = cap.get("demands") or {}
    rows: list[dict[str, Any]] = []
    for res in demands.get("resources") or []:
        demand, units = _number(res.get("demand_s")), _number(res.get("units"))
        if not demand:
            continue
        need = x * demand / ceiling
        rows.append(
            {
                "resource": res.get("resource"),
                "kind": res.get("kind"),
                "role": res.get("role"),
                "units_today": units,
                "units_needed": round(need, 2),
                "factor": round(need / units, 2) if units else None,
            }
        )
    app = _pick(rows, APP_ROLES)
    db = _pick(rows, DB_ROLES)
    out: dict[str, Any] = {"x": x, "resources": rows, "app": None, "database": None, "usl": None}
    if not rows:
        out["note"] = phrase(
            en="No service demands were measured (no resource collector, or no step to measure "
            "them at): the cores and nodes needed cannot be computed; the throughput factor "
            "applies to today's configuration as a whole.",
            zh_CN="未测得服务需求（没有资源采集器，或没有可测量的阶）：无法计算所需的核数和节点数；"
            "吞吐量倍数适用于当前整体配置。",
        )
    if app:
        cores = float(app["units_needed"])
        per_node = app["units_today"]
        out["app"] = {
            "resource": app["resource"],
            "cores": cores,
            "cores_per_node": per_node,
            "nodes": max(1, math.ceil(cores / per_node)) if per_node else None,
            "workers": 2 * math.ceil(cores) + 1,
            "workers_by_users": math.ceil(wanted["users"] / USERS_PER_WORKER)
            if wanted.get("users")
            else None,
        }
    if db:
        out["database"] = {
            "resource": db["resource"],
            "cores": db["units_needed"],
            "cores_today": db["units_today"],
        }
    usl = cap.get("usl") or {}
    if usl.get("fitted") and wanted.get("users"):
        n = float(wanted["users"])
        x_n = usl_x(usl, n)
        peak = _number(usl.get("peak_n"))
        per_instance = _number(usl.get("slo_users"))
        out["usl"] = {
            "x_at_target": round(x_n, 3),
            "r_at_target_s": round(n / x_n - wanted["z_s"], 4) if x_n > 0 else None,
            "beyond_peak": bool(peak and n > peak),
            "beyond_measured": n
            > max((p[0] for p in usl.get("curve") or [] if p), default=math.inf) / 2,
            "instances": math.ceil(n / per_instance) if per_instance else None,
        }
    return out


def _pick(rows: list[dict[str, Any]], roles: tuple[str, ...]) -> dict[str, Any] | None:
    """The CPU row of a role, preferring the one with the largest need."""
    cpu = [r for r in rows if r.get("kind") == "cpu" and str(r.get("role")) in roles]
    return max(cpu, key=lambda r: r["units_needed"]) if cpu else None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
