"""Order to cash: create (FEFO allocation), read, list and check availability.

The FEFO planning and the stock-row writes of order entry are in :mod:`.allocation`,
shipping in :mod:`.shipping`. Concurrency rules (see docs/reference-erp.md):

* Order entry takes the stock-row locks last, with guarded UPDATEs (``on_hand - allocated
  >= qty``) in stock-row order; shipping locks them ``FOR UPDATE`` in the same order on
  PostgreSQL. SQLite serialises writers with ``BEGIN IMMEDIATE``. The table has a CHECK
  constraint: stock can never go negative and allocated never exceeds on hand.
* Only released, unexpired lots in released locations are allocated, earliest expiry first.
* Insufficient stock raises 409 before anything is written; the transaction rolls back.
* Every regulated insert/update writes its audit row in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from . import allocation
from .audit import AuditTrail
from .auth import Principal
from .cache import TTL_AVAILABILITY
from .context import AppContext
from .db import Conn, IntegrityError, execute, insert_returning_id, one, rows, scalar
from .errors import ApiError, StockRace
from .models import OrderLineIn, SalesOrderIn
from .sql import in_params, set_number, utc_now
from .views import day, order_summary, order_view


# ---------------------------------------------------------------------- master data
def load_customer(ctx: AppContext, conn: Conn, customer_id: int) -> dict[str, Any] | None:
    """The customer's header (cached with the ``cache`` lever)."""

    def load() -> dict[str, Any] | None:
        row = one(
            conn,
            "SELECT id, code, name, price_list_id, payment_terms_days FROM customer WHERE id = :id",
            {"id": customer_id},
        )
        if row is None:
            return None
        row["ship_to"] = [
            int(r["id"])
            for r in rows(
                conn,
                "SELECT id FROM ship_to WHERE customer_id = :c ORDER BY id",
                {"c": customer_id},
            )
        ]
        return {
            k: (int(v) if k in ("id", "price_list_id", "payment_terms_days") else v)
            for k, v in row.items()
        }

    return ctx.master("customer", ctx.keys.customer(customer_id), load)


def load_items_priced(
    ctx: AppContext, conn: Conn, price_list_id: int, item_ids: list[int]
) -> dict[int, dict[str, Any]]:
    """Item master rows with the customer's price, cached per (price list, item)."""
    found: dict[int, dict[str, Any]] = {}
    missing: list[int] = []
    if ctx.cache.backend != "off":
        hits = ctx.cache.get_many([ctx.keys.item_price(price_list_id, i) for i in item_ids])
        for item_id, hit in zip(item_ids, hits, strict=True):
            ctx.metrics.cache_requests.labels("item_price", "hit" if hit else "miss").inc()
            if hit:
                found[item_id] = hit
            else:
                missing.append(item_id)
    else:
        missing = list(item_ids)
    if missing:
        marks, params = in_params("i", missing)
        for r in rows(
            conn,
            "SELECT i.id, i.sku, i.name, i.serial_controlled, COALESCE(p.unit_price, i.list_price) "
            f"AS unit_price FROM item i LEFT JOIN price p ON p.item_id = i.id AND p.price_list_id = :pl "
            f"WHERE i.id IN ({marks}) AND i.active = 1",
            {"pl": price_list_id, **params},
        ):
            value = {
                "id": int(r["id"]),
                "sku": r["sku"],
                "name": r["name"],
                "serial_controlled": int(r["serial_controlled"]),
                "unit_price": float(r["unit_price"]),
            }
            found[value["id"]] = value
            if ctx.cache.backend != "off":
                ctx.cache.set(ctx.keys.item_price(price_list_id, value["id"]), value, 60)
    return found


def require_item(ctx: AppContext, conn: Conn, item_id: int) -> dict[str, Any]:
    """The item master row, or 404."""

    def load() -> dict[str, Any] | None:
        row = one(
            conn,
            "SELECT id, sku, name, serial_controlled, shelf_life_days, unit_cost FROM item WHERE id = :id",
            {"id": item_id},
        )
        if row is None:
            return None
        row["unit_cost"] = float(row["unit_cost"])
        return row

    item = ctx.master("item", ctx.keys.item(item_id), load)
    if item is None:
        raise ApiError(404, "not_found", f"item {item_id} does not exist", {"item_id": item_id})
    return item


