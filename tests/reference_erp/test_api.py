"""The HTTP contract (docs/reference-erp-api.md): operations, roles, error shape, business rules."""

from __future__ import annotations

import re
import threading
from datetime import date

import pytest
from sqlalchemy import text

from erpcap.reference_erp import gs1

from .conftest import ROLES, assert_error_shape, engine_for, new_item, stock_item

CONTRACT = {
    # operationId: (method, path, roles allowed; empty = any authenticated role)
    "login": ("post", "/auth/login", None),
    "create_sales_order": ("post", "/sales-orders", {"sales", "integration"}),
    "ship_order": ("post", "/sales-orders/{order_id}/ship", {"warehouse"}),
    "receive_goods": ("post", "/receipts", {"warehouse", "qa"}),
    "release_lot": ("post", "/lots/{lot_id}/release", {"qa"}),
    "record_payment": ("post", "/payments", {"finance"}),
    "check_availability": (
        "get",
        "/availability",
        {"sales", "warehouse", "integration", "manager"},
    ),
    "get_sales_order": (
        "get",
        "/sales-orders/{order_id}",
        {"sales", "warehouse", "integration", "manager"},
    ),
    "list_customer_orders": ("get", "/customers/{customer_id}/orders", {"sales", "manager"}),
    "trace_lot": ("get", "/lots/{lot_id}/trace", {"qa", "manager"}),
    "get_lot_history": ("get", "/lots/{lot_id}/history", {"qa", "manager"}),
    "run_invoicing": ("post", "/close/invoicing", {"finance"}),
    "close_period": ("post", "/close/periods/{period}/close", {"finance"}),
    "trial_balance": ("get", "/reports/trial-balance", {"finance", "manager"}),
    "ar_aging": ("get", "/reports/ar-aging", {"finance", "manager"}),
    "inventory_valuation": ("get", "/reports/inventory-valuation", {"finance", "manager"}),
    "list_customers": ("get", "/customers", set()),
    "list_items": ("get", "/items", set()),
    "list_lots": ("get", "/lots", set()),
    "list_sales_orders": ("get", "/sales-orders", set()),
    "health": ("get", "/health", None),
    "get_profile": ("get", "/profile", None),
    "metrics": ("get", "/metrics", None),
}


