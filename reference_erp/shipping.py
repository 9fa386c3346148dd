"""Goods issue: pick, ship and post every open allocation of an order in one transaction.

On PostgreSQL the order row and then its stock rows are locked ``FOR UPDATE`` (stock rows in
id order, the order entry's lock order too); every stock UPDATE is also guarded (``allocated
>= q AND on_hand >= q``). Serial-controlled items ship one line per serial number, each with
its UDI; the cost of goods sold is posted to the general ledger, and the audit rows are
written in the same transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from . import gs1
from .audit import AuditTrail
from .auth import Principal
from .context import AppContext
from .db import Conn, Dialect, execute, insert_returning_id, one, rows
from .errors import ApiError
from .ledger import post_journal
from .sql import Ref, in_params, record_moves, set_number, stock_move, utc_now
from .views import day, shipment_line_view


def ship_order(ctx: AppContext, user: Principal, order_id: int) -> dict[str, Any]:
    """Pick, ship and post goods issue for every open allocation of the order."""
    result, items = ctx.db.run_write(lambda conn: _ship_in_tx(ctx, conn, user, order_id))
    ctx.invalidate_availability(items)
    return result


def _ship_in_tx(
    ctx: AppContext, conn: Conn, user: Principal, order_id: int
) -> tuple[dict[str, Any], list[int]]:
    """Goods issue in one transaction; returns (shipment document, item ids)."""
    d = ctx.db.dialect
    now = utc_now()
    order = _open_order(conn, d, order_id)
    allocs = _open_allocations(conn, order_id)
    _lock_stock_rows(conn, d, allocs)
    trail = AuditTrail(user.username, now)
    ship_id, number = _insert_shipment(conn, trail, order, user.username, now)
    ref: Ref = ("shipment", ship_id, user.username, now)
    lines: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    cost = 0.0
    for a in allocs:
        qty = int(a["quantity"])
        _issue_stock(conn, trail, a, number, now)
        moves.append(stock_move("issue", a["item_id"], a["location_id"], a["lot_id"], -qty, ref))
        cost += qty * float(a["unit_cost"])
        lines += _ship_units(conn, d, a, ship_id)
    record_moves(conn, moves)
    execute(
        conn,
        "UPDATE sales_order SET status = 'shipped', shipped_at = :now WHERE id = :id",
        {"now": now, "id": order_id},
    )
    trail.add("sales_order", order_id, "update", "status", "open", "shipped", "goods issue")
    post_journal(
        ctx,
        conn,
        date.today(),
        "shipment",
        ship_id,
        f"Goods issue {number}",
        [("5000", cost, 0.0), ("1200", 0.0, cost)],
        user.username,
        now,
    )
    trail.write(conn)
    shipment = {
        "id": ship_id,
        "shipment_number": number,
        "order_id": order_id,
        "ship_to_id": int(order["ship_to_id"]),
        "shipped_by": user.username,
        "shipped_at": now.replace(" ", "T") + "Z",
        "lines": [shipment_line_view(sl) for sl in lines],
    }
    return shipment, sorted({int(a["item_id"]) for a in allocs})


def _open_order(conn: Conn, d: Dialect, order_id: int) -> dict[str, Any]:
    """The order, locked; 404 when it does not exist, 409 when it is not open."""
    order = one(
        conn,
        f"SELECT id, order_number, ship_to_id, status FROM sales_order WHERE id = :id{d.for_update}",
        {"id": order_id},
    )
    if order is None:
        raise ApiError(
            404, "not_found", f"sales order {order_id} does not exist", {"order_id": order_id}
        )
    if order["status"] != "open":
        raise ApiError(
            409,
            "order_not_shippable",
            f"order {order['order_number']} is {order['status']}, not open",
            {"status": order["status"]},
        )
    return order


def _open_allocations(conn: Conn, order_id: int) -> list[dict[str, Any]]:
    """The order's open allocations with what shipping needs, in stock-row order."""
    return rows(
        conn,
        "SELECT a.id, a.order_line_id, a.stock_balance_id, a.lot_id, a.quantity, l.item_id, lt.lot_number, "
        "lt.expiry_date, i.serial_controlled, i.unit_cost, sb.location_id, di.gtin FROM allocation a "
        "JOIN sales_order_line l ON l.id = a.order_line_id JOIN lot lt ON lt.id = a.lot_id "
        "JOIN item i ON i.id = l.item_id JOIN stock_balance sb ON sb.id = a.stock_balance_id "
        "LEFT JOIN device_identifier di ON di.item_id = i.id AND di.packaging_level = 'each' "
        "WHERE l.order_id = :o AND a.status = 'allocated' ORDER BY a.stock_balance_id, a.id",
        {"o": order_id},
    )


