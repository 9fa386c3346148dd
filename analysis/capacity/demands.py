"""Operational laws on the measured steps: service demands, the bottleneck law, Little's law.

**Service demand** D = U / X (analysis/capacity/laws.py): the seconds of a resource one
successful request needs. For CPU, U is in cores busy (a role at 150 % of one core is 1.5),
so D is CPU-seconds per request; the **ceiling** that resource allows is ``units / D`` (the
bottleneck law), with ``units`` its capacity (the host's cores). The database's statement
time per request comes from the statement statistics of the step. Demands are taken at the
highest measured steady step within the SLO (the system busy but not queueing), else at
the lowest measured step.

**Little's law** in a closed load: N users each cycle through a request (R) and a think
time, so the think time the users actually spent per request is ``Z = N / X − R``. When
that is much longer than the scenario's configured think time, users spent time neither
thinking nor in a measured request: the load generator could not keep up (its CPU, its
event loop) or its timing hid queueing (coordinated omission) — ``generator_limit``.
"""

from __future__ import annotations

import math
from typing import Any

from erpcap.analysis.capacity.laws import service_demand
from erpcap.findings import phrase

#: Watched roles that are the application server (``target``: erpcap run's, ``erp``: the
#: demo's; the rest common names given with ``--watch``), and the database server.
APP_ROLES = ("target", "app", "erp", "web", "application")
DB_ROLES = ("db", "database")

#: Roles that are the load generator, not the system under test.
GENERATOR_ROLES = ("locust", "generator")
#: Z may exceed the configured think time by this share (and by the sampling error) …
THINK_TOLERANCE = 0.25
#: … and by this many seconds, before the generator is called the limit.
THINK_SLACK_S = 0.05