# ---------------------------------------------------------------------- availability
def availability(ctx: AppContext, conn: Conn, item_id: int) -> dict[str, Any]:
    """Released, unexpired, unallocated stock of an item by lot (FEFO order)."""
    require_item(ctx, conn, item_id)

    def load() -> dict[str, Any]:
        lots = rows(
            conn,
            "SELECT l.id AS lot_id, l.lot_number, l.expiry_date, SUM(sb.on_hand - sb.allocated) AS available "
            "FROM stock_balance sb JOIN lot l ON l.id = sb.lot_id JOIN location loc ON loc.id = sb.location_id "
            "WHERE sb.item_id = :item AND l.status = 'released' AND l.expiry_date > :today AND loc.zone = 'released' "
            "GROUP BY l.id, l.lot_number, l.expiry_date HAVING SUM(sb.on_hand - sb.allocated) > 0 "
            "ORDER BY l.expiry_date, l.id",
            {"item": item_id, "today": date.today().isoformat()},
        )
        out = [
            {
                "lot_id": int(r["lot_id"]),
                "lot_number": r["lot_number"],
                "expiry_date": day(r["expiry_date"]),
                "available": int(r["available"]),
            }
            for r in lots
        ]
        return {"item_id": item_id, "available": sum(r["available"] for r in out), "lots": out}

    return ctx.cached("availability", ctx.keys.availability(item_id), TTL_AVAILABILITY, load)


# ---------------------------------------------------------------------- create
RACE_ATTEMPTS = 20