def _lock_stock_rows(conn: Conn, d: Dialect, allocs: list[dict[str, Any]]) -> None:
    """Lock the stock rows of the allocations in id order (PostgreSQL; SQLite's writer lock
    already serialises)."""
    if d.for_update:
        ids, params = in_params("s", sorted({int(a["stock_balance_id"]) for a in allocs}))
        if allocs:
            rows(
                conn,
                f"SELECT id FROM stock_balance WHERE id IN ({ids}) ORDER BY id FOR UPDATE",
                params,
            )


def _insert_shipment(
    conn: Conn, trail: AuditTrail, order: dict[str, Any], username: str, now: str
) -> tuple[int, str]:
    """Insert the shipment header; return its id and number."""
    order_id = int(order["id"])
    ship_id = insert_returning_id(
        conn,
        "INSERT INTO shipment (shipment_number, order_id, ship_to_id, shipped_by, shipped_at) "
        "VALUES (:n, :o, :s, :u, :at)",
        {
            "n": f"TMP-{order_id}-{now}",
            "o": order_id,
            "s": order["ship_to_id"],
            "u": username,
            "at": now,
        },
    )
    number = f"SH{ship_id:08d}"
    set_number(conn, "shipment", "shipment_number", ship_id, number)
    trail.add("shipment", ship_id, "insert", None, None, number, "goods issue")
    return ship_id, number


def _issue_stock(conn: Conn, trail: AuditTrail, a: dict[str, Any], number: str, now: str) -> None:
    """Take an allocation's quantity out of stock (guarded), mark it shipped, count it on the
    order line; 409 ``stock_mismatch`` when the allocated stock is gone."""
    qty = int(a["quantity"])
    changed = execute(
        conn,
        "UPDATE stock_balance SET on_hand = on_hand - :q, allocated = allocated - :q, "
        "updated_at = :now WHERE id = :id AND allocated >= :q AND on_hand >= :q",
        {"q": qty, "now": now, "id": a["stock_balance_id"]},
    )
    if changed != 1:
        raise ApiError(
            409,
            "stock_mismatch",
            "the allocated stock is no longer there",
            {"allocation_id": a["id"]},
        )
    execute(conn, "UPDATE allocation SET status = 'shipped' WHERE id = :id", {"id": a["id"]})
    execute(
        conn,
        "UPDATE sales_order_line SET shipped_qty = shipped_qty + :q WHERE id = :id",
        {"q": qty, "id": a["order_line_id"]},
    )
    trail.add(
        "stock_balance",
        a["stock_balance_id"],
        "update",
        "on_hand",
        None,
        f"-{qty}",
        f"goods issue {number}",
    )


def _pick_serials(conn: Conn, d: Dialect, a: dict[str, Any]) -> list[str | None]:
    """The serial numbers to ship for an allocation, marked shipped; ``[None]`` (one line
    without serial) for an item without serials or a lot with fewer serials in stock."""
    qty = int(a["quantity"])
    if not int(a["serial_controlled"]):
        return [None]
    picked = rows(
        conn,
        f"SELECT id, serial FROM serial_unit WHERE lot_id = :lot AND status = 'in_stock' "
        f"ORDER BY serial LIMIT :q{d.for_update}",
        {"lot": a["lot_id"], "q": qty},
    )
    if len(picked) != qty:
        return [None]
    execute(
        conn,
        "UPDATE serial_unit SET status = 'shipped' WHERE id = :id",
        [{"id": p["id"]} for p in picked],
    )
    return [p["serial"] for p in picked]


def _ship_units(conn: Conn, d: Dialect, a: dict[str, Any], ship_id: int) -> list[dict[str, Any]]:
    """Insert the shipment lines of an allocation, one per serial (else one), with UDIs."""
    qty = int(a["quantity"])
    expiry = day(a["expiry_date"]) or ""
    gtin = a["gtin"] or gs1.gtin14("0860001", int(a["item_id"]) % 100000)
    lines = []
    for serial in _pick_serials(conn, d, a):
        line = {
            "shipment_id": ship_id,
            "order_line_id": a["order_line_id"],
            "item_id": a["item_id"],
            "lot_id": a["lot_id"],
            "lot_number": a["lot_number"],
            "serial": serial,
            "quantity": 1 if serial else qty,
            "udi": gs1.udi(gtin, expiry, a["lot_number"], serial),
        }
        sl_id = insert_returning_id(
            conn,
            "INSERT INTO shipment_line (shipment_id, order_line_id, item_id, lot_id, serial, quantity, udi) "
            "VALUES (:shipment_id, :order_line_id, :item_id, :lot_id, :serial, :quantity, :udi)",
            {k: v for k, v in line.items() if k != "lot_number"},
        )
        lines.append({"id": sl_id, **line})
    return lines
