"""The pool lever's psycopg path (pgpool.py) against the SQLAlchemy path, on a real server:
same answers from the query helpers, prepared statements kept across requests, tags, errors."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest

from erpcap.reference_erp import sqltags
from erpcap.reference_erp.db import (
    STATEMENT_COUNTER,
    Database,
    IntegrityError,
    execute,
    insert_returning_id,
    one,
    page,
    rows,
    scalar,
)
from erpcap.reference_erp.pgpool import PgConn

pytestmark = pytest.mark.postgres

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    name = f"erpcap_test_pgpool_{os.getpid()}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    db_url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE part (id serial PRIMARY KEY, code text UNIQUE NOT NULL, "
            "qty int NOT NULL, note text)"
        )
    yield db_url
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def dbs(url: str) -> Iterator[tuple[Database, Database]]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE part RESTART IDENTITY")
    pooled = Database(url, pooled=True, pool_size=1, max_overflow=0, sql_tags="off")
    plain = Database(url, pooled=False)
    yield pooled, plain
    pooled.dispose()
    plain.dispose()


def _exercise(db: Database, prefix: str) -> list[object]:
    """The same calls the routes make, on either kind of connection."""
    out: list[object] = []
    with db.write() as conn:
        out.append(
            insert_returning_id(
                conn,
                "INSERT INTO part (code, qty, note) VALUES (:c, :q, :n)",
                {"c": f"{prefix}-a", "q": 3, "n": "50% off"},
            )
        )
        out.append(
            execute(
                conn,
                "INSERT INTO part (code, qty) VALUES (:c, :q)",
                [{"c": f"{prefix}-b", "q": 1}, {"c": f"{prefix}-c", "q": 2}],
            )
        )
        out.append(execute(conn, "UPDATE part SET qty = qty + :d WHERE code LIKE :p", {"d": 1, "p": f"{prefix}-%"}))  # fmt: skip
    with db.read() as conn:
        out.append([(r["code"].split("-")[1], r["qty"]) for r in rows(conn, "SELECT code, qty FROM part WHERE code LIKE :p ORDER BY code", {"p": f"{prefix}-%"})])  # fmt: skip
        found = one(conn, "SELECT qty, note FROM part WHERE code = :c", {"c": f"{prefix}-a"})
        out.append(found)
        out.append(one(conn, "SELECT qty FROM part WHERE code = :c", {"c": "none"}))
        out.append(scalar(conn, "SELECT COUNT(*) FROM part WHERE code LIKE :p", {"p": f"{prefix}-%"}))  # fmt: skip
        out.append(scalar(conn, "SELECT '2026-01-02'::date - '2026-01-01'::date"))
        listed = page(conn, "code, qty", "part", {"code": f"{prefix}-c"}, limit=5, offset=0)
        out.append(sorted(int(i["qty"]) for i in listed["items"]) and listed["total"])
    return out


def test_pooled_connections_answer_as_sqlalchemy_does(dbs: tuple[Database, Database]) -> None:
    pooled, plain = dbs
    assert pooled.pool_kind == "psycopg-pool" and plain.pool_kind == "null-pool"
    with pooled.read() as conn:
        assert isinstance(conn, PgConn)
    got, want = _exercise(pooled, "x"), _exercise(plain, "y")
    assert got[1:] == want[1:]
    assert got[3] == [("a", 4), ("b", 2), ("c", 3)] and got[4] == {"qty": 4, "note": "50% off"}


def test_prepared_statements_outlive_the_request(dbs: tuple[Database, Database]) -> None:
    pooled, _ = dbs
    sql = "SELECT qty FROM part WHERE code = :c"
    for _ in range(6):  # psycopg prepares a text run more than five times on a connection
        with pooled.read() as conn:
            one(conn, sql, {"c": "p"})
    with pooled.read() as conn:  # a later request, on the pool's one connection
        prepared = rows(conn, "SELECT statement FROM pg_prepared_statements")
    assert any("FROM part WHERE code = $1" in r["statement"] for r in prepared)


def test_statements_carry_the_request_tag_and_count(url: str) -> None:
    db = Database(url, pooled=True, pool_size=1, max_overflow=0, sql_tags="on")
    token = sqltags.REQUEST_TAG.set(sqltags.RequestTag("r1", lambda: "odd%op"))
    counter = [0]
    counted = STATEMENT_COUNTER.set(counter)
    try:
        with db.read() as conn:
            with_params = scalar(conn, "SELECT current_query() WHERE :one = 1", {"one": 1})
            plain = scalar(conn, "SELECT current_query()")
    finally:
        sqltags.REQUEST_TAG.reset(token)
        STATEMENT_COUNTER.reset(counted)
        db.dispose()
    tag = "/*op='odd%25op',rid='r1'*/"
    assert with_params.endswith(tag) and plain.endswith(tag) and counter == [2]


def test_integrity_errors_of_both_paths_are_caught_alike(dbs: tuple[Database, Database]) -> None:
    for db in dbs:
        db.run_write(lambda c: execute(c, "INSERT INTO part (code, qty) VALUES ('dup', 1)"))
        with pytest.raises(IntegrityError):
            db.run_write(lambda c: execute(c, "INSERT INTO part (code, qty) VALUES ('dup', 1)"))
        with psycopg.connect(db.url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("DELETE FROM part WHERE code = 'dup'")
    pooled, _ = dbs
    with pooled.read() as conn:  # the failed transaction was rolled back: the pool is usable
        assert scalar(conn, "SELECT COUNT(*) FROM part") == 0


def test_a_deadlock_is_retried_and_nothing_half_written(dbs: tuple[Database, Database]) -> None:
    pooled, _ = dbs
    attempts = []

    def order(conn: object) -> int:
        execute(conn, "INSERT INTO part (code, qty) VALUES (:c, 1)", {"c": f"d{len(attempts)}"})  # type: ignore[arg-type]
        attempts.append(1)
        if len(attempts) == 1:  # what the server raises when it breaks a deadlock
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        return len(attempts)

    assert pooled.run_write(order) == 2
    with pooled.read() as conn:
        assert [r["code"] for r in rows(conn, "SELECT code FROM part")] == ["d1"]


def test_row_lists_insert_in_one_statement_or_row_by_row(dbs: tuple[Database, Database]) -> None:
    pooled, _ = dbs
    many = [{"c": f"m{n}", "q": n} for n in range(2500)]  # over MAX_PARAMS: row by row
    upsert = (
        "INSERT INTO part (code, qty) VALUES (:c, :q) "
        "ON CONFLICT (code) DO UPDATE SET qty = part.qty + excluded.qty"
    )
    with pooled.write() as conn:
        assert execute(conn, "INSERT INTO part (code, qty) VALUES (:c, :q)", many[:3]) == 3
        assert execute(conn, "INSERT INTO part (code, qty) VALUES (:c, :q)", many[3:]) == 2497
        # a repeated key in one list: one statement would fail, row by row adds up
        assert execute(conn, upsert, [{"c": "m1", "q": 5}, {"c": "m1", "q": 5}]) == 2
    with pooled.read() as conn:
        assert scalar(conn, "SELECT SUM(qty) FROM part") == sum(range(2500)) + 10
