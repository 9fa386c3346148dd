"""The upgrade plan: findings mapped to recommendations in phases, and the alert rules.

:func:`make_plan` reads the analysed document (findings, capacity, sql) and returns the
``plan`` block of findings.json; :func:`alert_rules` the Prometheus alerting-rules file
derived from the measured knee.
"""

from __future__ import annotations

from typing import Any


def make_plan(doc: dict[str, Any]) -> dict[str, Any] | None:
    """``doc["plan"]``, or None when the run gives nothing to recommend."""
    return None


def alert_rules(doc: dict[str, Any]) -> str | None:
    """The Prometheus alerting rules (YAML text) for ``doc``, or None without a knee."""
    return None
