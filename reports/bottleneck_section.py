"""The Bottleneck section: what saturates first, how sure the analysis is, and its evidence.

It reads ``capacity.bottleneck`` of findings.json 1.4: the resource and its kind, the
confidence (``strong``, ``likely``, ``thin``: thin evidence is shown as a hypothesis), the
analysis's sentence in the report's language, the evidence at the knee, the statements that
took the database time (with their operation and tables), the other candidates ranked, and
the warnings that invalidate the figures (the load generator was the limit, a noisy
neighbour took the CPU) — shown first and loudly. A null block says that nothing could be
attributed. The words live here, in both languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erpcap.reports import capacity_data as cd
from erpcap.reports import model
from erpcap.reports.evidence import evidence_rows
from erpcap.reports.i18n import MISSING, Translator
from erpcap.reports.localize import Sentence
from erpcap.reports.sections import Section

#: The kinds of resource the analysis names, and the confidences.
KINDS = ("cpu", "lock", "connections", "pool", "io", "queue", "generator", "unknown")
CONFIDENCES = ("strong", "likely", "thin")

_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "resource": "Resource",
        "kind": "Kind",
        "confidence": "Confidence",
        "step": "Judged at",
        "step.value": "step {step}",
        "step.users": "step {step} ({users} users)",
        "tables": "Tables",
        "role.waiter": "waiting",
        "role.blocker": "blocking",
        "series": "The resource at every step",
        "col.step": "step",
        "col.users": "users",
        "col.ok_rps": "ok req/s",
        "col.p95": "p95",
        "col.utilisation": "utilisation",
        "col.growth": "growth",
        "col.wait_share": "wait share",
        "kind.cpu": "CPU",
        "kind.lock": "lock waits",
        "kind.connections": "connections",
        "kind.pool": "connection pool",
        "kind.io": "I/O",
        "kind.queue": "queue",
        "kind.generator": "load generator",
        "kind.unknown": "unknown",
        "confidence.strong": "strong",
        "confidence.likely": "likely",
        "confidence.thin": "thin",
        "thin": "The evidence is thin: read this as a hypothesis to check, not a finding.",
        "warning": "Warning",
        "evidence": "Evidence",
        "statements": "Statements that took the database time",
        "col.statement": "statement",
        "col.operation": "operation",
        "col.share": "share of database time",
        "col.tables": "tables",
        "candidates": "Candidates, ranked",
        "col.resource": "resource",
        "col.kind": "kind",
        "col.score": "score",
        "col.evidence": "evidence",
        "none": "No bottleneck could be attributed from this run's measurements.",
    },
    "zh-CN": {
        "resource": "资源",
        "kind": "类型",
        "confidence": "可信度",
        "step": "判定于",
        "step.value": "第 {step} 阶",
        "step.users": "第 {step} 阶（{users} 个用户）",
        "tables": "表",
        "role.waiter": "等待方",
        "role.blocker": "阻塞方",
        "series": "该资源在各阶的情况",
        "col.step": "阶梯",
        "col.users": "用户数",
        "col.ok_rps": "成功请求/秒",
        "col.p95": "p95",
        "col.utilisation": "利用率",
        "col.growth": "增幅",
        "col.wait_share": "等待占比",
        "kind.cpu": "CPU",
        "kind.lock": "锁等待",
        "kind.connections": "连接数",
        "kind.pool": "连接池",
        "kind.io": "I/O",
        "kind.queue": "队列",
        "kind.generator": "负载生成器",
        "kind.unknown": "未知",
        "confidence.strong": "充分",
        "confidence.likely": "较可能",
        "confidence.thin": "不足",
        "thin": "证据不足：请把这一结论当作有待验证的假设，而不是定论。",
        "warning": "警告",
        "evidence": "证据",
        "statements": "占用数据库时间的语句",
        "col.statement": "语句",
        "col.operation": "业务操作",
        "col.share": "占数据库时间",
        "col.tables": "表",
        "candidates": "候选瓶颈（按得分排序）",
        "col.resource": "资源",
        "col.kind": "类型",
        "col.score": "得分",
        "col.evidence": "证据",
        "none": "无法根据本次运行的测量确定瓶颈。",
    },
}


def say(t: Translator, key: str, **values: Any) -> str:
    return cd.say(_TEXT, t, key, **values)


def kind_label(kind: Any, t: Translator) -> str:
    """A kind of resource in ``t``'s language (as written when erpcap does not know it)."""
    return say(t, f"kind.{kind}") if kind in KINDS else str(kind or MISSING)


