"""The inputs of ``erpcap sql analyze``: server logs and pg_stat_statements exports, told apart.

Formats (``--format``; ``auto`` tells each file's by its first lines):

=============  ==========================================================================
``pg-log``     a PostgreSQL stderr log, read through ``--log-line-prefix``
``pg-csvlog``  a PostgreSQL csvlog (``log_destination = csvlog``)
``pg-jsonlog`` a PostgreSQL jsonlog (15+)
``mysql-slow`` a MySQL or MariaDB slow query log
``pgss``       a CSV export of pg_stat_statements with its header line:
               ``\\copy (select * from pg_stat_statements) to 'pgss.csv' csv header``
=============  ==========================================================================

Logs become statement executions, read by the importers' parsers (collectors/importers/
pg_log.py and mysql_slow.py) as a stream; a pgss export becomes statement statistics
(the rows of sql_stats, whole run): its counters since the last reset, one row per
statement, user and database (``datname`` and ``rolname`` columns are used when the
export joins them in, else the OIDs). gzip is read by its magic bytes.

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as folder:
...     f = pathlib.Path(folder) / "x.csv"
...     _ = f.write_text("userid,dbid,queryid,query,calls,total_exec_time,max_exec_time,rows\\n"
...                      "10,5,77,SELECT $1,3,1.5,0.9,3\\n")
...     detect(f), pgss([f]).to_dict("records")[0]["calls"]
('pgss', 3)
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from erpcap.collectors.importers import mysql_slow, pg_log
from erpcap.collectors.importers.base import ImportReport
from erpcap.collectors.importers.pg_log_prefix import DEFAULT_PREFIX
from erpcap.collectors.importers.statements import zone
from erpcap.errors import BadInput
from erpcap.sqltext import fingerprint

FORMATS = ("auto", "pg-log", "pg-csvlog", "pg-jsonlog", "mysql-slow", "pgss")
#: --format → the pg_log parser's format.
_PG = {"pg-log": "stderr", "pg-csvlog": "csvlog", "pg-jsonlog": "jsonlog"}
_PG_NAME = {v: k for k, v in _PG.items()}
#: Options ``--option KEY=VALUE`` accepts.
OPTIONS = ("tz",)
_SNIFF_BYTES = 65_536
_MYSQL_MARKS = ("# User@Host:", "# Query_time:", "# Time:", "# Thread_id:")


def _head(path: Path) -> list[str]:
    try:
        with path.open("rb") as raw:
            magic = raw.read(2)
            raw.seek(0)
            stream: Any = gzip.GzipFile(fileobj=raw) if magic == b"\x1f\x8b" else raw
            data = stream.read(_SNIFF_BYTES)
    except (OSError, EOFError) as exc:
        raise BadInput(f"cannot read {path}: {exc}", hint="check the path") from exc
    return [ln for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()][:50]


def detect(path: Path) -> str:
    """The format of one file (one of :data:`FORMATS` but ``auto``)."""
    lines = _head(path)
    if lines and "calls" in lines[0].split(",") and "query" in lines[0].split(","):
        return "pgss"
    if any(line.startswith(_MYSQL_MARKS) for line in lines):
        return "mysql-slow"
    return _PG_NAME[pg_log.sniff(path)]


def check_options(options: Mapping[str, str]) -> dict[str, Any]:
    """The ``--option`` values parsed (``tz``); an unknown key is BadInput."""
    parsed: dict[str, Any] = {}
    for key, value in options.items():
        if key not in OPTIONS:
            raise BadInput(
                f"--option {key}={value}: unknown option", hint=f"use one of: {', '.join(OPTIONS)}"
            )
        parsed[key] = zone(value)
    return parsed


def group(paths: Sequence[Path], format: str) -> dict[str, list[Path]]:
    """Files by format, in the order first seen; ``auto`` tells each file's."""
    if format not in FORMATS:
        raise BadInput(f"unknown format {format!r}", hint=f"use one of: {', '.join(FORMATS)}")
    found: dict[str, list[Path]] = {}
    for path in paths:
        if not path.is_file():
            raise BadInput(f"{path}: no such file", hint="give the log or export files to read")
        kind = detect(path) if format == "auto" else format
        found.setdefault(kind, []).append(path)
    return found


