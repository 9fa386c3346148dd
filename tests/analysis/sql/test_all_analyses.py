"""Every SQL analysis on one real PostgreSQL log, through ``erpcap sql analyze``: the ranking,
an anti-pattern, an N+1 tied to its operation, and an index verified with HypoPG.

The test's own server runs a tiny shop of the test's own (not the reference ERP): requests
tagged sqlcommenter-style, one operation reading an order's lines row by row (a planted
N+1, its count growing with the order's lines), its batched twin, and a search with a
leading wildcard, on tables without an index on the filtered columns.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest

pytestmark = pytest.mark.postgres


def _request(conn: psycopg.Connection[Any], op: str, rid: str, sql: str, *args: Any) -> list[Any]:
    return conn.execute(f"{sql} /*op='{op}',rid='{rid}'*/", args or None).fetchall()


@pytest.fixture(scope="module")
def shop(own_servers: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The server, still running (for --dsn), with the shop's statements in its log."""
    if not (own_servers.PG_BIN / "postgres").exists():
        pytest.skip("PostgreSQL 15's server binaries are not installed")
    with own_servers.postgres() as server:
        with psycopg.connect(server.dsn, autocommit=True) as admin:
            admin.execute("CREATE DATABASE shop")
        dsn = server.dsn.replace("dbname=postgres", "dbname=shop")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS hypopg")
            conn.execute("CREATE TABLE orders (id int PRIMARY KEY, customer int, note text)")
            conn.execute("CREATE TABLE lines (id int PRIMARY KEY, order_id int, qty int)")
            conn.execute("INSERT INTO orders SELECT g, g % 500, 'order ' || g "
                         "FROM generate_series(1, 20000) g")  # fmt: skip
            conn.execute("INSERT INTO lines SELECT g, g % 20000 + 1, 1 "
                         "FROM generate_series(1, 60000) g")  # fmt: skip
            conn.execute("ANALYZE")
            for n, order in enumerate((11, 12, 13, 14, 15, 16)):
                ids = [r[0] for r in _request(conn, "order_lines", f"a{n}",
                       "SELECT id FROM lines WHERE order_id = %s", order)]  # fmt: skip
                for line in ids + list(range(100 + n * 10, 102 + n * 10 + n)):  # grows
                    _request(
                        conn, "order_lines", f"a{n}", "SELECT qty FROM lines WHERE id = %s", line
                    )
                _request(conn, "order_lines_batched", f"b{n}",
                         "SELECT id, qty FROM lines WHERE order_id = %s", order)  # fmt: skip
            for n in range(30):  # the pattern inlined, as an application that builds its SQL
                _request(conn, "search", f"s{n}",
                         f"SELECT * FROM orders WHERE note LIKE '%%{n}7%%'")  # fmt: skip
            conn.execute("SELECT 'end of the shop' AS marker")
        deadline = time.monotonic() + 30  # the log is complete once the marker is in it
        while b"end of the shop" not in server.log.read_bytes():
            assert time.monotonic() < deadline, "the server did not log the marker in 30 s"
            time.sleep(0.05)
        yield server


def test_sql_analyze_ranks_and_runs_every_analysis(shop: Any, tmp_path: Path, sql_cli: Any) -> None:
    out = tmp_path / "sql.json"
    url = f"postgresql://postgres@127.0.0.1:{shop.port}/shop"
    result = sql_cli("analyze", str(shop.log), "--log-line-prefix", "%m [%p] %q%u@%d ",
                     "--dsn", url, "--json", str(out), "--html", str(tmp_path / "zh.html"),
                     "--lang", "zh-CN")  # fmt: skip
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    ids = {f["id"] for f in doc["findings"]}
    # N+1: the row-by-row read in order_lines, not its batched twin
    n_plus_one = [f for f in doc["findings"] if f["id"] == "sql.n_plus_one"]
    assert [f["evidence"].get("operation") or f["subject"] for f in n_plus_one]
    assert all("order_lines_batched" not in json.dumps(f) for f in n_plus_one)
    assert any("select qty from lines where id = ?" in json.dumps(f) for f in n_plus_one)
    # anti-patterns of the search
    assert {"sql.leading_wildcard", "sql.select_star"} <= ids
    # an index on lines(order_id), verified by plan cost
    advice = [f for f in doc["findings"] if f["id"] == "sql.index_missing"]
    assert any("order_id" in json.dumps(f) for f in advice), doc.get("indexes")
    html = (tmp_path / "zh.html").read_text(encoding="utf-8")
    assert "N+1" in html and "order_lines" in html
