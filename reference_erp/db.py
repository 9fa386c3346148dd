"""Database access: engines per lever, read and write transactions, retries, counters.

Both dialects run the same SQLAlchemy Core ``text()`` SQL; the few differences are data in
:class:`Dialect` (row locks, ``SKIP LOCKED``), never ``if`` chains in the routes. With the
``pool`` lever on PostgreSQL, the same SQL runs on psycopg's own pool instead (pgpool.py:
prepared statements kept across requests, no SQLAlchemy per statement); the query helpers
below take either kind of connection (:data:`Conn`).

On SQLite, the service uses WAL, a busy timeout and ``BEGIN IMMEDIATE`` for writes, so writers
queue up instead of failing halfway. On PostgreSQL, writers lock the stock rows they need
``FOR UPDATE`` in a stable order and retry on deadlock or serialization failure.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import IntegrityError as SaIntegrityError
from sqlalchemy.pool import NullPool

from . import sqltags
from .pgpool import PgConn, PgPool

T = TypeVar("T")

#: Per-request statement counter (a one-element list) set by the metrics middleware.
STATEMENT_COUNTER: ContextVar[list[int] | None] = ContextVar("erp_statement_counter", default=None)

#: A connection the query helpers take: SQLAlchemy's, or a pooled psycopg one (pgpool.py).
Conn = Connection | PgConn

#: A unique or foreign-key violation, from either kind of connection.
IntegrityError = (SaIntegrityError, psycopg.IntegrityError)


def normalize_url(url: str) -> str:
    """Return a SQLAlchemy URL using the psycopg 3 driver for PostgreSQL.

    >>> normalize_url("postgresql://postgres@127.0.0.1/erp")
    'postgresql+psycopg://postgres@127.0.0.1/erp'
    >>> normalize_url("sqlite:////tmp/x.sqlite")
    'sqlite:////tmp/x.sqlite'
    """
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith(("postgresql+psycopg://", "sqlite:///")):
        return url
    raise ValueError(
        f"unsupported database URL {redact(url)!r}: use sqlite:///PATH or postgresql://..."
    )


def redact(url: str) -> str:
    """Hide the password of a URL for messages and ``/profile``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a message helper must not fail
        return "<unparsable URL>"


def dialect_name(url: str) -> str:
    """``sqlite`` or ``postgresql``."""
    return "sqlite" if normalize_url(url).startswith("sqlite") else "postgresql"


@dataclass(frozen=True)
class Dialect:
    """SQL fragments that differ between the two databases."""

    name: str
    for_update: str
    for_share: str
    skip_locked: str


DIALECTS: dict[str, Dialect] = {
    "sqlite": Dialect("sqlite", "", "", ""),
    "postgresql": Dialect("postgresql", " FOR UPDATE", " FOR SHARE", " FOR UPDATE SKIP LOCKED"),
}


