"""Statements ranked per fingerprint, in one pass: memory bounded by the distinct fingerprints.

:class:`Ranker` reads single executions (statements rows, from server logs) one at a time
and keeps, per fingerprint, a few sums and a latency histogram, never the executions
themselves; time is linear in the executions and memory grows with the fingerprints only
(each holds at most :data:`MAX_NAMES` names per database, user and application and one
sample of at most :data:`SAMPLE_CHARS` characters). Statement statistics (sql_stats rows
for the whole run, from pg_stat_statements or performance_schema) fill in the fingerprints
that no log line shows: their p95 is NaN, as the sources keep no distribution.

The latency histogram is log-bucketed: :data:`BUCKETS_PER_DECADE` buckets per power of ten
from 1 µs, so a bucket spans a factor of 10^(1/16) ≈ 1.155, and a percentile read from it
(the geometric middle of the bucket holding the nearest-rank value, never above the
maximum) is within ±7.5% of the exact one.

>>> ranker = Ranker()
>>> for ms in (1.0, 2.0, 3.0, 100.0):
...     ranker.add("select ? from t", ms, "SELECT 1 FROM t", "pg-log", "erp", "u", None, 1)
>>> ranker.add("update t set a = ?", 50.0, "UPDATE t SET a = 1", "pg-log", "erp", "u", None, 0)
>>> table = ranker.table()
>>> table[["fingerprint", "calls", "total_ms", "share", "max_ms"]].values.tolist()
[['select ? from t', 4, 106.0, 0.6794871794871795, 100.0], ['update t set a = ?', 1, 50.0, 0.32051282051282054, 50.0]]
>>> table.loc[0, "sample"], round(float(table.loc[0, "p95_ms"]), 1)
('SELECT 1 FROM t', 100.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from erpcap.analysis.sql.context import RANKED_COLUMNS
from erpcap.sqltext import fingerprint_id

#: Histogram resolution: buckets per power of ten (a bucket spans a factor 10^(1/16)).
BUCKETS_PER_DECADE = 16
#: The lower edge of bucket 0, in ms (1 µs); shorter executions count in bucket 0.
_FLOOR_MS = 0.001
_SCALE = BUCKETS_PER_DECADE / math.log(10)
_EPSILON = 1e-9  # so that an edge (1 ms) falls in the bucket it opens despite rounding
#: A sample's text is cut after this many characters (a statement of a megabyte stays small).
SAMPLE_CHARS = 10_000
#: Names kept per fingerprint and kind (database, user, application); more are counted apart.
MAX_NAMES = 20
#: The percentile the ranking shows.
PERCENTILE = 0.95


def bucket(ms: float) -> int:
    """The histogram bucket of a duration in ms.

    >>> bucket(0.0005), bucket(0.001), bucket(1.0), bucket(10.0)
    (0, 0, 48, 64)
    """
    if ms <= _FLOOR_MS:
        return 0
    return int(math.log(ms / _FLOOR_MS) * _SCALE + _EPSILON)


def bucket_bounds(index: int) -> tuple[float, float]:
    """The lower and upper edge of a bucket, in ms.

    >>> [round(x, 4) for x in bucket_bounds(48)]
    [1.0, 1.1548]
    """
    return (
        _FLOOR_MS * 10 ** (index / BUCKETS_PER_DECADE),
        _FLOOR_MS * 10 ** ((index + 1) / BUCKETS_PER_DECADE),
    )


def percentile(histogram: Mapping[int, int], q: float, top: float) -> float:
    """The ``q`` percentile (nearest rank) of a histogram, no more than ``top`` (the max).

    >>> percentile({48: 19, 64: 1}, 0.95, 10.0) < 1.155
    True
    """
    count = sum(histogram.values())
    if not count:
        return math.nan
    rank = max(1, math.ceil(q * count))
    seen = 0
    for index in sorted(histogram):
        seen += histogram[index]
        if seen >= rank:
            low, high = bucket_bounds(index)
            return min(math.sqrt(low * high), top)
    return top  # not reached: the ranks add up to count


class _Statement:
    """What the ranking keeps of one fingerprint."""

    __slots__ = (
        "calls",
        "total",
        "top",
        "rows",
        "examined",
        "lock",
        "blocks",
        "histogram",
        "sample",
        "sources",
        "names",
    )

    def __init__(self) -> None:
        self.calls = 0
        self.total = 0.0  # ms
        self.top = -1.0  # the slowest execution, ms
        self.rows: int | None = None
        self.examined: int | None = None
        self.lock: float | None = None  # ms
        self.blocks: int | None = None  # shared blocks read (statistics only)
        self.histogram: dict[int, int] = {}
        self.sample = ""
        self.sources: dict[str, None] = {}  # in order of first sight
        #: database, user, application → name → ms spent
        self.names: tuple[dict[str, float], dict[str, float], dict[str, float]] = ({}, {}, {})


def _named(names: dict[str, float], name: str | None, ms: float) -> None:
    if not name:
        return
    if name in names or len(names) < MAX_NAMES:
        names[name] = names.get(name, 0.0) + ms
    else:
        names["…"] = names.get("…", 0.0) + ms


def _listing(names: dict[str, float]) -> str | None:
    if not names:
        return None
    return ", ".join(sorted(names, key=lambda n: (n == "…", -names[n], n)))


def _plain(value: Any) -> Any:
    """None for a missing value (None, NaN, pd.NA), else the value."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


