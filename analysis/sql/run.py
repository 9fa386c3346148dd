"""``analyze_sql``: rank the statements, run every registered SQL analysis, one JSON document.

The same function serves ``erpcap sql analyze`` (a customer's logs) and ``erpcap analyze``
(a run's statements.parquet and sql_stats.parquet): it ranks (:mod:`.ranking`), builds the
:class:`~.context.SqlContext`, and runs the analyses of the ``erpcap.sql_analyses`` entry
points in the order of their names, each isolated — one that raises, or returns something
other than a :class:`~.context.SqlBlock`, becomes a note, never a crash. The document's
shape is documented in docs/findings.md ("The sql block").

>>> import pandas as pd
>>> rows = [{"fingerprint": "select ?", "duration_ms": 2.0, "statement": "SELECT 1",
...          "source": "pg-log"}]
>>> doc = analyze_sql(rows, analyses=[])
>>> doc["counts"], doc["top"][0]["calls"], doc["dialect"]
({'statements': 1, 'fingerprints': 1, 'stats_rows': 0}, 1, 'postgres')
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from erpcap import plugins
from erpcap.analysis.sql.context import SqlAnalysis, SqlBlock, SqlContext
from erpcap.analysis.sql.ranking import _FLOOR_MS, BUCKETS_PER_DECADE, PERCENTILE, rank
from erpcap.findings import SEVERITIES, Finding
from erpcap.progress import Progress

#: findings.json ``sql.version``: bumped when the block's shape changes.
SQL_VERSION = 1

#: Executions kept from a stream (a standalone log) for the analyses that read single
#: executions (operations and N+1): the first this many, so that memory stays bounded.
KEEP_EXECUTIONS = 200_000
#: The columns kept of each.
_KEPT = ("ts", "duration_ms", "statement", "fingerprint", "database", "user", "application",
         "session", "rows", "source")  # fmt: skip
#: Keys of the document that an analysis's id may not take.
RESERVED = frozenset(
    {"version", "dialect", "counts", "calls", "total_ms", "histogram", "top", "findings",
     "notes", "analyses"}
)  # fmt: skip


def dialect_of(sources: Iterable[str]) -> str | None:
    """``postgres`` or ``mysql`` from the sources' names, when they agree.

    >>> dialect_of(["pg-log", "postgres"]), dialect_of(["mysql-slow"]), dialect_of([])
    ('postgres', 'mysql', None)
    """
    found = set()
    for source in sources:
        name = source.strip().lower()
        if name.startswith(("pg", "postgres")):
            found.add("postgres")
        elif name.startswith(("mysql", "mariadb")):
            found.add("mysql")
    return found.pop() if len(found) == 1 else None


def _plain(value: Any) -> Any:
    """A JSON-able value: None for NaN and NA, Python numbers for numpy's."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if hasattr(value, "item"):
        return _plain(value.item())
    return value


def _keeping(
    rows: Iterable[Mapping[str, Any]], kept: list[dict[str, Any]]
) -> Iterable[Mapping[str, Any]]:
    """``rows`` as they come, keeping the first :data:`KEEP_EXECUTIONS` (their :data:`_KEPT`
    columns) in ``kept``."""
    for row in rows:
        if len(kept) < KEEP_EXECUTIONS:
            kept.append({k: row.get(k) for k in _KEPT})
        yield row


def registered_analyses() -> list[tuple[str, SqlAnalysis]]:
    """``(name, analysis)`` of every ``erpcap.sql_analyses`` entry point, in name order."""
    return [(name, obj) for name, obj in plugins.load("sql_analyses")]


def analyze_sql(
    statements: pd.DataFrame | Iterable[Mapping[str, Any]] | None = None,
    sql_stats: pd.DataFrame | None = None,
    *,
    dsn: str | None = None,
    top: int = 20,
    dialect: str | None = None,
    progress: Progress | None = None,
    analyses: Sequence[tuple[str, SqlAnalysis]] | None = None,
) -> dict[str, Any]:
    """The ``sql`` document of ``statements`` (rows or a DataFrame of STATEMENTS_SCHEMA) and
    ``sql_stats`` (SQL_STATS_SCHEMA); ``analyses`` defaults to the registered ones."""
    return sql_findings(
        statements, sql_stats, dsn=dsn, top=top, dialect=dialect, progress=progress,
        analyses=analyses,
    )[0]  # fmt: skip


