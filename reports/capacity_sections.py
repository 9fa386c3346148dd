"""The Capacity section: the charts by users, the knee, the USL fit, the SLO limits, steadiness.

It reads ``capacity`` (``knee``, ``knee_note``, ``usl``, ``slo_limits``, ``notes``,
``max_users_within_slo``) and ``steps[]`` (``steady``, ``x_cv``, ``x_trend``,
``unsteady_reasons``) of findings.json 1.4 and shows what is there: a block that could not
be computed shows its note, and a 1.3 document (no capacity model) says so and shows the
measured steps only. The words live here, in both languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erpcap.reports import capacity_data as cd
from erpcap.reports import model
from erpcap.reports.capacity_chart import say as chart_say
from erpcap.reports.i18n import MISSING, Translator
from erpcap.reports.localize import Sentence
from erpcap.reports.sections import Section

_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "knee": "Knee",
        "knee.where": "where",
        "knee.how": "how",
        "knee.value": "{users} users (step {step}): {rps}, p95 {p95}",
        "knee.method": "found by {method} on the {curve} curve",
        "curve.throughput": "throughput",
        "curve.latency": "latency",
        "knee.none": "No knee found.",
        "usl": "Universal Scalability Law fit",
        "sigma": "σ (contention)",
        "kappa": "κ (coherency)",
        "lambda": "λ (throughput of one user)",
        "ci": "{value} (95%: {low} – {high})",
        "r_squared": "R² of the fit",
        "points": "load steps fitted",
        "peak": "Peak",
        "peak.value": "about {x} at {n} users",
        "amdahl": "no peak (κ = 0: Amdahl's law); a ceiling of about {x}",
        "think": "think time used for response times",
        "slo_users": "users at the overall p95 target (model)",
        "usl.none": "No USL fit in this analysis.",
        "limits": "The largest load within each p95 target",
        "col.transaction": "transaction",
        "col.group": "group",
        "col.target": "p95 target",
        "col.max_users": "users within it",
        "col.first_over": "first users over it",
        "col.p95_at_max": "p95 there",
        "steady": "Steady state of each step",
        "col.step": "step",
        "col.users": "users",
        "col.ok_rps": "ok req/s",
        "col.p95": "p95",
        "col.steady": "steady",
        "col.cv": "variation (CV)",
        "col.trend": "trend",
        "col.why": "why not steady",
        "yes": "yes",
        "no": "no",
        "steady.note": "Variation: the coefficient of variation of the per-second successful "
        "throughput over the measured part of the step; trend: its change from the first "
        "half to the second. A step that is not steady is a weaker point for the model.",
        "notes": "What the capacity analysis could not conclude",
        "no_model": "This findings.json (version {version}) has no capacity model: no knee, "
        "USL fit or operational laws. Run `erpcap analyze` again with this erpcap to add "
        "them.",
        "no_model.chart": " The chart shows the measured steps only.",
        "no_model.empty": "The analysis computed no capacity model for this run (no knee, "
        "USL fit or operational laws).",
    },
    "zh-CN": {
        "knee": "拐点",
        "knee.where": "位置",
        "knee.how": "方法",
        "knee.value": "{users} 个用户（第 {step} 阶）：{rps}，p95 {p95}",
        "knee.method": "以 {method} 方法在{curve}曲线上求得",
        "curve.throughput": "吞吐量",
        "curve.latency": "延迟",
        "knee.none": "未找到拐点。",
        "usl": "通用可扩展性定律（USL）拟合",
        "sigma": "σ（争用）",
        "kappa": "κ（一致性开销）",
        "lambda": "λ（单个用户的吞吐量）",
        "ci": "{value}（95%：{low} – {high}）",
        "r_squared": "拟合 R²",
        "points": "参与拟合的阶梯数",
        "peak": "峰值",
        "peak.value": "约 {x}，在 {n} 个用户时",
        "amdahl": "无峰值（κ = 0：阿姆达尔定律）；上限约 {x}",
        "think": "计算响应时间所用的思考时间",
        "slo_users": "总体 p95 目标下的用户数（模型）",
        "usl.none": "本次分析没有 USL 拟合。",
        "limits": "各 p95 目标内的最大负载",
        "col.transaction": "事务",
        "col.group": "分组",
        "col.target": "p95 目标",
        "col.max_users": "目标内用户数",
        "col.first_over": "首次超标的用户数",
        "col.p95_at_max": "该处 p95",
        "steady": "各阶梯的稳态",
        "col.step": "阶梯",
        "col.users": "用户数",
        "col.ok_rps": "成功请求/秒",
        "col.p95": "p95",
        "col.steady": "稳态",
        "col.cv": "波动（变异系数）",
        "col.trend": "趋势",
        "col.why": "不稳的原因",
        "yes": "是",
        "no": "否",
        "steady.note": "波动：阶梯测量部分每秒成功吞吐量的变异系数；趋势：后半段相对前半段的变化。"
        "不稳定的阶梯对模型的支撑较弱。",
        "notes": "容量分析无法得出的结论",
        "no_model": "此 findings.json（版本 {version}）没有容量模型：没有拐点、USL 拟合和运行定律。"
        "请用当前版本的 erpcap 重新运行 `erpcap analyze`。",
        "no_model.chart": "图中仅显示实测阶梯。",
        "no_model.empty": "本次分析没有为此运行计算容量模型（没有拐点、USL 拟合和运行定律）。",
    },
}


def say(t: Translator, key: str, **values: Any) -> str:
    return cd.say(_TEXT, t, key, **values)


def knee_facts(data: model.ReportData, t: Translator) -> list[tuple[str, Sentence]]:
    """The knee as (label, sentence) rows: where it is and how it was found, or its note."""
    knee = cd.knee(data)
    if not knee:
        why = cd.note(model.capacity(data), t, "knee_note")
        return [(say(t, "knee.where"), why if why.text else Sentence(say(t, "knee.none"), t.lang))]
    value = say(
        t,
        "knee.value",
        users=t.count(knee.get("users")),
        step=knee.get("step", MISSING),
        rps=t.rps(knee.get("ok_rps")),
        p95=t.ms(knee.get("p95_ms")),
    )
    rows = [(say(t, "knee.where"), Sentence(value, t.lang))]
    if knee.get("method"):
        curve = str(knee.get("curve") or "")
        curve_word = say(t, f"curve.{curve}") if curve in ("throughput", "latency") else curve
        how = say(t, "knee.method", method=knee["method"], curve=curve_word)
        rows.append((say(t, "knee.how"), Sentence(how, t.lang)))
    return rows


def _interval(block: Mapping[str, Any], key: str, t: Translator) -> str:
    value = cd.significant(block.get(key))
    ci = block.get(f"{key}_ci")
    if isinstance(ci, list) and len(ci) == 2 and all(cd.number(v) is not None for v in ci):
        low, high = cd.significant(ci[0]), cd.significant(ci[1])
        return say(t, "ci", value=value, low=low, high=high)
    return value


def usl_facts(data: model.ReportData, t: Translator) -> list[tuple[str, str]]:
    """The fitted USL's coefficients with their intervals, quality, peak and SLO users."""
    fit = cd.usl(data)
    if not cd.usl_fitted(data):
        return []
    rows = [
        (say(t, "sigma"), _interval(fit, "sigma", t)),
        (say(t, "kappa"), _interval(fit, "kappa", t)),
        (say(t, "lambda"), _interval(fit, "lambda", t)),
        (say(t, "r_squared"), cd.significant(fit.get("r_squared"), 3)),
        (say(t, "points"), t.count(fit.get("points"))),
    ]
    if fit.get("amdahl"):
        rows.append((say(t, "peak"), say(t, "amdahl", x=t.rps(fit.get("peak_x")))))
    elif cd.number(fit.get("peak_n")) is not None:
        peak = say(t, "peak.value", x=t.rps(fit.get("peak_x")), n=t.value(fit.get("peak_n")))
        rows.append((say(t, "peak"), peak))
    if cd.number(fit.get("think_s")) is not None:
        rows.append((say(t, "think"), t.duration(fit["think_s"]) if fit["think_s"] >= 1
                     else t.ms(fit["think_s"] * 1000)))  # fmt: skip
    if cd.number(fit.get("slo_users")) is not None:
        rows.append((say(t, "slo_users"), t.count(fit["slo_users"])))
    return rows


