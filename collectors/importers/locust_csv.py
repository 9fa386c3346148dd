"""``locust-csv``: the files of Locust's ``--csv PREFIX`` into ``load_stats`` and ``load_errors``.

Locust's CSV holds its own statistics, not one row per request, so nothing is written to
``requests`` (a request is never made up from a statistic). Instead:

==========================  ===========================================================
file (told by its header)   becomes
==========================  ===========================================================
``PREFIX_stats.csv``        ``load_stats`` rows with a null ``ts``: each Type + Name and
                            the total (``Aggregated``, named ``*``) over the whole test,
                            with Locust's percentiles (``window_s`` null: since the start)
``PREFIX_stats_history.csv``  ``load_stats`` rows per second: ``User Count``, the counts and
                            ``Total …`` figures since the start, and Locust's percentiles —
                            with ``--csv-full-history`` over its rolling window of about
                            10 seconds (``window_s`` 10), without it since the start
``PREFIX_failures.csv``     ``load_errors``: Method, Name, Error, Occurrences
``PREFIX_exceptions.csv``   not imported (Python exceptions of the locustfile): a warning
==========================  ===========================================================

Any of them may be given, or the PREFIX alone; the analysis builds its tables from these
statistics and says that the percentiles are Locust's own (docs/importers.md). The user
count of the history gives the load steps (:mod:`.ladder`). ``N/A`` becomes null; in a
rolling-window row, percentiles that are all 0 while requests were counted mean Locust had
no window yet (its cache starts empty) and are null too.

>>> _percentile_column("99.9%"), _percentile_column("97%"), _percentile_column("Name")
('p99_9_ms', '', None)
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from erpcap.collectors.importers.base import Importer, ImportReport, open_lines
from erpcap.collectors.importers.ladder import UserTimeline, write_steps
from erpcap.errors import BadInput
from erpcap.redact import redact_url
from erpcap.rundir import RunDir, iso
from erpcap.types import LOAD_STATS_PERCENTILES

SOURCE = "locust-csv"
#: The files of ``--csv PREFIX``, by role.
SUFFIXES = {
    "stats": "_stats.csv",
    "history": "_stats_history.csv",
    "failures": "_failures.csv",
    "exceptions": "_exceptions.csv",
}
#: Locust's name of its total row, and erpcap's.
AGGREGATED, TOTAL = "Aggregated", "*"
#: Seconds Locust's rolling-window percentiles span (CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW).
WINDOW_S = 10.0

#: Columns every file of a role must have (the role is told by them).
_ROLES = (
    ("history", ("Timestamp", "User Count", "Name", "Total Request Count")),
    ("stats", ("Type", "Name", "Request Count", "Failure Count")),
    ("failures", ("Name", "Error", "Occurrences")),
    ("exceptions", ("Count", "Message", "Traceback")),
)
_BY_PERCENT = {q: column for column, q in LOAD_STATS_PERCENTILES}

_LACK_ROWS = (
    "per-request rows: Locust's CSV holds its own statistics per transaction, so the "
    "percentiles are Locust's (rounded by its histogram: 147 ms becomes 150 ms) and what it "
    "does not give cannot be computed (other percentiles, budgets by tag, queueing)"
)
_LACK_WINDOW = (
    "per-second and per-step percentiles: the history was written without "
    "--csv-full-history, so its percentiles run from the start of the test"
)
_LACK_HISTORY = (
    "the history (PREFIX_stats_history.csv): no time series, load steps or per-step figures"
)


def _percentile_column(name: str) -> str | None:
    """The load_stats column of a Locust percentile header (``95%``); "" for a percentile
    erpcap has no column for; None for a header that is no percentile."""
    if not name.endswith("%"):
        return None
    try:
        percent = float(name[:-1])
    except ValueError:
        return None
    return _BY_PERCENT.get(percent, "")


def _number(text: str | None) -> float | None:
    if text is None or text.strip() in ("", "N/A"):
        return None
    return float(text)


class _CsvFile:
    """One Locust CSV: its role, columns and rows as dicts, with their line numbers."""

    def __init__(self, path: Path, report: ImportReport) -> None:
        self.path = path
        self.report = report
        self._lines = open_lines(path, report)
        first = next(self._lines, None)
        if first is None:
            raise BadInput("empty: no Locust statistics in it", path=path, line=1)
        header = next(csv.reader([first[1].lstrip("\ufeff")]))
        self.columns = [h.strip() for h in header]
        self.role = next(
            (role for role, needed in _ROLES if all(c in self.columns for c in needed)), ""
        )
        if not self.role:
            raise BadInput(
                "not a Locust CSV file: its header is none of _stats.csv, _stats_history.csv, "
                "_failures.csv or _exceptions.csv",
                path=path,
                line=1,
                hint="give the files Locust wrote with --csv PREFIX, or the PREFIX",
            )
        self.percentiles = {c: _percentile_column(c) for c in self.columns}
        ignored = [c for c, column in self.percentiles.items() if column == ""]
        if ignored:
            report.warnings.append(
                f"{path.name}: ignored percentiles erpcap keeps no column for: {', '.join(ignored)}"
            )

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        where = [1]

        def texts() -> Iterator[str]:
            for number, text in self._lines:
                where[0] = number
                yield text + "\n"

        reader = csv.reader(texts())
        width = len(self.columns)
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.report.skip(f"not a CSV line ({exc})", self.path, where[0])
                continue
            if not fields or fields == [""]:
                continue
            if len(fields) != width:
                reason = f"{len(fields)} fields where the header names {width}"
                self.report.skip(reason, self.path, where[0])
                continue
            yield where[0], dict(zip(self.columns, fields, strict=True))

    def percentile_values(self, row: dict[str, str]) -> dict[str, float | None]:
        return {column: _number(row[name]) for name, column in self.percentiles.items() if column}


def _name(row: dict[str, str]) -> tuple[str, str]:
    """Locust's Type and Name; its total row is named ``*``."""
    kind, name = row.get("Type", "").strip(), row["Name"]
    return (kind, TOTAL) if name == AGGREGATED and not kind else (kind, name)


