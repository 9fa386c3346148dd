"""Receiving, QA release with e-signature, lot trace and lot history (DHR).

Receipts go to quarantine; a QA user decides (release or reject) with an electronic
signature: the password re-entered, the meaning recorded (21 CFR Part 11). Released stock
moves to a released location, rejected stock to the rejected location, both through the
ledger and the audit trail in the same transaction.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .audit import AuditTrail
from .auth import Principal, verify_password
from .context import AppContext
from .db import Conn, Dialect, execute, insert_returning_id, one, rows
from .errors import ApiError
from .ledger import post_journal
from .models import ReceiptIn, ReleaseIn
from .sql import Ref, record_moves, set_number, stock_move, utc_now
from .views import day, lot_view, ts


def receive_goods(ctx: AppContext, user: Principal, body: ReceiptIn) -> dict[str, Any]:
    """Create a lot in quarantine with its stock, ledger receipt, serials and GL entry."""
    return ctx.db.run_write(lambda conn: _receive(ctx, conn, user, body))


def _receive(ctx: AppContext, conn: Conn, user: Principal, body: ReceiptIn) -> dict[str, Any]:
    """Goods receipt in one transaction; returns the new lot with its quantity and location."""
    now = utc_now()
    today = date.today()
    item = _receivable_item(conn, body)
    loc = one(conn, "SELECT id FROM location WHERE zone = 'quarantine' ORDER BY id LIMIT 1")
    if loc is None:
        raise ApiError(409, "no_quarantine_location", "no quarantine location is configured")
    expiry = today + timedelta(days=int(item["shelf_life_days"]))
    lot_id, number = _insert_lot(conn, body, today, expiry, now)
    sb_id = insert_returning_id(
        conn,
        "INSERT INTO stock_balance (item_id, location_id, lot_id, on_hand, allocated, updated_at) "
        "VALUES (:i, :loc, :lot, :q, 0, :now)",
        {"i": body.item_id, "loc": loc["id"], "lot": lot_id, "q": body.quantity, "now": now},
    )
    ref: Ref = ("lot", lot_id, user.username, now)
    record_moves(conn, [stock_move("receipt", body.item_id, loc["id"], lot_id, body.quantity, ref)])
    if int(item["serial_controlled"]) == 1:
        execute(
            conn,
            "INSERT INTO serial_unit (lot_id, serial, status) VALUES (:lot, :s, 'in_stock')",
            [{"lot": lot_id, "s": f"S{lot_id:07d}{k:04d}"} for k in range(1, body.quantity + 1)],
        )
    value = body.quantity * float(item["unit_cost"])
    post_journal(
        ctx,
        conn,
        today,
        "receipt",
        lot_id,
        f"Goods receipt {number}",
        [("1200", value, 0.0), ("2100", 0.0, value)],
        user.username,
        now,
    )
    trail = AuditTrail(user.username, now)
    trail.add("lot", lot_id, "insert", "status", None, "quarantine", "goods receipt")
    trail.add("stock_balance", sb_id, "insert", "on_hand", None, body.quantity, "goods receipt")
    trail.write(conn)
    lot = {
        "id": lot_id,
        "lot_number": number,
        "item_id": body.item_id,
        "status": "quarantine",
        "mfg_date": today.isoformat(),
        "expiry_date": expiry.isoformat(),
        "quantity_received": body.quantity,
    }
    return {**lot_view(lot), "quantity": body.quantity, "location_id": int(loc["id"])}


def _receivable_item(conn: Conn, body: ReceiptIn) -> dict[str, Any]:
    """The received item, checked with the supplier and the quantity; 422 otherwise."""
    item = one(
        conn,
        "SELECT id, serial_controlled, shelf_life_days, unit_cost FROM item WHERE id = :id",
        {"id": body.item_id},
    )
    if item is None:
        raise ApiError(
            422, "unknown_item", f"item {body.item_id} does not exist", {"item_id": body.item_id}
        )
    if (
        body.supplier_id is not None
        and one(conn, "SELECT id FROM supplier WHERE id = :id", {"id": body.supplier_id}) is None
    ):
        raise ApiError(
            422,
            "unknown_supplier",
            f"supplier {body.supplier_id} does not exist",
            {"supplier_id": body.supplier_id},
        )
    if int(item["serial_controlled"]) == 1 and body.quantity > 1000:
        raise ApiError(
            422, "quantity_too_large", "serial-controlled receipts are limited to 1000 units"
        )
    return item


def _insert_lot(
    conn: Conn, body: ReceiptIn, today: date, expiry: date, now: str
) -> tuple[int, str]:
    """Insert the new lot in quarantine; return its id and number."""
    lot_id = insert_returning_id(
        conn,
        "INSERT INTO lot (lot_number, item_id, supplier_id, work_order_id, mfg_date, expiry_date, status, "
        "quantity_received, created_at) VALUES (:n, :i, :s, NULL, :mfg, :exp, 'quarantine', :q, :now)",
        {
            "n": f"TMP-{body.item_id}-{now}-{id(body)}",
            "i": body.item_id,
            "s": body.supplier_id,
            "mfg": today.isoformat(),
            "exp": expiry.isoformat(),
            "q": body.quantity,
            "now": now,
        },
    )
    number = f"L{today:%y%m}-{lot_id:06d}"
    set_number(conn, "lot", "lot_number", lot_id, number)
    return lot_id, number


def release_lot(ctx: AppContext, user: Principal, lot_id: int, body: ReleaseIn) -> dict[str, Any]:
    """Record the QA usage decision with an e-signature and move the stock accordingly."""
    with ctx.db.read() as conn:
        stored = one(
            conn,
            "SELECT password_hash FROM app_user WHERE username = :u AND active = 1",
            {"u": user.username},
        )
    if stored is None or not verify_password(body.password, stored["password_hash"]):
        raise ApiError(
            403, "signature_failed", "the e-signature password is wrong; nothing was signed"
        )
    result, item_id = ctx.db.run_write(lambda conn: _release(ctx, conn, user, lot_id, body))
    ctx.invalidate_availability([item_id])
    return result


def _release(
    ctx: AppContext, conn: Conn, user: Principal, lot_id: int, body: ReleaseIn
) -> tuple[dict[str, Any], int]:
    """The QA decision in one transaction; returns (lot with signature, item id)."""
    d = ctx.db.dialect
    now = utc_now()
    lot = _quarantined_lot(conn, d, lot_id)
    new_status = "released" if body.decision == "release" else "rejected"
    trail = AuditTrail(user.username, now)
    ref: Ref = ("lot", lot_id, user.username, now)
    # released stock goes to a 'released' location, rejected stock to a 'rejected' one
    record_moves(conn, _move_stock(conn, d, trail, lot, new_status, f"QA {body.decision}", ref))
    execute(
        conn,
        "UPDATE lot SET status = :s, released_by = :u, released_at = :now WHERE id = :id",
        {"s": new_status, "u": user.username, "now": now, "id": lot_id},
    )
    insp_id, sig_id = _sign_decision(conn, lot_id, new_status, body, user.username, now)
    if new_status == "rejected":
        _open_nonconformance(conn, lot_id, body.reason, now)
    trail.add(
        "lot",
        lot_id,
        "update",
        "status",
        "quarantine",
        new_status,
        body.reason or f"QA {body.decision}",
    )
    trail.add("e_signature", sig_id, "insert", "meaning", None, body.meaning, f"QA {body.decision}")
    trail.write(conn)
    lot.update({"status": new_status, "released_by": user.username, "released_at": now})
    out = {
        **lot_view(lot),
        "e_signature": {
            "id": sig_id,
            "username": user.username,
            "meaning": body.meaning,
            "reason": body.reason,
            "signed_at": ts(now),
            "record_table": "lot",
            "record_key": str(lot_id),
        },
        "inspection_id": insp_id,
    }
    return out, int(lot["item_id"])


def _quarantined_lot(conn: Conn, d: Dialect, lot_id: int) -> dict[str, Any]:
    """The lot, locked; 404 when it does not exist, 409 when it is not in quarantine."""
    lot = one(conn, f"SELECT * FROM lot WHERE id = :id{d.for_update}", {"id": lot_id})
    if lot is None:
        raise ApiError(404, "not_found", f"lot {lot_id} does not exist", {"lot_id": lot_id})
    if lot["status"] != "quarantine":
        raise ApiError(
            409,
            "lot_not_in_quarantine",
            f"lot {lot['lot_number']} is {lot['status']}",
            {"status": lot["status"]},
        )
    return lot


def _move_stock(
    conn: Conn,
    d: Dialect,
    trail: AuditTrail,
    lot: dict[str, Any],
    zone: str,
    reason: str,
    ref: Ref,
) -> list[dict[str, Any]]:
    """Move the lot's quarantined stock to a ``zone`` location of the same warehouse.

    Returns the ledger moves (out of quarantine, into the target) for :func:`record_moves`;
    409 ``no_target_location`` when the warehouse has no such location.
    """
    lot_id = int(lot["id"])
    stock = rows(
        conn,
        "SELECT sb.id, sb.location_id, sb.on_hand, sb.allocated, loc.warehouse_id FROM stock_balance sb "
        "JOIN location loc ON loc.id = sb.location_id WHERE sb.lot_id = :lot AND loc.zone = 'quarantine' "
        f"ORDER BY sb.id{d.for_update and ' FOR UPDATE OF sb'}",
        {"lot": lot_id},
    )
    moves = []
    for sb in stock:
        qty = int(sb["on_hand"])
        if qty <= 0:
            continue
        targets = rows(
            conn,
            "SELECT id FROM location WHERE warehouse_id = :w AND zone = :z ORDER BY id",
            {"w": sb["warehouse_id"], "z": zone},
        )
        if not targets:
            raise ApiError(409, "no_target_location", f"no {zone} location in the lot's warehouse")
        target = int(targets[int(lot["item_id"]) % len(targets)]["id"])
        _transfer(conn, d, lot, int(sb["id"]), target, qty, ref[3])
        for loc, signed in ((sb["location_id"], -qty), (target, qty)):
            txn_type = "transfer_out" if signed < 0 else "transfer_in"
            moves.append(stock_move(txn_type, lot["item_id"], loc, lot_id, signed, ref))
        trail.add(
            "stock_balance", sb["id"], "update", "location", sb["location_id"], target, reason
        )
    return moves


def _transfer(
    conn: Conn,
    d: Dialect,
    lot: dict[str, Any],
    stock_id: int,
    target: int,
    qty: int,
    now: str,
) -> None:
    """Take ``qty`` off a stock row and add it to the lot's row at ``target`` (made if new)."""
    execute(
        conn,
        "UPDATE stock_balance SET on_hand = on_hand - :q, updated_at = :now WHERE id = :id "
        "AND on_hand - allocated >= :q",
        {"q": qty, "now": now, "id": stock_id},
    )
    existing = one(
        conn,
        f"SELECT id FROM stock_balance WHERE lot_id = :lot AND location_id = :loc{d.for_update}",
        {"lot": lot["id"], "loc": target},
    )
    if existing:
        execute(
            conn,
            "UPDATE stock_balance SET on_hand = on_hand + :q, updated_at = :now WHERE id = :id",
            {"q": qty, "now": now, "id": existing["id"]},
        )
    else:
        insert_returning_id(
            conn,
            "INSERT INTO stock_balance (item_id, location_id, lot_id, on_hand, allocated, "
            "updated_at) VALUES (:i, :loc, :lot, :q, 0, :now)",
            {"i": lot["item_id"], "loc": target, "lot": lot["id"], "q": qty, "now": now},
        )