def statements(
    groups: Mapping[str, Sequence[Path]],
    reports: dict[str, ImportReport],
    *,
    log_line_prefix: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """The statements rows of the log files of ``groups``; an :class:`ImportReport` per
    format is added to ``reports`` (what was read and skipped). PostgreSQL logs' times are
    not read (the ranking needs none): their rows' ``ts`` is ``pg_log.NO_TIME``."""
    tz = (options or {}).get("tz")
    for kind, paths in groups.items():
        if kind == "pgss":
            continue
        report = reports.setdefault(kind, ImportReport(kind, files=[str(p) for p in paths]))
        if kind == "mysql-slow":
            rows = mysql_slow.parse(paths, report, tz=tz)
        else:
            rows = pg_log.parse(
                paths,
                report,
                log_line_prefix=log_line_prefix or DEFAULT_PREFIX,
                format=_PG[kind],
                tz=tz,
                times=False,  # the ranking needs no times (a fifth faster)
            )
        try:
            for row in rows:
                report.records += 1
                yield row
        except BadInput as exc:  # the importers' hints name erpcap import's options
            if exc.hint:
                exc.hint = exc.hint.replace(
                    "--option format=csvlog|jsonlog", "--format pg-csvlog|pg-jsonlog"
                ).replace("--option format=stderr|", "--format pg-log|pg-")
            raise


#: pg_stat_statements columns: the time columns of 13+ first, then those of 12 and before.
_TOTAL = ("total_exec_time", "total_time")
_MAX = ("max_exec_time", "max_time")


def _first(row: Mapping[str, str], names: Sequence[str]) -> str | None:
    for name in names:
        if row.get(name) not in (None, ""):
            return row[name]
    return None


def _int(text: str | None) -> int | None:
    try:
        return int(float(text)) if text else None
    except ValueError:
        return None


def pgss(paths: Sequence[Path], report: ImportReport | None = None) -> pd.DataFrame:
    """The sql_stats rows (whole run) of pg_stat_statements CSV exports."""
    rows: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for path in paths:
        with path.open("rb") as raw:
            magic = raw.read(2)
            raw.seek(0)
            stream: Any = gzip.GzipFile(fileobj=raw) if magic == b"\x1f\x8b" else raw
            text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
            reader = csv.DictReader(text)
            header = reader.fieldnames or []
            if not {"query", "calls"} <= set(header) or not set(_TOTAL) & set(header):
                raise BadInput(
                    "not a pg_stat_statements export (needs the columns query, calls and "
                    "total_exec_time or total_time)",
                    path=path,
                    line=1,
                    hint="export it with: \\copy (select * from pg_stat_statements) to "
                    "'pgss.csv' csv header",
                )
            try:
                for number, row in enumerate(reader, start=2):
                    if report is not None:
                        report.lines += 1
                    if (row.get("toplevel") or "t").lower() in ("f", "false"):
                        if report is not None:  # their time counts in their caller's
                            report.ignore("nested statements (toplevel false)")
                        continue
                    made = _pgss_row(row, now)
                    if made is None:
                        if report is not None:
                            report.skip("pg_stat_statements rows without calls", path, number)
                        continue
                    rows.append(made)
            except (csv.Error, EOFError, OSError) as exc:
                raise BadInput(
                    f"the export is damaged ({exc})",
                    path=path,
                    line=reader.line_num,
                    hint="export it again",
                ) from exc
    if report is not None:
        report.records += len(rows)
    return pd.DataFrame(rows)


def _pgss_row(row: Mapping[str, str], now: datetime) -> dict[str, Any] | None:
    calls = _int(row.get("calls"))
    total = _first(row, _TOTAL)
    if not calls or total is None:
        return None
    try:
        total_ms = float(total)
        longest = _first(row, _MAX)
        max_ms = float(longest) if longest is not None else None
    except ValueError:
        return None
    query = row.get("query") or ""
    return {
        "source": "pgss",
        "instance": "",
        "start": now,
        "end": now,
        "step": None,
        "queryid": row.get("queryid") or None,
        "fingerprint": fingerprint(query),
        "query": query,
        "database": row.get("datname") or (f"oid {row['dbid']}" if row.get("dbid") else None),
        "user": row.get("rolname") or (f"oid {row['userid']}" if row.get("userid") else None),
        "calls": calls,
        "total_ms": total_ms,
        "mean_ms": total_ms / calls,
        "max_ms": max_ms,
        "rows": _int(row.get("rows")),
        "shared_blks_hit": _int(row.get("shared_blks_hit")),
        "shared_blks_read": _int(row.get("shared_blks_read")),
    }