def sql_findings(
    statements: pd.DataFrame | Iterable[Mapping[str, Any]] | None = None,
    sql_stats: pd.DataFrame | None = None,
    *,
    dsn: str | None = None,
    top: int = 20,
    dialect: str | None = None,
    progress: Progress | None = None,
    analyses: Sequence[tuple[str, SqlAnalysis]] | None = None,
) -> tuple[dict[str, Any], list[Finding]]:
    """:func:`analyze_sql`'s document, and its findings as :class:`Finding` objects (for a
    run's verdict)."""
    frame = statements if isinstance(statements, pd.DataFrame) else None
    kept: list[dict[str, Any]] = []
    if statements is not None and not isinstance(statements, pd.DataFrame):
        statements = _keeping(statements, kept)
    ranked, ranker = rank(statements, sql_stats)
    stats = sql_stats if sql_stats is not None else pd.DataFrame()
    if frame is None:  # a stream: the first KEEP_EXECUTIONS rows, for per-execution analyses
        frame = pd.DataFrame(kept)
    sources = {s.strip() for text in ranked["sources"] for s in str(text).split(",")}
    ctx = SqlContext(
        statements=frame,
        sql_stats=stats,
        ranked=ranked,
        dialect=dialect or dialect_of(sources),
        dsn=dsn,
        top=top,
        progress=progress,
    )
    analyses = registered_analyses() if analyses is None else analyses
    blocks, runs, notes = _run_analyses(ctx, analyses)
    if len(kept) >= KEEP_EXECUTIONS and ranker.executions > len(kept):
        notes.append(
            {
                "analysis": "ranking",
                "text": f"the analyses of single executions (operations, N+1) read the first "
                f"{KEEP_EXECUTIONS:,} of {ranker.executions:,} executions; the ranking read all",
            }
        )
    findings = [f for block in blocks for f in block.findings if isinstance(f, Finding)]
    findings.sort(key=lambda f: -SEVERITIES.index(f.severity))
    total = float(ranked["total_ms"].sum()) if not ranked.empty else 0.0
    doc: dict[str, Any] = {
        "version": SQL_VERSION,
        "dialect": ctx.dialect,
        "counts": {
            "statements": ranker.executions,
            "fingerprints": len(ranked),
            "stats_rows": int(len(stats)),
        },
        "calls": int(ranked["calls"].sum()) if not ranked.empty else 0,
        "total_ms": total,
        "histogram": {
            "buckets_per_decade": BUCKETS_PER_DECADE,
            "floor_ms": _FLOOR_MS,
            "percentile": PERCENTILE,
        },
        "top": _top(ranked, ranker.histogram, top),
        "findings": [f.to_dict() for f in findings],
        "notes": notes,
        "analyses": runs,
    }
    for block in blocks:
        doc[block.id] = dict(block.data)
    return doc, findings


def _top(ranked: pd.DataFrame, histogram: Any, top: int) -> list[dict[str, Any]]:
    out = []
    for rank_no, row in enumerate(ranked.head(top).to_dict("records"), start=1):
        item = {str(key): _plain(value) for key, value in row.items()}
        item["rank"] = rank_no
        item["histogram"] = [
            [round(low, 6), round(high, 6), n] for low, high, n in histogram(row["fingerprint"])
        ]
        out.append(item)
    return out


def _run_analyses(
    ctx: SqlContext, analyses: Sequence[tuple[str, SqlAnalysis]]
) -> tuple[list[SqlBlock], list[dict[str, Any]], list[dict[str, str]]]:
    """Run each analysis isolated: its blocks, a record per analysis, and the notes."""
    blocks: list[SqlBlock] = []
    runs: list[dict[str, Any]] = []
    notes: list[dict[str, str]] = []
    for name, analysis in analyses:
        started = time.monotonic()
        record: dict[str, Any] = {"name": name, "id": None, "status": "ok", "findings": 0}
        if ctx.progress is not None:
            ctx.progress.stage(f"SQL analysis {name}")
        try:
            block = analysis(ctx)
        except Exception as exc:  # a plug-in's bug must not sink the analysis
            record["status"] = "failed"
            notes.append({"analysis": name, "text": f"{name} failed: {type(exc).__name__}: {exc}"})
            block = None
        else:
            if block is None:
                record["status"] = "nothing"
            elif not isinstance(block, SqlBlock) or not block.id or block.id in RESERVED:
                record["status"] = "failed"
                notes.append(
                    {"analysis": name, "text": f"{name} returned no SqlBlock with a free id "
                     f"(got {type(block).__name__}); its result is left out"}
                )  # fmt: skip
                block = None
            elif any(b.id == block.id for b in blocks):
                record["status"] = "failed"
                notes.append(
                    {"analysis": name, "text": f"{name}: the id {block.id!r} is taken by "
                     "another SQL analysis; its result is left out"}
                )  # fmt: skip
                block = None
        if block is not None:
            record["id"] = block.id
            record["findings"] = len(block.findings)
            blocks.append(block)
            notes += [{"analysis": block.id, "text": str(n)} for n in block.notes]
        record["seconds"] = round(time.monotonic() - started, 3)
        runs.append(record)
    return blocks, runs, notes