def _sign_decision(
    conn: Conn, lot_id: int, new_status: str, body: ReleaseIn, username: str, now: str
) -> tuple[int, int]:
    """Insert the inspection result and the e-signature; return their ids."""
    insp_id = insert_returning_id(
        conn,
        "INSERT INTO inspection (lot_id, inspector, result, notes, inspected_at) VALUES (:l, :u, :r, :n, :now)",
        {
            "l": lot_id,
            "u": username,
            "r": "pass" if new_status == "released" else "fail",
            "n": body.reason,
            "now": now,
        },
    )
    sig_id = insert_returning_id(
        conn,
        "INSERT INTO e_signature (username, record_table, record_key, meaning, reason, signed_at) "
        "VALUES (:u, 'lot', :k, :m, :r, :now)",
        {"u": username, "k": str(lot_id), "m": body.meaning, "r": body.reason, "now": now},
    )
    return insp_id, sig_id


def _open_nonconformance(conn: Conn, lot_id: int, reason: str | None, now: str) -> None:
    """Open a nonconformance for a rejected lot."""
    nc_id = insert_returning_id(
        conn,
        "INSERT INTO nonconformance (nc_number, lot_id, description, status, created_at) "
        "VALUES (:n, :l, :d, 'open', :now)",
        {
            "n": f"TMP-NC-{lot_id}-{now}",
            "l": lot_id,
            "d": reason or "rejected at QA inspection",
            "now": now,
        },
    )
    set_number(conn, "nonconformance", "nc_number", nc_id, f"NC{nc_id:06d}")


