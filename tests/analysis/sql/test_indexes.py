"""Index advice on the real local PostgreSQL, with HypoPG (available to every new database
through template1) and without it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pandas as pd
import psycopg
import pytest

from erpcap.analysis.sql.context import RANKED_COLUMNS, SqlBlock, SqlContext
from erpcap.analysis.sql.indexes import analyze
from erpcap.plugins import load

pytestmark = pytest.mark.postgres

#: Rows in the test table: enough that a sequential scan costs far more than an index scan.
ROWS = 50_000


def ranked(*statements: tuple[str, str | None]) -> pd.DataFrame:
    """The ranking table for (fingerprint, sample) pairs, the first taking most time."""
    rows = []
    for number, (fingerprint, sample) in enumerate(statements):
        row: dict[str, Any] = dict.fromkeys(RANKED_COLUMNS)
        row.update(
            fingerprint=fingerprint,
            fingerprint_id=f"{number:016x}",
            calls=100,
            total_ms=1000.0 / (number + 1),
            share=0.4 / (number + 1),
            sample=sample,
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(RANKED_COLUMNS))


def run(dsn: str | None, *statements: tuple[str, str | None]) -> SqlBlock | None:
    ctx = SqlContext(
        statements=pd.DataFrame(),
        sql_stats=pd.DataFrame(),
        ranked=ranked(*statements),
        dialect="postgres",
        dsn=dsn,
    )
    return analyze(ctx)


def execute(dsn: str, *sql: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for text in sql:
            conn.execute(text.encode())


@pytest.fixture
def orders_db(pg_database: str) -> str:
    """A database with ``orders`` (ROWS rows: customer 1000 values, status 37, placed a
    timestamp) and ``lines`` (ROWS rows pointing at 5,000 orders), analysed, and no index
    but the primary keys."""
    execute(
        pg_database,
        "CREATE TABLE orders (id serial PRIMARY KEY, customer int, status int,"
        " placed timestamptz, note text)",
        f"INSERT INTO orders (customer, status, placed, note) SELECT i % 1000, i % 37,"
        f" timestamptz '2026-01-01' + i * interval '1 minute', 'n' || i"
        f" FROM generate_series(1, {ROWS}) i",
        "CREATE TABLE lines (id serial PRIMARY KEY, order_id int, qty int)",
        f"INSERT INTO lines (order_id, qty) SELECT i % 5000 + 1, i % 7"
        f" FROM generate_series(1, {ROWS}) i",
        "ANALYZE",
    )
    return pg_database


@pytest.fixture
def make_role(pg_database: str) -> Iterator[Callable[[Sequence[str]], str]]:
    """Makes a login role (no superuser) with the given grants in the test database; returns
    a DSN for it. Dropped after the test, grants and all."""
    made: list[str] = []

    def factory(grants: Sequence[str]) -> str:
        name = f"erpcap_idx_{os.getpid()}_{len(made)}"
        execute(pg_database, f"DROP ROLE IF EXISTS {name}", f"CREATE ROLE {name} LOGIN")
        made.append(name)
        execute(pg_database, *(g.format(role=name) for g in grants))
        return pg_database.replace("postgres@", f"{name}@", 1)

    yield factory
    for name in made:
        execute(pg_database, f"DROP OWNED BY {name}")
        execute(pg_database, f"DROP ROLE {name}")


def advice(block: SqlBlock | None) -> dict[str, dict[str, Any]]:
    assert block is not None
    return {a["create"]: a for a in block.data["advice"]}


def test_registered_as_an_sql_analysis() -> None:
    assert ("30-indexes", analyze) in load("sql_analyses")


def test_missing_index_on_a_filtered_column_is_advised_with_its_cost(orders_db: str) -> None:
    block = run(orders_db, ("select * from orders where customer = ?", None))
    found = advice(block)
    assert list(found) == ["CREATE INDEX ON orders (customer)"]
    item = found["CREATE INDEX ON orders (customer)"]
    assert item["verified"] is True
    assert item["reduction"] >= 0.5
    assert item["cost_after"] <= item["cost_before"] / 2
    assert item["statements"][0]["fingerprint_id"] == "0000000000000000"
    assert item["share"] == pytest.approx(0.4)
    assert block is not None
    finding = next(f for f in block.findings if f.id == "sql.index_missing")
    assert "CREATE INDEX ON orders (customer)" in finding.fix
    assert finding.texts["zh-CN"].title.startswith("在 orders")
    assert finding.stage == "sql"


def test_a_user_with_select_only_gets_verified_advice(
    orders_db: str, make_role: Callable[[Sequence[str]], str]
) -> None:
    reader = make_role(["GRANT SELECT ON orders TO {role}"])
    found = advice(run(reader, ("select * from orders where status = ? and customer = ?", None)))
    assert list(found) == ["CREATE INDEX ON orders (status, customer)"]
    assert found["CREATE INDEX ON orders (status, customer)"]["verified"] is True


def test_no_advice_where_the_index_exists(orders_db: str) -> None:
    execute(orders_db, "CREATE INDEX orders_customer_placed ON orders (customer, placed)")
    block = run(
        orders_db,
        ("select * from orders where customer = ?", "select * from orders where customer = 7"),
    )
    assert advice(block) == {}
    assert block is not None
    assert not [f for f in block.findings if f.id.startswith("sql.index_missing")]
    assert block.data["statements_examined"] == 1


def test_two_column_index_when_it_beats_the_best_single_column(orders_db: str) -> None:
    # A normalised statement ($1, $2): planned generically.
    sql = "select id from orders o where o.customer = $1 and o.status = $2"
    found = advice(run(orders_db, (sql.replace("$1", "?").replace("$2", "?"), sql)))
    assert list(found) == ["CREATE INDEX ON orders (customer, status)"]
    assert found["CREATE INDEX ON orders (customer, status)"]["reduction"] >= 0.5


def test_order_by_with_limit(orders_db: str) -> None:
    sql = "SELECT id, note FROM orders ORDER BY placed DESC LIMIT 20"
    found = advice(
        run(orders_db, ("select id, note from orders order by placed desc limit ?", sql))
    )
    assert list(found) == ["CREATE INDEX ON orders (placed)"]


def test_join_column_of_the_other_table_through_its_alias(orders_db: str) -> None:
    sql = "SELECT l.qty FROM orders o JOIN lines l ON l.order_id = o.id WHERE o.id = 42"
    found = advice(run(orders_db, ("select l.qty from orders o join lines l on …", sql)))
    assert list(found) == ["CREATE INDEX ON lines (order_id)"]
    assert found["CREATE INDEX ON lines (order_id)"]["reduction"] >= 0.5


def test_duplicate_and_unused_indexes(orders_db: str) -> None:
    execute(
        orders_db,
        "CREATE INDEX orders_status ON orders (status)",
        "CREATE INDEX orders_status_placed ON orders (status, placed)",
        "CREATE UNIQUE INDEX orders_note ON orders (note)",
    )
    block = run(orders_db)
    assert block is not None
    duplicates = {d["index"]: d["kept"] for d in block.data["duplicates"]}
    assert duplicates == {"orders_status": "orders_status_placed"}
    unused = {u["index"] for u in block.data["unused"]}
    # Unique and primary keys enforce something even when never read: not reported.
    assert unused == {"orders_status", "orders_status_placed"}
    assert all(u["table_bytes"] > 0 for u in block.data["unused"])
    ids = sorted(f.id for f in block.findings)
    assert ids == ["sql.index_duplicate", "sql.index_unused", "sql.index_unused"]
    unused_finding = next(f for f in block.findings if f.id == "sql.index_unused")
    assert "statistics" in unused_finding.detail


def test_bad_statements_and_missing_privileges_are_notes(
    orders_db: str, make_role: Callable[[Sequence[str]], str]
) -> None:
    statements = [
        ("selec garbage from", None),
        ("drop table orders", None),
        ("select ? from orders; drop table orders", "select 1 from orders; drop table orders"),
        ("select * from absent where x = ?", None),
        # PostgreSQL cannot infer the type of $2: no generic plan.
        ("select * from orders where status = ? and ? is null", None),
        ("select * from orders where customer = ?", None),
        (
            "select ? from orders where note in (?)",
            "select 1 from orders where note in ("
            + ", ".join(f"'n{i}'" for i in range(20_000))
            + ")",
        ),
    ]
    block = run(orders_db, *statements)
    assert block is not None
    assert block.data["skipped"] == {
        "not a statement an index serves or sqlglot parses": 3,
        "names a table this database lacks (or a view)": 1,
        "could not be planned (EXPLAIN failed)": 1,
        "longer than 100,000 characters": 1,
    }
    assert any("absent" in note for note in block.notes)
    assert any("could not determine data type" in note for note in block.notes)
    assert list(advice(block)) == ["CREATE INDEX ON orders (customer)"]
    # Never run: the table is still there.
    execute(orders_db, "SELECT 1 FROM orders LIMIT 1")

    # A user who may connect but not read the table: the statement cannot be planned.
    nobody = make_role([])
    block = run(nobody, ("select * from orders where customer = ?", None))
    assert block is not None
    assert block.data["skipped"] == {"could not be planned (EXPLAIN failed)": 1}
    assert any("permission denied" in note for note in block.notes), block.notes
    assert advice(block) == {}

    unreachable = orders_db.rsplit("/", 1)[0] + "/no_such_database_here"
    block = run(unreachable.replace("postgres@", "postgres:secret@"), ("select 1", None))
    assert block is not None and block.findings == []
    assert "cannot connect" in block.notes[0] and "secret" not in block.notes[0]


def test_without_hypopg_the_advice_is_unverified_and_says_how_to_install(
    orders_db: str, make_role: Callable[[Sequence[str]], str]
) -> None:
    execute(orders_db, "DROP EXTENSION hypopg")
    reader = make_role(["GRANT SELECT ON orders, lines TO {role}"])
    block = run(reader, ("select * from orders where customer = ?", None))
    assert block is not None
    assert block.data["verified"] is False
    item = advice(block)["CREATE INDEX ON orders (customer)"]
    assert item["verified"] is False and item["cost_before"] is None
    finding = next(f for f in block.findings if f.id == "sql.index_unverified")
    assert "apt-get install postgresql-15-hypopg" in finding.fix
    assert "CREATE EXTENSION hypopg" in finding.texts["zh-CN"].fix
    assert any("HypoPG missing" in note for note in block.notes)

    # A superuser may create it: inside the rolled-back transaction, leaving no trace.
    block = run(orders_db, ("select * from orders where customer = ?", None))
    assert block is not None and block.data["hypopg"] == "temporary"
    assert advice(block)["CREATE INDEX ON orders (customer)"]["verified"] is True
    with psycopg.connect(orders_db) as conn:
        assert (
            conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'hypopg'").fetchone() is None
        )


def test_mysql_gets_a_note_and_no_dsn_no_block() -> None:
    block = run("mysql://root:pw@127.0.0.1:3306/erp", ("select 1", None))
    assert block is not None
    assert "PostgreSQL-only" in block.notes[0] and "pw" not in block.notes[0]
    assert run(None, ("select 1", None)) is None


def test_many_redundant_indexes_give_ten_findings_of_each_kind_and_all_in_the_data(
    orders_db: str,
) -> None:
    execute(orders_db, *(f"CREATE INDEX lines_qty_{n:02d} ON lines (qty)" for n in range(12)))
    block = run(orders_db)
    assert block is not None
    assert len(block.data["duplicates"]) == 11  # one of the twelve twins is kept
    assert len(block.data["unused"]) == 12
    kinds = [f.id for f in block.findings]
    assert kinds.count("sql.index_duplicate") == 10 and kinds.count("sql.index_unused") == 10
    assert any(note.startswith("11 duplicate indexes") for note in block.notes)
    assert any(note.startswith("12 unused indexes") for note in block.notes)