def test_openapi_has_every_contract_operation(sqlite_server):
    spec = sqlite_server.client.get("/openapi.json").json()
    found = {
        op["operationId"]: (method, path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }
    for op_id, (method, path, _roles) in CONTRACT.items():
        assert found.get(op_id) == (method, path), op_id


def test_health_profile_metrics(sqlite_server):
    assert sqlite_server.client.get("/health").json()["status"] == "ok"
    prof = sqlite_server.profile()
    assert prof["profile"] == "legacy" and prof["workers"] == 1
    assert set(prof["levers"]) == {
        "indexes",
        "batching",
        "cache",
        "async",
        "pool",
        "workers",
        "replica",
    }
    assert not any(prof["levers"].values())
    sqlite_server.call("manager", "GET", "/items")
    text_ = sqlite_server.metrics()
    assert (
        'erp_request_duration_seconds_bucket{le="0.5",method="GET",operation="list_items"}' in text_
    )
    assert "erp_db_pool_in_use" in text_ and "erp_queue_depth" in text_


def test_login_gives_a_bearer_token_and_refuses_bad_passwords(sqlite_server):
    ok = sqlite_server.client.post("/auth/login", json={"username": "qa", "password": "erpcap"})
    assert ok.status_code == 200
    body = ok.json()
    assert body["token_type"] == "bearer" and body["role"] == "qa" and body["expires_in"] > 0
    bad = sqlite_server.client.post("/auth/login", json={"username": "qa", "password": "wrong"})
    assert_error_shape(bad, 401, "invalid_credentials")
    tampered = body["access_token"][:-3] + (
        "AAA" if not body["access_token"].endswith("AAA") else "BBB"
    )
    r = sqlite_server.client.get("/items", headers={"Authorization": f"Bearer {tampered}"})
    assert_error_shape(r, 401)


def _role_request(op_id: str, server, ids: dict) -> tuple[str, str, dict]:
    bodies = {
        "create_sales_order": {
            "json": {
                "customer_id": ids["customer"],
                "lines": [{"item_id": ids["item"], "quantity": 1}],
            }
        },
        "receive_goods": {"json": {"item_id": ids["item"], "quantity": 1}},
        "release_lot": {
            "json": {"decision": "release", "password": "erpcap", "meaning": "approval"}
        },
        "record_payment": {"json": {"customer_id": ids["customer"], "amount": 0.01}},
        "run_invoicing": {"json": {"limit": 1}},
    }
    method, path, _roles = CONTRACT[op_id]
    path = path.format(
        order_id=999_999, lot_id=999_999, customer_id=ids["customer"], period=ids["closed_period"]
    )
    if op_id == "check_availability":
        path += f"?item_id={ids['item']}"
    return method.upper(), path, bodies.get(op_id, {})


@pytest.mark.parametrize("op_id", [k for k, v in CONTRACT.items() if v[2] is not None])
def test_role_matrix(sqlite_server, op_id):
    periods = sqlite_server.call("finance", "GET", "/close/periods").json()["items"]
    ids = {
        "customer": 1,
        "item": 1,
        "closed_period": next(p["period"] for p in periods if p["status"] == "closed"),
    }
    allowed = CONTRACT[op_id][2]
    method, path, kw = _role_request(op_id, sqlite_server, ids)
    for role in ROLES:
        r = sqlite_server.call(role, method, path, **kw)
        if not allowed or role in allowed:
            assert r.status_code not in (401, 403), (role, r.text)
            assert r.status_code < 500, (role, r.text)
        else:
            assert_error_shape(r, 403, "forbidden")
    assert_error_shape(sqlite_server.call(None, method, path, **kw), 401)


BAD_REQUESTS = [
    (
        "sales",
        "POST",
        "/sales-orders",
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        400,
        "malformed_json",
    ),
    (
        "sales",
        "POST",
        "/sales-orders",
        {"json": {"customer_id": 1, "lines": []}},
        422,
        "validation_error",
    ),
    (
        "sales",
        "POST",
        "/sales-orders",
        {"json": {"customer_id": 1, "lines": [{"item_id": 1, "quantity": 0}]}},
        422,
        "validation_error",
    ),
    (
        "sales",
        "POST",
        "/sales-orders",
        {"json": {"customer_id": 1, "lines": [{"item_id": 1, "quantity": -3}]}},
        422,
        "validation_error",
    ),
    (
        "sales",
        "POST",
        "/sales-orders",
        {"json": {"customer_id": 99999, "lines": [{"item_id": 1, "quantity": 1}]}},
        422,
        "unknown_customer",
    ),
    (
        "sales",
        "POST",
        "/sales-orders",
        {"json": {"customer_id": 1, "lines": [{"item_id": 99999, "quantity": 1}]}},
        422,
        "unknown_item",
    ),
    (
        "sales",
        "POST",
        "/sales-orders",
        {"json": {"customer_id": 1, "ship_to_id": 99999, "lines": [{"item_id": 1, "quantity": 1}]}},
        422,
        "unknown_ship_to",
    ),
    (
        "sales",
        "POST",
        "/sales-orders",
        {
            "json": {
                "customer_id": 1,
                "po_number": "a\u0000b",
                "lines": [{"item_id": 1, "quantity": 1}],
            }
        },
        422,
        "validation_error",
    ),
    (
        "sales",
        "POST",
        "/sales-orders",
        {"json": {"customer_id": 10**15, "lines": [{"item_id": 1, "quantity": 1}]}},
        422,
        "validation_error",
    ),
    (
        "sales",
        "POST",
        "/sales-orders",
        {"json": {"customer_id": 1, "lines": [{"item_id": 1, "quantity": 10**9}]}},
        422,
        "validation_error",
    ),
    ("sales", "GET", "/sales-orders/999999", {}, 404, "not_found"),
    ("sales", "GET", "/sales-orders/abc", {}, 422, "validation_error"),
    ("sales", "GET", "/availability", {}, 422, "validation_error"),
    ("sales", "GET", "/availability?item_id=999999", {}, 404, "not_found"),
    ("sales", "GET", "/customers/999999/orders", {}, 404, "not_found"),
    ("qa", "GET", "/lots/999999/trace", {}, 404, "not_found"),
    (
        "qa",
        "POST",
        "/lots/1/release",
        {"json": {"decision": "maybe", "password": "erpcap", "meaning": "x"}},
        422,
        "validation_error",
    ),
    (
        "warehouse",
        "POST",
        "/receipts",
        {"json": {"item_id": 1, "quantity": 0}},
        422,
        "validation_error",
    ),
    ("warehouse", "POST", "/sales-orders/999999/ship", {}, 404, "not_found"),
    (
        "finance",
        "POST",
        "/payments",
        {"json": {"customer_id": 1, "amount": -5}},
        422,
        "validation_error",
    ),
    (
        "finance",
        "POST",
        "/payments",
        {"json": {"customer_id": 1, "amount": "NaN"}},
        422,
        "validation_error",
    ),
    ("finance", "POST", "/close/periods/2026-13/close", {}, 422, "validation_error"),
    ("finance", "POST", "/close/periods/2099-01/close", {}, 404, "not_found"),
    ("finance", "GET", "/reports/trial-balance?period=2099-01", {}, 404, "not_found"),
    ("manager", "GET", "/no-such-endpoint", {}, 404, "not_found"),
    ("manager", "DELETE", "/items", {}, 405, "method_not_allowed"),
    ("manager", "GET", "/items?limit=0", {}, 422, "validation_error"),
]


@pytest.mark.parametrize(("role", "method", "path", "kw", "status", "code"), BAD_REQUESTS)
def test_bad_input_gets_the_one_error_shape(sqlite_server, role, method, path, kw, status, code):
    assert_error_shape(sqlite_server.call(role, method, path, **kw), status, code)


def _order(server, item_id: int, qty: int, customer: int = 1, **headers):
    return server.call(
        "sales",
        "POST",
        "/sales-orders",
        headers=headers,
        json={"customer_id": customer, "lines": [{"item_id": item_id, "quantity": qty}]},
    )


def test_fefo_allocation_udi_shipment_and_audit(sqlite_server, sqlite_url):
    item = new_item(sqlite_url, "T-FEFO")
    late = stock_item(sqlite_server, item, 5)
    eng = engine_for(sqlite_url)
    with eng.begin() as conn:  # make the second lot expire first
        early = stock_item(sqlite_server, item, 5)
        conn.execute(
            text("UPDATE lot SET expiry_date = :d WHERE id = :id"),
            {"d": date(date.today().year + 1, 1, 1).isoformat(), "id": early},
        )
    avail = sqlite_server.call("sales", "GET", f"/availability?item_id={item}").json()
    assert avail["available"] == 10 and [x["lot_id"] for x in avail["lots"]] == [early, late]
    r = _order(sqlite_server, item, 7)
    assert r.status_code == 201, r.text
    order = r.json()
    allocs = order["lines"][0]["allocations"]
    assert [(a["lot_id"], a["quantity"]) for a in allocs] == [(early, 5), (late, 2)]
    shipped = sqlite_server.call("warehouse", "POST", f"/sales-orders/{order['id']}/ship")
    assert shipped.status_code == 201, shipped.text
    for line in shipped.json()["lines"]:
        m = re.match(r"^\(01\)(\d{14})\(17\)(\d{6})\(10\)(.+)$", line["udi"])
        assert m and gs1.is_valid_gtin(m.group(1)) and m.group(3) == line["lot_number"]
    again = sqlite_server.call("warehouse", "POST", f"/sales-orders/{order['id']}/ship")
    assert_error_shape(again, 409, "order_not_shippable")
    with eng.connect() as conn:
        audits = conn.execute(
            text(
                "SELECT table_name, field FROM audit_log WHERE table_name = 'sales_order' "
                "AND record_key = :k"
            ),
            {"k": str(order["id"])},
        ).all()
        issues = conn.execute(
            text(
                "SELECT SUM(quantity) FROM inventory_txn WHERE txn_type = 'issue' AND lot_id IN "
                "(:a, :b)"
            ),
            {"a": early, "b": late},
        ).scalar_one()
    eng.dispose()
    assert len(audits) == 2 and issues == -7
    got = sqlite_server.call("manager", "GET", f"/sales-orders/{order['id']}").json()
    assert got["status"] == "shipped" and len(got["shipments"]) == 1


def test_quarantined_and_expired_stock_is_never_allocated(sqlite_server, sqlite_url):
    item = new_item(sqlite_url, "T-QUAR")
    r = sqlite_server.call("warehouse", "POST", "/receipts", json={"item_id": item, "quantity": 50})
    assert r.status_code == 201 and r.json()["status"] == "quarantine"
    assert_error_shape(_order(sqlite_server, item, 1), 409, "insufficient_stock")
    lot = stock_item(sqlite_server, new_item(sqlite_url, "T-EXP"), 20)
    eng = engine_for(sqlite_url)
    with eng.begin() as conn:
        item2 = conn.execute(
            text("SELECT item_id FROM lot WHERE id = :id"), {"id": lot}
        ).scalar_one()
        conn.execute(text("UPDATE lot SET expiry_date = '2020-01-01' WHERE id = :id"), {"id": lot})
    eng.dispose()
    err = assert_error_shape(_order(sqlite_server, item2, 1), 409, "insufficient_stock")
    assert err["details"]["lines"][0]["available"] == 0


def test_release_needs_the_password_and_records_the_signature(sqlite_server, sqlite_url):
    item = new_item(sqlite_url, "T-SIGN")
    lot = sqlite_server.call(
        "warehouse", "POST", "/receipts", json={"item_id": item, "quantity": 3}
    ).json()["id"]
    bad = sqlite_server.call(
        "qa",
        "POST",
        f"/lots/{lot}/release",
        json={"decision": "release", "password": "nope", "meaning": "approval"},
    )
    assert_error_shape(bad, 403, "signature_failed")
    assert sqlite_server.call("qa", "GET", f"/lots/{lot}/history").json()["signatures"] == []
    ok = sqlite_server.call(
        "qa",
        "POST",
        f"/lots/{lot}/release",
        json={
            "decision": "reject",
            "password": "erpcap",
            "meaning": "rejection",
            "reason": "seal damaged",
        },
    )
    assert ok.status_code == 200 and ok.json()["status"] == "rejected"
    assert ok.json()["e_signature"]["meaning"] == "rejection"
    hist = sqlite_server.call("qa", "GET", f"/lots/{lot}/history").json()
    assert [s["meaning"] for s in hist["signatures"]] == ["rejection"]
    assert any(a["field"] == "status" and a["new_value"] == "rejected" for a in hist["audit_trail"])
    assert hist["nonconformances"]
    again = sqlite_server.call(
        "qa",
        "POST",
        f"/lots/{lot}/release",
        json={"decision": "release", "password": "erpcap", "meaning": "approval"},
    )
    assert_error_shape(again, 409, "lot_not_in_quarantine")


def test_idempotency_key_returns_the_same_order(sqlite_server, sqlite_url):
    item = new_item(sqlite_url, "T-IDEM")
    stock_item(sqlite_server, item, 100)
    first = _order(sqlite_server, item, 2, **{"Idempotency-Key": "idem-1"})
    second = _order(sqlite_server, item, 2, **{"Idempotency-Key": "idem-1"})
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["lines"] == second.json()["lines"]
    reused = _order(sqlite_server, item, 3, **{"Idempotency-Key": "idem-1"})
    assert_error_shape(reused, 422, "idempotency_key_reused")
    avail = sqlite_server.call("sales", "GET", f"/availability?item_id={item}").json()
    assert avail["available"] == 98  # allocated once


def test_payment_applies_to_oldest_invoices(sqlite_server):
    aging = sqlite_server.call("finance", "GET", "/reports/ar-aging").json()
    cust = aging["customers"][0]
    r = sqlite_server.call(
        "finance", "POST", "/payments", json={"customer_id": cust["customer_id"], "amount": 100.0}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (
        round(sum(a["amount"] for a in body["applications"]) + body["unapplied_amount"], 2) == 100.0
    )
    after = sqlite_server.call("finance", "GET", "/reports/ar-aging").json()
    assert after["total"] == pytest.approx(
        aging["total"] - (100.0 - body["unapplied_amount"]), abs=0.02
    )


def test_invoicing_then_reports_balance(sqlite_server):
    before = sqlite_server.call("finance", "GET", "/reports/ar-aging").json()["total"]
    run = sqlite_server.call("finance", "POST", "/close/invoicing", json={"limit": 5}).json()
    assert run["invoices"] >= 1 and run["lines"] >= run["invoices"]
    after = sqlite_server.call("finance", "GET", "/reports/ar-aging").json()["total"]
    assert after == pytest.approx(before + run["amount"], abs=0.05)
    tb = sqlite_server.call("finance", "GET", "/reports/trial-balance").json()
    assert tb["totals"]["debit"] == pytest.approx(tb["totals"]["credit"], abs=0.05)
    assert tb["totals"]["balance"] == pytest.approx(0, abs=0.05)
    val = sqlite_server.call("manager", "GET", "/reports/inventory-valuation").json()
    assert val["total_value"] > 0 and {"released", "quarantine"} <= set(val["by_status"])


def _close_rules(server, db_url):
    periods = server.call("finance", "GET", "/close/periods").json()["items"]
    today = date.today()
    current = f"{today.year:04d}-{today.month:02d}"
    prev = max(p["period"] for p in periods if p["status"] == "open" and p["period"] < current)
    assert_error_shape(
        server.call("sales", "POST", f"/close/periods/{prev}/close"), 403, "forbidden"
    )
    results: list = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                server.call("finance", "POST", f"/close/periods/{prev}/close")
            )
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status_code == 200 for r in results), [r.text for r in results]
    assert sum(1 for r in results if not r.json()["already_closed"]) == 1
    assert len({r.json()["run_id"] for r in results}) == 1
    again = server.call("finance", "POST", f"/close/periods/{prev}/close")
    assert again.status_code == 200 and again.json()["already_closed"] is True
    eng = engine_for(db_url)
    with eng.connect() as conn:
        n_pay = conn.execute(text("SELECT COUNT(*) FROM payment")).scalar_one()
        runs = conn.execute(
            text("SELECT COUNT(*) FROM period_close_run WHERE period = :p"), {"p": prev}
        ).scalar_one()
    late = server.call(
        "finance",
        "POST",
        "/payments",
        json={"customer_id": 1, "amount": 10, "payment_date": f"{prev}-15"},
    )
    assert_error_shape(late, 409, "period_closed")
    with eng.connect() as conn:
        assert (
            conn.execute(text("SELECT COUNT(*) FROM payment")).scalar_one() == n_pay
        )  # nothing half-written
    eng.dispose()
    assert runs == 1
    tb = server.call("manager", "GET", f"/reports/trial-balance?period={prev}").json()
    assert tb["period"] == prev and tb["totals"]["balance"] == pytest.approx(0, abs=0.05)


