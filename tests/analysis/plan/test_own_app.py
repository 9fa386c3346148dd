"""The plan from a real analysis of an application of the test's own (not the reference ERP):
a stdlib HTTP server whose order view reads its lines one by one (a planted N+1) or with one
join (healthy), on a PostgreSQL server of the test's own that logs every statement. The
planted cause must come out as an N+1 fix in the named operation; the healthy twin must get
no recommendation beyond monitoring.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest

from erpcap.analysis import analyze_run
from erpcap.importing import import_files
from erpcap.rundir import RunDir

pytestmark = pytest.mark.postgres

#: Orders the load reads, and how many lines each has (the N of the N+1 differs per order).
ORDERS = {order: 3 + order % 5 for order in range(1, 13)}


def _own_servers() -> ModuleType:
    path = Path(__file__).parents[2] / "own_servers.py"
    spec = importlib.util.spec_from_file_location("erpcap_tests_own_servers_plan", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _app(dsn: str, planted: bool) -> type[BaseHTTPRequestHandler]:
    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            order = int(self.path.rsplit("/", 1)[1])
            tag = f"/*op='order_view',rid='{uuid.uuid4().hex}'*/"
            with psycopg.connect(dsn, autocommit=True) as conn:
                if planted:
                    lines = conn.execute(
                        f"SELECT item_id FROM lines WHERE order_id = %s {tag}", (order,)
                    ).fetchall()
                    names = [
                        conn.execute(f"SELECT name FROM items WHERE id = %s {tag}", row).fetchone()
                        for row in lines
                    ]
                else:
                    names = conn.execute(
                        "SELECT i.name FROM lines l JOIN items i ON i.id = l.item_id "
                        f"WHERE l.order_id = %s {tag}",
                        (order,),
                    ).fetchall()
            body = f"{len(names)} lines".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Shop


def _serve_and_load(dsn: str, planted: bool) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _app(dsn, planted))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        for order in list(ORDERS) * 2:  # 24 requests, one at a time
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/order/{order}", timeout=30) as r:
                assert r.status == 200
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[bool, Path]]:
    """The statement log of the planted app and of the healthy one, each a copy."""
    servers = _own_servers()
    if not (servers.PG_BIN / "postgres").exists():
        pytest.skip("PostgreSQL 15's server binaries are not installed")
    out: dict[bool, Path] = {}
    for planted in (True, False):
        with servers.postgres() as server:
            with psycopg.connect(server.dsn, autocommit=True) as conn:
                conn.execute("CREATE TABLE items (id int PRIMARY KEY, name text)")
                conn.execute(
                    "CREATE TABLE lines (id serial PRIMARY KEY, order_id int, item_id int)"
                )
                conn.execute("CREATE INDEX ON lines (order_id)")
                conn.execute(
                    "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g"
                )
                for order, count in ORDERS.items():
                    for k in range(count):
                        conn.execute(
                            "INSERT INTO lines (order_id, item_id) VALUES (%s, %s)",
                            (order, (order * 7 + k) % 50 + 1),
                        )
            _serve_and_load(server.dsn, planted)
            server.stop()
            out[planted] = tmp_path_factory.mktemp("shop") / "postgresql.log"
            shutil.copy(server.log, out[planted])
    yield out


def _plan(make_run: Callable[..., RunDir], log: Path) -> dict[str, Any]:
    run = make_run([(2, 10.0, 6.0, 30.0, 0.0), (4, 10.0, 11.0, 40.0, 0.0)])
    import_files("pg-log", [log], run.path, options={"log_line_prefix": "%m [%p] %q%u@%d "})
    doc = analyze_run(run)
    assert doc["plan"] is not None
    return doc


def test_planted_n_plus_one_becomes_a_fix_in_the_named_operation(
    logs: dict[bool, Path], make_run: Callable[..., RunDir]
) -> None:
    doc = _plan(make_run, logs[True])
    recs = {r["id"]: r for r in doc["plan"]["recommendations"]}
    assert "batch_queries" in recs, [r["id"] for r in doc["plan"]["recommendations"]]
    rec = recs["batch_queries"]
    assert rec["subject"] == {"kind": "operation", "name": "order_view"}
    assert rec["evidence"]["finding_ids"] == ["sql.n_plus_one"]
    assert "select name from items where id = ?" in rec["texts"]["en"]["detail"]
    assert 0 < rec["expected_gain"]["db_time_share"] < 1
    assert rec["rank"] < recs["monitoring"]["rank"]


def test_the_healthy_twin_gets_no_recommendation_beyond_monitoring(
    logs: dict[bool, Path], make_run: Callable[..., RunDir]
) -> None:
    doc = _plan(make_run, logs[False])
    assert doc["sql"]["counts"]["statements"] > 0  # the analysis saw the work
    assert [r["id"] for r in doc["plan"]["recommendations"]] == ["monitoring"]