def demand_step(steps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The step demands are taken at: the highest measured steady one within the SLO, else
    the lowest measured one."""
    measured = [s for s in steps if s.get("measured") and s.get("ok_rps")]
    good = [s for s in measured if s.get("within_slo") and s.get("steady") is not False]
    if good:
        return max(good, key=lambda s: s["users"])
    return min(measured, key=lambda s: s["users"]) if measured else None


def _resource(
    name: str, kind: str, role: str | None, busy: float, units: float | None, x: float
) -> dict[str, Any]:
    demand = service_demand(busy, x)
    return {
        "resource": name,
        "kind": kind,
        "role": role,
        "units": units,
        "busy": round(busy, 4),
        "utilisation": round(busy / units, 4) if units else None,
        "demand_s": round(demand, 6),
        "ceiling_rps": round(units / demand, 3) if units and demand > 0 else None,
    }


def demands(
    steps: list[dict[str, Any]], statements: dict[str, Any] | None, cores: float | None
) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    """The ``demands`` block and what it could not compute (phrases in every language)."""
    step = demand_step(steps)
    if step is None:
        return None, [
            phrase(
                en="no measured step with successful requests: no service demands",
                zh_CN="没有含成功请求的已测量阶梯：无法计算服务需求",
            )
        ]
    x = float(step["ok_rps"])
    resources = step.get("resources") or {}
    found: list[dict[str, Any]] = []
    missing: list[dict[str, str]] = []
    for role, percent in sorted((resources.get("cpu_by_role") or {}).items()):
        found.append(_resource(f"cpu:{role}", "cpu", role, percent / 100.0, cores, x))
    if resources.get("host_cpu") is not None and cores:
        busy = resources["host_cpu"] / 100.0 * cores
        found.append(_resource("cpu:host", "cpu", None, busy, cores, x))
    if not resources.get("cpu_by_role"):
        missing.append(
            phrase(
                en="no process CPU was sampled: no CPU demand per request of the watched roles",
                zh_CN="未采集到进程 CPU：无法计算各角色每个请求的 CPU 需求",
            )
        )
    if not cores:
        missing.append(
            phrase(
                en="the host's core count is unknown (run.json host.cpu_count): no CPU ceilings",
                zh_CN="主机核数未知（run.json 的 host.cpu_count）：无法计算 CPU 上限",
            )
        )
    db_time = None
    by_step = (statements or {}).get("by_step") or {}
    db = by_step.get(step["step"]) or by_step.get(str(step["step"]))
    if db and db.get("total_ms") is not None and step.get("duration_s"):
        # the statistics cover the whole step, warm-up included: per request of that span
        requests = x * float(step["duration_s"])
        db_time = round(float(db["total_ms"]) / 1000.0 / requests, 6) if requests else None
    elif statements is None:
        missing.append(
            phrase(
                en="no statement statistics: no database time per request",
                zh_CN="没有 SQL 语句统计：无法计算每个请求的数据库时间",
            )
        )
    # the host's cores are shared by everything on it, the generator included: a limit too
    pool = [r for r in found if r["ceiling_rps"] is not None and r["role"] not in GENERATOR_ROLES]
    worst = min(pool, key=lambda r: r["ceiling_rps"]) if pool else None
    block = {
        "step": step["step"],
        "users": step["users"],
        "x": round(x, 4),
        "per": "successful request",
        "resources": found,
        "db_time_s": db_time,
        "bottleneck": worst["resource"] if worst else None,
        "ceiling_rps": worst["ceiling_rps"] if worst else None,
    }
    return block, missing


def _user_counts(mixes: list[dict[str, Any]], users: int) -> list[float]:
    """How many of ``users`` each mix gets: fixed counts first, the rest by weight."""
    counts = [0.0] * len(mixes)
    left = float(users)
    for i, mix in enumerate(mixes):
        fixed = float(mix.get("fixed_count") or 0)
        counts[i] = min(fixed, left)
        left -= counts[i]
    weights = [float(m.get("weight") or 0) if not m.get("fixed_count") else 0.0 for m in mixes]
    total = sum(weights)
    if total > 0 and left > 0:
        counts = [c + left * w / total for c, w in zip(counts, weights, strict=True)]
    return counts


def think_plan(meta: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Per user mix of the run's scenario (run.json ``scenario_users``, written by ``erpcap
    run``): weight, fixed count, think time in seconds scaled by ``think_scale``, and
    whether it is paced; None when the run does not say (an import, an older run)."""
    mixes = meta.get("scenario_users")
    params = meta.get("parameters") or {}
    scale = params.get("think_scale", 1.0) if isinstance(params, dict) else None
    if not isinstance(mixes, list) or not mixes:
        return None
    if isinstance(scale, bool) or not isinstance(scale, int | float) or scale < 0:
        return None
    plan = []
    for mix in mixes:
        think = mix.get("think_s") if isinstance(mix, dict) else None
        if isinstance(think, bool) or not isinstance(think, int | float) or think < 0:
            return None
        plan.append(
            {
                "weight": _count(mix.get("weight", 1)),
                "fixed_count": _count(mix.get("fixed_count", 0)),
                "think_s": float(think) * float(scale),
                "paced": bool(mix.get("paced", False)),
            }
        )
    return plan


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def configured_think(plan: list[dict[str, Any]], users: int, response_s: float) -> float | None:
    """The think time per request the scenario implies at ``users`` and response ``response_s``.

    Each mix's users cycle in ``R + Z_i`` (a paced user every ``max(Z_i, R)``); the rate is
    the sum of ``N_i / cycle_i``, and the implied think time ``N / X − R``.

    >>> plan = [{"weight": 3, "fixed_count": 0, "think_s": 1.0, "paced": False},
    ...         {"weight": 1, "fixed_count": 0, "think_s": 3.0, "paced": False}]
    >>> round(configured_think(plan, 8, 0.0), 4)  # 6 users at 1/s, 2 at 1/3 s
    1.2
    """
    counts = _user_counts(plan, users)
    rate = 0.0
    for mix, n in zip(plan, counts, strict=True):
        cycle = max(mix["think_s"], response_s) if mix["paced"] else mix["think_s"] + response_s
        if n > 0:
            if cycle <= 0:
                return None
            rate += n / cycle
    if rate <= 0:
        return None
    return max(users / rate - response_s, 0.0)


def littles_law(steps: list[dict[str, Any]], meta: dict[str, Any]) -> list[dict[str, Any]]:
    """Per step: N, X (every request), R (mean service time: a request holds its user from
    sending to the answer), Z = N / X − R, the configured Z
    and whether the users spent much longer outside requests than configured."""
    plan = think_plan(meta)
    out = []
    for step in steps:
        users, x, mean_ms = step.get("users"), step.get("rps"), step.get("mean_ms")
        row: dict[str, Any] = {
            "step": step.get("step"),
            "users": users,
            "x": x,
            "r_s": None,
            "z_s": None,
            "z_configured_s": None,
            "status": "unknown",
        }
        if not step.get("measured") or not users or not x or mean_ms is None:
            out.append(row)
            continue
        # the time a request held its user: from sending to the answer (the service time);
        # a paced request's response also counts its lateness, time the user spent neither
        # in a request nor thinking, which would make N / X − R negative
        service = step.get("service")
        if isinstance(service, dict) and isinstance(service.get("mean_ms"), (int, float)):
            mean_ms = service["mean_ms"]
        r = mean_ms / 1000.0
        z = users / x - r
        row.update(r_s=round(r, 4), z_s=round(z, 4))
        configured = configured_think(plan, int(users), r) if plan else None
        if configured is not None:
            row["z_configured_s"] = round(configured, 4)
            count = int(step.get("count") or 0)
            tolerance = max(THINK_TOLERANCE, 3 / math.sqrt(count) if count else 1.0)
            limit = configured * (1 + tolerance) + THINK_SLACK_S
            row["status"] = "generator_limit" if z > limit else "ok"
        out.append(row)
    return out
