"""``pg-log``: PostgreSQL server logs into statements rows (stderr, csvlog, jsonlog; gzip).

The server logs a statement's duration when ``log_min_duration_statement`` is set (0 logs
every statement), or with ``log_duration`` and ``log_statement`` together; see
docs/importers.md, "Database logs", for the settings. Three formats, told apart per file
by its first lines unless ``--option format=`` says:

- **stderr** (``log_destination = stderr``): each line starts with ``log_line_prefix``
  (``--log-line-prefix``, default PostgreSQL 15's ``'%m [%p] '``); a message's further
  lines start with a tab and are joined back (pg_log_prefix.py);
- **csvlog**: PostgreSQL 15's 26 columns (older servers' 23 or 24 are read too); quoted
  fields span lines;
- **jsonlog** (PostgreSQL 15+): one JSON object per line.

Which messages make rows, and which are ignored: pg_log_messages.py. Lines that do not
parse (damaged, cut short, two run together, not UTF-8) are skipped and counted with the
first file:line of each reason; a file of which no line parses is :class:`BadInput`
naming the format tried and how to fix it.

:func:`parse` is the reader alone, a generator of rows that needs no run directory:

>>> from erpcap.collectors.importers.base import ImportReport
>>> import tempfile, pathlib
>>> folder = tempfile.TemporaryDirectory()
>>> log = pathlib.Path(folder.name) / "postgresql.log"
>>> _ = log.write_text(
...     "2026-12-05 10:00:00.120 UTC [81] LOG:  duration: 2.500 ms  statement: SELECT 'a\\n"
...     "\\tb' FROM t WHERE id = 7\\n")
>>> report = ImportReport("pg-log")
>>> [(r["duration_ms"], r["statement"], r["fingerprint"]) for r in parse([log], report)]
[(2.5, "SELECT 'a\\nb' FROM t WHERE id = 7", 'select ? from t where id = ?')]
>>> [(str(r["ts"]), r["duration_ms"]) for r in parse([log], report, times=False)]
[('1970-01-01 00:00:00+00:00', 2.5)]
>>> folder.cleanup()
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from erpcap.collectors.importers.base import ImportReport, open_lines
from erpcap.collectors.importers.pg_log_messages import Messages
from erpcap.collectors.importers.pg_log_prefix import DEFAULT_PREFIX, Prefix, compile_prefix
from erpcap.collectors.importers.statements import (
    NOT_TEXT,
    Fingerprints,
    StatementLogImporter,
    Zones,
    zone,
)
from erpcap.errors import BadInput

FORMATS = ("stderr", "csvlog", "jsonlog")
#: The ``source`` column of each format's rows.
SOURCES = {"stderr": "pg-log", "csvlog": "pg-csvlog", "jsonlog": "pg-jsonlog"}

#: Lines one message may span before it counts as damaged (an unclosed quote in csvlog).
MAX_MESSAGE_LINES = 100_000
#: Bytes read from the start of a file to tell its format.
_SNIFF_BYTES = 65_536

_TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(\.\d+)? (\S+)\Z")
_CSV_ROW = re.compile(r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [^,]*,(?:"(?:[^"]|"")*")?,')
_CSV_MIN_FIELDS = 23  # PostgreSQL 12's csvlog; 13 adds backend_type, 14 leader_pid, query_id
_PID_OF_SESSION = re.compile(r"[0-9a-f]+\.([0-9a-f]+)\Z")

#: The time of every row when :func:`parse` is told not to read times (``times=False``).
NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)

NO_PREFIX = "lines that do not start with the log_line_prefix"
ORPHAN = "continuation lines with no message before them"
NOT_UTF8 = "messages with bytes that are not text (binary garbage, or not UTF-8)"
RUN_TOGETHER = "two log lines run together (interleaved or cut short writes)"
NOT_CSV = "lines that are not a csvlog row"
TOO_LONG = f"messages longer than {MAX_MESSAGE_LINES:,} lines"
UNCLOSED = "csvlog rows with a quoted field never closed (cut short)"
NOT_JSON = "lines that are not a jsonlog object (cut short or damaged)"


def _format(text: str) -> str:
    value = text.strip().lower()
    if value not in FORMATS:
        raise BadInput(
            f"{text!r} is not a PostgreSQL log format", hint="use stderr, csvlog or jsonlog"
        )
    return value


def sniff(path: Path) -> str:
    """The format of a log by its first lines: ``jsonlog``, ``csvlog`` or ``stderr``.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     log = pathlib.Path(folder) / "x.json"
    ...     _ = log.write_text('{"timestamp":"2026-12-05 10:00:00.120 UTC","message":"x"}\\n')
    ...     sniff(log)
    'jsonlog'
    """
    try:
        with path.open("rb") as raw:
            head = raw.read(2)
            raw.seek(0)
            stream: Any = gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw
            data = stream.read(_SNIFF_BYTES)
    except (OSError, EOFError):
        return "stderr"  # open_lines says what is wrong with it
    lines = [ln for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()][:50]
    for line in lines:
        if line.startswith("{") and '"timestamp"' in line:
            return "jsonlog"
    if any(_CSV_ROW.match(line) for line in lines):
        return "csvlog"
    return "stderr"


class _Times:
    """Log timestamps (``2026-12-05 01:36:33.550 CST``, or epoch seconds) to UTC.

    Lines come many to a second: the second's conversion is remembered, and only the
    milliseconds are added.
    """

    def __init__(self, tz: tzinfo | None, *, off: bool = False) -> None:
        self._zones = Zones(tz)
        self._second = ""
        self._base = datetime.min
        self.off = off  # times not read: every row gets NO_TIME

    @staticmethod
    def none() -> datetime:
        return NO_TIME

    def parse(self, text: str, file: str, line: int) -> datetime | None:
        if self.off:
            return NO_TIME
        match = _TIMESTAMP.match(text)
        if match is None:
            return None
        local, fraction, abbreviation = match.groups()
        second = local + " " + abbreviation
        if second != self._second:
            try:
                self._base = self._zones.utc(
                    datetime.fromisoformat(local), abbreviation, file, line
                )
            except ValueError:
                return None
            self._second = second
        if not fraction:
            return self._base
        return self._base + timedelta(microseconds=int(fraction[1:7].ljust(6, "0")))

    @staticmethod
    def epoch(text: str) -> datetime | None:
        try:
            return datetime.fromtimestamp(float(text), UTC)
        except (ValueError, OverflowError, OSError):
            return None


def _pid(pid: str | None, session: str | None) -> str:
    """The backend's process id: ``%p``, or the second half of ``%c`` (hex)."""
    if pid:
        return pid
    match = _PID_OF_SESSION.match(session or "")
    return str(int(match.group(1), 16)) if match else ""


