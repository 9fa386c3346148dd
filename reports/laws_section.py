"""The Operational laws section: service demand per resource and Little's law per step.

It reads ``capacity.demands`` (at one step: each resource's utilisation and demand per
successful request, D = U / X, and the ceiling 1 / D the bottleneck law gives it) and
``capacity.littles_law`` (per step, the think time the measurements imply, Z = N / X − R,
against the one configured; a much smaller one means the load generator, not the system,
was the limit). A block that could not be computed shows its note. The words live here, in
both languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erpcap.reports import capacity_data as cd
from erpcap.reports import model
from erpcap.reports.bottleneck_section import kind_label
from erpcap.reports.i18n import MISSING, Translator
from erpcap.reports.sections import Section

STATUSES = ("ok", "generator_limit", "unknown")

_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "demands": "Service demand per resource",
        "demands.intro": "At step {step} ({x} successful): each resource's utilisation U and "
        "its demand per successful request D = U / X. By the bottleneck law no load can push "
        "throughput past 1 / D of the busiest resource: here {ceiling}, set by {resource}.",
        "demands.intro_no_ceiling": "At step {step} ({x} successful): each resource's "
        "utilisation U and its demand per successful request D = U / X.",
        "db_time": "Database statement time per successful request: {value}.",
        "col.resource": "resource",
        "col.kind": "kind",
        "col.role": "role",
        "col.busy": "busy / capacity",
        "col.utilisation": "utilisation",
        "col.demand": "demand per request",
        "col.ceiling": "ceiling",
        "demands.none": "No service demands in this analysis.",
        "little": "Little's law, step by step",
        "little.intro": "In a closed load, users = throughput × (response time + think time), "
        "so the measurements imply a think time Z = N / X − R. Far below the think time the "
        "scenario asked for, it means the load generator could not keep its users busy: the "
        "figures then describe the generator's limit, not the system's.",
        "col.step": "step",
        "col.users": "users N",
        "col.x": "throughput X",
        "col.r": "response R",
        "col.z": "think time implied",
        "col.z_configured": "configured",
        "col.status": "check",
        "status.ok": "consistent",
        "status.generator_limit": "load generator was the limit",
        "status.unknown": "cannot tell",
        "little.none": "No Little's-law check in this analysis.",
    },
    "zh-CN": {
        "demands": "各资源的服务需求",
        "demands.intro": "第 {step} 阶（成功请求 {x}）：各资源的利用率 U 及每个成功请求的服务需求"
        " D = U / X。按瓶颈定律，任何负载都无法让吞吐量超过最忙资源的 1 / D：此处为 {ceiling}，"
        "由 {resource} 决定。",
        "demands.intro_no_ceiling": "第 {step} 阶（成功请求 {x}）：各资源的利用率 U 及每个成功"
        "请求的服务需求 D = U / X。",
        "db_time": "每个成功请求的数据库语句耗时：{value}。",
        "col.resource": "资源",
        "col.kind": "类型",
        "col.role": "角色",
        "col.busy": "占用 / 容量",
        "col.utilisation": "利用率",
        "col.demand": "每请求需求",
        "col.ceiling": "上限",
        "demands.none": "本次分析没有服务需求数据。",
        "little": "利特尔定律逐阶校验",
        "little.intro": "在闭环负载中，用户数 = 吞吐量 × (响应时间 + 思考时间)，因此由测量可推得"
        "思考时间 Z = N / X − R。若远小于场景设定的思考时间，说明负载生成器无法让其用户保持忙碌："
        "此时数据反映的是生成器的极限，而非被测系统的。",
        "col.step": "阶梯",
        "col.users": "用户数 N",
        "col.x": "吞吐量 X",
        "col.r": "响应时间 R",
        "col.z": "推得的思考时间",
        "col.z_configured": "设定值",
        "col.status": "校验",
        "status.ok": "一致",
        "status.generator_limit": "负载生成器成为瓶颈",
        "status.unknown": "无法判断",
        "little.none": "本次分析没有利特尔定律校验。",
    },
}


def say(t: Translator, key: str, **values: Any) -> str:
    return cd.say(_TEXT, t, key, **values)


def _seconds(value: Any, t: Translator) -> str:
    """Seconds shown in milliseconds (demands and think times are fractions of a second)."""
    v = cd.number(value)
    return MISSING if v is None else t.ms(v * 1000)


def _amount(value: float | None, t: Translator) -> str:
    """Cores busy with one decimal; whole counts (connections) without."""
    if value is not None and float(value).is_integer():
        return t.count(value)
    return t.value(value)


def demand_rows(data: model.ReportData, t: Translator) -> list[dict[str, Any]]:
    block = cd.demands(data)
    bottleneck = block.get("bottleneck")
    rows = []
    for r in cd.as_rows(block.get("resources")):
        busy, units = cd.number(r.get("busy")), cd.number(r.get("units"))
        rows.append(
            {
                "cells": [
                    str(r.get("resource") or MISSING),
                    kind_label(r.get("kind"), t),
                    str(r.get("role") or MISSING),
                    f"{_amount(busy, t)} / {_amount(units, t)}"
                    if units is not None
                    else _amount(busy, t),
                    t.percent(r.get("utilisation")),
                    _seconds(r.get("demand_s"), t),
                    t.rps(r.get("ceiling_rps")),
                ],
                "bottleneck": bottleneck is not None and r.get("resource") == bottleneck,
            }
        )
    return rows


def demands_intro(data: model.ReportData, t: Translator) -> str:
    block = cd.demands(data)
    if not cd.as_rows(block.get("resources")):
        return ""
    values = {"step": block.get("step", MISSING), "x": t.rps(block.get("x"))}
    if cd.number(block.get("ceiling_rps")) is not None and block.get("bottleneck"):
        return say(t, "demands.intro", ceiling=t.rps(block["ceiling_rps"]),
                   resource=block["bottleneck"], **values)  # fmt: skip
    return say(t, "demands.intro_no_ceiling", **values)


def little_rows(data: model.ReportData, t: Translator) -> list[dict[str, Any]]:
    rows = []
    for r in cd.littles_law(data):
        status = r.get("status") if r.get("status") in STATUSES else "unknown"
        rows.append(
            {
                "cells": [
                    str(r.get("step", MISSING)),
                    t.count(r.get("users")),
                    t.rps(r.get("x")),
                    _seconds(r.get("r_s"), t),
                    _seconds(r.get("z_s"), t),
                    _seconds(r.get("z_configured_s"), t),
                ],
                "status": status,
                "label": say(t, f"status.{status}"),
            }
        )
    return rows


def _context(data: model.ReportData, t: Translator) -> dict[str, Any]:
    block = cd.demands(data)
    db_time = cd.number(block.get("db_time_s"))
    return {
        "s": lambda key, **v: say(t, key, **v),
        "demand_rows": demand_rows(data, t),
        "demands_intro": demands_intro(data, t),
        "demands_note": cd.note(block, t),
        "db_time": say(t, "db_time", value=_seconds(db_time, t)) if db_time is not None else "",
        "little_rows": little_rows(data, t),
        "little_note": cd.note(model.capacity(data), t, "littles_law_note"),
    }


LAWS = Section(
    id="laws",
    titles={"en": "Operational laws", "zh-CN": "运行定律"},
    reads=("capacity",),
    html_file="section-laws.html.j2",
    visible=cd.has_model,
    context=_context,
    markdown_escaped=True,
)
