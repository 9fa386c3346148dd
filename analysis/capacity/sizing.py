"""Sizing: from a run's demands and USL fit to what a target load needs.

:func:`size` returns the ``sizing`` block of findings.json; without a target it states
today's headroom only (``erpcap analyze``), with one what the target needs (``erpcap size``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """What to size for: users (with their think time) or a rate, and the ceiling."""

    users: int | None = None
    think_time_s: float | None = None
    #: Transactions per second (``--target-rate 6000/h`` is 1.667).
    rate: float | None = None
    #: What the rate counts ("order lines", "orders"); words for the report.
    rate_unit: str | None = None
    utilisation_ceiling: float = 0.7


def size(doc: dict[str, Any], target: Target | None = None) -> dict[str, Any] | None:
    """``doc["sizing"]``, or None when the run has no capacity to size from."""
    return None