def parse(
    paths: Sequence[Path],
    report: ImportReport,
    *,
    log_line_prefix: str = DEFAULT_PREFIX,
    format: str | None = None,
    tz: tzinfo | None = None,
    times: bool = True,
) -> Iterator[dict[str, Any]]:
    """The statements rows of PostgreSQL logs ``paths`` (see the module's doc).

    ``format`` forces one of :data:`FORMATS` (default: told per file by :func:`sniff`);
    ``tz`` reads the log's local times in that zone instead of by their abbreviation.
    ``times=False`` skips reading the times, for a reader that does not need them (the
    ranking of ``erpcap sql analyze``, a fifth faster): every row's ``ts`` is
    :data:`NO_TIME`, and a damaged time is not noticed.
    """
    prefix = compile_prefix(log_line_prefix)
    messages = Messages(SOURCES["stderr"], report, Fingerprints())
    clock = _Times(tz, off=not times)
    readers: dict[str, Callable[[Path], Iterator[dict[str, Any]]]] = {
        "stderr": lambda path: _stderr(path, prefix, messages, clock, report),
        "csvlog": lambda path: _csvlog(path, messages, clock, report),
        "jsonlog": lambda path: _jsonlog(path, messages, clock, report),
    }
    kinds: dict[str, str] = {}
    for path in paths:
        kind = kinds[str(path)] = format or sniff(path)
        messages.source = SOURCES[kind]
        before = messages.durations
        yield from readers[kind](path)
        if messages.durations == before:
            report.lacks.append(
                f"{path.name}: no statement durations: set log_min_duration_statement "
                "(0 logs every statement) on the server, and lc_messages = 'C' (erpcap reads "
                "the English messages)"
            )
    messages.finish()
    if len(set(kinds.values())) > 1:
        report.lacks.append(
            "the files are in different formats ("
            + ", ".join(f"{Path(p).name}: {k}" for p, k in kinds.items())
            + "): a server with several log_destination values logs every statement once "
            "per format, so import the files of one format only"
        )