# ---------------------------------------------------------------------- queries (report database)
def _lot_or_404(conn: Conn, lot_id: int) -> dict[str, Any]:
    lot = one(conn, "SELECT * FROM lot WHERE id = :id", {"id": lot_id})
    if lot is None:
        raise ApiError(404, "not_found", f"lot {lot_id} does not exist", {"lot_id": lot_id})
    return lot


def trace_lot(ctx: AppContext, lot_id: int) -> dict[str, Any]:
    """Backward trace through the genealogy and forward trace to shipments and consignees."""
    with ctx.report_db.read() as conn:
        lot = _lot_or_404(conn, lot_id)
        backward = rows(
            conn,
            "WITH RECURSIVE back(lot_id, depth, quantity) AS ("
            " SELECT child_lot_id, 1, quantity FROM lot_genealogy WHERE parent_lot_id = :lot"
            " UNION ALL SELECT g.child_lot_id, b.depth + 1, g.quantity FROM lot_genealogy g"
            " JOIN back b ON g.parent_lot_id = b.lot_id WHERE b.depth < 10) "
            "SELECT b.lot_id, b.depth, b.quantity, l.lot_number, l.item_id, l.status, l.expiry_date "
            "FROM back b JOIN lot l ON l.id = b.lot_id ORDER BY b.depth, b.lot_id",
            {"lot": lot_id},
        )
        forward = rows(
            conn,
            "WITH RECURSIVE fwd(lot_id, depth) AS ("
            " SELECT id, 0 FROM lot WHERE id = :lot"
            " UNION ALL SELECT g.parent_lot_id, f.depth + 1 FROM lot_genealogy g"
            " JOIN fwd f ON g.child_lot_id = f.lot_id WHERE f.depth < 10) "
            "SELECT sl.lot_id, lt.lot_number, f.depth, s.id AS shipment_id, s.shipment_number, s.shipped_at, "
            "s.order_id, o.customer_id, c.name AS customer_name, st.id AS ship_to_id, st.name AS ship_to_name, "
            "st.city, st.country, st.gln, SUM(sl.quantity) AS quantity "
            "FROM fwd f JOIN shipment_line sl ON sl.lot_id = f.lot_id JOIN shipment s ON s.id = sl.shipment_id "
            "JOIN sales_order o ON o.id = s.order_id JOIN customer c ON c.id = o.customer_id "
            "JOIN ship_to st ON st.id = s.ship_to_id JOIN lot lt ON lt.id = sl.lot_id "
            "GROUP BY sl.lot_id, lt.lot_number, f.depth, s.id, s.shipment_number, s.shipped_at, s.order_id, "
            "o.customer_id, c.name, st.id, st.name, st.city, st.country, st.gln ORDER BY s.shipped_at, s.id",
            {"lot": lot_id},
        )
    return {
        "lot": lot_view(lot),
        "backward": [_component_view(r) for r in backward],
        "forward": [_delivery_view(r) for r in forward],
    }


