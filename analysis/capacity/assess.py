"""The capacity block of findings.json: steady steps, knee, SLO limits, USL, demands, laws.

:func:`assess` runs after the statistics (analysis/measured.py) and the per-step resources
(analysis/windows.py) are known, and before the rules, which read its result as
``Context.capacity``. It only adds keys to the block ``_capacity`` in analysis/run.py
started (``peak``, ``max_users_within_slo``, …); docs/findings.md lists them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from erpcap.analysis.rules.base import Slo


def assess(
    steps: list[dict[str, Any]],
    metrics: pd.DataFrame,
    statements: dict[str, Any] | None,
    sql: dict[str, Any] | None,
    meta: dict[str, Any],
    slo: Slo,
) -> dict[str, Any]:
    """The keys this stage adds to ``capacity`` (see the module docstring)."""
    return {}