def _nothing_parsed(path: Path, first: int, tried: str, hint: str) -> BadInput:
    return BadInput(
        f"no statement line reads as a PostgreSQL {tried}", path=path, line=first, hint=hint
    )


def _stderr(
    path: Path, prefix: Prefix, messages: Messages, times: _Times, report: ImportReport
) -> Iterator[dict[str, Any]]:
    file = str(path)
    match_line = prefix.line.match
    started: re.Match[str] | None = None  # the first line of the message being read
    start = 0
    parts: list[str] = []
    parsed = 0
    first_text = 0  # the first line that did not match
    durations = messages.durations
    for number, text in open_lines(path, report):
        if text.startswith("\t"):
            if started is None:
                report.skip(ORPHAN, file, number)
            elif len(parts) < MAX_MESSAGE_LINES:
                parts.append(text[1:])
            else:  # memory stays bounded: the message is dropped, its rest skipped
                report.skip(TOO_LONG, file, start)
                started = None
            continue
        match = match_line(text)
        if started is not None:
            row = _stderr_message(file, start, started, parts, prefix, messages, times, report)
            if row is not None:
                yield row
            started = None
        if match is None:
            if text.strip():
                first_text = first_text or number
                report.skip(NO_PREFIX + f" {prefix.text!r}", file, number)
            continue
        parsed += 1
        started, start, parts = match, number, [match.group("message")]
    if started is not None:
        row = _stderr_message(file, start, started, parts, prefix, messages, times, report)
        if row is not None:
            yield row
    if first_text and (not parsed or messages.durations == durations):
        # nothing matched, or only lines without a statement (a checkpoint's, say): the
        # statement lines are written with another prefix
        raise _nothing_parsed(
            path,
            first_text,
            f"stderr log with log_line_prefix {prefix.text!r}",
            "pass the server's --log-line-prefix (SHOW log_line_prefix), "
            "or --option format=csvlog|jsonlog for those formats",
        )


def _stderr_message(
    file: str,
    line: int,
    match: re.Match[str],
    parts: list[str],
    prefix: Prefix,
    messages: Messages,
    times: _Times,
    report: ImportReport,
) -> dict[str, Any] | None:
    message = parts[0] if len(parts) == 1 else "\n".join(parts)
    severity = match.group("severity")
    if not messages.wanted(severity, message):
        return None
    if NOT_TEXT.search(message):
        report.skip(NOT_UTF8, file, line)
        return None
    if prefix.inner.search(message):
        report.skip(RUN_TOGETHER, file, line)
        return None
    fields = match.groupdict()
    stamp = fields.get("ts_ms") or fields.get("ts_s")
    if times.off:
        when: Callable[[], datetime | None] = times.none
    elif stamp:
        when = partial(times.parse, stamp, file, line)
    else:
        when = partial(times.epoch, fields["ts_epoch"])
    session = fields.get("session")
    pid = _pid(fields.get("pid"), session)
    return messages.feed(
        file,
        line,
        when,
        session or pid,
        pid,
        fields.get("user"),
        fields.get("db"),
        fields.get("app"),
        severity,
        message,
    )


