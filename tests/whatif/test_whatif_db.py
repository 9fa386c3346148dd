"""Copies of the seeded database per configuration, and their removal."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from erpcap.errors import BadInput
from erpcap.whatif_db import Databases

PG = "postgresql://postgres@127.0.0.1:5432"


def _pg_names(prefix: str) -> set[str]:
    with psycopg.connect(f"{PG}/postgres") as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",)
        ).fetchall()
    return {r[0] for r in rows}


@pytest.mark.postgres
def test_postgres_copies_start_from_the_seeded_data(tmp_path):
    dbs = Databases(f"{PG}/h6_whatif_db", tmp_path)
    try:
        seeded = dbs.seed_url()
        with psycopg.connect(seeded, autocommit=True) as conn:
            conn.execute("CREATE TABLE item (id int)")
            conn.execute("INSERT INTO item SELECT generate_series(1, 37)")
        first = dbs.copy("legacy", tmp_path)
        with psycopg.connect(first, autocommit=True) as conn:
            conn.execute("DELETE FROM item")  # a configuration changes its own copy only
        second = dbs.copy("indexes", tmp_path)
        with psycopg.connect(second) as conn:
            assert conn.execute("SELECT count(*) FROM item").fetchone() == (37,)
        assert len(_pg_names(f"h6_whatif_db_{dbs.tag}")) == 3
        # A session left open does not stop the drop.
        with psycopg.connect(second):
            assert dbs.drop_all() == []
    finally:
        dbs.drop_all()
    assert not _pg_names(f"h6_whatif_db_{dbs.tag}")


def test_sqlite_copies_and_removal(tmp_path):
    dbs = Databases(None, tmp_path / "w")
    seeded = dbs.seed_url()
    with sqlite3.connect(seeded.removeprefix("sqlite:///")) as conn:
        conn.execute("CREATE TABLE item (id int)")
        conn.executemany("INSERT INTO item VALUES (?)", [(i,) for i in range(11)])
    run = tmp_path / "w" / "legacy"
    run.mkdir()
    copy = dbs.copy("legacy", run)
    assert copy == f"sqlite:///{(run / 'erp.sqlite').resolve()}"
    with sqlite3.connect(run / "erp.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM item").fetchone() == (11,)
    assert dbs.drop_all() == []
    assert not list((tmp_path / "w").rglob("*.sqlite"))


def test_an_existing_sqlite_file_is_not_overwritten(tmp_path):
    existing = tmp_path / "mine.sqlite"
    existing.write_bytes(b"precious")
    with pytest.raises(BadInput, match="already exists"):
        Databases(f"sqlite:///{existing}", tmp_path)
    assert existing.read_bytes() == b"precious"
