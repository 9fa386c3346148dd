"""Rules on the capacity model: the knee, the USL fit, Little's law and unsteady steps.

They read what analysis/capacity/assess.py put in ``Context.capacity`` and the steps'
steadiness; none of them looks at names of the system under test.
"""

from __future__ import annotations

from collections.abc import Iterable

from erpcap.analysis.capacity.steady import zh_reason
from erpcap.analysis.capacity.usl import MIN_R_SQUARED
from erpcap.analysis.rules.base import Context
from erpcap.findings import Finding, FindingKind, Quantity, Subject, Texts, phrase

KNEE = FindingKind(
    id="capacity.knee",
    stage="capacity",
    texts={
        "en": Texts(
            "The knee of the {curve} curve is at {users} users ({rps}, p95 {p95})",
            "Kneedle on the steady measured steps finds the point where the {curve} curve "
            "bends: up to {users} users each extra user added work, beyond it {beyond}. "
            "Measured at the knee: {rps} successful, p95 {p95}.",
            "Plan the production load below {users} users on this configuration, or remove "
            "the limit that sets the knee (see the bottleneck and the service demands).",
        ),
        "zh-CN": Texts(
            "{curve}曲线的拐点在 {users} 个用户（{rps}，p95 {p95}）",
            "对已测量的稳定阶梯运行拐点检测算法，找到{curve}曲线弯折之处：在 {users} 个用户"
            "以内，每增加一个用户都带来更多工作；超过之后{beyond}。拐点处实测：成功请求 {rps}，"
            "p95 {p95}。",
            "在此配置下，生产负载应规划在 {users} 个用户以下；或消除造成拐点的瓶颈（见瓶颈分析和"
            "服务需求）。",
        ),
    },
)

USL = FindingKind(
    id="capacity.usl",
    stage="capacity",
    texts={
        "en": Texts(
            "Universal Scalability Law: σ = {sigma}, κ = {kappa}, λ = {lam} per user; {peak}",
            "The fit over {points} steps (R² = {r2}) puts contention (σ) at {sigma} and "
            "coherency (κ) at {kappa}; one user alone would get {lam} done. {peak_sentence} "
            "{warnings}",
            "Use the curve beyond the measured range with its band; where the fit is poor or "
            "rests on few steps, measure more load levels (at least six) before trusting it.",
        ),
        "zh-CN": Texts(
            "通用可扩展性定律：σ = {sigma}，κ = {kappa}，λ = 每用户 {lam}；{peak}",
            "基于 {points} 个阶梯的拟合（R² = {r2}）：争用系数 σ 为 {sigma}，一致性系数 κ 为 "
            "{kappa}；单个用户可完成 {lam}。{peak_sentence}{warnings}",
            "超出测量范围使用曲线时请参考其置信带；若拟合较差或阶梯太少，请先测量更多负载级别"
            "（至少六个）再采信。",
        ),
    },
)

GENERATOR_LIMIT = FindingKind(
    id="load.generator_limit",
    stage="capacity",
    texts={
        "en": Texts(
            "The load generator was the limit at {users} users: users spent {z} per request "
            "outside requests instead of {z_configured}",
            "Little's law: {users} users at {x} with a mean response of {r} leave {z} per "
            "request outside the measured requests, while the scenario's think time gives "
            "{z_configured}. The users could not send as often as configured: the load "
            "generator ran out of CPU or its timing hid queueing (coordinated omission). "
            "Steps affected: {steps}.",
            "Do not read capacity from these steps: give the generator more CPU or workers "
            "(--workers), run it on another machine, or lower the users per generator.",
        ),
        "zh-CN": Texts(
            "在 {users} 个用户时负载生成器成为瓶颈：每个请求在请求之外花费 {z}，而配置为 "
            "{z_configured}",
            "利特尔定律：{users} 个用户、吞吐量 {x}、平均响应 {r}，意味着每个请求在测量的请求之外"
            "耗费 {z}，而场景配置的思考时间为 {z_configured}。用户无法按配置的频率发送请求：负载"
            "生成器 CPU 不足，或其计时掩盖了排队（协调遗漏）。受影响的阶梯：{steps}。",
            "不要依据这些阶梯得出容量：为负载生成器提供更多 CPU 或工作进程（--workers），在另一台"
            "机器上运行它，或减少每个生成器的用户数。",
        ),
    },
)

UNSTEADY = FindingKind(
    id="capacity.unsteady_step",
    stage="capacity",
    texts={
        "en": Texts(
            "Step {step} ({users} users) was not steady",
            "Its throughput did not hold still while it was measured: {reasons}. Its figures "
            "are left out of the knee and the USL fit.",
            "Lengthen the steps (or the warm-up) until throughput settles, and look for what "
            "changed during the step (a queue filling, a cache warming, a stall).",
        ),
        "zh-CN": Texts(
            "第 {step} 阶（{users} 个用户）未达到稳态",
            "测量期间吞吐量不稳定：{reasons}。其数据未用于拐点和 USL 拟合。",
            "延长阶梯（或预热）时间直到吞吐量稳定，并检查阶梯期间发生的变化（队列积压、缓存预热、"
            "停顿）。",
        ),
    },
)

_CURVES = {
    "throughput": phrase(en="throughput", zh_CN="吞吐量"),
    "latency": phrase(en="latency", zh_CN="延迟"),
}
_BEYOND = {
    "throughput": phrase(
        en="throughput grew far less than the users", zh_CN="吞吐量的增长远低于用户数的增长"
    ),
    "latency": phrase(en="response time climbs steeply", zh_CN="响应时间急剧上升"),
}