def _csvlog(
    path: Path, messages: Messages, times: _Times, report: ImportReport
) -> Iterator[dict[str, Any]]:
    file = str(path)
    parsed = 0
    first_text = 0
    held: list[str] = []  # the lines of a row whose quoted field is still open
    start = 0
    quotes = 0
    for number, text in open_lines(path, report):
        if held:
            if len(held) < MAX_MESSAGE_LINES and not (
                _CSV_ROW.match(text) and text.count('"') % 2 == 0
            ):
                held.append(text)
                quotes += text.count('"')
                if quotes % 2 == 0:
                    ok, row = _csv_row("\n".join(held), file, start, messages, times, report)
                    held = []
                    parsed += ok
                    if row is not None:
                        yield row
                continue
            report.skip(UNCLOSED, file, start)  # a new row begins: the held one was cut
            held = []
        if not text.strip():
            continue
        first_text = first_text or number
        quotes = text.count('"')
        if quotes % 2:
            held, start = [text], number
            continue
        ok, row = _csv_row(text, file, number, messages, times, report)
        parsed += ok
        if row is not None:
            yield row
    if held:
        report.skip(UNCLOSED, file, start)
    if not parsed and first_text:
        raise _nothing_parsed(
            path,
            first_text,
            "csvlog",
            "give the .csv file that log_destination = csvlog writes, "
            "or pass --option format=stderr|jsonlog",
        )


def _csv_row(
    text: str, file: str, line: int, messages: Messages, times: _Times, report: ImportReport
) -> tuple[bool, dict[str, Any] | None]:
    """Whether ``text`` is a csvlog record, and the row it makes (None: none)."""
    try:
        fields = next(csv.reader((text,)))
    except (csv.Error, StopIteration):
        fields = []
    if len(fields) < _CSV_MIN_FIELDS:
        report.skip(NOT_CSV, file, line)
        return False, None
    message = fields[13]
    if not messages.wanted(fields[11], message):
        return True, None
    if NOT_TEXT.search(message):
        report.skip(NOT_UTF8, file, line)
        return True, None
    pid = _pid(fields[3], fields[5])
    return True, messages.feed(
        file,
        line,
        partial(times.parse, fields[0], file, line),
        fields[5] or pid,
        pid,
        fields[1],
        fields[2],
        fields[22],
        fields[11],
        message,
    )


def _jsonlog(
    path: Path, messages: Messages, times: _Times, report: ImportReport
) -> Iterator[dict[str, Any]]:
    file = str(path)
    parsed = 0
    first_text = 0
    loads = json.loads
    for number, text in open_lines(path, report):
        if not text.strip():
            continue
        first_text = first_text or number
        try:
            entry = loads(text)
        except ValueError:
            entry = None
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("timestamp"), str)
            or not isinstance(entry.get("message"), str)
        ):
            report.skip(NOT_JSON, file, number)
            continue
        parsed += 1
        message = entry["message"]
        severity = str(entry.get("error_severity") or "")
        if not messages.wanted(severity, message):
            continue
        if NOT_TEXT.search(message):
            report.skip(NOT_UTF8, file, number)
            continue
        session = str(entry.get("session_id") or "")
        pid = _pid(str(entry.get("pid") or ""), session)
        row = messages.feed(
            file,
            number,
            partial(times.parse, entry["timestamp"], file, number),
            session or pid,
            pid,
            _text(entry.get("user")),
            _text(entry.get("dbname")),
            _text(entry.get("application_name")),
            severity,
            message,
        )
        if row is not None:
            yield row
    if not parsed and first_text:
        raise _nothing_parsed(
            path,
            first_text,
            "jsonlog",
            "give the .json file that log_destination = jsonlog writes, "
            "or pass --option format=stderr|csvlog",
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class PgLogImporter(StatementLogImporter):
    """``erpcap import pg-log LOG… --out RUN_DIR``."""

    kind: ClassVar[str] = "pg-log"
    summary: ClassVar[str] = "PostgreSQL server logs (stderr, csvlog, jsonlog; gzip)"
    OPTIONS: ClassVar[dict[str, Callable[[str], Any]]] = {
        "log_line_prefix": compile_prefix,
        "format": _format,
        "tz": zone,
    }

    def parse(self, paths: Sequence[Path], report: ImportReport) -> Iterator[dict[str, Any]]:
        prefix: Prefix | None = self.options.get("log_line_prefix")
        return parse(
            paths,
            report,
            log_line_prefix=prefix.text if prefix else DEFAULT_PREFIX,
            format=self.options.get("format"),
            tz=self.options.get("tz"),
        )
