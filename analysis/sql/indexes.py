"""Index advice: indexes the top statements lack, verified by plan cost with HypoPG.

For each of the top statements by total time (``ctx.ranked``, its ``sample`` with real
values, else its normalised text), sqlglot finds per table the columns it filters (equality
first, then ranges), joins and orders by (:mod:`.index_columns`). Candidates are a
single-column index per column, then two-column indexes (an equality or join column first);
a candidate an existing valid btree index already covers by its leading columns is dropped
(:mod:`.index_catalog`). With HypoPG each candidate is created hypothetically and the
statement planned again (:mod:`.index_hypo`): a single column is suggested when the plan
cost falls by at least half, a two-column index only when it also halves the best single
column's cost. Without HypoPG the leading candidate is shown, marked unverified, with how to
install it. Duplicate and unused indexes are reported too.

It needs ``ctx.dsn`` (PostgreSQL; MySQL gets a note) and only reads: one transaction, read
only, rolled back, ``EXPLAIN`` without ``ANALYZE``. A statement that does not parse or plan,
or names a table this database lacks, is counted and said in the notes, never a crash.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import psycopg

from erpcap.analysis.sql import index_catalog as catalog
from erpcap.analysis.sql.context import SqlBlock, SqlContext
from erpcap.analysis.sql.index_columns import TableUse, UnsupportedStatement, column_uses
from erpcap.analysis.sql.index_findings import MISSING, UNVERIFIED
from erpcap.analysis.sql.index_housekeeping import housekeeping
from erpcap.analysis.sql.index_hypo import ExplainError, HypoSession, hypopg_schema
from erpcap.findings import Finding, Quantity, Subject
from erpcap.redact import redact_url

#: A candidate is suggested when it cuts the plan cost to at most this fraction (Dexter's 50 %).
KEEP_FRACTION = 0.5
#: Columns per table tried as a single index, and as the first and second of a pair.
MAX_COLUMNS = 6
MAX_LEADING = 3
#: Seconds to wait for the connection.
CONNECT_TIMEOUT_S = 5
#: Longer statement texts are skipped (characters): parsing one costs seconds, and no ERP
#: statement worth an index is that long.
MAX_STATEMENT_CHARS = 100_000
#: How many examples a note lists.
NOTE_EXAMPLES = 3

INSTALL_HINT = (
    "install it (apt-get install postgresql-15-hypopg) and run CREATE EXTENSION hypopg "
    "in the database as its owner or a superuser"
)


@dataclass
class _Helped:
    """One statement an index helps."""

    fingerprint: str
    fingerprint_id: str
    share: float
    total_ms: float
    cost_before: float | None
    cost_after: float | None


@dataclass
class _Advice:
    table: catalog.Table
    columns: tuple[str, ...]
    verified: bool
    helped: list[_Helped] = field(default_factory=list)

    @property
    def create(self) -> str:
        cols = ", ".join(catalog.quote_ident(c) for c in self.columns)
        return f"CREATE INDEX ON {self.table.display} ({cols})"

    def to_dict(self) -> dict[str, Any]:
        before = _sum(h.cost_before for h in self.helped)
        after = _sum(h.cost_after for h in self.helped)
        return {
            "create": self.create,
            "table": self.table.display,
            "columns": list(self.columns),
            "verified": self.verified,
            "share": sum(h.share for h in self.helped),
            "cost_before": before,
            "cost_after": after,
            "reduction": _reduction(before, after),
            "statements": [vars(h) for h in self.helped],
        }


@dataclass
class _Run:
    """What one analysis learned and could not do."""

    advice: dict[tuple[int, tuple[str, ...]], _Advice] = field(default_factory=dict)
    tables: dict[str, catalog.Table | None] = field(default_factory=dict)
    indexes: dict[int, list[catalog.Index]] = field(default_factory=dict)
    examined: int = 0
    skipped: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, reason: str, example: str) -> None:
        self.skipped.setdefault(reason, []).append(example)


def analyze(ctx: SqlContext) -> SqlBlock | None:
    """Index advice for the top statements of ``ctx`` (None without ``ctx.dsn``)."""
    if not ctx.dsn:
        return None
    scheme = urlsplit(ctx.dsn).scheme.split("+")[0]
    if scheme not in ("postgres", "postgresql"):
        return SqlBlock(
            "indexes",
            notes=[
                f"Index advice is PostgreSQL-only for now; {redact_url(ctx.dsn)} is not a "
                "PostgreSQL URL (postgresql://user@host:5432/db)."
            ],
        )
    try:
        conn = psycopg.connect(ctx.dsn, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as exc:
        return SqlBlock(
            "indexes",
            notes=[f"No index advice: cannot connect to {redact_url(ctx.dsn)}: {_first(exc)}"],
        )
    try:
        return _analyze(ctx, conn)
    except psycopg.Error as exc:  # the server went away, a catalog read refused: one note
        return SqlBlock("indexes", notes=[f"No index advice: {redact_url(ctx.dsn)}: {_first(exc)}"])
    finally:
        with contextlib.suppress(psycopg.Error):
            conn.rollback()  # nothing was written; this ends the read-only transaction
        conn.close()


def _analyze(ctx: SqlContext, conn: psycopg.Connection[Any]) -> SqlBlock:
    notes: list[str] = []
    schema, how = hypopg_schema(conn)
    session = HypoSession(conn, schema)
    if schema is None:
        notes.append(f"HypoPG missing ({how}): index advice is unverified; {INSTALL_HINT}.")
    elif how == "temporary":
        notes.append(
            "HypoPG was not created in this database; erpcap created it inside its own "
            "transaction, which it rolled back."
        )
    run = _Run()
    top = ctx.ranked.head(ctx.top) if len(ctx.ranked) else ctx.ranked
    records = top.to_dict("records")
    for number, row in enumerate(records, start=1):
        if ctx.progress is not None:
            ctx.progress.status(f"index advice: statement {number}/{len(records)}", key="indexes")
        _statement({str(k): v for k, v in row.items()}, session, run)
    session.reset()
    findings = [_advice_finding(a, how) for a in _ordered(run.advice.values())]
    duplicates, unused, since = housekeeping(conn, findings, notes)
    notes.extend(_skip_notes(run))
    data = {
        "hypopg": how,
        "verified": schema is not None,
        "statements_examined": run.examined,
        "skipped": {reason: len(examples) for reason, examples in run.skipped.items()},
        "advice": [a.to_dict() for a in _ordered(run.advice.values())],
        "duplicates": duplicates,
        "unused": unused,
        "stats_reset": since,
    }
    return SqlBlock("indexes", findings=findings, data=data, notes=notes)


def _statement(row: dict[str, Any], session: HypoSession, run: _Run) -> None:
    fingerprint = str(row.get("fingerprint") or "")
    sample = row.get("sample")
    text = sample if isinstance(sample, str) and sample.strip() else fingerprint
    short = _short(fingerprint or text)
    conn = session.conn
    if len(text) > MAX_STATEMENT_CHARS:
        run.skip(f"longer than {MAX_STATEMENT_CHARS:,} characters", short)
        return
    try:
        uses = column_uses(text, "postgres", lambda name: _columns(conn, run, name))
    except UnsupportedStatement as exc:
        run.skip("not a statement an index serves or sqlglot parses", f"{short} ({exc})")
        return
    targets: list[tuple[catalog.Table, TableUse]] = []
    for use in uses:
        table = _table(conn, run, use.table)
        if table is None:
            run.skip("names a table this database lacks (or a view)", f"{short} ({use.table})")
            continue
        targets.append((table, use))
    if not any(_columns_in(table, use) for table, use in targets):
        return
    run.examined += 1
    helped = _Helped(
        fingerprint,
        str(row.get("fingerprint_id") or ""),
        _number(row.get("share")),
        _number(row.get("total_ms")),
        None,
        None,
    )
    base: float | None = None
    if session.hypopg is not None:
        try:
            base = session.cost(text)
        except ExplainError as exc:
            run.skip("could not be planned (EXPLAIN failed)", f"{short} ({exc})")
            return
    for table, use in targets:
        existing = _indexes(conn, run, table)
        singles, pairs = _candidates(_columns_in(table, use), use, existing)
        if base is None:
            leading = _leading(use, table, existing)
            if leading:
                _add(run, table, leading, False, helped)
            continue
        choice = _verify(session, text, table, base, singles, pairs)
        if choice is not None:
            columns, after = choice
            found = _Helped(**{**vars(helped), "cost_before": base, "cost_after": after})
            _add(run, table, columns, True, found)


def _verify(
    session: HypoSession,
    text: str,
    table: catalog.Table,
    base: float,
    singles: list[tuple[str, ...]],
    pairs: list[tuple[str, ...]],
) -> tuple[tuple[str, ...], float] | None:
    """The best candidate by plan cost that passes the thresholds, with its cost."""
    best_single: tuple[tuple[str, ...], float] | None = None
    for columns in singles:
        cost = _cost(session, text, table, columns)
        if cost is not None and (best_single is None or cost < best_single[1]):
            best_single = (columns, cost)
    reference = min(base, best_single[1]) if best_single else base
    best_pair: tuple[tuple[str, ...], float] | None = None
    for columns in pairs:
        cost = _cost(session, text, table, columns)
        if cost is not None and (best_pair is None or cost < best_pair[1]):
            best_pair = (columns, cost)
    if best_pair and best_pair[1] <= KEEP_FRACTION * reference:
        return best_pair
    if best_single and best_single[1] <= KEEP_FRACTION * base:
        return best_single
    return None


def _cost(
    session: HypoSession, text: str, table: catalog.Table, columns: tuple[str, ...]
) -> float | None:
    cols = ", ".join(catalog.quote_ident(c) for c in columns)
    qualified = f"{catalog.quote_ident(table.schema)}.{catalog.quote_ident(table.name)}"
    try:
        return session.cost(text, f"CREATE INDEX ON {qualified} ({cols})")
    except ExplainError:
        return None


def _candidates(
    columns: tuple[str, ...], use: TableUse, existing: list[catalog.Index]
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Single-column and two-column candidates not covered by an existing btree index.

    >>> use = TableUse("t", equality=("a", "b"), ranges=("d",))
    >>> _candidates(("a", "b", "d"), use, [])
    ([('a',), ('b',), ('d',)], [('a', 'b'), ('a', 'd'), ('b', 'd')])
    """
    singles: list[tuple[str, ...]] = [
        (c,) for c in columns[:MAX_COLUMNS] if not catalog.covered((c,), existing)
    ]
    leading = [c for c in use.equality + use.joins if c in columns][:MAX_LEADING]
    pairs: list[tuple[str, ...]] = []
    seen: set[frozenset[str]] = set()
    for first in leading:
        for second in columns[:MAX_COLUMNS]:
            key = frozenset((first, second))
            if second == first or key in seen:
                continue  # (a, b) and (b, a) of two equalities plan alike: one of them
            if second in leading:
                seen.add(key)
            if not catalog.covered((first, second), existing):
                pairs.append((first, second))
    return singles, pairs


