"""The Upgrade plan section.

It reads ``plan`` of findings.json 1.4: the recommendations by phase (quick wins,
architecture, a pilot and a staged roll-out), each with its title and detail in the report's
language, its evidence (the findings it stands on), the gain the data lets one expect, its
effort and risk; and the alerting rules written beside findings.json (``plan.alerts``). A
null block says so, with its note. The words live here, in both languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erpcap.reports import capacity_data as cd
from erpcap.reports import model
from erpcap.reports.evidence import evidence_rows
from erpcap.reports.i18n import MISSING, Translator
from erpcap.reports.sections import Section

LEVELS = ("low", "medium", "high")

#: A capacity factor from this much up is a gain worth a word; below, the recommendation
#: buys capacity only with others (another resource limits next).
_NOTICEABLE = 1.05

_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "phase.1": "Phase 1 — quick wins",
        "phase.2": "Phase 2 — architecture",
        "phase.3": "Phase 3 — pilot and staged roll-out",
        "phase.n": "Phase {n}",
        "col.rank": "#",
        "col.recommendation": "recommendation",
        "col.evidence": "evidence",
        "col.gain": "expected gain",
        "col.effort": "effort",
        "col.risk": "risk",
        "level.low": "low",
        "level.medium": "medium",
        "level.high": "high",
        "gain.capacity": "about ×{factor} capacity",
        "gain.then": " (then {resource} limits)",
        "gain.limited": "no capacity on its own: {resource} limits next",
        "gain.db_time": "{share} less database time",
        "gain.demand": "{share} less demand on {resource}",
        "gain.the_bottleneck": "the bottleneck",
        "gain.basis": "{text}, assuming {basis}",
        "plan.none": "No upgrade plan in this analysis.",
        "alerts": "Monitoring",
        "alerts.intro": "{n} alerting rules, with thresholds derived from the measured knee, "
        "are written beside this report in {file} (Prometheus alerting-rules format).",
        "col.alert": "alert",
        "col.expr": "expression",
        "col.for": "for",
        "col.threshold": "threshold",
        "col.basis": "basis",
    },
    "zh-CN": {
        "phase.1": "第一阶段——速赢",
        "phase.2": "第二阶段——架构",
        "phase.3": "第三阶段——试点与分步上线",
        "phase.n": "第 {n} 阶段",
        "col.rank": "#",
        "col.recommendation": "建议",
        "col.evidence": "证据",
        "col.gain": "预期收益",
        "col.effort": "工作量",
        "col.risk": "风险",
        "level.low": "低",
        "level.medium": "中",
        "level.high": "高",
        "gain.capacity": "容量约提升至 {factor} 倍",
        "gain.then": "（之后受限于 {resource}）",
        "gain.limited": "单独实施不提升容量：接下来受限于 {resource}",
        "gain.db_time": "数据库耗时减少 {share}",
        "gain.demand": "{resource} 的需求减少 {share}",
        "gain.the_bottleneck": "瓶颈资源",
        "gain.basis": "{text}（假设：{basis}）",
        "plan.none": "本次分析没有升级计划。",
        "alerts": "监控",
        "alerts.intro": "已在本报告旁的 {file} 中写入 {n} 条告警规则（Prometheus 告警规则格式），"
        "阈值依据实测拐点确定。",
        "col.alert": "告警",
        "col.expr": "表达式",
        "col.for": "持续",
        "col.threshold": "阈值",
        "col.basis": "依据",
    },
}


def say(t: Translator, key: str, **values: Any) -> str:
    return cd.say(_TEXT, t, key, **values)


def level(value: Any, t: Translator) -> str:
    return say(t, f"level.{value}") if value in LEVELS else MISSING


def _factor(value: float) -> str:
    """A capacity factor: two decimals at most (``1.35``, ``1.8``), whole from 10 up."""
    return f"{value:.2f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.0f}"


def gain_text(gain: Any, t: Translator) -> str:
    """A recommendation's expected gain in words: the capacity it buys by the bottleneck law
    (or that another resource limits next), the database time or demand it removes, then
    what the estimate assumes. Zero shares are left out: they buy nothing to mention."""
    block = cd.as_dict(gain)
    parts = []
    factor = cd.number(block.get("capacity_factor"))
    after = block.get("limit_after")
    if factor is not None and factor >= _NOTICEABLE:
        parts.append(say(t, "gain.capacity", factor=_factor(factor)))
        if after:
            parts[-1] += say(t, "gain.then", resource=after)
    elif factor is not None and after:
        parts.append(say(t, "gain.limited", resource=after))
    if (cd.number(block.get("db_time_share")) or 0) > 0:
        parts.append(say(t, "gain.db_time", share=cd.share(block["db_time_share"])))
    if (cd.number(block.get("demand_share")) or 0) > 0:
        where = str(block.get("bottleneck") or say(t, "gain.the_bottleneck"))
        parts.append(say(t, "gain.demand", share=cd.share(block["demand_share"]), resource=where))
    text = ("；" if t.lang == "zh-CN" else "; ").join(parts)
    basis = cd.phrase(block.get("basis"), t).text
    if basis:
        text = say(t, "gain.basis", text=text, basis=basis) if text else basis
    return text or MISSING


def phase_title(phase: Any, data: model.ReportData, t: Translator) -> tuple[str, str]:
    """A phase's title and detail: the plan's own words, else erpcap's name for it."""
    for block in cd.as_rows(cd.plan(data).get("phases")):
        if block.get("phase") == phase:
            said = cd.texts(block, t)
            title = str(said.get("title") or said.get("text") or "")
            if title:
                return title, str(said.get("detail") or "")
    if phase in (1, 2, 3):
        return say(t, f"phase.{phase}"), ""
    return say(t, "phase.n", n=phase if phase is not None else MISSING), ""


