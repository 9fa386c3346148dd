"""PostgreSQL log messages to statements rows, whatever the log's format.

The stderr, csvlog and jsonlog readers (pg_log.py) hand each message here with its time,
session and names. What becomes a row:

- ``duration: 12.345 ms  statement: …`` (``log_min_duration_statement``, simple protocol);
- ``duration: 0.040 ms  execute <name>: …`` (the extended protocol's execute step; also
  ``execute fetch from``, one row per portion fetched);
- a bare ``duration: 0.040 ms`` paired with the ``statement: …`` or ``execute …: …`` that
  ``log_statement`` logged just before in the same session: ``log_duration`` writes those,
  and so does ``log_min_duration_statement`` for a statement that ``log_statement`` already
  showed (the server does not log its text twice).

What is counted as ignored, never as a row: the ``parse`` and ``bind`` steps (only execute
counts, so a statement is not counted three times); a statement logged by ``log_statement``
and again with its text and duration (counted once: SQL.md's double counting); a
statement without any duration; a bare duration with nothing to pair (``log_duration``
without ``log_statement``, or a parse/bind step); auto_explain plans; every other message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from erpcap.collectors.importers.base import ImportReport

_DURATION = re.compile(r"duration: (\d+(?:\.\d+)?) ms(?:\s+(.*))?\Z", re.S)
_STATEMENT = re.compile(r"(?:statement|execute(?: fetch from)? \S*?): (.*)\Z", re.S)
_STEP = re.compile(r"(?:parse|bind) \S*?: ", re.S)

#: Sessions with a statement waiting for its duration, at most (the oldest is dropped).
MAX_PENDING = 100_000

STEPS = "parse and bind steps of the extended protocol (its execute is what counts)"
OTHER = "server messages that are not statement durations (connections, checkpoints, errors)"
OTHER_DURATION = "durations of plans or function calls (auto_explain, fastpath)"
TWICE = "statements logged twice, by log_statement and with their duration (counted once)"
NO_DURATION = "statements logged without a duration (log_statement alone)"
UNPAIRED = "bare durations with no statement before them in their session (log_duration alone)"
CUT = "a duration line cut short"
BAD_TIME = "timestamps that are not a time"

#: How the messages that :meth:`Messages.feed` uses begin.
_WANTED = ("duration:", "statement:", "execute", "disconnection:")


class Messages:
    """Turns one log's messages into rows; holds the statements waiting for a duration."""

    def __init__(self, source: str, report: ImportReport, fingerprint: Callable[[str], str]):
        self.source = source
        self._report = report
        self._fingerprint = fingerprint
        #: Session → (statement, file, line, user, database, application, pid).
        self._pending: dict[str, tuple[str, str, int, str | None, str | None, str | None, str]]
        self._pending = {}
        self.durations = 0  # duration messages seen (a file without any says so)

    def wanted(self, severity: str, message: str) -> bool:
        """Whether :meth:`feed` could use the message (a cheap test before its fields are
        read); one it cannot is counted as ignored here."""
        if severity == "LOG" and message.startswith(_WANTED):
            return True
        self._report.ignore(OTHER)
        return False

    def feed(
        self,
        file: str,
        line: int,
        when: Callable[[], datetime | None],
        session: str,
        pid: str,
        user: str | None,
        database: str | None,
        application: str | None,
        severity: str,
        message: str,
    ) -> dict[str, Any] | None:
        """The row ``message`` makes, or None (counted as ignored or skipped).

        ``when`` gives the message's time (None: not a time), read only for a row.
        """
        report = self._report
        if severity != "LOG":
            report.ignore(OTHER)
            return None
        if message.startswith("duration:"):
            self.durations += 1
            match = _DURATION.match(message)
            if match is None:
                report.skip(CUT, file, line)
                return None
            ms, rest = match.groups()
            if rest is None:
                pending = self._pending.pop(session, None)
                if pending is None:
                    report.ignore(UNPAIRED)
                    return None
                ts = when()
                if ts is None:
                    report.skip(BAD_TIME, file, line)
                    return None
                text, file, line, user, database, application, pid = pending
                return self._row(ts, float(ms), text, database, user, application, pid, file, line)
            statement = _STATEMENT.match(rest)
            if statement is None:
                report.ignore(STEPS if _STEP.match(rest) else OTHER_DURATION)
                return None
            if self._pending.pop(session, None) is not None:
                report.ignore(TWICE)
            ts = when()
            if ts is None:
                report.skip(BAD_TIME, file, line)
                return None
            return self._row(
                ts, float(ms), statement.group(1), database, user, application, pid, file, line
            )
        statement = _STATEMENT.match(message)
        if statement is not None:
            if session in self._pending:
                del self._pending[session]  # re-inserted below: the dict stays oldest-first
                report.ignore(NO_DURATION)
            elif len(self._pending) >= MAX_PENDING:
                del self._pending[next(iter(self._pending))]
                report.ignore(NO_DURATION)
            self._pending[session] = (
                statement.group(1),
                file,
                line,
                user,
                database,
                application,
                pid,
            )
            return None
        if message.startswith("disconnection:") and self._pending.pop(session, None) is not None:
            report.ignore(NO_DURATION)
        report.ignore(OTHER)
        return None

    def finish(self) -> None:
        """The end of the input: statements still waiting never got a duration."""
        if self._pending:
            self._report.ignore(NO_DURATION, len(self._pending))
            self._pending.clear()

    def _row(
        self,
        ts: datetime,
        duration_ms: float,
        text: str,
        database: str | None,
        user: str | None,
        application: str | None,
        pid: str,
        file: str,
        line: int,
    ) -> dict[str, Any]:
        return {
            "ts": ts,
            "source": self.source,
            "duration_ms": duration_ms,
            "statement": text,
            "fingerprint": self._fingerprint(text),
            "database": database or None,
            "user": user or None,
            "application": application or None,
            "session": pid,
            "lock_ms": None,
            "rows": None,
            "rows_examined": None,
            "file": file,
            "line": line,
        }
