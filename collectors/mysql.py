"""``mysql``: a MySQL or MariaDB server's load, sessions and statement statistics.

``--collect mysql=mysql://USER:PASSWORD@127.0.0.1:3306/erp`` (shorthand for
``mysql:dsn=…``; options ``interval``, ``statements_every``) connects with PyMySQL and,
every ``interval`` seconds, writes to metrics.parquet with source ``mysql``:

- from ``SHOW GLOBAL STATUS``: gauges (threads, connections, InnoDB row lock waits now) and
  rates per second of its counters (collectors/mysql_metrics.py);
- from ``information_schema.PROCESSLIST`` (needs ``PROCESS``): sessions by state, what the
  working ones wait for, and the longest-running statement;

and, from ``performance_schema.events_statements_summary_by_digest``, a snapshot at its
start, at every ladder step boundary, at most every ``statements_every`` seconds (so that a
lost connection at the end still leaves the latest state) and at its end, turned into the
run's ``sql_stats`` rows (collectors/statements.py).

**Its own statements** are left out of sql_stats: the digest table has no column for the
connection, and a marker comment does not survive digesting, but an alias does: each of its
``SELECT`` statements names the alias ``erpcap_collector``, and a digest whose text holds it
is dropped. Its one ``SHOW GLOBAL STATUS`` cannot carry an alias, so that digest is dropped
whoever ran it (it is what monitoring tools run).

**Faults** are warnings that say what to fix, and the run goes on: performance_schema off,
a missing ``SELECT`` on performance_schema or ``PROCESS`` privilege each leave their part
out; a server that cannot be reached or refuses the login, or a connection killed mid-run,
is a gap (collectors/base.py), retried after 1, 2, 4… up to 30 seconds.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar

import pymysql
from pymysql.cursors import DictCursor

from erpcap.collectors.base import Collector, metric_row, parse_seconds
from erpcap.collectors.mysql_connect import (
    MysqlDsn,
    MysqlUnavailable,
    connect,
    error_code,
    lost,
    parse_dsn,
    unavailable,
)
from erpcap.collectors.mysql_metrics import (
    SOURCE,
    StatusRates,
    digest_statements,
    session_rows,
)
from erpcap.collectors.statements import StatementWindows, StepWatcher
from erpcap.errors import BadInput
from erpcap.rundir import EVENTS, PartWriter, utcnow

log = logging.getLogger("erpcap.collectors")

#: The alias that marks the collector's own statements in the digest table.
MARKER = "erpcap_collector"
#: Longest wait, in seconds, between two attempts to connect.
RETRY_MAX_S = 30.0

_HELLO = (
    f"SELECT CONNECTION_ID() AS {MARKER}, CURRENT_USER() AS user, "
    "@@performance_schema AS performance_schema"
)
_STATUS = "SHOW GLOBAL STATUS"
_MAX_CONNECTIONS = f"SELECT @@GLOBAL.max_connections AS {MARKER}"
_PROCESSLIST = (
    f"SELECT * FROM information_schema.PROCESSLIST AS {MARKER} WHERE ID <> CONNECTION_ID()"
)
_LOCK_WAITS = (
    f"SELECT trx_mysql_thread_id AS {MARKER} FROM information_schema.INNODB_TRX "
    "WHERE trx_state = 'LOCK WAIT'"
)
_CONSUMERS = (
    f"SELECT NAME AS {MARKER}, ENABLED FROM performance_schema.setup_consumers "
    "WHERE NAME IN ('global_instrumentation', 'statements_digest')"
)
_DIGESTS = (
    "SELECT SCHEMA_NAME, DIGEST, DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT, MAX_TIMER_WAIT, "
    "SUM_LOCK_TIME, SUM_ROWS_SENT, SUM_ROWS_EXAMINED, SUM_NO_INDEX_USED, "
    f"SUM_CREATED_TMP_DISK_TABLES, FIRST_SEEN FROM "
    f"performance_schema.events_statements_summary_by_digest AS {MARKER}"
)

_NO_PROCESS, _NO_TABLE_ACCESS = 1227, {1142, 1143}


class MysqlCollector(Collector):
    """Samples one MySQL or MariaDB server."""

    name: ClassVar[str] = "mysql"
    PRIMARY: ClassVar[str] = "dsn"
    OPTIONS: ClassVar[Mapping[str, Any]] = {
        "dsn": parse_dsn,
        "interval": parse_seconds,
        "statements_every": parse_seconds,
    }

    def __init__(
        self, *, dsn: MysqlDsn | None = None, interval: float = 1.0, statements_every: float = 10.0
    ) -> None:
        super().__init__(interval=interval)
        if dsn is None:
            raise BadInput(
                "collector mysql needs a URL",
                hint="write --collect mysql=mysql://USER@HOST:3306/DATABASE",
            )
        self.dsn = dsn
        self.statements_every = statements_every
        self.connection_id: int | None = None  # the server's id of the collector's session
        self.snapshots = 0  # digest snapshots taken
        self._conn: pymysql.Connection[DictCursor] | None = None
        self._status = StatusRates()
        self._windows = StatementWindows(SOURCE, dsn.instance)
        self._steps: StepWatcher | None = None
        self._sql_writer: PartWriter | None = None
        self._digests = self._processlist = self._innodb_trx = False
        self._snapshot_step: int | None = None
        self._next_snapshot = 0.0  # time.monotonic() of the next periodic snapshot
        self._overflow: list[int] = []  # the digest table's overflow count, first and last
        self._retry_at, self._retry_s, self._last_error = 0.0, 0.0, ""
        self._warned: set[str] = set()

    def __repr__(self) -> str:
        return f"MysqlCollector(dsn={self.dsn.shown!r}, interval={self.interval})"

    # -- the collector's hooks --------------------------------------------------------------

    def setup(self) -> None:
        if self._run is not None:
            self._steps = StepWatcher(self._run.path / EVENTS)
        self._connection()

    def sample(self, now: datetime) -> Iterable[Mapping[str, Any]]:
        conn = self._connection()
        try:
            return self._sample(conn, now)
        except pymysql.MySQLError as exc:
            self._disconnect()
            raise unavailable(self.dsn, exc) from None

    def teardown(self) -> None:
        try:
            if self._digests and self.snapshots:
                self._final_snapshot()
            self._write(self._windows.run_rows() + self._windows.open_step_rows())
            self._report_notes()
        finally:
            self._disconnect()

    # -- sampling -------------------------------------------------------------------------

    def _sample(self, conn: pymysql.Connection[DictCursor], now: datetime) -> list[dict[str, Any]]:
        status = {str(r["Variable_name"]): str(r["Value"]) for r in _query(conn, _STATUS)}
        rows = self._status.rows(status, now)
        max_connections = _query(conn, _MAX_CONNECTIONS)[0][MARKER]
        rows.append(metric_row(now, SOURCE, "max_connections", float(max_connections)))
        if self._processlist:
            waiting = [r[MARKER] for r in _query(conn, _LOCK_WAITS)] if self._innodb_trx else []
            rows += session_rows(_query(conn, _PROCESSLIST), waiting, now)
        if self._digests:
            step = self._steps.current() if self._steps is not None else None
            due = time.monotonic() >= self._next_snapshot  # also true before the first
            if due or step != self._snapshot_step:
                self._snapshot(conn, step)
        return rows

    def _snapshot(self, conn: pymysql.Connection[DictCursor], step: int | None) -> None:
        rows = _query(conn, _DIGESTS)
        statements, overflow = digest_statements(rows, MARKER, own_texts=[_STATUS])
        closed = self._windows.add(utcnow(), statements, step)
        self.snapshots += 1
        self._snapshot_step = step
        self._next_snapshot = time.monotonic() + self.statements_every
        if overflow is not None:
            self._overflow = [*self._overflow[:1], overflow]
        self._write(closed)

    def _final_snapshot(self) -> None:
        self._retry_at = 0.0  # one last attempt, whatever the back-off
        step = self._steps.current() if self._steps is not None else self._snapshot_step
        try:
            self._snapshot(self._connection(), step)
        except (MysqlUnavailable, pymysql.MySQLError) as exc:
            self._warn(
                "final",
                f"collector mysql: no statement snapshot at the end of the run ({exc}); "
                "sql_stats ends at the last snapshot taken",
            )

    def _write(self, rows: list[dict[str, Any]]) -> None:
        if not rows or self._run is None:
            return
        if self._sql_writer is None:
            self._sql_writer = self._run.part_writer("sql_stats")
        self._sql_writer.extend(rows)
        self._sql_writer.flush()

    # -- the connection -------------------------------------------------------------------

    def _connection(self) -> pymysql.Connection[DictCursor]:
        """The open connection, or a new one (with its capabilities checked); between failed
        attempts it waits 1, 2, 4… up to :data:`RETRY_MAX_S` seconds."""
        if self._conn is not None:
            return self._conn
        if time.monotonic() < self._retry_at:
            raise MysqlUnavailable(self._last_error)
        try:
            conn = connect(self.dsn)
        except (pymysql.MySQLError, RuntimeError) as exc:  # RuntimeError: an auth plugin
            raise self._failed(exc) from None
        try:
            self._check(conn)
        except pymysql.MySQLError as exc:
            conn.close()
            raise self._failed(exc) from None
        self._conn, self._retry_s = conn, 0.0
        return conn

    def _failed(self, exc: pymysql.MySQLError | RuntimeError) -> MysqlUnavailable:
        """The error of a failed attempt to connect; the next waits longer."""
        error = unavailable(self.dsn, exc)
        self._retry_s = min(RETRY_MAX_S, max(1.0, self._retry_s * 2))
        self._retry_at = time.monotonic() + self._retry_s
        self._last_error = str(error)
        return error

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(pymysql.MySQLError):  # a cut connection cannot say goodbye
                conn.close()

    def _check(self, conn: pymysql.Connection[DictCursor]) -> None:
        """What this session may read; a warning (once a run) for each missing part."""
        hello = _query(conn, _HELLO)[0]
        self.connection_id = int(hello[MARKER])
        user, _, host = str(hello["user"]).rpartition("@")
        account = f"'{user}'@'{host}'"
        self._digests = self._check_digests(conn, int(hello["performance_schema"]), account)
        self._processlist = self._innodb_trx = True
        try:
            _query(conn, f"SELECT COUNT(*) AS {MARKER} FROM information_schema.INNODB_TRX")
        except pymysql.MySQLError as exc:
            if lost(exc):
                raise
            if error_code(exc) != _NO_PROCESS:
                self._innodb_trx = False  # no InnoDB: sessions without row lock waits
                return
            self._processlist = self._innodb_trx = False
            self._warn(
                "process",
                f"collector mysql: {account} lacks the PROCESS privilege, so it sees no other "
                "session: sessions, wait_sessions and longest_query_s are missing (grant it: "
                f"GRANT PROCESS ON *.* TO {account})",
            )

    def _check_digests(
        self, conn: pymysql.Connection[DictCursor], enabled: int, account: str
    ) -> bool:
        if not enabled:
            self._warn(
                "performance_schema",
                f"collector mysql: performance_schema is OFF on {self.dsn.instance}, so there "
                "are no statement statistics (sql_stats); put performance_schema=ON under "
                "[mysqld] in the server's config and restart the server (the status and "
                "session metrics still work)",
            )
            return False
        try:
            consumers = _query(conn, _CONSUMERS)
        except pymysql.MySQLError as exc:
            if lost(exc):
                raise
            if error_code(exc) in _NO_TABLE_ACCESS:
                self._warn(
                    "grant_select",
                    f"collector mysql: {account} may not read performance_schema, so there "
                    "are no statement statistics (sql_stats) (grant it: GRANT SELECT ON "
                    f"performance_schema.* TO {account})",
                )
            else:
                self._warn(
                    "performance_schema",
                    f"collector mysql: cannot read performance_schema ({exc}), so there are "
                    "no statement statistics (sql_stats)",
                )
            return False
        off = sorted(str(r[MARKER]) for r in consumers if str(r["ENABLED"]).upper() != "YES")
        if off:
            names = ", ".join(f"'{n}'" for n in off)
            self._warn(
                "consumers",
                f"collector mysql: performance_schema does not count statement digests "
                f"(consumer {names} is off), so there are no statement statistics; switch it "
                "on: UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME "
                f"IN ({names})",
            )
            return False
        return True

    # -- warnings -------------------------------------------------------------------------

    def _report_notes(self) -> None:
        notes = self._windows.notes.get(None)
        if notes is not None and notes.reset:
            self._warn(
                "reset",
                f"collector mysql: the counters of {notes.reset} statements were reset during "
                "the run (TRUNCATE performance_schema.events_statements_summary_by_digest, or "
                "a server restart); their sql_stats count only from the reset",
            )
        if notes is not None and notes.evicted:
            self._warn(
                "evicted",
                f"collector mysql: {notes.evicted} statements left performance_schema's digest "
                "table during the run (it was truncated); their work is missing from sql_stats",
            )
        if len(self._overflow) == 2 and self._overflow[1] > self._overflow[0]:
            self._warn(
                "overflow",
                f"collector mysql: {self._overflow[1] - self._overflow[0]} statement executions "
                "were counted in performance_schema's overflow row, not per statement, because "
                "its digest table is full: raise performance_schema_digests_size under "
                "[mysqld] (a restart), or TRUNCATE "
                "performance_schema.events_statements_summary_by_digest before a run",
            )

    def _warn(self, key: str, message: str) -> None:
        if key in self._warned or self._run is None:
            return
        self._warned.add(key)
        log.warning("%s", message)
        try:
            self._run.add_warning(message)
        except Exception:
            log.exception("collector mysql: could not record a warning")


def _query(conn: pymysql.Connection[DictCursor], sql: str) -> list[dict[str, Any]]:
    with conn.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())
