"""Each lever on and off: ``/profile`` says so, and its behaviour shows (catalog, statement
counts, Redis keys, RabbitMQ messages, connections, processes, the replica)."""

from __future__ import annotations

import time

import httpx
import pika
import psycopg
import pytest
import redis
from sqlalchemy import text

from erpcap.reference_erp.context import namespace_for
from erpcap.reference_erp.schema import LEVER_INDEXES

from .conftest import PG_ADMIN, engine_for, new_item, stock_item

INDEX_NAMES = {ix.name for ix in LEVER_INDEXES}


def _indexes(url: str) -> set[str]:
    eng = engine_for(url)
    try:
        with eng.connect() as conn:
            if url.startswith("sqlite"):
                rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))
            else:
                rows = conn.execute(
                    text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
                )
            return {r[0] for r in rows} & INDEX_NAMES
    finally:
        eng.dispose()


@pytest.fixture(scope="module")
def lever_db(make_pg_db):
    return make_pg_db("levers")


def test_indexes_lever_sqlite(sqlite_url, servers):
    on = servers.start(sqlite_url, "--lever", "indexes=on")
    assert on.profile()["levers"]["indexes"] is True and _indexes(sqlite_url) == INDEX_NAMES
    servers.stop_all()
    off = servers.start(
        sqlite_url, "--profile", "upgraded", "--lever", "indexes=off", "--lever", "workers=off"
    )
    assert off.profile()["levers"]["indexes"] is False and _indexes(sqlite_url) == set()


@pytest.mark.postgres
def test_indexes_lever_postgres_changes_the_plan(lever_db, servers):
    def plan() -> str:
        eng = engine_for(lever_db)
        with eng.connect() as conn:
            lines = conn.execute(
                text("EXPLAIN SELECT * FROM sales_order_line WHERE order_id = 17")
            ).all()
        eng.dispose()
        return " ".join(r[0] for r in lines)

    on = servers.start(lever_db, "--profile", "legacy", "--lever", "indexes=on")
    assert on.profile()["indexes"] and _indexes(lever_db) == INDEX_NAMES
    assert "ix_sales_order_line_order" in plan()
    servers.stop_all()
    servers.start(lever_db, "--profile", "legacy")
    assert _indexes(lever_db) == set()
    assert "Seq Scan" in plan()


def _statements(server, path: str) -> int:
    r = server.call("manager", "GET", path)
    assert r.status_code == 200, r.text
    return int(r.headers["X-DB-Statements"])


@pytest.mark.postgres
def test_batching_lever_removes_n_plus_1(lever_db, servers):
    eng = engine_for(lever_db)
    with eng.connect() as conn:
        order_id, n_lines = conn.execute(
            text(
                "SELECT o.id, COUNT(*) FROM sales_order o JOIN sales_order_line l ON l.order_id = o.id "
                "JOIN shipment s ON s.order_id = o.id GROUP BY o.id HAVING COUNT(*) >= 3 ORDER BY o.id LIMIT 1"
            )
        ).one()
        customer, n_orders = conn.execute(
            text(
                "SELECT customer_id, COUNT(*) FROM sales_order GROUP BY customer_id ORDER BY COUNT(*) DESC LIMIT 1"
            )
        ).one()
    eng.dispose()
    off = servers.start(lever_db, "--profile", "legacy")
    assert off.profile()["levers"]["batching"] is False
    off_get = _statements(off, f"/sales-orders/{order_id}")
    off_list = _statements(off, f"/customers/{customer}/orders")
    body_off = off.call("manager", "GET", f"/sales-orders/{order_id}").json()
    servers.stop_all()
    on = servers.start(lever_db, "--profile", "legacy", "--lever", "batching=on")
    on_get = _statements(on, f"/sales-orders/{order_id}")
    on_list = _statements(on, f"/customers/{customer}/orders")
    assert on.call("manager", "GET", f"/sales-orders/{order_id}").json() == body_off  # same answer
    assert off_get >= 2 * n_lines + 2 and on_get <= 5
    assert off_list >= min(n_orders, 40) + 1 and on_list <= 3


