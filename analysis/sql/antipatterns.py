"""The anti-pattern analysis: the shape of each top statement, read once per fingerprint with
sqlglot (analysis/sql/facts.py), checked by every rule of the ``erpcap.sql_rules`` entry-point
group (analysis/sql/rules/, and any plug-in's: docs/sql-rules.md).

It reads the ranking's top :data:`MAX_STATEMENTS` fingerprints (most total time first),
parsing each one's sample (real values, so a LIKE pattern, an OFFSET or an IN list's length
show) and falling back to the fingerprint. The facts go to ``ctx.shared["facts"]``
(fingerprint → Facts or ParseFailure) for the analyses after it (index advice). Statements
sqlglot cannot read are counted and listed in the block's data, never fatal.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from typing import Any

from erpcap import plugins
from erpcap.analysis.sql.context import SqlBlock, SqlContext
from erpcap.analysis.sql.facts import FAILURE_CHARS, MAX_CHARS, Facts, ParseFailure, facts_for
from erpcap.analysis.sql.rules.base import Hit, SqlRule, Statement, weigh
from erpcap.findings import Finding, Quantity, Subject

#: Distinct fingerprints analysed, most total time first (sqlglot: ~1 ms each).
MAX_STATEMENTS = 500
#: Info findings kept (most time first); warnings and criticals are all kept. The data keeps
#: every rule hit per statement.
MAX_INFO_FINDINGS = 50
#: Statements between two progress lines.
PROGRESS_EVERY = 50
#: Characters of the statement shown in a finding's text.
SHOWN_CHARS = 120

_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def analyze(ctx: SqlContext) -> SqlBlock:
    """Facts and anti-pattern findings for the top statements of ``ctx.ranked``."""
    cache: dict[str, Facts | ParseFailure] = ctx.shared.setdefault("facts", {})
    rules = rules_from_plugins()
    findings: list[Finding] = []
    statements: list[dict[str, Any]] = []
    unparseable: list[dict[str, Any]] = []
    notes: list[str] = []
    ranked = ctx.ranked.head(MAX_STATEMENTS)
    started = time.monotonic()
    if ctx.progress is not None:
        ctx.progress.stage(f"SQL anti-patterns: reading {len(ranked)} statements with sqlglot")
    for done, record in enumerate(ranked.to_dict("records")):
        if ctx.progress is not None and done % PROGRESS_EVERY == 0:
            ctx.progress.status(
                f"{done}/{len(ranked)} statements read", elapsed=time.monotonic() - started
            )
        row = {str(k): v for k, v in record.items()}
        stmt_or_failure = _statement(row, cache, ctx.dialect)
        if isinstance(stmt_or_failure, ParseFailure):
            unparseable.append(
                {
                    "fingerprint_id": row.get("fingerprint_id"),
                    # The fingerprint, not the sample: no customer values in a report.
                    "text": str(row["fingerprint"])[:FAILURE_CHARS],
                    "error": stmt_or_failure.error,
                    "share": _or_none(_float(row.get("share"))),
                }
            )
            continue
        stmt = stmt_or_failure
        hits: list[str] = []
        for name, rule in rules:
            try:
                found = list(rule(stmt))
            except Exception as exc:  # a rule's own bug: a note, never a crash
                notes.append(f"the SQL rule {name} failed on {stmt.fingerprint_id}: {exc}")
                continue
            for hit in found:
                hits.append(hit.kind.id)
                findings.append(_finding(stmt, hit))
        statements.append(
            {
                "fingerprint_id": stmt.fingerprint_id,
                "kind": stmt.facts.kind,
                "tables": list(stmt.facts.table_names),
                "rules": sorted(set(hits)),
                "share": _or_none(stmt.share),
            }
        )
    if len(ctx.ranked) > MAX_STATEMENTS:
        notes.append(
            f"anti-patterns checked on the top {MAX_STATEMENTS} of {len(ctx.ranked)} statements"
        )
    if unparseable:
        notes.append(f"{len(unparseable)} statements could not be parsed (listed in the data)")
    return SqlBlock(
        id="antipatterns",
        findings=_keep(findings),
        data={
            "statements": statements,
            "by_rule": _by_rule(statements),
            "parsed": len(statements),
            "unparseable": unparseable,
            "unparseable_count": len(unparseable),
        },
        notes=notes,
    )


def rules_from_plugins() -> list[tuple[str, SqlRule]]:
    """Every rule of the ``erpcap.sql_rules`` group, in the order of their names."""
    return plugins.load("sql_rules")


def _statement(
    row: Mapping[str, Any], cache: dict[str, Facts | ParseFailure], dialect: str | None
) -> Statement | ParseFailure:
    fingerprint = str(row["fingerprint"])
    sample = row.get("sample")
    text = sample if isinstance(sample, str) and 0 < len(sample) <= MAX_CHARS else fingerprint
    facts = facts_for(cache, fingerprint, text, dialect)
    if isinstance(facts, ParseFailure):
        return facts
    calls = _float(row.get("calls"))
    return Statement(
        fingerprint=fingerprint,
        fingerprint_id=str(row.get("fingerprint_id") or ""),
        sample=text,
        facts=facts,
        calls=0 if math.isnan(calls) else int(calls),
        total_ms=_float(row.get("total_ms")),
        share=_float(row.get("share")),
        rows=_float(row.get("rows")),
    )


def _finding(stmt: Statement, hit: Hit) -> Finding:
    shown = stmt.fingerprint
    if len(shown) > SHOWN_CHARS:
        shown = shown[: SHOWN_CHARS - 1] + "…"
    values: dict[str, Quantity] = {
        "statement": Quantity(shown),
        "calls": Quantity(stmt.calls, "count"),
        "total": Quantity(_or_none(stmt.total_ms), "ms"),
        "share": Quantity(_or_none(stmt.share), "ratio", 2),
        **hit.values,
    }
    evidence = {
        "fingerprint": stmt.fingerprint,
        "fingerprint_id": stmt.fingerprint_id,
        "calls": stmt.calls,
        "total_ms": _or_none(stmt.total_ms),
        "share": _or_none(stmt.share),
        **{k: q.value for k, q in hit.values.items()},
    }
    return hit.kind.make(
        weigh(hit.severity, stmt.share),
        values=values,
        evidence=evidence,
        subject=Subject("statement", stmt.fingerprint_id),
    )


def _by_rule(statements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per rule id: how many statements it fired on and their summed share of database time
    (0..1; None when no share is known)."""
    found: dict[str, dict[str, Any]] = {}
    for stmt in statements:
        for rule in stmt["rules"]:
            entry = found.setdefault(rule, {"statements": 0, "share": None})
            entry["statements"] += 1
            if stmt["share"] is not None:
                entry["share"] = (entry["share"] or 0.0) + stmt["share"]
    return dict(sorted(found.items(), key=lambda kv: -(kv[1]["share"] or 0.0)))


def _keep(findings: Iterable[Finding]) -> list[Finding]:
    """Findings, worst first then most time first; at most :data:`MAX_INFO_FINDINGS` infos."""
    ordered = sorted(
        findings,
        key=lambda f: (_SEVERITY_ORDER[f.severity], -(f.evidence.get("share") or 0.0)),
    )
    infos = 0
    kept = []
    for f in ordered:
        if f.severity == "info":
            infos += 1
            if infos > MAX_INFO_FINDINGS:
                continue
        kept.append(f)
    return kept


def _float(value: Any) -> float:
    try:
        return float(value) if value is not None else math.nan
    except (TypeError, ValueError):
        return math.nan


def _or_none(value: float) -> float | None:
    """None for NaN: findings.json is strict JSON."""
    return None if math.isnan(value) else value
