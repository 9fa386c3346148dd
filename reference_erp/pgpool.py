"""The ``pool`` lever on PostgreSQL: psycopg's own connection pool, statements prepared once.

A pooled connection lives across requests, so what the driver prepares on it (psycopg
prepares a statement text it has run five times on a connection) is reused by later requests:
the server parses and plans it once, and the client sends only the parameters. The routes'
SQL is the same ``:name`` text both dialects run through SQLAlchemy; here it is turned into
PostgreSQL's own ``$1, $2, ...`` once per text and run on a raw cursor (``psycopg.RawCursor``:
the driver does not parse the text, which the request's tag makes new for every request),
with rows made into dicts by psycopg itself. SQLAlchemy's statement compilation and result
wrapping, about two thirds of the client's CPU per statement, are left out.

Statements carry the request's SQL tag and count in the request's statement counter exactly
as on the SQLAlchemy path (db.py, sqltags.py).

>>> positional("SELECT a::text FROM t WHERE id = :id AND d > CAST(:d AS date) OR id = :id")
('SELECT a::text FROM t WHERE id = $1 AND d > CAST($2 AS date) OR id = $1', ('id', 'd'))
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from . import sqltags

#: A ``:name`` bind parameter, as SQLAlchemy's ``text()`` reads it (not ``::cast``).
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


@lru_cache(maxsize=4096)
def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """``sql`` with its ``:name`` parameters as ``$1, $2, ...`` (in order of first use), and
    the names in that order."""
    names: dict[str, int] = {}

    def number(found: re.Match[str]) -> str:
        return f"${names.setdefault(found.group(1), len(names) + 1)}"

    return _BIND.sub(number, sql), tuple(names)


_VALUES = re.compile(
    r"\A\s*INSERT\s+INTO\s[^()]+\([^()]*\)\s*VALUES\s*(\((?:[^()']|'[^']*')*\))\s*\Z", re.I
)


#: Parameters in one multi-row INSERT at most (the protocol allows 65,535).
MAX_PARAMS = 20_000


@lru_cache(maxsize=512)
def multi_row(sql: str, rows: int) -> str | None:
    """A plain ``INSERT INTO t (cols) VALUES (...)`` of ``rows`` rows as one statement, its
    parameters suffixed with ``__N`` per row; None for anything else (a nested parenthesis, a
    clause after the values such as ``ON CONFLICT``, which a repeated key would break).

    >>> multi_row("INSERT INTO t (a, b) VALUES (:a, 'x(')", 2)
    "INSERT INTO t (a, b) VALUES (:a__0, 'x('), (:a__1, 'x(')"
    >>> multi_row("INSERT INTO t (a) VALUES (:a) ON CONFLICT (a) DO NOTHING", 2) is None
    True
    """
    found = _VALUES.match(sql)
    if found is None:
        return None
    row = found.group(1)
    rendered = ", ".join(_BIND.sub(rf":\1__{n}", row) for n in range(rows))
    return sql[: found.start(1)] + rendered + sql[found.end(1) :]


class PgConn:
    """One pooled psycopg connection, with the calls the query helpers of db.py make."""

    __slots__ = ("raw", "_cur", "_tags", "_with_request", "_counter")

    def __init__(self, raw: psycopg.Connection[DictRow], tags: str, counter: Any) -> None:
        self.raw = raw
        self._cur = psycopg.RawCursor(raw, row_factory=dict_row)
        self._tags = tags != "off"
        self._with_request = tags == "on"
        self._counter = counter

    def _sql(self, sql: str) -> tuple[str, tuple[str, ...]]:
        text, names = positional(sql)
        if self._tags:
            tag = sqltags.REQUEST_TAG.get()
            if tag is not None:
                text += tag.comment(self._with_request)
        counter = self._counter.get()
        if counter is not None:
            counter[0] += 1
        return text, names

    def run(self, sql: str, params: Mapping[str, Any] | None) -> psycopg.RawCursor[DictRow]:
        """Execute ``sql`` on this connection's cursor and return the cursor."""
        text, names = self._sql(sql)
        return self._cur.execute(text, [params[n] for n in names] if params else None)

    def run_many(self, sql: str, params: list[dict[str, Any]]) -> int:
        """One statement per row, or one multi-row ``INSERT`` when ``sql`` is a plain
        ``INSERT ... VALUES (...)``; the total row count."""
        small = len(params) > 1 and len(params) * len(params[0]) <= MAX_PARAMS
        if small and (values := multi_row(sql, len(params))) is not None:
            merged = {f"{k}__{n}": v for n, row in enumerate(params) for k, v in row.items()}
            return self.run(values, merged).rowcount
        text, names = self._sql(sql)
        self._cur.executemany(text, [[row[n] for n in names] for row in params])  # pipelined
        return self._cur.rowcount


class PgPool:
    """A psycopg pool of ``PgConn``: read and write transactions like :class:`db.Database`'s."""

    def __init__(self, url: str, *, size: int, overflow: int, tags: str, counter: Any) -> None:
        self._tags = tags
        self._counter = counter
        self._lock = threading.Lock()
        self.in_use = 0
        self.pool: ConnectionPool[psycopg.Connection[DictRow]] = ConnectionPool(
            url,
            min_size=1,
            max_size=size + overflow,
            timeout=20,
            kwargs={"application_name": "erpcap-reference-erp", "row_factory": dict_row},
            name="erpcap-reference-erp",
            open=True,
        )

    @contextmanager
    def connection(self) -> Iterator[PgConn]:
        """A connection in a transaction, committed at the end; rolled back on an error. The
        connection goes back to the pool either way.

        A read ends with COMMIT too (it wrote nothing, so that is the same as a rollback):
        psycopg forgets every prepared statement of a connection on ROLLBACK.
        """
        raw = self.pool.getconn()
        with self._lock:
            self.in_use += 1
        try:
            conn = PgConn(raw, self._tags, self._counter)
            try:
                yield conn
            except BaseException:
                if not raw.closed:
                    with suppress(psycopg.Error):  # a broken connection: the pool drops it
                        raw.rollback()
                raise
            raw.commit()
        finally:
            with self._lock:
                self.in_use -= 1
            self.pool.putconn(raw)

    def close(self) -> None:
        """Close every connection of the pool."""
        self.pool.close()
