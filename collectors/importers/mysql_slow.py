"""``mysql-slow``: MySQL and MariaDB slow query logs into statements rows (gzip too).

The server writes one entry per statement that ran at least ``long_query_time`` seconds
(0 logs every statement); see docs/importers.md, "Database logs". An entry is a block of
``#`` header lines, then ``use db;`` (when the database changed), ``SET timestamp=…;`` and
the statement, over as many lines as it has, ended by ``;``::

    # Time: 261204 17:39:00                            (MariaDB: only when the second changed)
    # User@Host: app[app] @ localhost []  Id: 8        (MySQL puts the thread id here)
    # Thread_id: 4  Schema: erp  QC_hit: No            (MariaDB)
    # Query_time: 0.000214  Lock_time: 0.000088  Rows_sent: 1  Rows_examined: 1
    # Rows_affected: 0  Bytes_sent: 102                (MariaDB and Percona add more lines)
    use `erp`;
    SET timestamp=1796405940;
    SELECT * FROM t WHERE id = 2;

A row's time is when the statement ended: MySQL 8's ``# Time:`` (UTC, microseconds), or
the start that ``SET timestamp`` gives (seconds) plus ``Query_time``. The database is
MariaDB's ``Schema`` of the entry, else (MySQL) the last ``use`` in the file: the server
writes it only when it changes. The server's start banner (``… started with:``, ``Tcp port: …``, ``Time Id
Command Argument``), written whenever the log is reopened, is ignored, as are
administrator commands (``# administrator command: Quit;``).

Damage is skipped and counted: an entry without ``Query_time``, a statement without its
closing ``;`` (cut short), lines after a statement's ``;`` before the next entry, lines
before any entry, bytes that are not UTF-8 text. A file in which no entry parses is
:class:`BadInput`.

>>> from erpcap.collectors.importers.base import ImportReport
>>> import tempfile, pathlib
>>> folder = tempfile.TemporaryDirectory()
>>> log = pathlib.Path(folder.name) / "slow.log"
>>> _ = log.write_text(
...     "# User@Host: app[app] @ localhost []\\n# Thread_id: 4  Schema: erp  QC_hit: No\\n"
...     "# Query_time: 0.250000  Lock_time: 0.000100  Rows_sent: 3  Rows_examined: 900\\n"
...     "SET timestamp=1796405940;\\nSELECT *\\nFROM t WHERE id = 2;\\n")
>>> [row] = parse([log], ImportReport("mysql-slow"))
>>> row["statement"], row["fingerprint"], row["duration_ms"], row["rows_examined"]
('SELECT *\\nFROM t WHERE id = 2', 'select * from t where id = ?', 250.0, 900)
>>> str(row["ts"]), row["user"], row["database"], row["session"]
('2026-12-04 17:39:00.250000+00:00', 'app', 'erp', '4')
>>> folder.cleanup()
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, ClassVar

from erpcap.collectors.importers.base import ImportReport, open_lines
from erpcap.collectors.importers.statements import (
    NOT_TEXT,
    Fingerprints,
    StatementLogImporter,
    zone,
)
from erpcap.errors import BadInput

SOURCE = "mysql-slow"

#: Lines one entry may span before it counts as damaged.
MAX_ENTRY_LINES = 100_000

_HEADER = re.compile(r"# ([A-Za-z_@]+): ")
_BANNER = re.compile(
    r"\S.*, Version: .*started with:\s*\Z|Tcp port: \d+\s+Unix socket: |Time\s+Id\s+Command\s+Argument"
)
_PAIR = re.compile(r"(\w+): (\S*)")
_USER_HOST = re.compile(
    r"# User@Host: (?P<priv>[^\[]*)\[(?P<user>[^\]]*)\] @ (?P<host>[^\[]*?) ?"
    r"\[(?P<ip>[^\]]*)\](?:\s+Id:\s*(?P<id>\d+))?"
)
_MARIADB_TIME = re.compile(r"(\d\d)(\d\d)(\d\d) +(\d{1,2}):(\d\d):(\d\d)\Z")
_USE = re.compile(r"use (.+);\s*\Z", re.I)
_SET_TIMESTAMP = re.compile(r"SET (?:\w+=\d+,\s*)*timestamp=(\d+(?:\.\d+)?)(?:,\s*\w+=\d+)*;\s*\Z")

BANNER = "server start banner lines (written when the log is reopened)"
ADMIN = "administrator commands (log_slow_admin_statements)"
OUTSIDE = "lines before any entry's # header"
NO_QUERY_TIME = "entries without a Query_time line (cut short or damaged)"
UNCLOSED = "statements without their closing ';' (cut short)"
TRAILING = "lines after a statement's closing ';' that belong to no entry"
NOT_UTF8 = "entries with bytes that are not text (binary garbage, or not UTF-8)"
NO_TIME = "entries without SET timestamp or # Time"
TOO_LONG = f"entries longer than {MAX_ENTRY_LINES:,} lines"


@dataclass
class _Entry:
    line: int
    headers: list[str] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)  # the header lines' first keys
    body: list[tuple[int, str]] = field(default_factory=list)
    too_long: bool = False


class _File:
    """The state of one log file: the database of its last ``use``, the last ``# Time``."""

    def __init__(
        self, path: Path, report: ImportReport, fingerprint: Callable[[str], str], tz: tzinfo | None
    ):
        self.file = str(path)
        self.report = report
        self.fingerprint = fingerprint
        self.tz = tz or UTC
        self.database: str | None = None
        self.time: datetime | None = None
        self.entries = 0  # entries that parsed, rows or not

    def row(self, entry: _Entry) -> dict[str, Any] | None:
        report, file = self.report, self.file
        fields: dict[str, str] = {}
        user = session = None
        iso_time: datetime | None = None
        for header in entry.headers:
            if header.startswith("# Time:"):
                iso_time = self._time(header[7:].strip())
            elif header.startswith("# User@Host:"):
                match = _USER_HOST.match(header)
                if match:
                    user = match["user"] or match["priv"].strip() or None
                    session = match["id"]
            elif not header.startswith("# explain:"):
                fields.update(_PAIR.findall(header))
        if entry.too_long:
            report.skip(TOO_LONG, file, entry.line)
            return None
        body = entry.body
        at = 0
        while at < len(body) and (use := _USE.match(body[at][1])):
            self.database = use.group(1).strip().strip("`") or None
            at += 1
        started: datetime | None = None
        if at < len(body) and (stamp := _SET_TIMESTAMP.match(body[at][1])):
            started = datetime.fromtimestamp(float(stamp.group(1)), UTC)
            at += 1
        lines = body[at:]
        while lines and not lines[-1][1].strip():
            lines.pop()
        if lines and lines[0][1].startswith("# administrator command:"):
            self.entries += 1
            report.ignore(ADMIN)
            return None
        end = len(lines)
        while end and not lines[end - 1][1].rstrip().endswith(";"):
            end -= 1
        if not end:
            report.skip(UNCLOSED, file, lines[0][0] if lines else entry.line)
            return None
        for number, _ in lines[end:]:
            report.skip(TRAILING, file, number)
        text = "\n".join(line for _, line in lines[:end]).rstrip()[:-1].rstrip()
        query_time = _number(fields.get("Query_time"))
        if query_time is None:
            report.skip(NO_QUERY_TIME, file, entry.line)
            return None
        if NOT_TEXT.search(text) or NOT_TEXT.search("".join(entry.headers)):
            report.skip(NOT_UTF8, file, entry.line)
            return None
        self.entries += 1
        ts = iso_time or _iso(fields.get("End"))
        if ts is None and started is not None:
            ts = started + timedelta(seconds=query_time)
        ts = ts or self.time
        if ts is None:
            report.skip(NO_TIME, file, entry.line)
            return None
        lock = _number(fields.get("Lock_time"))
        return {
            "ts": ts,
            "source": SOURCE,
            "duration_ms": round(query_time * 1000.0, 3),  # the log has µs
            "statement": text,
            "fingerprint": self.fingerprint(text),
            # MariaDB names the entry's schema (empty: none); MySQL only logs `use` on changes
            "database": (fields["Schema"] or None) if "Schema" in fields else self.database,
            "user": user,
            "application": None,
            "session": fields.get("Thread_id") or session,
            "lock_ms": round(lock * 1000.0, 3) if lock is not None else None,
            "rows": _integer(fields.get("Rows_sent")),
            "rows_examined": _integer(fields.get("Rows_examined")),
            "file": file,
            "line": entry.line,
        }

    def _time(self, text: str) -> datetime | None:
        """``# Time:``: MySQL's ISO time (the end, exact), or MariaDB's local second."""
        found = _iso(text)
        if found is not None:
            return found
        match = _MARIADB_TIME.match(text)
        if match is not None:  # MariaDB: a fallback for entries without SET timestamp only
            yy, mo, dd, hh, mi, ss = map(int, match.groups())
            try:
                local = datetime(2000 + yy, mo, dd, hh, mi, ss)
            except ValueError:
                return None
            self.time = local.replace(tzinfo=self.tz).astimezone(UTC)
        return None


