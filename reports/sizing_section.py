"""The Sizing section: what today's system supports, the target, and what the target needs.

It reads ``sizing`` of findings.json 1.4: the headline in the report's language, then the
figures of ``today``, ``target`` (from ``erpcap size``) and ``needed`` side by side — nested
figures flattened (``within_slo`` users and throughput, the application's cores, workers
and nodes, the database's cores, the USL's prediction at the target) — the resources needed
as a table, the utilisation ceiling, and the assumptions a consultant must be able to
defend. A figure erpcap has no words for shows its key. A null block says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erpcap.reports import capacity_data as cd
from erpcap.reports import model
from erpcap.reports.i18n import MISSING, Translator
from erpcap.reports.sections import Section

BLOCKS = ("today", "target", "needed")

_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "today": "Today",
        "target": "Target",
        "needed": "Needed",
        "resources": "Resources at the target",
        "col.resource": "resource",
        "col.kind": "kind",
        "col.role": "role",
        "col.units_today": "today",
        "col.units_needed": "needed",
        "col.factor": "factor",
        "ceiling": "Every resource is sized to stay at or below {ceiling} utilisation.",
        "assumptions": "Assumptions",
        "none": "No sizing in this analysis.",
        "no_target": "No target was given: `erpcap size RUN_DIR --target-users N` (or "
        "`--target-rate 6000/h`) sizes for one.",
        "yes": "yes",
        "no": "no",
        # figures, by key (nested ones as "parent.key" first, then the key alone)
        "k.users": "users",
        "k.x": "throughput",
        "k.limited_by": "limited by",
        "k.within_slo": "within the targets",
        "k.at_ceiling": "at the utilisation ceiling",
        "k.usl_peak": "USL peak",
        "k.step": "measured at step",
        "k.r_s": "response time",
        "k.z_s": "think time",
        "k.z_source": "think time from",
        "k.basis": "basis",
        "k.lower_bound": "a lower bound",
        "k.resource": "resource",
        "k.ceiling_rps": "ceiling",
        "k.rate": "rate",
        "k.rate_per_hour": "rate per hour",
        "k.rate_unit": "counted in",
        "k.unit_is": "one unit is one",
        "k.unit_share": "units per request",
        "k.saps_equivalent": "SAPS equivalent",
        "k.factor": "times today's throughput",
        "k.app": "application",
        "k.database": "database",
        "k.usl": "USL at the target",
        "k.cores": "cores",
        "k.cores_per_node": "cores per node",
        "k.nodes": "nodes",
        "k.workers": "workers",
        "k.workers_by_users": "workers by users",
        "k.cores_today": "cores today",
        "k.x_at_target": "throughput predicted",
        "k.r_at_target_s": "response time predicted",
        "k.beyond_peak": "beyond the USL peak",
        "k.beyond_measured": "beyond the measured range",
        "k.instances": "instances",
        "k.note": "note",
    },
    "zh-CN": {
        "today": "当前",
        "target": "目标",
        "needed": "所需",
        "resources": "目标负载下的资源",
        "col.resource": "资源",
        "col.kind": "类型",
        "col.role": "角色",
        "col.units_today": "当前",
        "col.units_needed": "所需",
        "col.factor": "倍数",
        "ceiling": "每种资源按利用率不超过 {ceiling} 配置。",
        "assumptions": "假设",
        "none": "本次分析没有容量规划。",
        "no_target": "未给出目标：可用 `erpcap size RUN_DIR --target-users N`（或 "
        "`--target-rate 6000/h`）按目标规划。",
        "yes": "是",
        "no": "否",
        "k.users": "用户数",
        "k.x": "吞吐量",
        "k.limited_by": "受限于",
        "k.within_slo": "目标内",
        "k.at_ceiling": "利用率上限处",
        "k.usl_peak": "USL 峰值",
        "k.step": "测量阶梯",
        "k.r_s": "响应时间",
        "k.z_s": "思考时间",
        "k.z_source": "思考时间来源",
        "k.basis": "依据",
        "k.lower_bound": "为下限",
        "k.resource": "资源",
        "k.ceiling_rps": "上限",
        "k.rate": "速率",
        "k.rate_per_hour": "每小时速率",
        "k.rate_unit": "计量单位",
        "k.unit_is": "一个单位相当于",
        "k.unit_share": "每请求单位数",
        "k.saps_equivalent": "折合 SAPS",
        "k.factor": "相当于当前吞吐量的倍数",
        "k.app": "应用",
        "k.database": "数据库",
        "k.usl": "目标处的 USL 预测",
        "k.cores": "核数",
        "k.cores_per_node": "每节点核数",
        "k.nodes": "节点数",
        "k.workers": "工作进程数",
        "k.workers_by_users": "按用户数的工作进程数",
        "k.cores_today": "当前核数",
        "k.x_at_target": "预测吞吐量",
        "k.r_at_target_s": "预测响应时间",
        "k.beyond_peak": "超出 USL 峰值",
        "k.beyond_measured": "超出实测范围",
        "k.instances": "实例数",
        "k.note": "说明",
    },
}

#: Figures counted in whole units (a fractional one keeps a decimal).
_COUNTS = ("users", "nodes", "workers", "workers_by_users", "instances", "step", "rate_per_hour")


def say(t: Translator, key: str, **values: Any) -> str:
    return cd.say(_TEXT, t, key, **values)


def label(key: str, t: Translator) -> str:
    """The words for a figure's key (its last part), or the key itself."""
    words = _TEXT.get(t.lang, _TEXT["en"])
    return words.get(f"k.{key}") or _TEXT["en"].get(f"k.{key}") or key.replace("_", " ")


