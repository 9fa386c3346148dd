"""FEFO allocation of order lines to released stock, the concurrency-critical part of order entry.

Order entry reads the candidate stock without locks (:func:`candidate_stock`), plans in
memory (:func:`plan_fefo`: earliest expiry, then lot, then stock row; a shortfall is a 409
before anything is written), writes the allocations (:func:`write_allocations`) and last
takes the stock-row locks with guarded UPDATEs in stock-row order (:func:`take_stock`), so
that orders never deadlock each other and hold the hot rows only until commit. A guarded
UPDATE that finds less free stock than planned raises :class:`StockRace`: the caller retries
the whole transaction from a fresh read.
"""

from __future__ import annotations

from typing import Any

from .audit import AuditTrail
from .db import Conn, execute, rows
from .errors import ApiError, StockRace
from .models import OrderLineIn
from .sql import in_params
from .views import day

#: One pick of a plan: a candidate stock row and the quantity taken from it.
Pick = tuple[dict[str, Any], int]


def candidate_stock(conn: Conn, item_ids: list[int], today: str) -> dict[int, list[dict[str, Any]]]:
    """Released, unexpired stock with free quantity per item, in FEFO order (no lock)."""
    marks, params = in_params("i", item_ids)
    stock = rows(
        conn,
        "SELECT sb.id, sb.item_id, sb.lot_id, sb.on_hand, sb.allocated, l.lot_number, l.expiry_date "
        "FROM stock_balance sb JOIN lot l ON l.id = sb.lot_id JOIN location loc ON loc.id = sb.location_id "
        f"WHERE sb.item_id IN ({marks}) AND l.status = 'released' AND l.expiry_date > :today "
        "AND loc.zone = 'released' AND sb.on_hand > sb.allocated "
        "ORDER BY sb.item_id, sb.id",
        {"today": today, **params},
    )
    free: dict[int, list[dict[str, Any]]] = {}
    for r in stock:
        r["free"] = int(r["on_hand"]) - int(r["allocated"])
        r["expiry"] = day(r["expiry_date"])
        free.setdefault(int(r["item_id"]), []).append(r)
    for lst in free.values():
        lst.sort(key=lambda r: (r["expiry"], int(r["lot_id"]), int(r["id"])))
    return free


def plan_fefo(free: dict[int, list[dict[str, Any]]], lines: list[OrderLineIn]) -> list[list[Pick]]:
    """The picks of each order line, in line order; 409 ``insufficient_stock`` on a shortfall.

    ``free`` (from :func:`candidate_stock`) is used up as lines take from it, so two lines of
    the same item never plan the same units.
    """
    plan: list[list[Pick]] = []
    short: list[dict[str, Any]] = []
    for ln in lines:
        picks, need = _pick(free.get(ln.item_id, []), ln.quantity)
        if need:
            short.append(
                {"item_id": ln.item_id, "requested": ln.quantity, "available": ln.quantity - need}
            )
        plan.append(picks)
    if short:
        raise ApiError(
            409,
            "insufficient_stock",
            "not enough released, unexpired stock for some lines",
            {"lines": short},
        )
    return plan


def _pick(candidates: list[dict[str, Any]], quantity: int) -> tuple[list[Pick], int]:
    """Take ``quantity`` from the candidates in order; return the picks and what is missing."""
    need, picks = quantity, []
    for r in candidates:
        if need == 0:
            break
        take = min(need, r["free"])
        if take > 0:
            r["free"] -= take
            need -= take
            picks.append((r, take))
    return picks, need


def write_allocations(
    conn: Conn,
    trail: AuditTrail,
    line_ids: list[int],
    plan: list[list[Pick]],
    number: str,
    now: str,
) -> dict[int, int]:
    """Insert the planned allocations of the order lines and audit the stock they take.

    Returns the quantity taken per stock row, for :func:`take_stock`.
    """
    params = [
        {"l": line_id, "s": r["id"], "lot": r["lot_id"], "q": take, "now": now}
        for line_id, picks in zip(line_ids, plan, strict=True)
        for r, take in picks
    ]
    by_row: dict[int, int] = {}
    for a in params:
        by_row[int(a["s"])] = by_row.get(int(a["s"]), 0) + int(a["q"])
    for stock_id, qty in sorted(by_row.items()):
        trail.add(
            "stock_balance",
            stock_id,
            "update",
            "allocated",
            None,
            f"+{qty}",
            f"allocation for {number}",
        )
    execute(
        conn,
        "INSERT INTO allocation (order_line_id, stock_balance_id, lot_id, quantity, status, created_at) "
        "VALUES (:l, :s, :lot, :q, 'allocated', :now)",
        params,
    )
    return by_row


def take_stock(conn: Conn, by_row: dict[int, int], now: str) -> None:
    """The guarded UPDATEs, in stock-row order: they take the hot row locks, held until commit.

    Raises :class:`StockRace` when a concurrent order took the stock since our read.
    """
    for stock_id in sorted(by_row):
        changed = execute(
            conn,
            "UPDATE stock_balance SET allocated = allocated + :q, updated_at = :now "
            "WHERE id = :id AND on_hand - allocated >= :q",
            {"q": by_row[stock_id], "now": now, "id": stock_id},
        )
        if changed != 1:  # a concurrent order took it since our read: redo the whole order
            raise StockRace(stock_id)


def allocation_views(line_ids: list[int], plan: list[list[Pick]]) -> list[dict[str, Any]]:
    """The allocations of a new order, as the order document shows them."""
    return [
        {
            "order_line_id": line_id,
            "lot_id": r["lot_id"],
            "lot_number": r["lot_number"],
            "expiry_date": r["expiry"],
            "quantity": take,
            "status": "allocated",
        }
        for line_id, picks in zip(line_ids, plan, strict=True)
        for r, take in picks
    ]