def request_hash(body: SalesOrderIn) -> str:
    """A digest of the order request, to refuse an idempotency key reused for another order."""
    return hashlib.sha256(
        json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()


def create_order(
    ctx: AppContext, user: Principal, body: SalesOrderIn, idem_key: str | None
) -> tuple[dict[str, Any], bool]:
    """Create, allocate and acknowledge an order. Returns (order, created); a replayed
    ``Idempotency-Key`` returns the stored order with ``created`` False."""
    digest = request_hash(body)
    if idem_key:
        replay = _replay(ctx, user, idem_key, digest)
        if replay is not None:
            return replay, False
    try:
        for attempt in range(RACE_ATTEMPTS):
            try:
                order, order_id, items = ctx.db.run_write(
                    lambda conn: _create_in_tx(ctx, conn, user, body, idem_key, digest)
                )
                break
            except StockRace:
                if attempt + 1 == RACE_ATTEMPTS:
                    raise ApiError(
                        409,
                        "allocation_contention",
                        "stock for this order kept changing under concurrent orders; retry",
                    ) from None
    except IntegrityError:
        if idem_key:  # a concurrent retry with the same key won the race
            replay = _replay(ctx, user, idem_key, digest)
            if replay is not None:
                return replay, False
        raise
    ctx.invalidate_availability(items)
    ctx.after_commit(order_id)
    return order, True


def _replay(ctx: AppContext, user: Principal, key: str, digest: str) -> dict[str, Any] | None:
    with ctx.db.read() as conn:
        row = one(
            conn,
            "SELECT username, request_hash, order_id FROM idempotency_key WHERE idem_key = :k",
            {"k": key},
        )
        if row is None:
            return None
        if row["username"] != user.username or row["request_hash"] != digest:
            raise ApiError(
                422,
                "idempotency_key_reused",
                "this Idempotency-Key was already used for a different request",
                {"key": key},
            )
        return get_order(conn, int(row["order_id"]), batched=True)


def _create_in_tx(
    ctx: AppContext,
    conn: Conn,
    user: Principal,
    body: SalesOrderIn,
    idem_key: str | None,
    digest: str,
) -> tuple[dict[str, Any], int, list[int]]:
    """Order entry in one transaction: check, plan FEFO, write order, lines and allocations,
    then take the stock-row locks. Returns (order document, order id, item ids)."""
    now = utc_now()
    today = date.today().isoformat()
    customer, ship_to = _customer_and_ship_to(ctx, conn, body)
    item_ids = sorted({ln.item_id for ln in body.lines})
    items = _priced_items(ctx, conn, customer["price_list_id"], item_ids)
    # Read candidate stock (no lock yet) and plan FEFO in memory; the guarded UPDATEs at the
    # end take the row locks, in stock-row order, for the shortest possible time.
    plan = allocation.plan_fefo(allocation.candidate_stock(conn, item_ids, today), body.lines)
    trail = AuditTrail(user.username, now)
    order_row = _order_row(body, ship_to, items, user.username, today, now)
    order_id, number = _insert_order(conn, trail, order_row, digest, now)
    lines_out, line_ids = _insert_lines(conn, trail, order_id, body.lines, items)
    if idem_key:  # first: a concurrent retry with the same key fails here, before any lock
        execute(
            conn,
            "INSERT INTO idempotency_key (idem_key, username, request_hash, order_id, created_at) "
            "VALUES (:k, :u, :h, :o, :now)",
            {"k": idem_key, "u": user.username, "h": digest, "o": order_id, "now": now},
        )
    by_row = allocation.write_allocations(conn, trail, line_ids, plan, number, now)
    trail.write(conn)
    # Last: the guarded UPDATEs take the hot stock-row locks, in a stable order (no deadlock
    # between orders), and hold them only until commit.
    allocation.take_stock(conn, by_row, now)
    ctx.after_order(conn, order_id)
    order = order_view(
        {"id": order_id, "order_number": number, **order_row},
        lines_out,
        allocation.allocation_views(line_ids, plan),
        [],
        [],
    )
    return order, order_id, item_ids


def _customer_and_ship_to(
    ctx: AppContext, conn: Conn, body: SalesOrderIn
) -> tuple[dict[str, Any], int]:
    """The ordering customer and the consignee (its first one by default), or 422."""
    customer = load_customer(ctx, conn, body.customer_id)
    if customer is None:
        raise ApiError(
            422,
            "unknown_customer",
            f"customer {body.customer_id} does not exist",
            {"customer_id": body.customer_id},
        )
    ship_to = body.ship_to_id if body.ship_to_id is not None else (customer["ship_to"] or [None])[0]
    if ship_to is None or ship_to not in customer["ship_to"]:
        raise ApiError(
            422,
            "unknown_ship_to",
            "the ship-to is not a consignee of this customer",
            {"ship_to_id": body.ship_to_id, "customer_id": body.customer_id},
        )
    return customer, int(ship_to)


def _priced_items(
    ctx: AppContext, conn: Conn, price_list_id: int, item_ids: list[int]
) -> dict[int, dict[str, Any]]:
    """The ordered items with the customer's prices, or 422 when one is unknown or inactive."""
    items = load_items_priced(ctx, conn, price_list_id, item_ids)
    unknown = [i for i in item_ids if i not in items]
    if unknown:
        raise ApiError(
            422, "unknown_item", "some items do not exist or are inactive", {"item_ids": unknown}
        )
    return items


def _order_row(
    body: SalesOrderIn,
    ship_to: int,
    items: dict[int, dict[str, Any]],
    username: str,
    today: str,
    now: str,
) -> dict[str, Any]:
    """The ``sales_order`` columns of a new order (without id and number)."""
    total = round(sum(items[ln.item_id]["unit_price"] * ln.quantity for ln in body.lines), 2)
    return {
        "customer_id": body.customer_id,
        "ship_to_id": ship_to,
        "po_number": body.po_number,
        "order_date": today,
        "status": "open",
        "total_amount": total,
        "created_by": username,
        "created_at": now,
    }


def _insert_order(
    conn: Conn, trail: AuditTrail, order_row: dict[str, Any], digest: str, now: str
) -> tuple[int, str]:
    """Insert the order header; return its id and number."""
    temp_number = "TMP-" + hashlib.sha1(f"{digest}{now}{id(order_row)}".encode()).hexdigest()[:16]
    order_id = insert_returning_id(
        conn,
        "INSERT INTO sales_order (order_number, customer_id, ship_to_id, po_number, order_date, status, total_amount, "
        "created_by, created_at) VALUES (:num, :customer_id, :ship_to_id, :po_number, :order_date, :status, "
        ":total_amount, :created_by, :created_at)",
        {"num": temp_number, **order_row},
    )
    number = f"SO{order_id:08d}"
    set_number(conn, "sales_order", "order_number", order_id, number)
    trail.add("sales_order", order_id, "insert", "status", None, "open", "order entry")
    return order_id, number


def _insert_lines(
    conn: Conn,
    trail: AuditTrail,
    order_id: int,
    lines: list[OrderLineIn],
    items: dict[int, dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[int]]:
    """Insert every line in one multi-row INSERT ... RETURNING (one round trip).

    Returns the lines as the order document shows them and their ids, in line order.
    """
    values, params = [], {"o": order_id}
    for n, ln in enumerate(lines, start=1):
        values.append(f"(:o, {n}, :i{n}, :q{n}, :p{n}, 0, 0)")
        params.update(
            {f"i{n}": ln.item_id, f"q{n}": ln.quantity, f"p{n}": items[ln.item_id]["unit_price"]}
        )
    by_no = {
        int(r["line_no"]): int(r["id"])
        for r in rows(
            conn,
            "INSERT INTO sales_order_line (order_id, line_no, item_id, quantity, unit_price, shipped_qty, "
            f"invoiced_qty) VALUES {', '.join(values)} RETURNING id, line_no",
            params,
        )
    }
    line_ids = [by_no[n] for n in range(1, len(lines) + 1)]
    out = []
    for n, (ln, line_id) in enumerate(zip(lines, line_ids, strict=True), start=1):
        item = items[ln.item_id]
        out.append(
            {
                "id": line_id,
                "line_no": n,
                "item_id": ln.item_id,
                "sku": item["sku"],
                "item_name": item["name"],
                "quantity": ln.quantity,
                "unit_price": item["unit_price"],
                "shipped_qty": 0,
            }
        )
        trail.add(
            "sales_order_line", line_id, "insert", "quantity", None, ln.quantity, "order entry"
        )
    return out, line_ids


# ---------------------------------------------------------------------- read
#: An order's lines, allocations, shipments and shipment lines, for :func:`order_view`.
OrderParts = tuple[
    list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]
]


def get_order(conn: Conn, order_id: int, *, batched: bool) -> dict[str, Any]:
    """The order with lines, allocations and shipments: joined queries, or N+1 when not batched
    (the ``batching`` lever)."""
    order = one(
        conn,
        "SELECT id, order_number, customer_id, ship_to_id, po_number, order_date, status, "
        "total_amount, created_by, created_at FROM sales_order WHERE id = :id",
        {"id": order_id},
    )
    if order is None:
        raise ApiError(
            404, "not_found", f"sales order {order_id} does not exist", {"order_id": order_id}
        )
    load = _order_parts_batched if batched else _order_parts_row_by_row
    return order_view(order, *load(conn, order_id))


def _order_parts_batched(conn: Conn, order_id: int) -> OrderParts:
    """Lines, allocations, shipments and shipment lines in four joined queries (or three)."""
    lines = rows(
        conn,
        "SELECT l.id, l.line_no, l.item_id, l.quantity, l.unit_price, l.shipped_qty, i.sku, "
        "i.name AS item_name FROM sales_order_line l JOIN item i ON i.id = l.item_id "
        "WHERE l.order_id = :id",
        {"id": order_id},
    )
    allocs = rows(
        conn,
        "SELECT a.order_line_id, a.lot_id, a.quantity, a.status, lt.lot_number, lt.expiry_date "
        "FROM allocation a JOIN sales_order_line l ON l.id = a.order_line_id "
        "JOIN lot lt ON lt.id = a.lot_id WHERE l.order_id = :id",
        {"id": order_id},
    )
    ships = _shipments(conn, order_id)
    ship_lines = (
        rows(
            conn,
            "SELECT sl.id, sl.shipment_id, sl.order_line_id, sl.item_id, sl.lot_id, sl.serial, "
            "sl.quantity, sl.udi, lt.lot_number FROM shipment_line sl "
            "JOIN shipment s ON s.id = sl.shipment_id JOIN lot lt ON lt.id = sl.lot_id "
            "WHERE s.order_id = :id",
            {"id": order_id},
        )
        if ships
        else []
    )
    return lines, allocs, ships, ship_lines


def _order_parts_row_by_row(conn: Conn, order_id: int) -> OrderParts:
    """The legacy access pattern: one query per line, per allocation, per shipment."""
    lines = rows(
        conn,
        "SELECT id, line_no, item_id, quantity, unit_price, shipped_qty FROM sales_order_line "
        "WHERE order_id = :id",
        {"id": order_id},
    )
    allocs = []
    for ln in lines:
        item = one(conn, "SELECT sku, name FROM item WHERE id = :id", {"id": ln["item_id"]}) or {}
        ln["sku"], ln["item_name"] = item.get("sku"), item.get("name")
        for a in rows(
            conn,
            "SELECT order_line_id, lot_id, quantity, status FROM allocation WHERE order_line_id = :l",
            {"l": ln["id"]},
        ):
            lot = (
                one(
                    conn,
                    "SELECT lot_number, expiry_date FROM lot WHERE id = :id",
                    {"id": a["lot_id"]},
                )
                or {}
            )
            allocs.append({**a, **lot})
    ships = _shipments(conn, order_id)
    ship_lines = []
    for s in ships:
        for sl in rows(
            conn,
            "SELECT id, shipment_id, order_line_id, item_id, lot_id, serial, quantity, udi "
            "FROM shipment_line WHERE shipment_id = :s",
            {"s": s["id"]},
        ):
            sl["lot_number"] = scalar(
                conn, "SELECT lot_number FROM lot WHERE id = :id", {"id": sl["lot_id"]}
            )
            ship_lines.append(sl)
    return lines, allocs, ships, ship_lines


def _shipments(conn: Conn, order_id: int) -> list[dict[str, Any]]:
    """The order's shipment headers (the same query on both paths)."""
    return rows(
        conn,
        "SELECT id, shipment_number, ship_to_id, shipped_at, shipped_by FROM shipment "
        "WHERE order_id = :id",
        {"id": order_id},
    )


def customer_orders(
    ctx: AppContext, conn: Conn, customer_id: int, limit: int, *, batched: bool
) -> dict[str, Any]:
    """A customer's most recent orders with line counts: one query, or one per order when not
    batched (the ``batching`` lever)."""
    if load_customer(ctx, conn, customer_id) is None:
        raise ApiError(
            404, "not_found", f"customer {customer_id} does not exist", {"customer_id": customer_id}
        )
    recent = _recent_orders_batched if batched else _recent_orders_row_by_row
    return {
        "customer_id": customer_id,
        "items": [order_summary(o) for o in recent(conn, customer_id, limit)],
    }


def _recent_orders_batched(conn: Conn, customer_id: int, limit: int) -> list[dict[str, Any]]:
    """The most recent orders and their line counts in one query."""
    return rows(
        conn,
        "WITH recent AS (SELECT id, order_number, customer_id, order_date, status, total_amount FROM sales_order "
        "WHERE customer_id = :c ORDER BY order_date DESC, id DESC LIMIT :limit) "
        "SELECT r.id, r.order_number, r.customer_id, r.order_date, r.status, r.total_amount, "
        "COUNT(l.id) AS line_count, COALESCE(SUM(l.quantity), 0) AS units FROM recent r "
        "LEFT JOIN sales_order_line l ON l.order_id = r.id "
        "GROUP BY r.id, r.order_number, r.customer_id, r.order_date, r.status, r.total_amount "
        "ORDER BY r.order_date DESC, r.id DESC",
        {"c": customer_id, "limit": limit},
    )


def _recent_orders_row_by_row(conn: Conn, customer_id: int, limit: int) -> list[dict[str, Any]]:
    """The legacy access pattern: the orders, then one aggregate query per order."""
    found = rows(
        conn,
        "SELECT id, order_number, customer_id, order_date, status, total_amount FROM sales_order "
        "WHERE customer_id = :c ORDER BY order_date DESC, id DESC LIMIT :limit",
        {"c": customer_id, "limit": limit},
    )
    for o in found:
        agg = (
            one(
                conn,
                "SELECT COUNT(*) AS n, COALESCE(SUM(quantity), 0) AS units FROM sales_order_line "
                "WHERE order_id = :id",
                {"id": o["id"]},
            )
            or {}
        )
        o["line_count"], o["units"] = agg.get("n"), agg.get("units")
    return found


def list_orders(
    conn: Conn, status: str | None, customer_id: int | None, limit: int, offset: int
) -> dict[str, Any]:
    """Discovery list of orders, newest first."""
    where: list[str] = ["1 = 1"]
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if status:
        where.append("status = :status")
        params["status"] = status
    if customer_id is not None:
        where.append("customer_id = :c")
        params["c"] = customer_id
    cond = " AND ".join(where)
    total = scalar(conn, f"SELECT COUNT(*) FROM sales_order WHERE {cond}", params)
    found = rows(
        conn,
        f"WITH page AS (SELECT id, order_number, customer_id, order_date, status, total_amount FROM sales_order "
        f"WHERE {cond} ORDER BY id DESC LIMIT :limit OFFSET :offset) "
        "SELECT p.id, p.order_number, p.customer_id, p.order_date, p.status, p.total_amount, "
        "COUNT(l.id) AS line_count, COALESCE(SUM(l.quantity), 0) AS units FROM page p "
        "LEFT JOIN sales_order_line l ON l.order_id = p.id "
        "GROUP BY p.id, p.order_number, p.customer_id, p.order_date, p.status, p.total_amount ORDER BY p.id DESC",
        params,
    )
    return {"items": [order_summary(o) for o in found], "total": int(total or 0)}