def figure(key: str, value: Any, t: Translator) -> str:
    """A sizing figure with the unit its key says."""
    if isinstance(value, bool):
        return say(t, "yes") if value else say(t, "no")
    v = cd.number(value)
    if v is None:
        said = cd.phrase(value, t).text if isinstance(value, Mapping) else ""
        return said or (MISSING if value is None else str(value))
    if key in ("x", "x_at_target", "rate") or key.endswith("_rps"):
        return t.rps(v)
    if key.endswith("_s"):
        return t.ms(v * 1000)
    if key in ("factor", "unit_share"):
        return "×" + cd.significant(v, 3)
    if key in ("ceiling", "utilisation") or key.endswith("_share"):
        return t.percent(v)
    if key in _COUNTS and v.is_integer():
        return t.count(v)
    return cd.significant(v, 3)


def rows(block: Any, t: Translator, prefix: str = "") -> list[tuple[str, str]]:
    """A block's figures as (label, value), nested blocks flattened one level under their
    parent's name; lists (the resources) are left to their own table."""
    out: list[tuple[str, str]] = []
    for key, value in cd.as_dict(block).items():
        if isinstance(value, list) or key in ("texts", "note") or value is None:
            continue
        name = f"{prefix}{label(key, t)}"
        if isinstance(value, Mapping) and not ({"en", "zh-CN"} & set(value)):
            out += rows(value, t, prefix=f"{name} · ")
        else:
            out.append((name, figure(key, value, t)))
    return out


def resource_rows(data: model.ReportData, t: Translator) -> list[list[str]]:
    needed = cd.as_dict(cd.sizing(data).get("needed"))
    return [
        [str(r.get("resource") or MISSING), str(r.get("kind") or MISSING),
         str(r.get("role") or MISSING), figure("units", r.get("units_today"), t),
         figure("units", r.get("units_needed"), t), figure("factor", r.get("factor"), t)]
        for r in cd.as_rows(needed.get("resources"))
    ]  # fmt: skip


def _context(data: model.ReportData, t: Translator) -> dict[str, Any]:
    block = cd.sizing(data)
    ceiling = cd.number(block.get("ceiling"))
    notes = [cd.note(block, t), cd.note(block.get("needed"), t)]
    return {
        "s": lambda key, **v: say(t, key, **v),
        "found": bool(block),
        "headline": cd.sentence(block, t),
        "blocks": [(say(t, b), rows(block.get(b), t)) for b in BLOCKS if block.get(b)],
        "resources": resource_rows(data, t),
        "ceiling": say(t, "ceiling", ceiling=cd.share(ceiling)) if ceiling is not None else "",
        "assumptions": cd.phrases(block.get("assumptions"), t),
        "notes": [n for n in notes if n.text],
        "no_target": bool(block) and not block.get("target"),
    }


SIZING = Section(
    id="sizing",
    titles={"en": "Sizing", "zh-CN": "容量规划"},
    reads=("sizing",),
    html_file="section-sizing.html.j2",
    visible=lambda data: "sizing" in data.findings,
    context=_context,
    markdown_escaped=True,
)
