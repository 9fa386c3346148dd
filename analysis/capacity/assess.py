"""The capacity block of findings.json: steady steps, knee, SLO limits, USL, demands, laws.

:func:`assess` runs after the statistics (analysis/measured.py) and the per-step resources
(analysis/windows.py) are known, and before the rules, which read its result as
``Context.capacity``. It only adds keys to the block ``_capacity`` in analysis/run.py
started (``peak``, ``max_users_within_slo``, …); docs/findings.md lists them. It also
completes each step with ``utilisation`` (and the steadiness fields when the step's
statistics came without them). Whatever it cannot conclude, it says in ``notes`` and
concludes the rest; it never raises on odd data.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import numpy as np
import pandas as pd

from erpcap.analysis.capacity.demands import demands, littles_law
from erpcap.analysis.capacity.knee import find_knee, online_target_ms, slo_limits
from erpcap.analysis.capacity.steady import utilisation
from erpcap.analysis.capacity.usl import UslFit, fit_usl
from erpcap.analysis.rules.base import Slo
from erpcap.findings import phrase

#: Points of the USL curve drawn for the chart, at most.
CURVE_POINTS = 60
#: How far beyond the largest measured load ``slo_users`` is searched, as a multiple.
SLO_SEARCH_FACTOR = 10


def _cores(meta: dict[str, Any]) -> float | None:
    host = meta.get("host")
    count = host.get("cpu_count") if isinstance(host, dict) else None
    if isinstance(count, bool) or not isinstance(count, int | float) or count <= 0:
        return None
    return float(count)


def _usable(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in steps if s.get("measured") and s.get("users") and s.get("ok_rps")]


def _round(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


def think_time(steps: list[dict[str, Any]]) -> float | None:
    """The think time per request measured at the lower half of the steps (the median of
    their ``think_s``), where users wait least for the system."""
    usable = sorted(
        (s for s in _usable(steps) if s.get("think_s") is not None), key=lambda s: s["users"]
    )
    lower = usable[: max(1, math.ceil(len(usable) / 2))]
    return float(statistics.median(s["think_s"] for s in lower)) if usable else None


def _slo_users(fit: UslFit, think_s: float, target_s: float, top: float) -> int | None:
    """The largest N whose predicted mean response time N / X(N) − Z stays within target."""
    best = None
    for n in range(1, int(top * SLO_SEARCH_FACTOR) + 1):
        x = fit.x(n)
        if x <= 0 or n / x - think_s > target_s:
            break
        best = n
    else:
        return None  # within target as far as the search reaches: no limit in sight
    return best


def _curve(fit: UslFit, top: float) -> list[list[float | None]]:
    span = np.linspace(1.0, 2.0 * top, CURVE_POINTS) if 2 * top > CURVE_POINTS else None
    ns = np.unique(np.round(span)) if span is not None else np.arange(1.0, 2.0 * top + 1)
    out = []
    for n in ns:
        with np.errstate(invalid="ignore"):  # no degrees of freedom left: an unbounded band
            p = fit.predict(float(n))
        out.append([float(n), _round(p.x, 5), _round(p.x_low, 5), _round(p.x_high, 5)])
    return out


def usl_block(steps: list[dict[str, Any]], slo: Slo) -> dict[str, Any]:
    """The USL fit on users → ok_rps of the steady measured steps (unsteady ones too, with
    a warning, when fewer than three are steady)."""
    usable = _usable(steps)
    points = [s for s in usable if s.get("steady") is not False]
    warnings: list[str] = []
    if len(points) < 3 <= len(usable):
        points = usable
        warnings.append("the fit includes unsteady steps (fewer than 3 steady ones)")
    if len(points) < 3:
        return {
            "fitted": False,
            "note": phrase(
                en=f"no USL fit: {len(points)} measured step(s) with successful requests, "
                "at least 3 are needed",
                zh_CN=f"无法拟合 USL：只有 {len(points)} 个含成功请求的已测量阶梯，至少需要 3 个",
            ),
        }
    users = [float(s["users"]) for s in points]
    try:
        fit = fit_usl(users, [float(s["ok_rps"]) for s in points])
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return {
            "fitted": False,
            "note": phrase(en=f"no USL fit: {exc}", zh_CN=f"无法拟合 USL：{exc}"),
        }
    top = max(users)
    think = think_time(steps)
    target_ms = online_target_ms(slo)
    slo_users = _slo_users(fit, think, target_ms / 1000.0, top) if think is not None else None
    over = [s["users"] for s in usable if s.get("within_slo") is False]
    if slo_users is not None and over and slo_users >= min(over):
        warnings.append(
            f"slo_users ({slo_users}) comes from the mean response time the fit predicts; the "
            f"measured p95 already broke a target at {min(over)} users"
        )
    return {
        "fitted": True,
        "sigma": _round(fit.sigma),
        "kappa": _round(fit.kappa),
        "lambda": _round(fit.lam),
        "sigma_ci": [_round(fit.sigma_ci.low), _round(fit.sigma_ci.high)],
        "kappa_ci": [_round(fit.kappa_ci.low), _round(fit.kappa_ci.high)],
        "lambda_ci": [_round(fit.lam_ci.low), _round(fit.lam_ci.high)],
        "r_squared": _round(fit.r_squared, 4),
        "points": fit.points,
        "peak_n": _round(fit.peak_n, 4),
        "peak_x": _round(fit.peak_x, 5),
        "amdahl": fit.amdahl,
        "warnings": warnings + list(fit.warnings),
        "think_s": _round(think, 4),
        "curve": _curve(fit, top),
        "slo_users": slo_users,
    }


def _notes(capacity: dict[str, Any], steps: list[dict[str, Any]]) -> list[dict[str, str]]:
    notes: list[dict[str, str]] = []
    if capacity.get("knee") is None and capacity.get("knee_note"):
        notes.append(capacity["knee_note"])
    if not capacity["usl"].get("fitted"):
        notes.append(capacity["usl"]["note"])
    unknown = [r["step"] for r in capacity["littles_law"] if r["status"] == "unknown"]
    measured = {s["step"] for s in steps if s.get("measured")}
    if measured and measured <= set(unknown):
        notes.append(
            phrase(
                en="the configured think time is unknown (run.json has no scenario_users: an "
                "imported or older run): Little's law cannot check the load generator",
                zh_CN="配置的思考时间未知（run.json 中没有 scenario_users：导入的或较早的运行）："
                "无法用利特尔定律检查负载生成器",
            )
        )
    return notes


def assess(
    steps: list[dict[str, Any]],
    metrics: pd.DataFrame,
    statements: dict[str, Any] | None,
    sql: dict[str, Any] | None,
    meta: dict[str, Any],
    slo: Slo,
) -> dict[str, Any]:
    """The keys this stage adds to ``capacity`` (see the module docstring)."""
    cores = _cores(meta)
    for step in steps:
        step.setdefault("x_cv", None)
        step.setdefault("x_trend", None)
        if "steady" not in step:
            step["steady"] = None
            step["unsteady_reasons"] = []
        step["utilisation"] = utilisation(step, metrics, cores) if step.get("resources") else []
    steady = [s for s in steps if s.get("measured") and s.get("steady") is not False]
    knee, knee_note = find_knee(steady, slo)
    if knee is None and not steps:
        knee_note = phrase(
            en="no knee: the run has no load steps", zh_CN="无法确定拐点：运行没有负载阶梯"
        )
    block, missing = demands(steps, statements, cores)
    capacity: dict[str, Any] = {
        "knee": knee,
        "knee_note": knee_note,
        "slo_limits": slo_limits(steps, slo),
        "usl": usl_block(steps, slo),
        "demands": block,
        "littles_law": littles_law(steps, meta),
    }
    if meta.get("rate"):  # the open model: the users are a pool, the arrival rate varies
        capacity.update(open_model_blocks())
    capacity["notes"] = _notes(capacity, steps) + missing
    return capacity


def open_model_blocks() -> dict[str, Any]:
    """The knee, the USL fit and Little's law of a rate run: none, for they are functions of
    the user count, which an open-model run holds constant (its pool)."""
    why = phrase(
        en="an open-model run (--rate) varies the arrival rate, not the users",
        zh_CN="开放模型运行（--rate）改变的是到达率，而不是用户数",
    )
    return {
        "knee": None,
        "knee_note": phrase(en=f"no knee: {why['en']}", zh_CN=f"无法确定拐点：{why['zh-CN']}"),
        "usl": {
            "fitted": False,
            "note": phrase(en=f"no USL fit: {why['en']}", zh_CN=f"无法拟合 USL：{why['zh-CN']}"),
        },
        "littles_law": [],
    }
