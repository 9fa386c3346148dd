"""Statement statistics from cumulative counters: snapshots turned into per-window deltas.

pg_stat_statements and performance_schema's digest table count since their last reset. A
run's figures are the difference of two snapshots, so a database collector takes one at its
start, one at every step boundary of the load and one at its end, and
:class:`StatementWindows` turns them into ``sql_stats`` rows (erpcap/types.py): one per
statement for the whole run (``step`` null) and one per statement and ladder step.

What the counters cannot tell directly, it infers and says:

- a statement whose counters went *down* between two snapshots, or whose ``since`` (when
  the source began counting it: performance_schema's ``FIRST_SEEN``, PostgreSQL 17's
  ``stats_since``) changed, was reset (by ``pg_stat_statements_reset()`` or
  ``TRUNCATE performance_schema…``): its later value is all that happened since the reset,
  and the window counts it in ``reset``;
- a statement present before and missing after was evicted (the table is full): its work
  in that window is lost, and the window counts it in ``evicted``.

Steps come from the load's ``step`` events in events.jsonl (:class:`StepWatcher`), read
incrementally, so a boundary snapshot is at most one collector interval late.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from erpcap.sqltext import fingerprint

#: Counters summed as deltas (the rest of a statement's fields are descriptive).
DELTA_COUNTERS = (
    "calls",
    "total_ms",
    "rows",
    "rows_examined",
    "lock_ms",
    "shared_blks_hit",
    "shared_blks_read",
    "temp_blks_written",
    "wal_bytes",
    "no_index_used",
    "tmp_disk_tables",
)
_INTEGER = {c for c in DELTA_COUNTERS if c not in ("total_ms", "lock_ms")}


@dataclass(frozen=True)
class Statement:
    """One statement's cumulative counters in one snapshot."""

    query: str
    counters: Mapping[str, float]  # of DELTA_COUNTERS; a counter the source lacks is absent
    queryid: str | None = None
    database: str | None = None
    user: str | None = None
    max_ms: float | None = None
    since: datetime | None = None  # when the source began counting it; None = unknown
    fingerprint: str | None = None  # when the source knows better than fingerprint(query)


Snapshot = Mapping[Hashable, Statement]


@dataclass
class _Mark:
    ts: datetime
    step: int | None
    statements: Snapshot


@dataclass
class WindowNotes:
    """What a window's deltas could not see."""

    reset: int = 0  # statements whose counters went down (reset) in the window
    evicted: int = 0  # statements that disappeared (evicted) in the window


@dataclass
class StatementWindows:
    """Snapshots at window boundaries, and the ``sql_stats`` rows between them."""

    source: str
    instance: str
    _first: _Mark | None = None
    _boundary: _Mark | None = None  # where the current step's window began
    _last: _Mark | None = None
    notes: dict[int | None, WindowNotes] = field(default_factory=dict)

    def add(self, ts: datetime, statements: Snapshot, step: int | None) -> list[dict[str, Any]]:
        """Record a snapshot taken at ``ts`` while ``step`` ran; return the rows of a step
        window that this snapshot closed (empty unless the step changed)."""
        mark = _Mark(ts, step, statements)
        closed: list[dict[str, Any]] = []
        if self._first is None:
            self._first = self._boundary = mark
        elif self._boundary is not None and step != self._boundary.step:
            if self._boundary.step is not None:
                closed = self.rows_between(self._boundary, mark, self._boundary.step)
            self._boundary = mark
        self._last = mark
        return closed

    def open_step_rows(self) -> list[dict[str, Any]]:
        """The rows of the step still running at the last snapshot (at the end of a run)."""
        b, last = self._boundary, self._last
        if b is None or last is None or b is last or b.step is None:
            return []
        return self.rows_between(b, last, b.step)

    def run_rows(self) -> list[dict[str, Any]]:
        """Rows for the whole run: first snapshot to last."""
        if self._first is None or self._last is None or self._first is self._last:
            return []
        return self.rows_between(self._first, self._last, None)

    def rows_between(self, a: _Mark, b: _Mark, step: int | None) -> list[dict[str, Any]]:
        notes = self.notes.setdefault(step, WindowNotes())
        rows = []
        for key, now in b.statements.items():
            before = a.statements.get(key)
            counters = dict(now.counters)
            if before is not None:
                if _was_reset(before, now):
                    notes.reset += 1  # counts since the reset are all we have
                else:
                    counters = {k: v - before.counters.get(k, 0.0) for k, v in now.counters.items()}
            calls = int(counters.get("calls", 0))
            if calls <= 0:
                continue
            rows.append(self._row(a.ts, b.ts, step, now, counters, calls))
        notes.evicted += sum(1 for key in a.statements if key not in b.statements)
        return rows

    def _row(
        self,
        start: datetime,
        end: datetime,
        step: int | None,
        statement: Statement,
        counters: Mapping[str, float],
        calls: int,
    ) -> dict[str, Any]:
        total = float(counters.get("total_ms", 0.0))
        row: dict[str, Any] = {
            "source": self.source,
            "instance": self.instance,
            "start": start,
            "end": end,
            "step": step,
            "queryid": statement.queryid,
            "fingerprint": statement.fingerprint or fingerprint(statement.query),
            "query": statement.query,
            "database": statement.database,
            "user": statement.user,
            "calls": calls,
            "total_ms": total,
            "mean_ms": total / calls,
            "max_ms": statement.max_ms,
        }
        for name in DELTA_COUNTERS[2:]:
            value = counters.get(name)
            row[name] = None if value is None else (int(value) if name in _INTEGER else value)
        return row


def _was_reset(before: Statement, now: Statement) -> bool:
    """Whether ``now`` counts from a reset after ``before``: a counter went down, or the
    source says it began counting anew.

    >>> day1, day2 = datetime(2026, 11, 25), datetime(2026, 11, 26)
    >>> old = Statement("select 1", {"calls": 10, "total_ms": 50.0}, since=day1)
    >>> _was_reset(old, Statement("select 1", {"calls": 12, "total_ms": 60.0}, since=day1))
    False
    >>> _was_reset(old, Statement("select 1", {"calls": 12, "total_ms": 5.0}, since=day1))
    True
    >>> _was_reset(old, Statement("select 1", {"calls": 40, "total_ms": 90.0}, since=day2))
    True
    """
    if before.since is not None and now.since is not None and before.since != now.since:
        return True
    return any(value < before.counters.get(name, 0.0) for name, value in now.counters.items())


class StepWatcher:
    """The current ladder step, from the ``step`` events appended to events.jsonl.

    Reads only what was appended since the last call; a torn last line is read again
    next time.
    """

    def __init__(self, events: Path) -> None:
        self._path = events
        self._offset = 0
        self.step: int | None = None

    def current(self) -> int | None:
        try:
            with self._path.open("rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except OSError:
            return self.step
        end = data.rfind(b"\n")
        if end < 0:
            return self.step
        self._offset += end + 1
        for raw in data[: end + 1].splitlines():
            try:
                event = json.loads(raw)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("kind") == "step":
                step = event.get("step")
                if isinstance(step, int):
                    self.step = step
        return self.step
