"""What the server-log importers share: the statements row, batched writing, time zones.

A log importer (``pg-log``, ``mysql-slow``) is a :class:`StatementLogImporter`: its
:meth:`~StatementLogImporter.parse` is a generator of statements rows (the columns of
``STATEMENTS_SCHEMA`` in erpcap/types.py), usable without a run directory (``erpcap sql
analyze`` reads logs directly); :meth:`~StatementLogImporter.read` writes what it yields in
batches of :data:`BATCH_ROWS`, so memory stays bounded however long the log.

Log times: a server writes local times with a zone abbreviation (``2026-12-05 01:36:33.550
CST``) or none at all. :func:`zone` reads the ``tz`` option (an IANA name such as
``Asia/Shanghai``, ``UTC`` or an offset such as ``+08:00``); :class:`Zones` turns the
abbreviations a log shows into offsets, and refuses the ambiguous ones (``CST`` is both
US Central and China) with a line that says to pass ``--option tz=…``.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from erpcap.collectors.importers.base import Importer, ImportReport
from erpcap.errors import BadInput
from erpcap.rundir import RunDir
from erpcap.sqltext import fingerprint

#: Characters that text from a server never has: control characters but tab, line feed and
#: carriage return, and U+FFFD, which stands for bytes that were not UTF-8 (open_lines).
NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")

#: Rows held in memory before they are written as one part file.
BATCH_ROWS = 50_000

#: Distinct statement texts whose fingerprint is remembered (repeated texts are common:
#: prepared statements with ``$1``, an ORM's queries); the memo is emptied when full.
_MEMO_SIZE = 20_000

_OFFSET = re.compile(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d\d))?\Z")

#: Zone abbreviations with one meaning, in hours east of UTC (PostgreSQL's and tzdata's).
_ABBREVIATIONS: dict[str, float] = {
    "UTC": 0, "GMT": 0, "UCT": 0, "Z": 0, "WET": 0, "WEST": 1, "CET": 1, "CEST": 2,
    "MET": 1, "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "EST": -5, "EDT": -4, "CDT": -5,
    "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
    "NZST": 12, "NZDT": 13, "AEST": 10, "AEDT": 11, "ACST": 9.5, "ACDT": 10.5, "AWST": 8,
    "JST": 9, "KST": 9, "HKT": 8, "PHT": 8, "WIB": 7, "SAST": 2, "NST": -3.5, "NDT": -2.5,
}  # fmt: skip
#: Abbreviations with more than one meaning: the log alone cannot say which.
_AMBIGUOUS = {
    "CST": "US Central or China Standard Time",
    "IST": "India, Israel or Irish Standard Time",
    "BST": "British Summer or Bangladesh Standard Time",
    "AST": "Atlantic or Arabia Standard Time",
}


def zone(text: str) -> tzinfo:
    """The ``tz`` option: an IANA zone name, ``UTC``, or a fixed offset.

    >>> zone("+08:00"), zone("UTC")
    (datetime.timezone(datetime.timedelta(seconds=28800)), datetime.timezone.utc)
    >>> zone("Asia/Shanghai")
    zoneinfo.ZoneInfo(key='Asia/Shanghai')
    """
    offset = _offset(text.strip())
    if offset is not None:
        return offset
    try:
        return ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadInput(
            f"{text!r} is not a time zone",
            hint="give the server's log_timezone (SHOW log_timezone), e.g. tz=Europe/Berlin, "
            "or an offset such as tz=+01:00",
        ) from exc


def _offset(text: str) -> tzinfo | None:
    if text in ("UTC", "GMT", "Z", "UCT"):
        return UTC
    match = _OFFSET.match(text)
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return timezone(-delta if sign == "-" else delta)


class Zones:
    """Zone abbreviations (``CET``, ``+08``) to time zones, remembered; or one fixed zone.

    >>> Zones().utc(datetime(2026, 1, 2, 10, 0), "CET", "a.log", 3)
    datetime.datetime(2026, 1, 2, 9, 0, tzinfo=datetime.timezone.utc)
    >>> Zones(ZoneInfo("Asia/Shanghai")).utc(datetime(2026, 1, 2, 10, 0), "CST", "a.log", 3)
    datetime.datetime(2026, 1, 2, 2, 0, tzinfo=datetime.timezone.utc)
    >>> Zones().utc(datetime(2026, 1, 2, 10, 0), "CST", "a.log", 3)
    Traceback (most recent call last):
    ...
    erpcap.errors.BadInput: a.log:3: the time zone 'CST' is ambiguous (US Central or China Standard Time) (pass the server's log_timezone (SHOW log_timezone) as --option tz=ZONE, e.g. tz=Asia/Shanghai)
    """

    def __init__(self, fixed: tzinfo | None = None) -> None:
        self._fixed = fixed
        self._known: dict[str, tzinfo] = {}

    def utc(self, local: datetime, abbreviation: str, file: str, line: int) -> datetime:
        """``local`` (naive, as the log shows it) in UTC."""
        tz = self._fixed or self._known.get(abbreviation) or self._learn(abbreviation, file, line)
        return local.replace(tzinfo=tz).astimezone(UTC)

    def _learn(self, abbreviation: str, file: str, line: int) -> tzinfo:
        tz = _offset(abbreviation)
        if tz is None and abbreviation in _ABBREVIATIONS:
            tz = timezone(timedelta(hours=_ABBREVIATIONS[abbreviation]))
        if tz is None:
            why = _AMBIGUOUS.get(abbreviation)
            raise BadInput(
                f"the time zone {abbreviation!r} is "
                + (f"ambiguous ({why})" if why else "not one erpcap knows"),
                path=file,
                line=line,
                hint="pass the server's log_timezone (SHOW log_timezone) as --option tz=ZONE, "
                "e.g. tz=Asia/Shanghai",
            )
        self._known[abbreviation] = tz
        return tz


class Fingerprints:
    """:func:`erpcap.sqltext.fingerprint`, remembered for repeated statement texts."""

    def __init__(self) -> None:
        self._memo: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        found = self._memo.get(text)
        if found is None:
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            found = self._memo[text] = fingerprint(text)
        return found


class StatementLogImporter(Importer):
    """An importer of a database server's log into the ``statements`` table."""

    writes: ClassVar[str] = "statements"

    @abstractmethod
    def parse(self, paths: Sequence[Path], report: ImportReport) -> Iterator[dict[str, Any]]:
        """The statements rows of ``paths``, in file order, counting into ``report``."""

    def read(self, paths: Sequence[Path], run: RunDir, report: ImportReport) -> None:
        _refuse_twice(self.kind, paths, run)
        writer = run.part_writer("statements")
        try:
            for row in self.parse(paths, report):
                writer.append(row)
                if writer.pending >= BATCH_ROWS:
                    report.records += writer.flush()
        finally:  # what was read before a BadInput stays imported
            report.records += writer.flush()


def _refuse_twice(kind: str, paths: Sequence[Path], run: RunDir) -> None:
    """A log imported twice into one run would count each statement twice: refuse it."""
    seen = {
        Path(name).resolve()
        for record in run.read_meta().get("imports") or []
        if isinstance(record, dict) and record.get("kind") == kind
        for name in record.get("files") or []
    }
    for path in paths:
        if path.resolve() in seen:
            raise BadInput(
                f"{path} was imported into {run.path} before (or is given twice): its "
                "statements would count twice",
                hint="import each log once, or give a new --out",
            )
        seen.add(path.resolve())