def _iso(text: str | None) -> datetime | None:
    if not text or "T" not in text:
        return None
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        return None
    return found.astimezone(UTC) if found.tzinfo else found.replace(tzinfo=UTC)


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _integer(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def parse(
    paths: Sequence[Path], report: ImportReport, *, tz: tzinfo | None = None
) -> Iterator[dict[str, Any]]:
    """The statements rows of slow query logs ``paths`` (see the module's doc).

    ``tz`` is the server's time zone, for MariaDB's local ``# Time:`` lines; they are used
    only for entries without ``SET timestamp`` (UTC when not given).
    """
    fingerprint = Fingerprints()
    for path in paths:
        state = _File(path, report, fingerprint, tz)
        first_text = 0
        entry: _Entry | None = None
        for number, text in open_lines(path, report):
            if text.startswith("#"):
                if header := _HEADER.match(text):
                    key = header.group(1)
                    if entry is None or entry.body or (key in entry.keys and key != "explain"):
                        if entry is not None and (row := state.row(entry)) is not None:
                            yield row  # (an entry of headers only is counted as cut short)
                        entry = _Entry(number)
                    entry.headers.append(text)
                    entry.keys.add(key)
                    continue
                if text.rstrip() == "#" and entry is not None and not entry.body:
                    continue  # MariaDB's empty header line around explain
            if _BANNER.match(text):
                if entry is not None and (row := state.row(entry)) is not None:
                    yield row
                entry = None
                report.ignore(BANNER)
                continue
            if entry is None:
                if text.strip():
                    first_text = first_text or number
                    report.skip(OUTSIDE, str(path), number)
                continue
            if len(entry.body) < MAX_ENTRY_LINES:
                entry.body.append((number, text))
            else:
                entry.too_long = True
        if entry is not None and (row := state.row(entry)) is not None:
            yield row
        if not state.entries and first_text:
            raise BadInput(
                "no MySQL or MariaDB slow log entry (# User@Host:, # Query_time:) in the file",
                path=path,
                line=first_text,
                hint="give the file that slow_query_log_file names (SHOW VARIABLES LIKE "
                "'slow_query_log_file'), written with log_output = FILE",
            )


class MysqlSlowImporter(StatementLogImporter):
    """``erpcap import mysql-slow LOG… --out RUN_DIR``."""

    kind: ClassVar[str] = "mysql-slow"
    summary: ClassVar[str] = "MySQL and MariaDB slow query logs (gzip too)"
    OPTIONS: ClassVar[dict[str, Callable[[str], Any]]] = {"tz": zone}

    def parse(self, paths: Sequence[Path], report: ImportReport) -> Iterator[dict[str, Any]]:
        return parse(paths, report, tz=self.options.get("tz"))
