"""The statements behind a bottleneck: top SQL by database time at a step, and lock waits.

:func:`top_at_step` ranks the statements of one step (``sql_stats`` rows of that step, or
of the whole run when the collector kept no per-step rows) by the database time they took.
:func:`lock_statements` reads the database collectors' ``lock_wait`` events (each names the
waiting session's statement, the relation, and the statements of the sessions that block
it) and counts, per statement, how many waits it was in, as waiter or as blocker.

Each statement carries its ``operation`` when its text holds a sqlcommenter tag
(``/*op='…'*/``, erpcap.sqltext), and the ``tables`` it names (parsed with sqlglot by
analysis/sql/facts.py; empty when the text cannot be parsed).

>>> import pandas as pd
>>> rows = pd.DataFrame({"step": [2.0, 2.0, None], "source": ["postgres"] * 3,
...     "fingerprint": ["select * from t where id = ?", "update u set n = n + ?", "x"],
...     "query": ["SELECT * FROM t WHERE id = $1 /*op='show'*/", "UPDATE u SET n = n + $1", "x"],
...     "calls": [10, 5, 1], "total_ms": [30.0, 70.0, 1.0]})
>>> [(s["fingerprint"], s["share"], s["operation"], s["tables"]) for s in top_at_step(rows, 2)]
[('update u set n = n + ?', 0.7, None, ['u']), ('select * from t where id = ?', 0.3, 'show', ['t'])]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from erpcap.analysis.sql.facts import Facts, statement_facts
from erpcap.analysis.sql.run import dialect_of
from erpcap.sqltext import fingerprint, fingerprint_id, operation, tags

#: Statements listed per bottleneck.
TOP = 5
#: Characters of a statement's text kept.
TEXT_CHARS = 300


def _tables(text: str, dialect: str | None) -> list[str]:
    found = statement_facts(text, dialect)
    return list(found.table_names) if isinstance(found, Facts) else []


def describe(fp: str, text: str, dialect: str | None) -> dict[str, Any]:
    """A statement as the bottleneck block lists it (without its share)."""
    return {
        "fingerprint_id": fingerprint_id(fp),
        "fingerprint": fp[:TEXT_CHARS],
        "operation": operation(tags(text)),
        "tables": _tables(text, dialect) or _tables(fp, dialect),
    }


def top_at_step(sql_stats: pd.DataFrame, step: int | None, top: int = TOP) -> list[dict[str, Any]]:
    """The ``top`` statements by database time at ``step`` (the whole run when the step has
    no rows), each with its ``share`` of that time, ``total_ms``, ``calls`` and ``mean_ms``."""
    if sql_stats.empty or "step" not in sql_stats:
        return []
    rows = sql_stats[sql_stats["step"] == step] if step is not None else sql_stats.iloc[0:0]
    scope = "step"
    if rows.empty:
        rows, scope = sql_stats[sql_stats["step"].isna()], "run"
    total = float(rows["total_ms"].sum())
    if rows.empty or total <= 0:
        return []
    dialect = dialect_of(map(str, rows["source"].unique()))
    grouped = (
        rows.groupby("fingerprint", sort=False)
        .agg(calls=("calls", "sum"), total_ms=("total_ms", "sum"), query=("query", "first"))
        .sort_values("total_ms", ascending=False, kind="stable")
        .head(top)
    )
    out = []
    for fp, row in grouped.iterrows():
        calls, spent = int(row["calls"]), float(row["total_ms"])
        item = describe(str(fp), str(row["query"]), dialect)
        item.update(
            share=round(spent / total, 4),
            total_ms=round(spent, 3),
            calls=calls,
            mean_ms=round(spent / calls, 3) if calls else None,
            scope=scope,
        )
        out.append(item)
    return out


def from_sql_block(sql: Mapping[str, Any] | None, top: int = TOP) -> list[dict[str, Any]]:
    """The top statements of the run from the slow-SQL block (``sql.top[]``, docs/findings.md):
    for a run whose statements come from a log, without per-step statistics."""
    if not sql or not sql.get("top"):
        return []
    dialect = sql.get("dialect")
    out = []
    for row in list(sql["top"])[:top]:
        fp = str(row.get("fingerprint") or "")
        item = describe(fp, str(row.get("sample") or fp), dialect)
        item.update(share=row.get("share"), total_ms=row.get("total_ms"), calls=row.get("calls"),
                    mean_ms=row.get("mean_ms"), scope="run")  # fmt: skip
        out.append(item)
    return out


def lock_events(
    events: Iterable[Mapping[str, Any]], start: pd.Timestamp | None, end: pd.Timestamp | None
) -> list[Mapping[str, Any]]:
    """The ``lock_wait`` events between ``start`` and ``end`` (all of them when either is
    None)."""
    out = []
    for event in events:
        if event.get("kind") != "lock_wait":
            continue
        if start is not None and end is not None:
            try:
                ts = pd.Timestamp(str(event.get("ts")))
            except (TypeError, ValueError):
                continue
            if not start <= ts < end:
                continue
        out.append(event)
    return out


def lock_statements(
    events: list[Mapping[str, Any]], dialect: str | None, top: int = TOP
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Statements in lock waits, most waits first, each with ``share`` (of the waits it was
    in), ``role`` (``waiter``, ``blocker`` or both, most frequent first) and ``waits``; and the
    waits per relation."""
    seen: Counter[str] = Counter()
    roles: dict[str, Counter[str]] = {}
    texts: dict[str, str] = {}
    relations: Counter[str] = Counter()
    for event in events:
        relations[str(event.get("relation") or "?")] += 1
        found: dict[str, str] = {}
        waiter = (event.get("waiter") or {}).get("query")
        if waiter:
            found.setdefault(fingerprint(str(waiter)), "waiter")
            texts.setdefault(fingerprint(str(waiter)), str(waiter))
        for blocker in event.get("blockers") or []:
            text = (blocker or {}).get("query")
            if text:
                found.setdefault(fingerprint(str(text)), "blocker")
                texts.setdefault(fingerprint(str(text)), str(text))
        for fp, role in found.items():
            seen[fp] += 1
            roles.setdefault(fp, Counter())[role] += 1
    out = []
    ranked = sorted(seen, key=lambda fp: (-seen[fp], -roles[fp]["waiter"]))[:top]
    for fp in ranked:
        count = seen[fp]
        item = describe(fp, texts[fp], dialect)
        item.update(
            share=round(count / len(events), 4) if events else None,
            waits=count,
            role=", ".join(r for r, _ in roles[fp].most_common()),
        )
        out.append(item)
    return out, dict(relations.most_common())
