"""SQL helpers the transactions share: IN lists, stored timestamps, document numbers and the
inventory ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .db import Conn, execute

#: What a stock movement refers to: (table, id, user, time).
Ref = tuple[str, int, str, str]


def in_params(prefix: str, values: list[int]) -> tuple[str, dict[str, int]]:
    """Expand ``values`` into ``:p0, :p1, ...`` for an IN list.

    >>> in_params("i", [3, 5])
    (':i0, :i1', {'i0': 3, 'i1': 5})
    """
    params = {f"{prefix}{n}": v for n, v in enumerate(values)}
    return ", ".join(f":{k}" for k in params), params


def utc_now() -> str:
    """The current UTC time as ``YYYY-MM-DD HH:MM:SS`` (stored as is on both databases)."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def set_number(conn: Conn, table: str, column: str, row_id: int, number: str) -> None:
    """Give a new row its document number, derived from its id (``SO00005001``).

    Documents are inserted with a unique temporary number first, since the id is only known
    once the row exists. ``table`` and ``column`` come from code, never from a request.
    """
    execute(conn, f"UPDATE {table} SET {column} = :n WHERE id = :id", {"n": number, "id": row_id})


INVENTORY_TXN_SQL = (
    "INSERT INTO inventory_txn (txn_type, item_id, location_id, lot_id, quantity, ref_table, ref_id, "
    "created_by, created_at) VALUES (:t, :i, :loc, :lot, :q, :rt, :ref, :u, :now)"
)


def stock_move(
    txn_type: str, item_id: Any, location_id: Any, lot_id: Any, quantity: int, ref: Ref
) -> dict[str, Any]:
    """One inventory-ledger row for :func:`record_moves` (``ref``: table, id, user, time).

    >>> stock_move("issue", 3, 9, 42, -2, ("shipment", 7, "warehouse", "2026-11-25 10:00:00"))["q"]
    -2
    """
    ref_table, ref_id, user, now = ref
    return {
        "t": txn_type,
        "i": item_id,
        "loc": location_id,
        "lot": lot_id,
        "q": quantity,
        "rt": ref_table,
        "ref": ref_id,
        "u": user,
        "now": now,
    }


def record_moves(conn: Conn, moves: list[dict[str, Any]]) -> None:
    """Write stock movements to the inventory ledger (``inventory_txn``), in one statement."""
    execute(conn, INVENTORY_TXN_SQL, moves)