def _leading(use: TableUse, table: catalog.Table, existing: list[catalog.Index]) -> tuple[str, ...]:
    """Without HypoPG: the first two columns (equality first), unless an index covers them."""
    columns = _columns_in(table, use)[:2]
    if not columns or catalog.covered(columns, existing) or catalog.covered(columns[:1], existing):
        return ()
    return columns


def _columns_in(table: catalog.Table, use: TableUse) -> tuple[str, ...]:
    return tuple(c for c in use.columns if c in table.columns)


def _add(
    run: _Run, table: catalog.Table, columns: tuple[str, ...], verified: bool, helped: _Helped
) -> None:
    advice = run.advice.setdefault((table.oid, columns), _Advice(table, columns, verified))
    if all(h.fingerprint_id != helped.fingerprint_id for h in advice.helped):
        advice.helped.append(helped)


def _table(conn: psycopg.Connection[Any], run: _Run, name: str) -> catalog.Table | None:
    if name not in run.tables:
        try:
            with conn.transaction():
                run.tables[name] = catalog.find_table(conn, name)
        except psycopg.Error:
            run.tables[name] = None
    return run.tables[name]


def _columns(conn: psycopg.Connection[Any], run: _Run, name: str) -> set[str] | None:
    table = _table(conn, run, name)
    return set(table.columns) if table else None


