"""SQL helpers the transactions share: IN lists, stored timestamps, document numbers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Connection

from .db import execute


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


def set_number(conn: Connection, table: str, column: str, row_id: int, number: str) -> None:
    """Give a new row its document number, derived from its id (``SO00005001``).

    Documents are inserted with a unique temporary number first, since the id is only known
    once the row exists. ``table`` and ``column`` come from code, never from a request.
    """
    execute(conn, f"UPDATE {table} SET {column} = :n WHERE id = :id", {"n": number, "id": row_id})