def _component_view(r: dict[str, Any]) -> dict[str, Any]:
    """A lot found by the backward trace (a component, ``depth`` levels down)."""
    return {
        "lot_id": int(r["lot_id"]),
        "lot_number": r["lot_number"],
        "item_id": int(r["item_id"]),
        "status": r["status"],
        "expiry_date": day(r["expiry_date"]),
        "depth": int(r["depth"]),
        "quantity": int(r["quantity"]),
    }


def _delivery_view(r: dict[str, Any]) -> dict[str, Any]:
    """A shipment found by the forward trace, with its consignee."""
    return {
        "lot_id": int(r["lot_id"]),
        "lot_number": r["lot_number"],
        "depth": int(r["depth"]),
        "shipment_id": int(r["shipment_id"]),
        "shipment_number": r["shipment_number"],
        "shipped_at": ts(r["shipped_at"]),
        "order_id": int(r["order_id"]),
        "customer_id": int(r["customer_id"]),
        "customer_name": r["customer_name"],
        "ship_to_id": int(r["ship_to_id"]),
        "ship_to_name": r["ship_to_name"],
        "city": r["city"],
        "country": r["country"],
        "gln": r["gln"],
        "quantity": int(r["quantity"]),
    }


#: The records of a lot's device history, in the order they are read: (name, SQL).
_HISTORY_QUERIES = (
    (
        "components",
        "SELECT g.child_lot_id AS lot_id, l.lot_number, l.item_id, g.quantity "
        "FROM lot_genealogy g JOIN lot l ON l.id = g.child_lot_id WHERE g.parent_lot_id = :lot "
        "ORDER BY g.child_lot_id",
    ),
    (
        "transactions",
        "SELECT id, txn_type, location_id, quantity, ref_table, ref_id, created_by, created_at "
        "FROM inventory_txn WHERE lot_id = :lot ORDER BY id LIMIT 500",
    ),
    (
        "inspections",
        "SELECT id, inspector, result, notes, inspected_at FROM inspection "
        "WHERE lot_id = :lot ORDER BY id",
    ),
    (
        "audit_trail",
        "SELECT id, action, field, old_value, new_value, reason, changed_by, changed_at "
        "FROM audit_log WHERE table_name = 'lot' AND record_key = :k ORDER BY id",
    ),
    (
        "signatures",
        "SELECT id, username, meaning, reason, signed_at FROM e_signature "
        "WHERE record_table = 'lot' AND record_key = :k ORDER BY id",
    ),
    (
        "nonconformances",
        "SELECT id, nc_number, description, status, created_at FROM nonconformance "
        "WHERE lot_id = :lot ORDER BY id",
    ),
    (
        "stock",
        "SELECT location_id, on_hand, allocated FROM stock_balance WHERE lot_id = :lot ORDER BY id",
    ),
)

