"""Bulk loading of a generated :class:`~.seed_state.Dataset`: ``executemany`` in one
transaction on SQLite, COPY through psycopg 3 on PostgreSQL. Both drop and recreate the schema.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from . import schema
from .db import normalize_url
from .seed_state import Dataset

#: Progress callback: (table, rows, seconds).
Progress = Callable[[str, int, float], None]


def _ordered(ds: Dataset) -> list[str]:
    """The generated tables in schema (foreign-key) order."""
    return [t for t in schema.TABLES if t in ds.tables]


def load_sqlite(path: str, ds: Dataset, progress: Progress) -> None:
    """Replace the SQLite file at ``path`` (and its WAL/journal files) with ``ds``; ANALYZE."""
    import sqlite3

    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(path + suffix)
        if p.exists():
            p.unlink()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=MEMORY")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        for stmt in schema.ddl_statements("sqlite"):
            conn.execute(stmt)
        for table in _ordered(ds):
            t0 = time.perf_counter()
            cols, data = ds.tables[table]
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            conn.executemany(sql, data)
            progress(table, len(data), time.perf_counter() - t0)
        conn.execute("COMMIT")
        t0 = time.perf_counter()
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode=WAL")
        progress("(analyze)", 0, time.perf_counter() - t0)
    finally:
        conn.close()


def _pg_conninfo(url: str, database: str | None = None) -> str:
    """psycopg conninfo for ``url``, optionally pointed at another ``database``."""
    from sqlalchemy.engine import make_url

    u = make_url(normalize_url(url)).set(drivername="postgresql")
    if database is not None:
        u = u.set(database=database)
    return u.render_as_string(hide_password=False)


def _ensure_pg_database(url: str) -> None:
    """Create the database ``url`` names if it does not exist yet."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = make_url(normalize_url(url)).database
    if not name:
        raise ValueError("the PostgreSQL URL names no database")
    try:
        psycopg.connect(_pg_conninfo(url), connect_timeout=10).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    with psycopg.connect(
        _pg_conninfo(url, "postgres"), autocommit=True, connect_timeout=10
    ) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')


def load_postgres(url: str, ds: Dataset, progress: Progress) -> None:
    """Drop and recreate the schema at ``url``, COPY ``ds`` in, reset identities, VACUUM ANALYZE."""
    import psycopg

    _ensure_pg_database(url)
    with psycopg.connect(_pg_conninfo(url), connect_timeout=10) as conn:
        with conn.cursor() as cur:
            cur.execute("SET client_min_messages = warning")
            for stmt in schema.drop_statements("postgresql"):
                cur.execute(stmt)
            for stmt in schema.ddl_statements("postgresql"):
                cur.execute(stmt)
            for table in _ordered(ds):
                t0 = time.perf_counter()
                cols, data = ds.tables[table]
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(row)
                progress(table, len(data), time.perf_counter() - t0)
            for table in schema.IDENTITY_TABLES:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
        conn.commit()
        conn.autocommit = True
        t0 = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        progress("(vacuum analyze)", 0, time.perf_counter() - t0)