def _stats_row(source: _CsvFile, row: dict[str, str]) -> dict[str, Any]:
    kind, name = _name(row)
    return {
        "source": SOURCE,
        "ts": None,
        "type": kind,
        "name": name,
        "users": None,
        "count": int(float(row["Request Count"])),
        "failures": int(float(row["Failure Count"])),
        "rps": _number(row.get("Requests/s")),
        "failures_per_s": _number(row.get("Failures/s")),
        "mean_ms": _number(row.get("Average Response Time")),
        "min_ms": _number(row.get("Min Response Time")),
        "max_ms": _number(row.get("Max Response Time")),
        "median_ms": _number(row.get("Median Response Time")),
        "bytes_mean": _number(row.get("Average Content Size")),
        "window_s": None,
        **source.percentile_values(row),
    }


def _history_row(source: _CsvFile, row: dict[str, str]) -> dict[str, Any]:
    kind, name = _name(row)
    return {
        "source": SOURCE,
        "ts": datetime.fromtimestamp(int(float(row["Timestamp"])), UTC),
        "type": kind,
        "name": name,
        "users": int(float(row["User Count"])),
        "count": int(float(row["Total Request Count"])),
        "failures": int(float(row.get("Total Failure Count") or 0)),
        "rps": _number(row.get("Requests/s")),
        "failures_per_s": _number(row.get("Failures/s")),
        "mean_ms": _number(row.get("Total Average Response Time")),
        "min_ms": _number(row.get("Total Min Response Time")),
        "max_ms": _number(row.get("Total Max Response Time")),
        "median_ms": _number(row.get("Total Median Response Time")),
        "bytes_mean": _number(row.get("Total Average Content Size")),
        "window_s": None,
        **source.percentile_values(row),
    }


def _parsed(
    source: _CsvFile,
    build: Callable[[_CsvFile, dict[str, str]], dict[str, Any]],
    report: ImportReport,
) -> Iterator[tuple[int, dict[str, Any]]]:
    for line, row in source.rows():
        try:
            yield line, build(source, row)
        except (ValueError, OverflowError, OSError):
            report.skip("a count or time that is not a number", source.path, line)


