"""Size drivers and small date/number helpers for the reference ERP's data generator.

:func:`sizes` turns a scale into row-count drivers; the helpers format dates and timestamps
and build cumulative weights for ``random.choices``/``bisect``. Pure functions, no state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Sizes:
    """Row-count drivers for a scale (items grow with the square root, like TPC-C's catalogue)."""

    sites: int
    items: int
    customers: int
    suppliers: int
    lots_per_item: int
    orders: int


def sizes(scale: float) -> Sizes:
    """Return the size drivers for ``scale``.

    >>> sizes(1.0)
    Sizes(sites=1, items=3000, customers=3000, suppliers=60, lots_per_item=10, orders=100000)
    >>> sizes(0.05).orders
    5000
    """
    root = math.sqrt(scale)
    return Sizes(
        sites=max(1, round(scale)),
        items=max(60, round(3000 * root)),
        customers=max(20, round(3000 * scale)),
        suppliers=max(5, round(60 * root)),
        lots_per_item=max(3, round(10 * root)),
        orders=max(200, round(100_000 * scale)),
    )


def _iso(d: date) -> str:
    """ISO date string.

    >>> _iso(date(2026, 3, 5))
    '2026-03-05'
    """
    return d.isoformat()


def _ts(d: date, seconds: int = 0) -> str:
    """Timestamp string ``YYYY-MM-DD HH:MM:SS``, ``seconds`` after midnight (modulo one day).

    >>> _ts(date(2026, 3, 5), 57600)
    '2026-03-05 16:00:00'
    """
    h, rem = divmod(seconds % 86400, 3600)
    return f"{d.isoformat()} {h:02d}:{rem // 60:02d}:{rem % 60:02d}"


def _zipf_cum(n: int, s: float) -> list[float]:
    """Cumulative Zipf weights for ranks 1..n (used with ``random.choices``)."""
    total, out = 0.0, []
    for r in range(1, n + 1):
        total += 1.0 / r**s
        out.append(total)
    return out


def _cum(weights: Sequence[float]) -> list[float]:
    """Running totals of ``weights`` (cumulative weights for ``bisect``/``random.choices``).

    >>> _cum([1, 2, 3])
    [1.0, 3.0, 6.0]
    """
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _add_months(d: date, months: int) -> date:
    """First-of-month arithmetic: ``d`` must be a first of month or the day is kept.

    >>> _add_months(date(2026, 11, 1), 3)
    datetime.date(2027, 2, 1)
    """
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, d.day)
