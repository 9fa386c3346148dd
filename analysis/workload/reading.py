"""Reading access logs as a stream of hits: one request each, who sent it and when.

Formats (``--format``; ``auto`` tells each file's by its first lines):

============  ===========================================================================
``combined``  nginx's and Apache's combined log format, and the common log format (the
              same without referer and user agent); fields after the user agent (an
              nginx ``$request_time``) are ignored; fractional seconds are accepted
``csv``       a CSV with a header row naming the columns timestamp, user and operation
              (aliases below; an optional status column); timestamps ISO 8601 or epoch
              seconds (milliseconds when larger than 10^11); operations ``GET /path``,
              ``/path`` (GET) or a bare name
============  ===========================================================================

gzip files are read as they are (told by their magic bytes). Lines are read one by one,
each at most :data:`MAX_LINE` characters, so memory stays bounded whatever the file's size.
A line that does not parse is counted with its file and line number, never fatal; a file
in which no line parses is refused up front (:func:`detect`).

>>> parse_combined('10.0.0.7 - alice [02/Nov/2026:10:15:01 +0800] "GET /orders/42?x=1 HTTP/1.1" '
...                '200 512 "-" "Mozilla/5.0"')
Hit(ts=1793585701.0, offset=28800, user='alice', method='GET', target='/orders/42?x=1', status=200)
>>> parse_combined('10.0.0.7 - - [02/Nov/2026:10:15:01 +0000] "POST /api HTTP/1.1" 201 -').user
'10.0.0.7'
>>> parse_combined('not a log line') is None
True
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, NamedTuple

from erpcap.errors import BadInput

FORMATS = ("auto", "combined", "csv")
#: The longest line read whole (characters); longer lines are counted as unparsable.
MAX_LINE = 65_536
#: Bad lines kept as examples (file:line: text) for the report.
EXAMPLES = 5
#: Lines of a file's head read to tell its format.
_SNIFF_LINES = 50

#: CSV header names (lower case) accepted for each column.
CSV_COLUMNS = {
    "timestamp": ("timestamp", "time", "ts", "datetime", "date", "start"),
    "user": ("user", "username", "user_id", "userid", "session", "client"),
    "operation": ("operation", "op", "transaction", "action", "name", "request", "route"),
    "status": ("status", "status_code", "code"),
}
_DELIMITERS = (",", ";", "\t")
#: Times outside [2000, 2100) are taken as unparsable: a stray 1970 or year-9999 stamp
#: would otherwise stretch the log's span over decades.
EARLIEST, LATEST = 946_684_800.0, 4_102_444_800.0
_FORMAT_HINT = (
    "give nginx/Apache combined or common log lines, or a CSV with the header "
    "timestamp,user,operation (see --format)"
)


class Hit(NamedTuple):
    """One request of the log."""

    ts: float  # seconds since the epoch, UTC
    offset: int  # the line's UTC offset in seconds (local time = ts + offset)
    user: str  # the CSV's user; the remote user; else IP and user agent
    method: str  # GET, POST, ...; "" for a CSV operation that is a bare name
    target: str  # the path with its query string, or the operation's name
    status: int  # the HTTP status; 0 when the input has none


@dataclass
class ReadStats:
    """What was read: lines, hits, unparsable lines (with a few examples), warnings."""

    files: list[str] = field(default_factory=list)
    lines: int = 0
    hits: int = 0
    bad: int = 0
    examples: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)

    def bad_line(self, path: Path, number: int, text: str) -> None:
        self.bad += 1
        if len(self.examples) < EXAMPLES:
            shown = text.strip()
            shown = shown if len(shown) <= 100 else shown[:97] + "..."
            self.examples.append(f"{path}:{number}: {shown}")


_LOG = re.compile(
    r'(?P<host>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" '
    r'(?P<status>\d{3}) \S+(?: "(?:[^"\\]|\\.)*" "(?P<agent>(?:[^"\\]|\\.)*)")?'
)
_TIME = re.compile(
    r"(\d{1,2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2}(?:\.\d+)?) ?([+-])(\d{2}):?(\d{2})$"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_METHOD = re.compile(r"[A-Z][A-Z_-]{1,15}")


class _TimeCache:
    """Log times parsed once per minute: ``dd/Mon/yyyy:HH:MM`` and the offset are looked up,
    the seconds added (the common fixed-width form); any other form is parsed whole."""

    def __init__(self) -> None:
        self._minutes: dict[tuple[str, str], tuple[float, int] | None] = {}

    def parse(self, text: str) -> tuple[float, int] | None:
        if len(text) != 26 or text[17] != ":" or text[20] != " " or not text[18:20].isdigit():
            return _log_time(text)
        key = (text[:17], text[21:])
        if key in self._minutes:
            base = self._minutes[key]
        else:
            if len(self._minutes) > 10_000:
                self._minutes.clear()
            base = self._minutes[key] = _log_time(text[:17] + ":00" + text[20:])
        if base is None:
            return None
        return base[0] + int(text[18:20]), base[1]


def _log_time(text: str) -> tuple[float, int] | None:
    """``02/Nov/2026:10:15:01 +0800`` as (epoch seconds, UTC offset seconds)."""
    m = _TIME.match(text)
    if m is None:
        return None
    month = _MONTHS.get(m.group(2).lower())
    if month is None:
        return None
    offset = (int(m.group(8)) * 3600 + int(m.group(9)) * 60) * (-1 if m.group(7) == "-" else 1)
    seconds = float(m.group(6))
    try:
        local = datetime(
            int(m.group(3)), month, int(m.group(1)), int(m.group(4)), int(m.group(5)), tzinfo=UTC
        )
    except ValueError:
        return None
    return local.timestamp() + seconds - offset, offset


def parse_combined(line: str, times: _TimeCache | None = None) -> Hit | None:
    """One combined (or common) log line as a :class:`Hit`; None when it does not parse."""
    m = _LOG.match(line)
    if m is None:
        return None
    when = (times or _TimeCache()).parse(m.group("time"))
    if when is None:
        return None
    parts = m.group("request").split(" ")
    if len(parts) < 2 or not _METHOD.fullmatch(parts[0]) or not parts[1]:
        return None  # "-", a TLS handshake sent to the HTTP port, ...
    user = m.group("user")
    if user == "-":
        agent = m.group("agent")
        user = m.group("host") + (f" {agent}" if agent else "")
    if not EARLIEST <= when[0] < LATEST:
        return None
    return Hit(when[0], when[1], user, parts[0], parts[1], int(m.group("status")))


def _epoch_or_iso(text: str) -> tuple[float, int] | None:
    """A CSV timestamp: epoch seconds (or milliseconds), or ISO 8601 (naive = UTC).

    >>> _epoch_or_iso("1793585701"), _epoch_or_iso("2026-11-02T10:15:01+08:00")
    ((1793585701.0, 0), (1793585701.0, 28800))
    """
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return (value / 1000 if value > 1e11 else value), 0
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    delta = when.utcoffset()
    try:
        if delta is None:
            return when.replace(tzinfo=UTC).timestamp(), 0
        return when.timestamp(), int(delta.total_seconds())
    except (OverflowError, ValueError, OSError):  # year 1 in a zone east of UTC
        return None


def split_operation(text: str) -> tuple[str, str] | None:
    """A CSV operation as (method, target): ``GET /x``, ``/x`` (GET) or a bare name.

    >>> split_operation("post /orders"), split_operation("/items/7"), split_operation("close_period")
    (('POST', '/orders'), ('GET', '/items/7'), ('', 'close_period'))
    """
    text = text.strip()
    if not text:
        return None
    head, _, rest = text.partition(" ")
    if rest.strip().startswith("/") and _METHOD.fullmatch(head.upper()):
        return head.upper(), rest.strip().split(" ")[0]
    if text.startswith("/"):
        return "GET", text.split(" ")[0]
    return "", text


def csv_header(line: str) -> tuple[str, dict[str, int]] | None:
    """The delimiter (comma, semicolon or tab) and the column indices of a CSV header line.

    >>> csv_header("\ufeffTime;User;Operation;Status")
    (';', {'timestamp': 0, 'user': 1, 'operation': 2, 'status': 3})
    >>> csv_header("10.0.0.7 - - [02/Nov/2026:10:15:01 +0000] ...") is None
    True
    """
    for delimiter in _DELIMITERS:
        if delimiter in line:
            columns = csv_columns(next(csv.reader([line], delimiter=delimiter)))
            if columns is not None:
                return delimiter, columns
    return None


def csv_columns(header: Sequence[str]) -> dict[str, int] | None:
    """The CSV header's column indices by role; None when a required one is missing."""
    names = [h.strip().lstrip("\ufeff").strip().lower() for h in header]
    found: dict[str, int] = {}
    for role, aliases in CSV_COLUMNS.items():
        index = next((names.index(a) for a in aliases if a in names), None)
        if index is not None:
            found[role] = index
    if not {"timestamp", "user", "operation"} <= set(found):
        return None
    return found