def usl_note(data: model.ReportData, t: Translator) -> Sentence:
    """Why there is no USL fit (its note), or an empty sentence when there is one."""
    if cd.usl_fitted(data):
        return Sentence("", t.lang)
    why = cd.note(cd.usl(data), t)
    return why if why.text else Sentence(say(t, "usl.none"), t.lang)


def limit_rows(data: model.ReportData, t: Translator) -> list[list[str]]:
    return [
        [
            str(r.get("transaction") or MISSING),
            str(r.get("group") or MISSING),
            t.ms(r.get("target_ms")),
            t.count(r.get("max_users")),
            t.count(r.get("first_over_users")),
            t.ms(r.get("p95_ms_at_max")),
        ]
        for r in cd.slo_limits(data)
    ]


def steady_rows(data: model.ReportData, t: Translator) -> list[dict[str, Any]]:
    """Each step's steadiness, when the analysis judged it (1.4)."""
    steps = [s for s in model.steps(data) if "steady" in s]
    rows = []
    for s in steps:
        steady = s.get("steady")
        texts = s.get("unsteady_texts")
        said = texts.get(t.lang) if isinstance(texts, dict) else None
        reasons = said if isinstance(said, list) else s.get("unsteady_reasons")
        why_lang = t.lang if isinstance(said, list) else "en"
        rows.append(
            {
                "cells": [
                    str(s.get("step", "")),
                    t.count(s.get("users")),
                    t.rps(s.get("ok_rps", s.get("rps")), unit=False),
                    t.ms(s.get("p95_ms")),
                    say(t, "yes")
                    if steady is True
                    else say(t, "no")
                    if steady is False
                    else MISSING,
                    cd.significant(s.get("x_cv"), 2),
                    _signed_percent(s.get("x_trend")),
                ],
                "steady": steady,
                "why": "; ".join(str(r) for r in reasons) if isinstance(reasons, list) else "",
                "why_lang": why_lang,
            }
        )
    return rows


