"""N+1 on the reference ERP, found from a PostgreSQL server log: the ``legacy`` profile with
the ``batching`` lever off shows it, the lever on removes it, and ``--sql-tags off`` leaves
the statements without tags.

The test starts its own PostgreSQL 15 (own data directory and port; the shared server is left
alone) that logs every statement of the ERP's database, seeds the ERP into it, drives a
bounded number of requests over 127.0.0.1 and reads the log back with the pg-log parser."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pandas as pd
import psycopg
import pytest

from erpcap.analysis.sql.context import SqlContext
from erpcap.analysis.sql.operations import analyze
from erpcap.collectors.importers.base import ImportReport
from erpcap.collectors.importers.pg_log import parse
from erpcap.reference_erp.seed import seed
from erpcap.sqltext import tags

from .conftest import AS_OF, SCALE, ErpServer

PG_BIN = Path("/usr/lib/postgresql/15/bin")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not (PG_BIN / "postgres").exists(), reason="PostgreSQL 15's server binaries are missing"
    ),
]


def _own_servers() -> ModuleType:
    """tests/own_servers.py, loaded by path (test folders are not packages)."""
    path = Path(__file__).parents[1] / "own_servers.py"
    spec = importlib.util.spec_from_file_location("erpcap_tests_own_servers", path)
    assert spec is not None and spec.loader is not None
    module = sys.modules.get(spec.name) or importlib.util.module_from_spec(spec)
    if spec.name not in sys.modules:
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def logged_erp() -> Iterator[tuple[str, Path]]:
    """(ERP database URL, server log): a seeded ERP on a server that logs every statement."""
    # Logged by the server itself, not its collector, so the log can be read while it runs;
    # every statement from when the seed is done.
    quiet = {"log_line_prefix": "%m [%p] ", "log_min_duration_statement": "-1"}
    with _own_servers().postgres(quiet, collector=False) as server:
        url = f"postgresql://postgres@127.0.0.1:{server.port}/erp"
        with open(os.devnull, "w") as devnull:
            seed(url, SCALE, 42, as_of=AS_OF, out=devnull)
        with psycopg.connect(server.dsn, autocommit=True) as conn:
            conn.execute("ALTER DATABASE erp SET log_min_duration_statement = 0")
        yield url, server.log


def _targets(url: str) -> tuple[list[int], list[int]]:
    """Orders of 1 to 8 lines (with shipments) and customers with few to many orders."""
    with psycopg.connect(url) as conn:
        orders = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT ON (n) id FROM (SELECT o.id, COUNT(*) AS n FROM sales_order o "
                "JOIN sales_order_line l ON l.order_id = o.id GROUP BY o.id) x "
                "ORDER BY n, id LIMIT 8"
            )
        ]
        customers = [
            r[0]
            for r in conn.execute(
                "SELECT customer_id FROM (SELECT customer_id, COUNT(*) AS n, "
                "ROW_NUMBER() OVER (ORDER BY COUNT(*), customer_id) AS k FROM sales_order "
                "GROUP BY customer_id) x WHERE k % 4 = 0 LIMIT 12"
            )
        ]
    return orders, customers


def _drive(server: ErpServer, orders: list[int], customers: list[int]) -> set[str]:
    """The bounded requests of one phase; the request ids the server gave them."""
    rids = set()
    for order in orders:
        r = server.call("manager", "GET", f"/sales-orders/{order}")
        assert r.status_code == 200, r.text
        rids.add(r.headers["X-Request-Id"])
    for customer in customers:
        r = server.call("manager", "GET", f"/customers/{customer}/orders")
        assert r.status_code == 200, r.text
        rids.add(r.headers["X-Request-Id"])
    return rids


def _statements(log: Path, start: int = 0) -> pd.DataFrame:
    part = log.parent / f"part-{start}.log"
    with log.open("rb") as whole:
        whole.seek(start)
        part.write_bytes(whole.read())
    return pd.DataFrame(list(parse([part], ImportReport("pg-log"))))


def test_n_plus_1_with_batching_off_and_gone_with_it_on(logged_erp, tmp_path) -> None:
    url, log = logged_erp
    orders, customers = _targets(url)
    assert len(orders) >= 6 and len(customers) >= 8
    phases: dict[str, set[str]] = {}
    for phase, args in (("off", ()), ("on", ("--lever", "batching=on"))):
        server = ErpServer(url, "--profile", "legacy", *args, log_dir=tmp_path).start()
        try:
            assert server.profile()["levers"]["batching"] is (phase == "on")
            phases[phase] = _drive(server, orders, customers)
        finally:
            server.stop()
    frame = _statements(log)
    rids = frame["statement"].map(lambda s: tags(s).get("rid"))
    blocks = {}
    for phase, wanted in phases.items():
        mine = frame[rids.isin(wanted)]
        assert set(rids[rids.isin(wanted)]) == wanted  # every request's statements are tagged
        blocks[phase] = analyze(SqlContext(mine, pd.DataFrame(), pd.DataFrame()))
    off, on = blocks["off"], blocks["on"]
    assert off is not None and on is not None
    found = {(f.evidence["operation"], f.evidence["fingerprint"]) for f in off.findings}
    assert (
        "list_customer_orders",
        "select count(*) as n, coalesce(sum(quantity), ?) as units from sales_order_line "
        "where order_id = ?",
    ) in found
    assert {op for op, _ in found} == {"list_customer_orders", "get_sales_order"}
    for finding in off.findings:
        assert finding.evidence["max_per_request"] >= 5 and finding.evidence["total_ms"] > 0
    assert on.findings == []
    ops_on = {o["operation"]: o for o in on.data["operations"]}
    assert ops_on["list_customer_orders"]["statements_per_request_max"] <= 4


def test_sql_tags_off_leaves_statements_untouched(logged_erp, tmp_path) -> None:
    url, log = logged_erp
    start = log.stat().st_size
    server = ErpServer(url, "--profile", "legacy", "--sql-tags", "off", log_dir=tmp_path).start()
    try:
        assert server.profile()["sql_tags"] == "off"
        orders, customers = _targets(url)
        rids = _drive(server, orders[:2], customers[:2])
    finally:
        server.stop()
    frame = _statements(log, start)
    assert len(rids) == 4 and len(frame) > 20  # the requests ran and were logged
    assert not frame["statement"].str.contains("/*", regex=False).any()
