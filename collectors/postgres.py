"""``postgres``: sessions, waits, locks, database rates and statement statistics of PostgreSQL.

``--collect postgres=postgresql://user@host:5432/db`` (shorthand for ``postgres:dsn=…``).
Every ``interval`` (default 1 s) it samples, into metrics.parquet with source ``postgres``:

- ``pg_stat_activity``: sessions by state (active, waiting on a lock, idle, idle in
  transaction), active sessions by wait event (``CPU`` when on none), connections against
  ``max_connections``, the longest-running statement and transaction;
- waiting locks by relation, and a ``lock_wait`` event in events.jsonl for every new
  waiter, naming the sessions that block it (``pg_blocking_pids``) and their statements;
- ``pg_stat_database`` rates (commits, rollbacks, blocks read and hit, temp files,
  deadlocks, tuples) and the cache hit ratio over the interval.

``pg_stat_statements`` is snapshotted at the start, at every step of the load, at most every
``statements_every`` seconds (default 10) and at the end; the differences become
sql_stats.parquet (collectors/statements.py), per run and per step. A reset or an eviction
of entries is counted and said.

It needs no superuser: ``pg_monitor`` suffices. What is missing — the extension, the
privilege — is a warning that says how to fix it; the other metrics go on. A connection that
breaks (the server restarts, the backend is terminated) is a gap, and the next sample
reconnects.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import psycopg

from erpcap.collectors import postgres_queries as q
from erpcap.collectors.base import Collector, metric_row, parse_bool, parse_seconds
from erpcap.collectors.statements import Statement, StatementWindows, StepWatcher
from erpcap.errors import BadInput
from erpcap.redact import redact_url
from erpcap.rundir import PartWriter, utcnow

#: Seconds to wait for a connection.
CONNECT_TIMEOUT_S = 5
#: Lock-wait events written per run, at most (each names a waiter and its blockers).
MAX_LOCK_EVENTS = 200


def _dsn(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("postgres", "postgresql") or not parts.hostname and not parts.path:
        raise BadInput(
            f"{redact_url(text)!r} is not a PostgreSQL URL",
            hint="e.g. postgres=postgresql://monitor@127.0.0.1:5432/erp",
        )
    return text


def _scope(text: str) -> str:
    if text not in ("database", "cluster"):
        raise BadInput(f"scope {text!r} is not database or cluster")
    return text


class PostgresCollector(Collector):
    """Samples one PostgreSQL database (and its server's sessions and locks)."""

    name: ClassVar[str] = "postgres"
    PRIMARY: ClassVar[str] = "dsn"
    OPTIONS: ClassVar[Mapping[str, Any]] = {
        "dsn": _dsn,
        "interval": parse_seconds,
        "statements": parse_bool,
        "statements_every": parse_seconds,
        "scope": _scope,
    }

    def __init__(
        self,
        *,
        dsn: str = "",
        interval: float = 1.0,
        statements: bool = True,
        statements_every: float = 10.0,
        scope: str = "database",
    ) -> None:
        super().__init__(interval=interval)
        if not dsn:
            raise BadInput(
                "collector postgres needs a database URL",
                hint="write --collect postgres=postgresql://USER@HOST:5432/DB",
            )
        self.dsn = dsn
        self.statements = statements
        self.statements_every = statements_every
        self.cluster = scope == "cluster"
        parts = urlsplit(dsn)
        database = parts.path.lstrip("/") or parts.username or ""
        self.instance = f"{parts.hostname or 'localhost'}:{parts.port or 5432}/{database}"
        self.labels = {"instance": self.instance}
        self._conn: psycopg.Connection[Any] | None = None
        self._last_db: tuple[float, tuple[float, ...]] | None = None
        self._windows = StatementWindows(self.name, self.instance)
        self._steps: StepWatcher | None = None
        self._sql: PartWriter | None = None
        self._last_snapshot = 0.0
        self._statements_ok = statements
        self._info: tuple[int, Any] | None = None  # pg_stat_statements_info (dealloc, reset)
        self._seen_waiters: set[tuple[int, tuple[int, ...]]] = set()
        self._lock_events = 0
        self.max_connections: float | None = None

    # -- connection -------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        self._conn = None
        try:
            conn = psycopg.connect(
                self.dsn,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="erpcap-collector",
            )
        except psycopg.Error as exc:
            detail = " ".join(str(exc).split())
            raise ConnectionError(
                f"cannot connect to PostgreSQL {redact_url(self.dsn)}: {detail} "
                "(check the URL, that the server runs, and the user's password)"
            ) from None
        conn.execute("SET statement_timeout = '5s'")
        self._conn = conn
        if self.max_connections is None:  # the first connection: what can be read here
            found = conn.execute("SHOW max_connections").fetchone()
            self.max_connections = float(found[0]) if found else None
            self._check_privileges(conn)
            if self.statements:
                self._statements_ok = self._check_statements(conn)
        return conn

    def setup(self) -> None:
        assert self._run is not None
        self._steps = StepWatcher(self._run.path / "events.jsonl")
        self._sql = self._run.part_writer("sql_stats")
        conn = self._connect()
        if self._statements_ok:
            self._snapshot(conn, self._now())

    def _check_privileges(self, conn: psycopg.Connection[Any]) -> None:
        row = conn.execute(
            f"{q.MARK} SELECT rolsuper OR pg_has_role(current_user, 'pg_read_all_stats', "
            "'USAGE'), current_user FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        if row and not row[0]:
            self._warn(
                f"collector postgres: user {row[1]} may not read other sessions' statements "
                f"and statistics; run GRANT pg_monitor TO {row[1]}; as a superuser"
            )

    def _check_statements(self, conn: psycopg.Connection[Any]) -> bool:
        here = conn.execute(
            f"{q.MARK} SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'"
        ).fetchone()
        if here:
            return True
        preload = conn.execute("SHOW shared_preload_libraries").fetchone()
        database = conn.info.dbname
        if preload and "pg_stat_statements" in str(preload[0]):
            how = f"run CREATE EXTENSION pg_stat_statements; in database {database}"
        else:
            how = (
                "add shared_preload_libraries = 'pg_stat_statements' to postgresql.conf, "
                f"restart PostgreSQL, then run CREATE EXTENSION pg_stat_statements; in {database}"
            )
        self._warn(
            f"collector postgres: pg_stat_statements is not enabled, so there are no statement "
            f"statistics (sql_stats.parquet); to enable it, {how}"
        )
        return False

    # -- sampling ---------------------------------------------------------------------

    def sample(self, now: datetime) -> Iterable[Mapping[str, Any]]:
        try:
            conn = self._connect()
            rows = q.activity_rows(
                now, conn.execute(q.ACTIVITY).fetchall(), self.labels, self.cluster
            )
            rows.append(
                metric_row(now, q.SOURCE, "max_connections", self.max_connections, self.labels)
            )
            rows.extend(self._database_rows(conn, now))
            waits = conn.execute(q.LOCK_WAITS).fetchall()
            rows.extend(q.lock_rows(now, waits, self.labels))
            self._lock_events_for(conn, waits)
            if self._statements_ok:
                step = self._steps.current() if self._steps else None
                due = now.timestamp() - self._last_snapshot >= self.statements_every
                if due or step != self._windows_step():
                    self._snapshot(conn, now, step)
        except psycopg.Error as exc:
            self._drop_connection()
            raise ConnectionError(
                f"PostgreSQL {self.instance}: {' '.join(str(exc).split())}"
            ) from None
        return rows

    def _database_rows(self, conn: psycopg.Connection[Any], now: datetime) -> list[dict[str, Any]]:
        found = conn.execute(q.DATABASE).fetchone()
        if found is None:
            return []
        at, values = now.timestamp(), tuple(float(v or 0) for v in found)
        previous, self._last_db = self._last_db, (at, values)
        if previous is None or at <= previous[0]:
            return []
        elapsed = at - previous[0]
        deltas = [b - a for a, b in zip(previous[1], values, strict=True)]
        if any(d < 0 for d in deltas):  # the statistics were reset
            return []
        out = [
            metric_row(now, q.SOURCE, name, delta / elapsed, self.labels)
            for name, delta in zip(q.DATABASE_RATES, deltas, strict=True)
        ]
        read, hit = deltas[2], deltas[3]
        if read + hit > 0:
            out.append(
                metric_row(now, q.SOURCE, "cache_hit_ratio", hit / (read + hit), self.labels)
            )
        return out

    def _lock_events_for(self, conn: psycopg.Connection[Any], waits: list[Any]) -> None:
        """A ``lock_wait`` event per new waiter: who waits, on what, behind whom."""
        new = []
        for pid, relation, mode, blockers, wait_s, query in waits:
            key = (int(pid), tuple(sorted(int(b) for b in blockers or ())))
            if key not in self._seen_waiters:
                self._seen_waiters.add(key)
                new.append((key, relation, mode, wait_s, query))
        if not new or self._lock_events >= MAX_LOCK_EVENTS:
            return
        blocker_pids = sorted({b for (_, blockers), *_ in new for b in blockers})
        texts = dict(conn.execute(q.QUERY_OF, (blocker_pids,)).fetchall()) if blocker_pids else {}
        for (pid, blockers), relation, mode, wait_s, query in new[
            : MAX_LOCK_EVENTS - self._lock_events
        ]:
            self._lock_events += 1
            self._event(
                "lock_wait",
                collector=self.name,
                instance=self.instance,
                relation=relation,
                mode=mode,
                waiter={"pid": pid, "query": query, "waited_s": round(float(wait_s or 0), 3)},
                blockers=[{"pid": b, "query": texts.get(b)} for b in blockers],
            )

    # -- statement snapshots ----------------------------------------------------------

    def _windows_step(self) -> int | None:
        boundary = self._windows._boundary
        return boundary.step if boundary is not None else None

    def _snapshot(
        self, conn: psycopg.Connection[Any], now: datetime, step: int | None = None
    ) -> None:
        statements: dict[Any, Statement] = {}
        for row in conn.execute(q.STATEMENTS).fetchall():
            queryid, userid, toplevel, text, datname, rolname = row[:6]
            calls, total, max_ms, rows, hit, read, temp, wal = row[6:]
            statements[(queryid, userid, toplevel)] = Statement(
                query=str(text or ""),
                queryid=queryid,
                database=datname,
                user=rolname,
                max_ms=float(max_ms) if max_ms is not None else None,
                counters={
                    "calls": float(calls),
                    "total_ms": float(total),
                    "rows": float(rows),
                    "shared_blks_hit": float(hit),
                    "shared_blks_read": float(read),
                    "temp_blks_written": float(temp),
                    "wal_bytes": float(wal or 0),
                },
            )
        self._check_info(conn)
        self._last_snapshot = now.timestamp()
        closed = self._windows.add(now, statements, step)
        if closed and self._sql is not None:
            self._sql.extend(closed)
            self._sql.flush()

    def _check_info(self, conn: psycopg.Connection[Any]) -> None:
        """Warn once when entries were evicted or the statistics were reset mid-run."""
        dealloc, reset = conn.execute(q.STATEMENTS_INFO).fetchone() or (0, None)
        if self._info is not None:
            evicted = int(dealloc) - self._info[0]
            if evicted > 0:
                self._warn(
                    f"collector postgres: pg_stat_statements evicted entries {evicted} times "
                    "during the run, so some statements are undercounted; raise "
                    "pg_stat_statements.max (a restart) and run again"
                )
            if reset != self._info[1]:
                self._warn(
                    "collector postgres: pg_stat_statements was reset during the run; "
                    "statement figures cover only the time since the reset"
                )
        self._info = (int(dealloc), reset)

    def teardown(self) -> None:
        try:
            if self._statements_ok and self._info is not None:
                try:
                    conn = self._connect()
                    step = self._steps.current() if self._steps else None
                    self._snapshot(conn, self._now(), step)
                except (psycopg.Error, ConnectionError) as exc:
                    self._warn(
                        f"collector postgres: the last statement snapshot failed ({exc}); "
                        "sql_stats ends at the one before"
                    )
                if self._sql is not None:
                    self._sql.extend(self._windows.open_step_rows())
                    self._sql.extend(self._windows.run_rows())
                    self._sql.flush()
        finally:
            self._drop_connection()

    # -- helpers ----------------------------------------------------------------------

    def _drop_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None

    def _warn(self, message: str) -> None:
        if self._run is not None:
            self._run.add_warning(redact_url(message))

    @staticmethod
    def _now() -> datetime:
        return utcnow()