def test_period_close_rules_sqlite(sqlite_server, sqlite_url):
    _close_rules(sqlite_server, sqlite_url)


@pytest.mark.postgres
def test_period_close_rules_postgres(make_pg_db, servers):
    url = make_pg_db("close")
    _close_rules(servers.start(url, "--profile", "upgraded", "--workers", "2"), url)


def test_trace_and_history_follow_the_genealogy(sqlite_server, sqlite_url):
    eng = engine_for(sqlite_url)
    with eng.connect() as conn:
        parent, child = conn.execute(
            text(
                "SELECT g.parent_lot_id, g.child_lot_id FROM lot_genealogy g "
                "JOIN shipment_line sl ON sl.lot_id = g.parent_lot_id LIMIT 1"
            )
        ).one()
    eng.dispose()
    down = sqlite_server.call("qa", "GET", f"/lots/{parent}/trace").json()
    assert child in {b["lot_id"] for b in down["backward"]} and down["forward"]
    up = sqlite_server.call("manager", "GET", f"/lots/{child}/trace").json()
    assert any(f["lot_id"] == parent and f["depth"] == 1 for f in up["forward"])
    hist = sqlite_server.call("qa", "GET", f"/lots/{parent}/history").json()
    assert hist["work_order"] and hist["components"] and hist["transactions"]


def test_discovery_lists_page_and_filter(sqlite_server):
    c = sqlite_server.call("integration", "GET", "/customers?limit=5&offset=5").json()
    assert len(c["items"]) == 5 and c["total"] >= 20 and c["items"][0]["id"] == 6
    lots = sqlite_server.call("warehouse", "GET", "/lots?status=quarantine&limit=3").json()
    assert lots["items"] and all(x["status"] == "quarantine" for x in lots["items"])
    orders = sqlite_server.call("manager", "GET", "/sales-orders?status=open&limit=3").json()
    assert all(o["status"] == "open" for o in orders["items"]) and orders["total"] >= len(
        orders["items"]
    )
    mine = sqlite_server.call("sales", "GET", "/customers/1/orders").json()["items"]
    assert len(mine) <= 40 and all(o["customer_id"] == 1 for o in mine)
    assert [o["order_date"] for o in mine] == sorted((o["order_date"] for o in mine), reverse=True)
