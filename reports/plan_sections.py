"""The Upgrade plan and Sizing sections.

The plan reads ``plan`` of findings.json 1.4: the recommendations by phase (quick wins,
architecture, a pilot and a staged roll-out), each with its title and detail in the report's
language, its evidence (the findings it stands on), the gain the data lets one expect, its
effort and risk; and the alerting rules written beside findings.json (``plan.alerts``). The
sizing reads ``sizing``: today, the target and what it needs, with the assumptions a
consultant must be able to defend. A null block says so, with its note. The words live here,
in both languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erpcap.reports import capacity_data as cd
from erpcap.reports import model
from erpcap.reports.bottleneck_section import evidence_rows
from erpcap.reports.i18n import MISSING, Translator
from erpcap.reports.sections import Section

LEVELS = ("low", "medium", "high")

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
        "gain.db_time": "{share} less database time",
        "gain.demand": "{share} less demand on the bottleneck",
        "plan.none": "No upgrade plan in this analysis.",
        "alerts": "Monitoring",
        "alerts.intro": "{n} alerting rules, with thresholds derived from the measured knee, "
        "are written beside this report in {file} (Prometheus alerting-rules format).",
        "col.alert": "alert",
        "col.expr": "expression",
        "col.for": "for",
        "col.threshold": "threshold",
        "col.basis": "basis",
        "size.col.what": "",
        "size.col.today": "today",
        "size.col.target": "target",
        "size.col.needed": "needed",
        "assumptions": "Assumptions",
        "size.none": "No sizing in this analysis.",
        "size.no_target": "No target was given: `erpcap size RUN_DIR --target-users N` "
        "sizes for one.",
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
        "gain.db_time": "数据库耗时减少 {share}",
        "gain.demand": "瓶颈资源需求减少 {share}",
        "plan.none": "本次分析没有升级计划。",
        "alerts": "监控",
        "alerts.intro": "已在本报告旁的 {file} 中写入 {n} 条告警规则（Prometheus 告警规则格式），"
        "阈值依据实测拐点确定。",
        "col.alert": "告警",
        "col.expr": "表达式",
        "col.for": "持续",
        "col.threshold": "阈值",
        "col.basis": "依据",
        "size.col.what": "",
        "size.col.today": "当前",
        "size.col.target": "目标",
        "size.col.needed": "所需",
        "assumptions": "假设",
        "size.none": "本次分析没有容量规划。",
        "size.no_target": "未给出目标：可用 `erpcap size RUN_DIR --target-users N` 按目标规划。",
    },
}


def say(t: Translator, key: str, **values: Any) -> str:
    return cd.say(_TEXT, t, key, **values)


def level(value: Any, t: Translator) -> str:
    return say(t, f"level.{value}") if value in LEVELS else MISSING


def gain_text(gain: Any, t: Translator) -> str:
    """A recommendation's expected gain in words: capacity factor, database time or demand
    removed, then its basis."""
    block = cd.as_dict(gain)
    parts = []
    factor = cd.number(block.get("capacity_factor"))
    if factor is not None:
        shown = f"{factor:.2f}".rstrip("0").rstrip(".") if factor < 10 else f"{factor:.0f}"
        parts.append(say(t, "gain.capacity", factor=shown))
    if cd.number(block.get("db_time_share")) is not None:
        parts.append(say(t, "gain.db_time", share=cd.share(block["db_time_share"])))
    if cd.number(block.get("demand_share")) is not None:
        parts.append(say(t, "gain.demand", share=cd.share(block["demand_share"])))
    text = ("；" if t.lang == "zh-CN" else "; ").join(parts)
    basis = cd.phrase(block.get("basis"), t).text
    if basis:
        brackets = "（{}）" if t.lang == "zh-CN" else " ({})"
        text = text + brackets.format(basis) if text else basis
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
                _value(r.get("threshold"), t),
                cd.phrase(r.get("basis"), t).text,
            ]
            for r in rules
        ],  # fmt: skip
    }


# -- sizing ---------------------------------------------------------------------------------

_SIZE_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {"users": "users", "think_time_s": "think time", "think_s": "think time",
           "x": "throughput", "rps": "throughput", "throughput_rps": "throughput",
           "rate": "rate", "app_workers": "application workers", "workers": "application workers",
           "app_nodes": "application nodes", "nodes": "application nodes",
           "db_cores": "database cores", "cores": "cores",
           "utilisation_ceiling": "utilisation ceiling", "headroom": "headroom",
           "factor": "times today's capacity"},
    "zh-CN": {"users": "用户数", "think_time_s": "思考时间", "think_s": "思考时间",
              "x": "吞吐量", "rps": "吞吐量", "throughput_rps": "吞吐量", "rate": "速率",
              "app_workers": "应用 worker 数", "workers": "应用 worker 数",
              "app_nodes": "应用节点数", "nodes": "应用节点数", "db_cores": "数据库核数",
              "cores": "核数", "utilisation_ceiling": "利用率上限", "headroom": "余量",
              "factor": "相当于当前容量的倍数"},
}  # fmt: skip


def _value(value: Any, t: Translator, key: str = "") -> str:
    """A sizing figure with the unit its name says."""
    if isinstance(value, bool):
        return str(value).lower()
    v = cd.number(value)
    if v is None:
        if isinstance(value, Mapping):
            return cd.phrase(value, t).text or " · ".join(f"{k} {x}" for k, x in value.items())
        if isinstance(value, list):
            return ", ".join(map(str, value))
        return MISSING if value is None else str(value)
    if key.endswith("_s"):
        return t.duration(v) if v >= 1 else t.ms(v * 1000)
    if key.endswith("_rps") or key in ("x", "rps"):
        return t.rps(v)
    if key.endswith(("_share", "ceiling", "utilisation")):
        return t.percent(v)
    return t.count(v) if float(v).is_integer() else t.value(v)


def sizing_rows(data: model.ReportData, t: Translator) -> tuple[list[str], list[list[str]]]:
    """The sizing table: one row per figure, one column per today / target / needed."""
    block = cd.sizing(data)
    columns = [c for c in ("today", "target", "needed") if isinstance(block.get(c), dict)]
    keys: list[str] = []
    for column in columns:
        keys += [k for k in block[column] if k not in keys and k != "texts"]
    labels = _SIZE_LABELS.get(t.lang, _SIZE_LABELS["en"])
    header = [say(t, "size.col.what")] + [say(t, f"size.col.{c}") for c in columns]
    rows = [
        [labels.get(k, k.replace("_", " "))] + [_value(block[c].get(k), t, k) for c in columns]
        for k in keys
    ]
    return header, rows


def _plan_context(data: model.ReportData, t: Translator) -> dict[str, Any]:
    return {
        "s": lambda key, **v: say(t, key, **v),
        "phases": phases(data, t),
        "plan_note": cd.note(cd.plan(data), t),
        "alerts": alerts(data, t),
    }


def _sizing_context(data: model.ReportData, t: Translator) -> dict[str, Any]:
    block = cd.sizing(data)
    header, rows = sizing_rows(data, t)
    return {
        "s": lambda key, **v: say(t, key, **v),
        "headline": cd.sentence(block, t),
        "header": header,
        "rows": rows,
        "assumptions": cd.phrases(block.get("assumptions"), t),
        "note": cd.note(block, t),
        "no_target": bool(block) and not isinstance(block.get("target"), dict),
        "found": bool(block),
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

SIZING = Section(
    id="sizing",
    titles={"en": "Sizing", "zh-CN": "容量规划"},
    reads=("sizing",),
    html_file="section-sizing.html.j2",
    visible=lambda data: "sizing" in data.findings,
    context=_sizing_context,
    markdown_escaped=True,
)