def confidence_label(confidence: Any, t: Translator) -> str:
    return say(t, f"confidence.{confidence}") if confidence in CONFIDENCES else MISSING


def warnings(data: model.ReportData, t: Translator) -> list[Sentence]:
    """The bottleneck's warnings (generator limit, noisy neighbour) in ``t``'s language."""
    out = []
    for warning in cd.as_rows(cd.bottleneck(data).get("warnings")):
        said = cd.sentence(warning, t)
        out.append(said if said.text else Sentence(str(warning.get("id") or ""), "en"))
    return [w for w in out if w.text]


def _joined(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value or MISSING)


def statement_rows(data: model.ReportData, t: Translator) -> list[dict[str, str]]:
    """The statements behind the bottleneck: text, operation (and, for a lock wait, whether
    it waited or blocked), share, tables."""
    rows = []
    for st in cd.as_rows(cd.bottleneck(data).get("statements")):
        operation = str(st.get("operation") or MISSING)
        if st.get("role") in ("waiter", "blocker"):
            operation += f" ({say(t, 'role.' + str(st['role']))})"
        rows.append(
            {
                "statement": str(st.get("fingerprint") or st.get("fingerprint_id") or ""),
                "operation": operation,
                "share": cd.share(st.get("share")),
                "tables": _joined(st.get("tables")),
            }
        )
    return rows


def candidate_rows(data: model.ReportData, t: Translator) -> list[list[str]]:
    """The candidates, highest score first: their score, its parts and their evidence."""
    return [
        [
            str(c.get("resource") or MISSING),
            kind_label(c.get("kind"), t),
            cd.significant(c.get("score"), 2),
            cd.share(c.get("utilisation")),
            cd.share(c.get("growth")),
            cd.share(c.get("wait_share")),
            " · ".join(f"{k} {v}" if k else v for k, v in evidence_rows(c.get("evidence"))),
        ]
        for c in cd.as_rows(cd.bottleneck(data).get("candidates"))
    ]


def series_rows(data: model.ReportData, t: Translator) -> list[dict[str, Any]]:
    """The chosen resource at every measured step (``evidence.series``), its step marked."""
    block = cd.bottleneck(data)
    rows = []
    for r in cd.as_rows(cd.as_dict(block.get("evidence")).get("series")):
        rows.append(
            {
                "cells": [str(r.get("step", MISSING)), t.count(r.get("users")),
                          t.rps(r.get("ok_rps"), unit=False), t.ms(r.get("p95_ms")),
                          cd.share(r.get("utilisation"))],
                "at": r.get("step") is not None and r.get("step") == block.get("step"),
            }
        )  # fmt: skip
    return rows


def _facts(block: dict[str, Any], t: Translator) -> list[tuple[str, str]]:
    if not block:
        return []
    facts = [
        (say(t, "resource"), str(block.get("resource") or MISSING)),
        (say(t, "kind"), kind_label(block.get("kind"), t)),
        (say(t, "confidence"), confidence_label(block.get("confidence"), t)),
    ]
    step = block.get("step")
    if step is not None:
        where = say(t, "step.value", step=step)
        if cd.number(block.get("users")) is not None:
            where = say(t, "step.users", step=step, users=t.count(block["users"]))
        facts.append((say(t, "step"), where))
    if block.get("tables"):
        facts.append((say(t, "tables"), _joined(block["tables"])))
    return facts


def _context(data: model.ReportData, t: Translator) -> dict[str, Any]:
    block = cd.bottleneck(data)
    return {
        "s": lambda key, **v: say(t, key, **v),
        "found": bool(block),
        "sentence": cd.sentence(block, t),
        "confidence": str(block.get("confidence") or ""),
        "facts": _facts(block, t),
        "warnings": warnings(data, t),
        "evidence": evidence_rows(block.get("evidence"), skip=("series",)),
        "series": series_rows(data, t),
        "statements": statement_rows(data, t),
        "candidates": candidate_rows(data, t),
    }


BOTTLENECK = Section(
    id="bottleneck",
    titles={"en": "Bottleneck", "zh-CN": "瓶颈"},
    reads=("capacity",),
    html_file="section-bottleneck.html.j2",
    visible=cd.has_model,
    context=_context,
    markdown_escaped=True,
)
