"""N+1 on the reference ERP, found from a PostgreSQL server log: the ``legacy`` profile with
the ``batching`` lever off shows it, the lever on removes it, and ``--sql-tags off`` leaves
the statements without tags.

The test starts its own PostgreSQL 15 (own data directory and port; the shared server is left
alone) that logs every statement of the ERP's database, seeds the ERP into it, drives a
bounded number of requests over 127.0.0.1 and reads the log back with the pg-log parser."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import pytest

from erpcap.analysis.sql.context import SqlContext
from erpcap.analysis.sql.operations import analyze
from erpcap.collectors.importers.base import ImportReport
from erpcap.collectors.importers.pg_log import parse
from erpcap.processes import free_port
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


def _as_postgres() -> dict[str, Any]:
    """Run a child as the postgres OS user when root (initdb refuses root); the kernel stops
    it when this test process dies (PR_SET_PDEATHSIG, set after the user change)."""

    def lifeline() -> None:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)

    base: dict[str, Any] = {"preexec_fn": lifeline}
    if os.geteuid() == 0:
        base.update(user="postgres", group="postgres", extra_groups=[])
    return base


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # fast shutdown
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # anything of its group still there


@pytest.fixture(scope="module")
def logged_erp(wait: Any) -> Iterator[tuple[str, Path]]:
    """(ERP database URL, server log): a seeded ERP on a server that logs every statement."""
    folder = Path(tempfile.mkdtemp(prefix="erpcap-nplus1-"))
    proc: subprocess.Popen[bytes] | None = None
    log = folder / "postgresql.log"
    try:
        (folder / "data").mkdir()
        (folder / "socket").mkdir()
        if os.geteuid() == 0:
            for path in (folder, *folder.iterdir()):
                shutil.chown(path, "postgres", "postgres")
        initdb = [str(PG_BIN / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U",
                  "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]  # fmt: skip
        subprocess.run(initdb, check=True, capture_output=True, timeout=120, **_as_postgres())
        port = free_port()
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(port),
            "unix_socket_directories": str(folder / "socket"),
            "log_line_prefix": "%m [%p] ",
            "lc_messages": "C",
            "shared_buffers": "32MB",
            "max_connections": "30",
            "fsync": "off",
        }
        argv = [str(PG_BIN / "postgres"), "-D", str(folder / "data")]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        with log.open("wb") as out:  # no logging collector: backends write as they finish
            proc = subprocess.Popen(
                argv, stdout=out, stderr=out, start_new_session=True, **_as_postgres()
            )
        admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"

        def ready() -> bool:
            assert proc is not None and proc.poll() is None, log.read_text()[-2000:]
            try:
                psycopg.connect(admin, connect_timeout=2).close()
            except psycopg.OperationalError:
                return False
            return True

        wait(ready, 60, "the test PostgreSQL server to accept connections")
        url = f"postgresql://postgres@127.0.0.1:{port}/erp"
        with open(os.devnull, "w") as devnull:
            seed(url, SCALE, 42, as_of=AS_OF, out=devnull)
        with psycopg.connect(admin, autocommit=True) as conn:  # from now on: every statement
            conn.execute("ALTER DATABASE erp SET log_min_duration_statement = 0")
        yield url, log
    finally:
        if proc is not None:
            _stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


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