def _indexes(conn: psycopg.Connection[Any], run: _Run, table: catalog.Table) -> list[catalog.Index]:
    if table.oid not in run.indexes:
        run.indexes[table.oid] = catalog.indexes(conn, table.oid)
    return run.indexes[table.oid]


def _ordered(advice: Iterable[_Advice]) -> list[_Advice]:
    return sorted(advice, key=lambda a: (-sum(h.share for h in a.helped), a.create))


def _advice_finding(advice: _Advice, how: str) -> Finding:
    data = advice.to_dict()
    share = float(data["share"])
    values = {
        "table": Quantity(advice.table.display),
        "columns": Quantity(list(advice.columns), "list"),
        "statements": Quantity(len(advice.helped), "count"),
        "share": Quantity(share, "ratio", 1),
        "fingerprints": Quantity([_short(h.fingerprint, 60) for h in advice.helped], "list"),
        "create": Quantity(advice.create),
    }
    subject = Subject("table", advice.table.display)
    if advice.verified:
        values |= {
            "before": Quantity(data["cost_before"], "count"),
            "after": Quantity(data["cost_after"], "count"),
            "reduction": Quantity(data["reduction"], "ratio", 0),
        }
        severity = "warning" if share >= 0.05 else "info"
        return MISSING.make(severity, values=values, evidence=data, subject=subject)
    values["why"] = Quantity(how)
    return UNVERIFIED.make("info", values=values, evidence=data, subject=subject)


def _skip_notes(run: _Run) -> list[str]:
    notes = []
    for reason, examples in run.skipped.items():
        shown = "; ".join(examples[:NOTE_EXAMPLES])
        more = (
            f"; and {len(examples) - NOTE_EXAMPLES} more" if len(examples) > NOTE_EXAMPLES else ""
        )
        notes.append(
            f"{len(examples)} statement(s) skipped for index advice, {reason}: {shown}{more}"
        )
    return notes


def _sum(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present), 2) if present else None


def _reduction(before: float | None, after: float | None) -> float | None:
    """The fraction of the plan cost an index removes.

    >>> _reduction(993.0, 142.66), _reduction(None, None)
    (0.8563, None)
    """
    if before is None or after is None or before <= 0:
        return None
    return round(1 - after / before, 4)


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(number) else number


def _short(text: str, limit: int = 80) -> str:
    """A statement cut to ``limit`` characters for a note.

    >>> _short("select 1"), _short("x" * 100, 10)
    ('select 1', 'xxxxxxxxx…')
    """
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return redact_url(text.splitlines()[0]) if text else type(exc).__name__