def _csv_hit(row: Sequence[str], columns: dict[str, int]) -> Hit | None:
    if len(row) <= max(columns.values()):
        return None
    when = _epoch_or_iso(row[columns["timestamp"]])
    op = split_operation(row[columns["operation"]])
    user = row[columns["user"]].strip()
    if when is None or op is None or not user or not EARLIEST <= when[0] < LATEST:
        return None
    status = 0
    if "status" in columns:
        text = row[columns["status"]].strip()
        if text:
            if not text.isdigit():
                return None
            status = int(text)
    return Hit(when[0], when[1], user, op[0], op[1], status)


class _Source:
    """A file opened for reading: plain or gzip, with the raw position for progress."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._raw = path.open("rb")
        except FileNotFoundError:
            raise BadInput("no such access log", path=path, hint="check the path") from None
        except IsADirectoryError:
            raise BadInput("the access log is a folder", path=path, hint=_FORMAT_HINT) from None
        except OSError as exc:
            raise BadInput(f"cannot read the access log: {exc.strerror}", path=path) from None
        magic = self._raw.read(2)
        self._raw.seek(0)
        self.gzip = magic == b"\x1f\x8b"
        stream: IO[bytes] = (
            gzip.GzipFile(fileobj=self._raw) if self.gzip else self._raw  # type: ignore[assignment]
        )
        self.text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")

    def position(self) -> int:
        """Bytes of the file read so far (compressed bytes for gzip)."""
        return self._raw.tell()

    def lines(self) -> Iterator[tuple[int, str]]:
        """(line number, line) pairs, each line at most :data:`MAX_LINE` characters; the
        rest of a longer line is dropped (its number is kept, the line will not parse)."""
        number = 0
        while True:
            line = self.text.readline(MAX_LINE)
            if not line:
                return
            number += 1
            if len(line) == MAX_LINE and not line.endswith("\n"):
                while True:  # skip to the end of the over-long line
                    rest = self.text.readline(MAX_LINE)
                    if not rest or rest.endswith("\n"):
                        break
                line = ""
            yield number, line.rstrip("\r\n")

    def close(self) -> None:
        self.text.close()
        self._raw.close()


def detect(path: Path, format: str = "auto") -> str:
    """The format of ``path`` (``combined`` or ``csv``), told by its first lines.

    :class:`~erpcap.errors.BadInput` when the file is missing, empty, or none of its first
    lines parses in the format given (or in any, for ``auto``).
    """
    if format not in FORMATS:
        raise BadInput(f"unknown format {format!r}", hint=f"use one of: {', '.join(FORMATS)}")
    source = _Source(path)
    try:
        head = []
        for number, line in source.lines():
            if line.strip():
                head.append((number, line))
            if len(head) >= _SNIFF_LINES:
                break
    except (OSError, EOFError, zlib.error) as exc:
        raise BadInput(f"cannot read the access log ({exc})", path=path) from None
    finally:
        source.close()
    if not head:
        raise BadInput("the access log is empty", path=path, hint=_FORMAT_HINT)
    if format in ("auto", "csv"):
        if csv_header(head[0][1]) is not None:
            return "csv"
        if format == "csv":
            raise BadInput(
                f"not a CSV header naming timestamp, user and operation: {head[0][1][:80]!r}",
                path=path,
                line=head[0][0],
                hint="start the file with the line timestamp,user,operation",
            )
    times = _TimeCache()
    if any(parse_combined(line, times) for _, line in head):
        return "combined"
    number, first = head[0]
    what = "combined log" if format == "combined" else "combined log or CSV"
    raise BadInput(
        f"no parsable line: none of the first {len(head)} lines reads as a {what} "
        f"(line {number}: {first[:60]!r})",
        path=path,
        hint=_FORMAT_HINT,
    )


def read_hits(
    path: Path,
    format: str,
    stats: ReadStats,
    progress: Callable[[Path, int, int, int], None] | None = None,
) -> Iterator[Hit]:
    """The hits of one file in the order of its lines; bad lines go to ``stats``.

    ``progress(path, lines, bytes read, file size)`` is called every 100,000 lines.
    """
    source = _Source(path)
    size = path.stat().st_size
    times = _TimeCache()
    columns: dict[str, int] | None = None
    delimiter = ","
    hits = 0
    number = 0
    try:
        for number, line in source.lines():
            stats.lines += 1
            if progress is not None and number % 100_000 == 0:
                progress(path, number, source.position(), size)
            if not line.strip():
                continue
            if format == "csv":
                if columns is None:
                    header = csv_header(line)
                    if header is None:
                        stats.bad_line(path, number, line)
                    else:
                        delimiter, columns = header
                    continue
                row = next(csv.reader([line], delimiter=delimiter), [])
                hit = _csv_hit(row, columns)
            else:
                hit = parse_combined(line, times)
            if hit is None:
                stats.bad_line(path, number, line)
                continue
            hits += 1
            stats.hits += 1
            yield hit
    except (OSError, EOFError, zlib.error) as exc:
        stats.warnings.append(f"{path}: damaged after line {number} ({exc}); kept what was read")
    finally:
        source.close()
    if hits == 0:
        hint = _FORMAT_HINT
        if format == "csv":
            hint = (
                "each row needs a timestamp (ISO 8601 or epoch seconds, years 2000-2099), "
                "a user and an operation"
            )
        raise BadInput(f"no parsable line in {number} lines", path=path, hint=hint)


def local_time(ts: float, offset: int) -> str:
    """``ts`` as ISO 8601 in the log's own offset, to the second.

    >>> local_time(1793585701.0, 28800)
    '2026-11-02T10:15:01+08:00'
    """
    zone = timezone(timedelta(seconds=offset))
    return datetime.fromtimestamp(ts, zone).replace(microsecond=0).isoformat()