class Ranker:
    """Ranks statements by fingerprint as they stream past (see the module's doc)."""

    def __init__(self) -> None:
        self._by: dict[str, _Statement] = {}
        self._stats: dict[str, _Statement] = {}
        self.executions = 0

    def __len__(self) -> int:
        """The distinct fingerprints seen so far."""
        return len(self._by.keys() | self._stats.keys())

    def add(
        self,
        fingerprint: str,
        duration_ms: float,
        statement: str,
        source: str,
        database: str | None,
        user: str | None,
        application: str | None,
        rows: int | None,
        rows_examined: int | None = None,
        lock_ms: float | None = None,
    ) -> None:
        """One execution."""
        found = self._by.get(fingerprint)
        if found is None:
            found = self._by[fingerprint] = _Statement()
        self.executions += 1
        found.calls += 1
        found.total += duration_ms
        if duration_ms > found.top:
            found.top = duration_ms
            found.sample = statement if len(statement) <= SAMPLE_CHARS else statement[:SAMPLE_CHARS]
        index = (
            0
            if duration_ms <= _FLOOR_MS
            else int(math.log(duration_ms / _FLOOR_MS) * _SCALE + _EPSILON)
        )
        histogram = found.histogram
        histogram[index] = histogram.get(index, 0) + 1
        if source not in found.sources:
            found.sources[source] = None
        databases, users, applications = found.names
        if database:
            if database in databases:
                databases[database] += duration_ms
            else:
                _named(databases, database, duration_ms)
        if user:
            if user in users:
                users[user] += duration_ms
            else:
                _named(users, user, duration_ms)
        if application:
            if application in applications:
                applications[application] += duration_ms
            else:
                _named(applications, application, duration_ms)
        if rows is not None:
            found.rows = (found.rows or 0) + rows
        if rows_examined is not None:
            found.examined = (found.examined or 0) + rows_examined
        if lock_ms is not None:
            found.lock = (found.lock or 0.0) + lock_ms

    def add_records(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Statements rows as dicts (what the log parsers yield)."""
        add = self.add
        for r in records:
            add(
                r["fingerprint"],
                r["duration_ms"],
                r["statement"],
                r["source"],
                r.get("database"),
                r.get("user"),
                r.get("application"),
                r.get("rows"),
                r.get("rows_examined"),
                r.get("lock_ms"),
            )

    def add_frame(self, statements: pd.DataFrame) -> None:
        """Statements rows as a DataFrame (statements.parquet)."""
        if statements.empty:
            return
        columns = (
            "fingerprint",
            "duration_ms",
            "statement",
            "source",
            "database",
            "user",
            "application",
            "rows",
            "rows_examined",
            "lock_ms",
        )
        lists = []
        for name in columns:
            if name not in statements:
                lists.append([None] * len(statements))
                continue
            column = statements[name].astype(object)
            lists.append(column.where(column.notna(), None).tolist())
        add = self.add
        for values in zip(*lists, strict=True):
            add(*values)

    def add_stats(self, sql_stats: pd.DataFrame) -> None:
        """Statement statistics (sql_stats rows): the whole-run rows (``step`` null) are
        summed per fingerprint, and count where no execution of that fingerprint is seen."""
        if sql_stats.empty:
            return
        whole = sql_stats[sql_stats["step"].isna()] if "step" in sql_stats else sql_stats
        for row in whole.to_dict("records"):
            found = self._stats.get(row["fingerprint"])
            if found is None:
                found = self._stats[row["fingerprint"]] = _Statement()
            calls, total = int(row["calls"]), float(row["total_ms"])
            found.calls += calls
            found.total += total
            longest = _plain(row.get("max_ms"))
            if longest is not None and float(longest) > found.top:
                found.top = float(longest)
            if not found.sample:
                text = str(row.get("query") or row["fingerprint"])
                found.sample = text[:SAMPLE_CHARS]
            found.sources.setdefault(str(row["source"]), None)
            for names, key in zip(found.names, ("database", "user", "application"), strict=True):
                _named(names, _plain(row.get(key)), total)
            for attr, key in (("rows", "rows"), ("examined", "rows_examined")):
                value = _plain(row.get(key))
                if value is not None:
                    setattr(found, attr, (getattr(found, attr) or 0) + int(value))
            for attr, key in (("lock", "lock_ms"), ("blocks", "shared_blks_read")):
                value = _plain(row.get(key))
                if value is not None:
                    setattr(found, attr, (getattr(found, attr) or 0) + value)

    def _merged(self) -> dict[str, _Statement]:
        merged = dict(self._stats)
        merged.update(self._by)  # single executions win over statistics of the same statement
        return merged

    def histogram(self, fingerprint: str) -> list[tuple[float, float, int]]:
        """``(low_ms, high_ms, count)`` per non-empty bucket of a fingerprint's executions."""
        found = self._by.get(fingerprint)
        if found is None:
            return []
        return [(*bucket_bounds(i), n) for i, n in sorted(found.histogram.items())]

    def table(self) -> pd.DataFrame:
        """The ranking: :data:`RANKED_COLUMNS`, one row per fingerprint, most total time first."""
        merged = self._merged()
        grand = sum(s.total for s in merged.values())
        rows = []
        for text, s in merged.items():
            has_histogram = bool(s.histogram)
            rows.append(
                (
                    text,
                    fingerprint_id(text),
                    s.calls,
                    s.total,
                    s.total / grand if grand > 0 else math.nan,
                    s.total / s.calls if s.calls else math.nan,
                    percentile(s.histogram, PERCENTILE, s.top) if has_histogram else math.nan,
                    s.top if s.top >= 0 else math.nan,
                    s.rows,
                    s.examined,
                    s.lock,
                    s.blocks,
                    s.sample,
                    ", ".join(s.sources),
                    _listing(s.names[0]),
                    _listing(s.names[1]),
                    _listing(s.names[2]),
                )
            )
        frame = pd.DataFrame(rows, columns=list(RANKED_COLUMNS))
        for name in ("rows", "rows_examined", "shared_blks_read"):
            frame[name] = frame[name].astype("Int64")
        frame["lock_ms"] = frame["lock_ms"].astype("float64")
        frame = frame.sort_values(
            ["total_ms", "calls", "fingerprint"], ascending=[False, False, True], kind="stable"
        )
        return frame.reset_index(drop=True)


def rank(
    statements: pd.DataFrame | Iterable[Mapping[str, Any]] | None = None,
    sql_stats: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, Ranker]:
    """The ranking of statements rows and statement statistics, and the ranker that made it
    (for the histograms)."""
    ranker = Ranker()
    if isinstance(statements, pd.DataFrame):
        ranker.add_frame(statements)
    elif statements is not None:
        ranker.add_records(statements)
    if sql_stats is not None:
        ranker.add_stats(sql_stats)
    return ranker.table(), ranker
