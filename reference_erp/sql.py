"""SQL helpers the transactions share: IN lists and the timestamps they store."""

from __future__ import annotations

from datetime import UTC, datetime


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