@pytest.mark.postgres
def test_cache_lever_uses_redis_and_invalidates_on_stock_change(lever_db, servers):
    r = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    ns = namespace_for(lever_db)
    item = new_item(lever_db, "CACHE-1")
    key = f"erp:{ns}:avail:{item}"
    r.delete(key)
    off = servers.start(lever_db, "--profile", "legacy")
    stock_item(off, item, 10)
    off.call("sales", "GET", f"/availability?item_id={item}")
    assert off.profile()["backends"]["cache"] == "off" and not r.exists(key)
    servers.stop_all()
    on = servers.start(lever_db, "--profile", "legacy", "--lever", "cache=on")
    assert on.profile()["backends"]["cache"] == "redis"
    first = on.call("sales", "GET", f"/availability?item_id={item}")
    second = on.call("sales", "GET", f"/availability?item_id={item}")
    assert first.json() == second.json() and first.json()["available"] == 10
    assert r.exists(key) and 0 < r.ttl(key) <= 5
    assert int(second.headers["X-DB-Statements"]) < int(first.headers["X-DB-Statements"])
    assert 'erp_cache_requests_total{family="availability",result="hit"}' in on.metrics()
    order = on.call(
        "sales",
        "POST",
        "/sales-orders",
        json={"customer_id": 1, "lines": [{"item_id": item, "quantity": 4}]},
    )
    assert order.status_code == 201
    assert not r.exists(key), "a stock change invalidates the cached availability"
    assert on.call("sales", "GET", f"/availability?item_id={item}").json()["available"] == 6


def test_cache_lever_falls_back_to_memory_without_redis(sqlite_url, servers):
    s = servers.start(sqlite_url, "--lever", "cache=on", "--redis-url", "redis://127.0.0.1:1/0")
    prof = s.profile()
    assert (
        prof["levers"]["cache"] is True
        and prof["backends"]["cache"] == "memory"
        and prof["warnings"]
    )
    first = s.call("sales", "GET", "/availability?item_id=1")
    second = s.call("sales", "GET", "/availability?item_id=1")
    assert first.json() == second.json()
    assert int(second.headers["X-DB-Statements"]) < int(first.headers["X-DB-Statements"])


def _document_count(url: str, order_id: int) -> int:
    eng = engine_for(url)
    try:
        with eng.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT COUNT(*) FROM order_document WHERE order_id = :o"), {"o": order_id}
                ).scalar_one()
            )
    finally:
        eng.dispose()


@pytest.mark.postgres
def test_async_lever_goes_through_rabbitmq(lever_db, servers):
    off = servers.start(lever_db, "--profile", "legacy")
    o1 = off.call(
        "sales",
        "POST",
        "/sales-orders",
        json={"customer_id": 2, "lines": [{"item_id": 1, "quantity": 1}]},
    )
    assert o1.status_code == 201 and off.profile()["backends"]["queue"] == "off"
    assert _document_count(lever_db, o1.json()["id"]) == 1, (
        "sync: written in the order's transaction"
    )
    servers.stop_all()
    on = servers.start(lever_db, "--profile", "legacy", "--lever", "async=on")
    assert on.profile()["backends"]["queue"] == "rabbitmq"
    o2 = on.call(
        "sales",
        "POST",
        "/sales-orders",
        json={"customer_id": 2, "lines": [{"item_id": 1, "quantity": 1}]},
    )
    assert o2.status_code == 201
    deadline = time.monotonic() + 30
    while _document_count(lever_db, o2.json()["id"]) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _document_count(lever_db, o2.json()["id"]) == 1
    assert 'erp_postorder_jobs_total{backend="rabbitmq",outcome="published"} 1.0' in on.metrics()
    conn = pika.BlockingConnection(pika.URLParameters("amqp://guest:guest@127.0.0.1:5672/%2F"))
    try:
        declared = conn.channel().queue_declare(
            queue=f"erpcap.postorder.{namespace_for(lever_db)}", passive=True
        )
        assert declared.method.consumer_count >= 1
    finally:
        conn.close()