class Database:
    """One engine plus the transaction helpers the routes use.

    Args:
        url: database URL (``sqlite:///...`` or ``postgresql://...``).
        pooled: the ``pool`` lever: a connection pool, or a new connection per request.
        pool_size: pooled connections kept per worker process.
        sql_tags: append the request's operation and id (``on``), the operation only (``op``)
            or nothing (``off``) to each statement (sqltags.py).
    """

    def __init__(
        self,
        url: str,
        *,
        pooled: bool,
        pool_size: int = 8,
        max_overflow: int = 8,
        sql_tags: str = "off",
    ) -> None:
        self.url = normalize_url(url)
        self.dialect = DIALECTS[dialect_name(url)]
        self.pooled = pooled
        self._in_use = 0
        self._lock = threading.Lock()
        kwargs: dict[str, Any] = {}
        if not pooled:
            kwargs["poolclass"] = NullPool
        else:
            kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_timeout=20)
        if self.dialect.name == "sqlite":
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["connect_args"] = {"application_name": "erpcap-reference-erp"}
        self.engine: Engine = create_engine(self.url, **kwargs)
        self._install_events()
        if sql_tags != "off":
            sqltags.install(self.engine, with_request=sql_tags == "on")
        self._pg: PgPool | None = None
        if pooled and self.dialect.name == "postgresql":
            self._pg = PgPool(
                self.url.replace("postgresql+psycopg://", "postgresql://", 1),
                size=pool_size,
                overflow=max_overflow,
                tags=sql_tags,
                counter=STATEMENT_COUNTER,
            )

    # ------------------------------------------------------------------ events
    def _install_events(self) -> None:
        engine = self.engine
        if self.dialect.name == "sqlite":

            @event.listens_for(engine, "connect")
            def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
                dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA busy_timeout=30000")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

            @event.listens_for(engine, "begin")
            def _sqlite_begin(conn: Connection) -> None:
                immediate = conn.get_execution_options().get("erp_immediate", False)
                conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        @event.listens_for(engine, "before_cursor_execute")
        def _count(*_args: Any) -> None:
            counter = STATEMENT_COUNTER.get()
            if counter is not None:
                counter[0] += 1

        @event.listens_for(engine, "checkout")
        def _checkout(*_args: Any) -> None:
            with self._lock:
                self._in_use += 1

        @event.listens_for(engine, "checkin")
        def _checkin(*_args: Any) -> None:
            with self._lock:
                self._in_use -= 1

    @property
    def connections_in_use(self) -> int:
        """Connections currently checked out of this worker's engine."""
        return self._pg.in_use if self._pg is not None else self._in_use

    @property
    def pool_kind(self) -> str:
        """What serves connections (for ``/profile``)."""
        if self._pg is not None:
            return "psycopg-pool"
        return "queue-pool" if self.pooled else "null-pool"

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def read(self) -> Iterator[Conn]:
        """A connection for reads; its implicit transaction is rolled back at the end (ended
        with COMMIT on psycopg's pool, which forgets its prepared statements on ROLLBACK)."""
        if self._pg is not None:
            with self._pg.connection() as pg:
                yield pg
            return
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Conn]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success."""
        if self._pg is not None:
            with self._pg.connection() as pg:
                yield pg
            return
        with self.engine.connect() as conn:
            conn.execution_options(erp_immediate=True)
            with conn.begin():
                yield conn

    def run_write(self, fn: Callable[[Conn], T], attempts: int = 5) -> T:
        """Run ``fn`` in a write transaction, retrying deadlocks and serialization failures.

        Whatever ``fn`` raises rolls the whole transaction back: nothing is half-written.
        """
        for attempt in range(attempts):
            try:
                with self.write() as conn:
                    return fn(conn)
            except (DBAPIError, psycopg.Error) as exc:
                if attempt + 1 < attempts and self._retryable(exc):
                    time.sleep(random.uniform(0.001, 0.01) * (attempt + 1))  # jittered backoff
                    continue
                raise
        raise AssertionError("unreachable")

    def _retryable(self, exc: DBAPIError | psycopg.Error) -> bool:
        orig = exc.orig if isinstance(exc, DBAPIError) else exc
        if getattr(orig, "sqlstate", None) in ("40P01", "40001", "55P03"):
            return True
        return "database is locked" in str(orig)

    def dispose(self) -> None:
        """Close pooled connections."""
        if self._pg is not None:
            self._pg.close()
        self.engine.dispose()


# ---------------------------------------------------------------------- query helpers
def rows(conn: Conn, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run ``sql`` and return every row as a dict."""
    if isinstance(conn, PgConn):
        return conn.run(sql, params).fetchall()
    return [dict(r) for r in conn.execute(text(sql), dict(params or {})).mappings()]


def one(conn: Conn, sql: str, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """Run ``sql`` and return the first row as a dict, or None."""
    if isinstance(conn, PgConn):
        return conn.run(sql, params).fetchone()
    row = conn.execute(text(sql), dict(params or {})).mappings().first()
    return dict(row) if row is not None else None


def scalar(conn: Conn, sql: str, params: Mapping[str, Any] | None = None) -> Any:
    """Run ``sql`` and return the first column of the first row."""
    if isinstance(conn, PgConn):
        found = conn.run(sql, params).fetchone()
        return None if found is None else next(iter(found.values()))
    return conn.execute(text(sql), dict(params or {})).scalar()


def page(
    conn: Conn,
    columns: str,
    table: str,
    filters: Mapping[str, Any],
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """One page of ``table`` by id and the total count: ``{"items": [...], "total": n}``.

    ``filters`` maps column names (from code, never from a request) to the values that must
    match; None values are left out.
    """
    params: dict[str, Any] = {k: v for k, v in filters.items() if v is not None}
    cond = " AND ".join(f"{k} = :{k}" for k in params) or "1 = 1"
    found = rows(
        conn,
        f"SELECT {columns} FROM {table} WHERE {cond} ORDER BY id LIMIT :_limit OFFSET :_offset",
        {**params, "_limit": limit, "_offset": offset},
    )
    total = scalar(conn, f"SELECT COUNT(*) FROM {table} WHERE {cond}", params)
    return {"items": found, "total": int(total)}


def execute(
    conn: Conn, sql: str, params: Mapping[str, Any] | list[dict[str, Any]] | None = None
) -> int:
    """Run a DML statement (or executemany with a list) and return the row count."""
    if isinstance(params, list):
        if not params:
            return 0
        if isinstance(conn, PgConn):
            return conn.run_many(sql, params)
        return conn.execute(text(sql), params).rowcount
    if isinstance(conn, PgConn):
        return conn.run(sql, params).rowcount
    return conn.execute(text(sql), dict(params or {})).rowcount


def insert_returning_id(conn: Conn, sql: str, params: Mapping[str, Any]) -> int:
    """Run an ``INSERT ... RETURNING id`` and return the new id."""
    if isinstance(conn, PgConn):
        found = conn.run(sql + " RETURNING id", params).fetchone()
        assert found is not None  # noqa: S101 - an INSERT ... RETURNING returns its row
        return int(found["id"])
    return int(conn.execute(text(sql + " RETURNING id"), dict(params)).scalar_one())
