"""Turning database values into JSON values the same way on both databases.

PostgreSQL returns ``date``, ``datetime`` and ``Decimal``; SQLite returns ISO strings and
floats. The API always answers ISO dates, ``...Z`` UTC timestamps and amounts as numbers.

>>> ts("2026-11-25 10:00:00")
'2026-11-25T10:00:00Z'
>>> day("2026-11-25"), money("12.5")
('2026-11-25', 12.5)
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any


def ts(value: Any) -> str | None:
    """A timestamp as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        stamp: datetime = value.astimezone(UTC) if value.tzinfo is not None else value
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = str(value)
    return text[:19].replace(" ", "T") + "Z"


def day(value: Any) -> str | None:
    """A date as ``YYYY-MM-DD``."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()[:10]
    return str(value)[:10]


def money(value: Any) -> float:
    """An amount rounded to cents."""
    if value is None:
        return 0.0
    if isinstance(value, Decimal):
        return float(round(value, 2))
    return round(float(value), 2)


def order_summary(row: dict[str, Any]) -> dict[str, Any]:
    """The order summary used by the list endpoints."""
    return {
        "id": int(row["id"]),
        "order_number": row["order_number"],
        "customer_id": int(row["customer_id"]),
        "order_date": day(row["order_date"]),
        "status": row["status"],
        "total_amount": money(row["total_amount"]),
        "line_count": int(row.get("line_count") or 0),
        "units": int(row.get("units") or 0),
    }


def order_view(
    order: dict[str, Any],
    lines: list[dict[str, Any]],
    allocations: list[dict[str, Any]],
    shipments: list[dict[str, Any]],
    shipment_lines: list[dict[str, Any]],
) -> dict[str, Any]:
    """The full order document of ``get_sales_order`` and ``create_sales_order``."""
    by_line: dict[int, list[dict[str, Any]]] = {}
    for a in allocations:
        by_line.setdefault(int(a["order_line_id"]), []).append(
            {
                "lot_id": int(a["lot_id"]),
                "lot_number": a["lot_number"],
                "expiry_date": day(a["expiry_date"]),
                "quantity": int(a["quantity"]),
                "status": a["status"],
            }
        )
    by_ship: dict[int, list[dict[str, Any]]] = {}
    for sl in shipment_lines:
        by_ship.setdefault(int(sl["shipment_id"]), []).append(shipment_line_view(sl))
    return {
        "id": int(order["id"]),
        "order_number": order["order_number"],
        "customer_id": int(order["customer_id"]),
        "ship_to_id": int(order["ship_to_id"]),
        "po_number": order["po_number"],
        "order_date": day(order["order_date"]),
        "status": order["status"],
        "total_amount": money(order["total_amount"]),
        "created_by": order["created_by"],
        "created_at": ts(order["created_at"]),
        "lines": [
            {
                "id": int(ln["id"]),
                "line_no": int(ln["line_no"]),
                "item_id": int(ln["item_id"]),
                "sku": ln["sku"],
                "item_name": ln["item_name"],
                "quantity": int(ln["quantity"]),
                "unit_price": money(ln["unit_price"]),
                "amount": money(float(ln["unit_price"]) * int(ln["quantity"])),
                "shipped_qty": int(ln["shipped_qty"]),
                "allocations": sorted(
                    by_line.get(int(ln["id"]), []), key=lambda a: (a["expiry_date"], a["lot_id"])
                ),
            }
            for ln in sorted(lines, key=lambda r: int(r["line_no"]))
        ],
        "shipments": [
            {
                "id": int(s["id"]),
                "shipment_number": s["shipment_number"],
                "ship_to_id": int(s["ship_to_id"]),
                "shipped_at": ts(s["shipped_at"]),
                "shipped_by": s["shipped_by"],
                "lines": by_ship.get(int(s["id"]), []),
            }
            for s in sorted(shipments, key=lambda r: int(r["id"]))
        ],
    }


def shipment_line_view(sl: dict[str, Any]) -> dict[str, Any]:
    """One shipment line with its lot, serial and UDI."""
    return {
        "id": int(sl["id"]),
        "order_line_id": int(sl["order_line_id"]),
        "item_id": int(sl["item_id"]),
        "lot_id": int(sl["lot_id"]),
        "lot_number": sl["lot_number"],
        "serial": sl["serial"],
        "quantity": int(sl["quantity"]),
        "udi": sl["udi"],
    }


def lot_view(lot: dict[str, Any]) -> dict[str, Any]:
    """A lot as the API shows it."""
    return {
        "id": int(lot["id"]),
        "lot_number": lot["lot_number"],
        "item_id": int(lot["item_id"]),
        "status": lot["status"],
        "mfg_date": day(lot.get("mfg_date")),
        "expiry_date": day(lot["expiry_date"]),
        "quantity_received": int(lot.get("quantity_received") or 0),
        "released_by": lot.get("released_by"),
        "released_at": ts(lot.get("released_at")),
    }