class LocustCsvImporter(Importer):
    """Locust's --csv statistics: per transaction, per second, and its failures."""

    kind: ClassVar[str] = SOURCE
    summary: ClassVar[str] = (
        "Locust's --csv files (PREFIX_stats.csv, _stats_history.csv, _failures.csv) or PREFIX"
    )
    writes: ClassVar[str] = "load_stats"
    also_writes: ClassVar[tuple[str, ...]] = ("load_errors",)

    @classmethod
    def expand(cls, paths: Sequence[Path]) -> list[Path]:
        """A PREFIX (no file of that name) becomes the files of ``--csv PREFIX`` that exist."""
        found: list[Path] = []
        for path in paths:
            if path.is_file():
                found.append(path)
                continue
            files = [path.with_name(path.name + s) for s in SUFFIXES.values()]
            found.extend([f for f in files if f.is_file()] or [path])
        return list(dict.fromkeys(found))

    def read(self, paths: Sequence[Path], run: RunDir, report: ImportReport) -> None:
        files: dict[str, _CsvFile] = {}
        for path in paths:
            source = _CsvFile(path, report)
            if source.role in files:
                raise BadInput(
                    f"a second {SUFFIXES[source.role]} (the first: {files[source.role].path})",
                    path=path,
                    line=1,
                    hint="import one Locust run at a time, each into its own --out",
                )
            files[source.role] = source
        if "stats" not in files and "history" not in files:
            raise BadInput(
                f"{paths[0]}: no request counts: failures alone cannot be judged",
                hint="give PREFIX_stats.csv (and PREFIX_stats_history.csv) too, or the PREFIX",
            )
        stats = run.part_writer("load_stats")
        totals, history = [], []
        if "stats" in files:
            totals = [row for _, row in _parsed(files["stats"], _stats_row, report)]
        if "history" in files:
            history = [row for _, row in _parsed(files["history"], _history_row, report)]
        windowed = _mark_windows(history)
        if not totals and history:
            totals = _totals_from(history, windowed)
            report.lacks.append(
                "the whole-test statistics (PREFIX_stats.csv): they were taken from the "
                "history's last row" + ("" if not windowed else ", without percentiles")
            )
        stats.extend(totals)
        stats.extend(history)
        report.records += len(totals) + len(history)
        stats.flush()
        if "failures" in files:
            errors = run.part_writer("load_errors")
            for line, row in files["failures"].rows():
                try:
                    count = int(float(row["Occurrences"]))
                except ValueError:
                    report.skip("Occurrences is not a number", files["failures"].path, line)
                    continue
                errors.append(
                    {
                        "source": SOURCE,
                        "type": row.get("Type", row.get("Method", "")).strip(),
                        "name": row["Name"],
                        "error": redact_url(row["Error"]),
                        "count": count,
                    }
                )
                report.records += 1
            errors.flush()
        if "exceptions" in files:
            count = sum(1 for _ in files["exceptions"].rows())
            if count:
                report.warnings.append(
                    f"{files['exceptions'].path.name}: {count} exception(s) of the locustfile "
                    "were not imported; read them there"
                )
        _finish(run, history)
        report.lacks.append(_LACK_ROWS)
        if not history:
            report.lacks.append(_LACK_HISTORY)
        elif not windowed:
            report.lacks.append(_LACK_WINDOW)


def _mark_windows(history: list[dict[str, Any]]) -> bool:
    """Set ``window_s`` on the history's rows when Locust wrote rolling-window percentiles.

    It does with ``--csv-full-history``, which is when the history has rows per transaction
    besides the total. A window row whose percentiles are all 0 although requests were
    counted since the row before is one Locust had no window for yet: its percentiles become
    null. Returns whether the percentiles are windowed.
    """
    windowed = any(row["name"] != TOTAL for row in history)
    if not windowed:
        return False
    columns = [c for c, _ in LOAD_STATS_PERCENTILES]
    before: dict[tuple[str, str], int] = {}
    for row in history:
        key = (row["type"], row["name"])
        counted = row["count"] - before.get(key, 0)
        before[key] = row["count"]
        row["window_s"] = WINDOW_S
        values = [row[c] for c in columns if row.get(c) is not None]
        if counted > 0 and values and not any(values):
            for column in columns:
                row[column] = None
    return True


def _totals_from(history: list[dict[str, Any]], windowed: bool) -> list[dict[str, Any]]:
    """Whole-test rows from the history's last row per transaction (no PREFIX_stats.csv)."""
    last: dict[tuple[str, str], dict[str, Any]] = {}
    for row in history:
        last[(row["type"], row["name"])] = row
    totals = []
    for row in last.values():
        total = {**row, "ts": None, "users": None, "rps": None, "failures_per_s": None}
        if windowed:
            total.update(dict.fromkeys((c for c, _ in LOAD_STATS_PERCENTILES), None))
        total["window_s"] = None
        totals.append(total)
    return totals


def _finish(run: RunDir, history: list[dict[str, Any]]) -> None:
    """run.json's span and shape, and the steps of the history's user count."""
    changes: dict[str, Any] = {"shape": {"kind": "unknown"}}
    marks = [row for row in history if row["name"] == TOTAL]
    if marks:
        changes["started_at"] = iso(min(row["ts"] for row in marks))
        changes["ended_at"] = iso(max(row["ts"] for row in marks))
    run.update_meta(**changes)
    timeline = UserTimeline()
    for row in marks:
        # a row at second T counts what happened in the second before it
        timeline.add(int(row["ts"].timestamp()) - 1, row["users"])
    if marks:
        last = int(max(row["ts"] for row in marks).timestamp())
        write_steps(run, timeline.steps(end=last))