#: The timestamp column of each history record that has one.
_HISTORY_STAMPS = {
    "transactions": "created_at",
    "inspections": "inspected_at",
    "audit_trail": "changed_at",
    "signatures": "signed_at",
    "nonconformances": "created_at",
}


def lot_history(ctx: AppContext, lot_id: int) -> dict[str, Any]:
    """The device history record of a lot: production, ledger, inspections, audit trail, signatures."""
    with ctx.report_db.read() as conn:
        lot = _lot_or_404(conn, lot_id)
        key = {"k": str(lot_id), "lot": lot_id}
        work_order = None
        if lot.get("work_order_id"):
            work_order = one(
                conn,
                "SELECT id, wo_number, item_id, quantity, status, started_at, completed_at "
                "FROM work_order WHERE id = :id",
                {"id": lot["work_order_id"]},
            )
        found = {name: rows(conn, sql, key) for name, sql in _HISTORY_QUERIES}
    if work_order:
        work_order = {
            **work_order,
            "started_at": ts(work_order["started_at"]),
            "completed_at": ts(work_order["completed_at"]),
        }
    for name, column in _HISTORY_STAMPS.items():
        found[name] = [{**r, column: ts(r[column])} for r in found[name]]
    return {
        "lot": lot_view(lot),
        "work_order": work_order,
        "components": found["components"],
        "stock": found["stock"],
        "transactions": found["transactions"],
        "inspections": found["inspections"],
        "audit_trail": found["audit_trail"],
        "signatures": found["signatures"],
        "nonconformances": found["nonconformances"],
    }