def test_async_lever_in_process_queue_on_sqlite(sqlite_url, servers):
    s = servers.start(sqlite_url, "--lever", "async=on")
    assert s.profile()["backends"]["queue"] == "in-process"
    r = s.call(
        "sales",
        "POST",
        "/sales-orders",
        json={"customer_id": 3, "lines": [{"item_id": 1, "quantity": 1}]},
    )
    assert r.status_code == 201
    deadline = time.monotonic() + 30
    while _document_count(sqlite_url, r.json()["id"]) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _document_count(sqlite_url, r.json()["id"]) == 1


def _backend_connections(db: str) -> int:
    name = db.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN) as conn:
        return int(
            conn.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s AND application_name = "
                "'erpcap-reference-erp'",
                (name,),
            ).fetchone()[0]
        )


@pytest.mark.postgres
def test_pool_lever_keeps_connections(lever_db, servers):
    off = servers.start(lever_db, "--profile", "legacy")
    for _ in range(5):
        off.call("manager", "GET", "/items")
    assert off.profile()["backends"]["pool"] == "null-pool" and _backend_connections(lever_db) == 0
    servers.stop_all()
    on = servers.start(lever_db, "--profile", "legacy", "--lever", "pool=on")
    for _ in range(5):
        on.call("manager", "GET", "/items")
    assert (
        on.profile()["backends"]["pool"] == "psycopg-pool" and _backend_connections(lever_db) >= 1
    )


@pytest.mark.postgres
def test_workers_lever_runs_several_processes(lever_db, servers):
    on = servers.start(lever_db, "--profile", "legacy", "--lever", "workers=on", "--workers", "2")
    assert on.profile()["workers"] == 2
    pids = {httpx.get(on.base + "/health").json()["pid"] for _ in range(60)}
    assert len(pids) == 2
    with httpx.Client(base_url=on.base) as keep_alive:  # Nagle + delayed ACK would add ~40 ms each
        times = []
        for _ in range(15):
            start = time.perf_counter()
            keep_alive.get("/health")
            times.append(time.perf_counter() - start)
    assert sorted(times)[7] < 0.035, times
    assert "erp_request_duration_seconds" in on.metrics()  # aggregated across workers
    servers.stop_all()
    off = servers.start(lever_db, "--profile", "legacy", "--workers", "4")
    assert off.profile()["workers"] == 1
    assert len({httpx.get(off.base + "/health").json()["pid"] for _ in range(20)}) == 1


@pytest.mark.postgres
def test_replica_lever_sends_reports_to_the_replica(make_pg_db, servers):
    primary = make_pg_db("primary")
    replica = make_pg_db("replica")
    eng = engine_for(replica)
    with eng.begin() as conn:  # mark the replica: one extra balanced entry
        entry = conn.execute(
            text(
                "INSERT INTO journal_entry (period, entry_date, source, description, created_by, "
                "created_at) VALUES (to_char(current_date, 'YYYY-MM'), current_date, 'test', "
                "'replica marker', 'test', now()) RETURNING id"
            )
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO journal_line (entry_id, account_id, debit, credit) VALUES "
                "(:e, 1, 12345.67, 0), (:e, 7, 0, 12345.67)"
            ),
            {"e": entry},
        )
    eng.dispose()

    def cash_debit(server) -> float:
        tb = server.call("finance", "GET", "/reports/trial-balance").json()
        return next(a["debit"] for a in tb["accounts"] if a["account"] == "1000")

    on = servers.start(
        primary, "--profile", "legacy", "--lever", "replica=on", "--replica-db", replica
    )
    assert on.profile()["backends"]["report_db"] == "replica"
    with_replica = cash_debit(on)
    assert on.call("manager", "GET", "/reports/ar-aging").status_code == 200
    servers.stop_all()
    off = servers.start(primary, "--profile", "legacy", "--replica-db", replica)
    assert off.profile()["backends"]["report_db"] == "primary"
    assert with_replica == pytest.approx(cash_debit(off) + 12345.67, abs=0.01)