def knee(ctx: Context) -> Iterable[Finding]:
    """The knee the capacity stage found (analysis/capacity/knee.py), with its evidence."""
    found = ctx.capacity.get("knee")
    if not found:
        return
    curve = found.get("curve", "throughput")
    steady = [s for s in ctx.steps if s.get("measured") and s.get("steady") is not False]
    yield KNEE.make(
        "info",
        subject=Subject("step", str(found["step"])),
        values={
            "users": Quantity(found["users"], "count"),
            "rps": Quantity(found.get("ok_rps"), "rps"),
            "p95": Quantity(found.get("p95_ms"), "ms"),
        },
        phrases={
            "curve": _CURVES.get(curve, _CURVES["throughput"]),
            "beyond": _BEYOND.get(curve, _BEYOND["throughput"]),
        },
        evidence={
            **found,
            "users_curve": [s["users"] for s in steady],
            "ok_rps_curve": [s.get("ok_rps") for s in steady],
            "p95_ms_curve": [s.get("p95_ms") for s in steady],
        },
    )


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def usl(ctx: Context) -> Iterable[Finding]:
    """The USL fit's coefficients and peak; a warning when the fit is poor (R² under
    :data:`MIN_R_SQUARED`), the fit's other warnings (too few steps, a peak far beyond the
    measurements) said in the text."""
    fit = ctx.capacity.get("usl") or {}
    if not fit.get("fitted"):
        return
    warnings = list(fit.get("warnings") or [])
    if fit.get("peak_n") is not None:
        peak = phrase(
            en=f"peak {_number(fit.get('peak_x'))}/s at N ≈ {_number(fit['peak_n'])}",
            zh_CN=f"峰值 {_number(fit.get('peak_x'))}/秒，N ≈ {_number(fit['peak_n'])}",
        )
        sentence = phrase(
            en=f"Throughput peaks at about {_number(fit.get('peak_x'))}/s near "
            f"{_number(fit['peak_n'])} users and falls beyond (κ > 0).",
            zh_CN=f"吞吐量约在 {_number(fit['peak_n'])} 个用户时达到峰值 "
            f"{_number(fit.get('peak_x'))}/秒，之后下降（κ > 0）。",
        )
    elif fit.get("peak_x") is not None:
        peak = phrase(
            en=f"ceiling {_number(fit['peak_x'])}/s (Amdahl, κ = 0)",
            zh_CN=f"上限 {_number(fit['peak_x'])}/秒（阿姆达尔情形，κ = 0）",
        )
        sentence = phrase(
            en=f"κ is 0 (the Amdahl case): throughput approaches {_number(fit['peak_x'])}/s "
            "and does not fall.",
            zh_CN=f"κ 为 0（阿姆达尔情形）：吞吐量趋近 {_number(fit['peak_x'])}/秒，不会下降。",
        )
    else:
        peak = phrase(en="no limit in the data (linear)", zh_CN="数据中看不到极限（线性）")
        sentence = phrase(en="Throughput grew linearly.", zh_CN="吞吐量线性增长。")
    said = phrase(
        en=("Caution: " + "; ".join(warnings) + ".") if warnings else "",
        zh_CN=(f"注意：拟合有 {len(warnings)} 条警告（见证据）。") if warnings else "",
    )
    yield USL.make(
        # a poor fit is a warning; fewer than six steps only a caution in the text, so that
        # a short ladder on a healthy system does not turn the verdict
        "warning" if (fit.get("r_squared") or 0.0) < MIN_R_SQUARED else "info",
        values={
            "sigma": Quantity(_number(fit.get("sigma"))),
            "kappa": Quantity(_number(fit.get("kappa"))),
            "lam": Quantity(fit.get("lambda"), "rps"),
            "points": Quantity(fit.get("points"), "count"),
            "r2": Quantity(_number(fit.get("r_squared"))),
        },
        phrases={
            "peak": peak,
            "peak_sentence": sentence,
            "warnings": said,
        },
        evidence={k: v for k, v in fit.items() if k != "curve"},
    )


def generator_limit(ctx: Context) -> Iterable[Finding]:
    """Little's law says users spent much longer outside requests than their think time:
    the load generator, not the system, set the pace (analysis/capacity/demands.py)."""
    rows = [r for r in ctx.capacity.get("littles_law") or [] if r["status"] == "generator_limit"]
    if not rows:
        return
    first = min(rows, key=lambda r: r["users"] or 0)
    yield GENERATOR_LIMIT.make(
        "warning",
        subject=Subject("step", str(first["step"])),
        values={
            "users": Quantity(first["users"], "count"),
            "x": Quantity(first["x"], "rps"),
            "r": Quantity((first["r_s"] or 0.0) * 1000.0, "ms"),
            "z": Quantity((first["z_s"] or 0.0) * 1000.0, "ms"),
            "z_configured": Quantity((first["z_configured_s"] or 0.0) * 1000.0, "ms"),
            "steps": Quantity([r["step"] for r in rows], "list"),
        },
        evidence={"steps": rows},
    )


def unsteady_steps(ctx: Context) -> Iterable[Finding]:
    """Each measured step whose throughput drifted or was too noisy (analysis/capacity/steady.py)."""
    for step in ctx.steps:
        if not step.get("measured") or step.get("steady") is not False:
            continue
        reasons = list(step.get("unsteady_reasons") or [])
        yield UNSTEADY.make(
            "info",
            subject=Subject("step", str(step["step"])),
            values={
                "step": Quantity(step["step"], "count"),
                "users": Quantity(step["users"], "count"),
            },
            phrases={
                "reasons": phrase(
                    en="; ".join(reasons), zh_CN="；".join(zh_reason(r) for r in reasons)
                ),
            },
            evidence={
                "step": step["step"],
                "users": step["users"],
                "x_cv": step.get("x_cv"),
                "x_trend": step.get("x_trend"),
                "reasons": reasons,
            },
        )