def recommendation(rec: dict[str, Any], t: Translator) -> dict[str, Any]:
    """One recommendation, its texts chosen and its numbers said."""
    said = cd.texts(rec, t)
    evidence = cd.as_dict(rec.get("evidence"))
    return {
        "rank": str(rec.get("rank", "")),
        "id": str(rec.get("id") or ""),
        "title": str(said.get("title") or said.get("text") or rec.get("id") or ""),
        "detail": str(said.get("detail") or ""),
        "lang": str(said.get("lang") or t.lang),
        "evidence": " · ".join(f"{k} {v}" if k else v for k, v in evidence_rows(evidence)),
        "gain": gain_text(rec.get("expected_gain"), t),
        "effort": level(rec.get("effort"), t),
        "risk": level(rec.get("risk"), t),
    }


def _or_last(value: float | None) -> float:
    return float("inf") if value is None else value


def phases(data: model.ReportData, t: Translator) -> list[dict[str, Any]]:
    """The recommendations grouped by phase, phases in order."""
    grouped: dict[Any, list[dict[str, Any]]] = {}
    for rec in cd.recommendations(data):
        grouped.setdefault(rec.get("phase"), []).append(recommendation(rec, t))
    order = sorted(grouped, key=lambda p: _or_last(cd.number(p)))
    out = []
    for phase in order:
        title, detail = phase_title(phase, data, t)
        out.append({"title": title, "detail": detail, "items": grouped[phase]})
    return out


def alerts(data: model.ReportData, t: Translator) -> dict[str, Any]:
    block = cd.as_dict(cd.plan(data).get("alerts"))
    rules = cd.as_rows(block.get("rules"))
    if not rules:
        return {}
    file = str(block.get("file") or "alerts.yml")
    return {
        "file": file,
        "intro": say(t, "alerts.intro", n=t.count(len(rules)), file=file),
        "rules": [
            [
                str(r.get("alert") or ""),
                str(r.get("expr") or ""),
                str(r.get("for") or MISSING),
                cd.significant(r.get("threshold"), 4),
                cd.phrase(r.get("basis"), t),
            ]
            for r in rules
        ],  # fmt: skip
    }


def _plan_context(data: model.ReportData, t: Translator) -> dict[str, Any]:
    return {
        "s": lambda key, **v: say(t, key, **v),
        "phases": phases(data, t),
        "plan_note": cd.note(cd.plan(data), t),
        "alerts": alerts(data, t),
    }


PLAN = Section(
    id="plan",
    titles={"en": "Upgrade plan", "zh-CN": "升级计划"},
    reads=("plan",),
    html_file="section-plan.html.j2",
    visible=lambda data: "plan" in data.findings,
    context=_plan_context,
    markdown_escaped=True,
)