def _signed_percent(value: Any) -> str:
    """A relative change with its sign, one decimal (``-0.18`` → ``−18.0%``)."""
    v = cd.number(value)
    if v is None:
        return MISSING
    return f"{'+' if v > 0 else '−' if v < 0 else ''}{abs(v) * 100:.1f}%"


def _older_than_14(version: str) -> bool:
    """Whether a findings.json version predates the capacity model (1.4).

    >>> _older_than_14("1.3"), _older_than_14("1.4"), _older_than_14("?")
    (True, False, False)
    """
    try:
        major, minor = (int(p) for p in version.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) < (1, 4)


def no_model_text(data: model.ReportData, t: Translator) -> str:
    """Why there is no capacity model: an older findings.json, or an analysis that could
    not compute one ("" when there is one)."""
    if cd.has_model(data):
        return ""
    version = str(data.findings.get("schema_version") or "?")
    if _older_than_14(version):
        return say(t, "no_model", version=version)
    return say(t, "no_model.empty")


def _context(data: model.ReportData, t: Translator) -> dict[str, Any]:
    charted = len(cd.measured_steps(data)) >= 2
    return {
        "s": lambda key, **v: say(t, key, **v),
        "no_model": no_model_text(data, t)
        + (say(t, "no_model.chart") if no_model_text(data, t) and charted else ""),
        "knee_facts": knee_facts(data, t) if cd.has_model(data) else [],
        "usl_facts": usl_facts(data, t),
        "usl_note": usl_note(data, t) if cd.has_model(data) else Sentence("", t.lang),
        "usl_warnings": cd.phrases(cd.usl(data).get("warnings"), t),
        "limit_rows": limit_rows(data, t),
        "steady_rows": steady_rows(data, t),
        "notes": cd.capacity_notes(data, t),
        "chart_note": "" if charted else chart_say(t, "none"),
    }


def _markdown(data: model.ReportData, t: Translator) -> list[str]:
    """Only a document without the capacity model says so here (the management page's
    Markdown summarises the model)."""
    from erpcap.reports.markdown import md_escape

    text = no_model_text(data, t)
    return [f"### {CAPACITY.title(t.lang)}", "", md_escape(text), ""] if text else []


CAPACITY = Section(
    id="capacity",
    titles={"en": "Capacity", "zh-CN": "容量"},
    reads=("capacity", "steps"),
    html_file="section-capacity.html.j2",
    visible=lambda data: cd.has_model(data) or len(cd.measured_steps(data)) >= 2,
    context=_context,
    markdown=_markdown,
    markdown_escaped=True,
)
