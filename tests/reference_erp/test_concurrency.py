"""50 concurrent clients ordering the same scarce items: no oversell, nothing lost, books agree."""

from __future__ import annotations

import random
import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from .conftest import ErpServer, engine_for, new_item, stock_item

CLIENTS = 50
SUPPLY = {0: 40, 1: 25}  # units per scarce item (two lots for the first one)


def _hammer(server: ErpServer, items: list[int], customers: list[int]) -> list[dict[str, Any]]:
    """Each client sends one order twice with the same Idempotency-Key (a retry); both at once."""
    token = server.token("sales")
    results: list[dict[str, Any]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS)

    def client(n: int) -> None:
        rng = random.Random(n)
        lines = [{"item_id": items[0], "quantity": rng.randint(1, 3)}]
        if rng.random() < 0.6:
            lines.append({"item_id": items[1], "quantity": rng.randint(1, 2)})
        body = {"customer_id": rng.choice(customers), "lines": lines}
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"conc-{server.port}-{n}"}
        with httpx.Client(base_url=server.base, timeout=120) as c:
            barrier.wait()
            first = c.post("/sales-orders", json=body, headers=headers)
            retry = c.post("/sales-orders", json=body, headers=headers)
        with lock:
            results.append({"n": n, "body": body, "first": first, "retry": retry})

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _check(server: ErpServer, db_url: str, suffix: str) -> None:
    items = [new_item(db_url, f"SCARCE-{suffix}-A"), new_item(db_url, f"SCARCE-{suffix}-B")]
    stock_item(server, items[0], SUPPLY[0] // 2)
    stock_item(server, items[0], SUPPLY[0] - SUPPLY[0] // 2)
    stock_item(server, items[1], SUPPLY[1])
    results = _hammer(server, items, customers=[1, 2, 3])

    acked: dict[int, dict[str, Any]] = {}
    rejected = 0
    for r in results:
        first, retry = r["first"], r["retry"]
        assert first.status_code < 500 and retry.status_code < 500, (first.text, retry.text)
        if first.status_code == 201:
            assert retry.status_code == 201 and retry.json()["id"] == first.json()["id"]
            acked[first.json()["id"]] = r
        else:
            assert first.status_code == 409, first.text
            assert first.json()["error"]["code"] in ("insufficient_stock", "allocation_contention")
            rejected += 1
    demand = sum(
        ln["quantity"] for r in results for ln in r["body"]["lines"] if ln["item_id"] == items[0]
    )
    assert demand > SUPPLY[0], "the test must create scarcity"
    assert rejected > 0 and acked

    eng = engine_for(db_url)
    try:
        with eng.connect() as conn:
            q = lambda sql, **p: conn.execute(text(sql), p).all()  # noqa: E731
            marks = {"a": items[0], "b": items[1]}
            stock = q(
                "SELECT id, item_id, lot_id, location_id, on_hand, allocated FROM stock_balance "
                "WHERE item_id IN (:a, :b)",
                **marks,
            )
            for sid, _item, lot, loc, on_hand, allocated in stock:
                assert 0 <= allocated <= on_hand
                ledger = q(
                    "SELECT COALESCE(SUM(quantity), 0) FROM inventory_txn WHERE lot_id = :l AND location_id = :loc",
                    l=lot,
                    loc=loc,
                )[0][0]
                assert ledger == on_hand
                alloc = q(
                    "SELECT COALESCE(SUM(quantity), 0) FROM allocation WHERE stock_balance_id = :s "
                    "AND status = 'allocated'",
                    s=sid,
                )[0][0]
                assert alloc == allocated
            for idx, item in enumerate(items):
                total_alloc = sum(row[5] for row in stock if row[1] == item)
                ordered = sum(
                    ln["quantity"]
                    for r in acked.values()
                    for ln in r["body"]["lines"]
                    if ln["item_id"] == item
                )
                assert total_alloc == ordered <= SUPPLY[idx]
            stored = q(
                "SELECT DISTINCT l.order_id FROM sales_order_line l WHERE l.item_id IN (:a, :b)",
                **marks,
            )
            assert {row[0] for row in stored} == set(acked), (
                "every acknowledged order stored, nothing else"
            )
            keys = q(
                "SELECT COUNT(*), COUNT(DISTINCT order_id) FROM idempotency_key WHERE idem_key LIKE :p",
                p=f"conc-{server.port}-%",
            )[0]
            assert keys[0] == keys[1] == len(acked)
            for order_id in acked:
                audits = q(
                    "SELECT COUNT(*) FROM audit_log WHERE table_name = 'sales_order' AND record_key = :k",
                    k=str(order_id),
                )[0][0]
                assert audits == 1
            stock_audits = q(
                "SELECT COUNT(*) FROM audit_log WHERE table_name = 'stock_balance' AND field = 'allocated' "
                "AND reason IN (SELECT 'allocation for ' || order_number FROM sales_order WHERE id IN "
                f"({', '.join(str(i) for i in acked)}))"
            )[0][0]
            assert stock_audits >= len(acked)
    finally:
        eng.dispose()


def test_no_oversell_sqlite(sqlite_server, sqlite_url):
    _check(sqlite_server, sqlite_url, "sqlite")


@pytest.mark.postgres
@pytest.mark.parametrize("profile", ["legacy", "upgraded"])
def test_no_oversell_postgres(pg_url, pg_legacy, pg_upgraded, profile):
    _check(pg_legacy if profile == "legacy" else pg_upgraded, pg_url, f"pg-{profile}")
