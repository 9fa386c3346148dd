"""Hand-built findings documents for the plan's tests: a healthy run of a generic
application (its own names, not the reference ERP's) that each test changes to plant one
cause."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

#: Two resources: the database's CPU (the bottleneck, ceiling 100 req/s) and the
#: application's (ceiling 2 / 0.015 = 133 req/s), measured at step 2 (20 req/s).
DEMANDS: dict[str, Any] = {
    "step": 2,
    "x": 20.0,
    "per": "successful request",
    "db_time_s": 0.012,
    "resources": [
        {"resource": "cpu:db", "kind": "cpu", "role": "db", "units": 2.0, "busy": 0.4,
         "utilisation": 0.2, "demand_s": 0.02, "ceiling_rps": 100.0},
        {"resource": "cpu:target", "kind": "cpu", "role": "target", "units": 2.0, "busy": 0.3,
         "utilisation": 0.15, "demand_s": 0.015, "ceiling_rps": 133.3},
    ],
    "bottleneck": "cpu:db",
    "ceiling_rps": 100.0,
}  # fmt: skip


def _step(n: int, users: int, ok_rps: float, mean_ms: float) -> dict[str, Any]:
    return {
        "step": n, "users": users, "measured": True, "within_slo": True, "count": 600,
        "errors": 0, "error_rate": 0.0, "rps": ok_rps, "ok_rps": ok_rps, "mean_ms": mean_ms,
        "p95_ms": mean_ms * 3, "think_s": round(users / ok_rps - mean_ms / 1000, 4),
        "resources": {"cpu_by_role": {"db": 20.0 * n, "target": 15.0 * n}, "databases": [
            {"source": "postgres", "instance": "main", "connections_max": 4.0 * n,
             "max_connections": 100.0, "lock_waits": None}]},
        "utilisation": [{"resource": "cpu:db", "kind": "cpu", "source": "process",
                         "value": 0.1 * n, "busy": 0.2 * n, "units": 2.0}],
    }  # fmt: skip


def healthy() -> dict[str, Any]:
    steps = [_step(1, 5, 10.0, 50.0), _step(2, 10, 20.0, 55.0), _step(3, 20, 38.0, 70.0)]
    return {
        "schema_version": "1.4",
        "run_id": "healthy-run",
        "slo": {"p95_ms": {"order": 800.0, "query": 1000.0, "auth": 2000.0,
                           "close": 20000.0, "other": 1000.0}, "error_rate": 0.01},
        "overall": {"count": 1800, "errors": 0, "mean_ms": 60.0, "p95_ms": 180.0},
        "transactions": [
            {"name": "op_submit", "group": "order", "count": 900, "errors": 0},
            {"name": "op_browse", "group": "query", "count": 880, "errors": 0},
            {"name": "op_period_report", "group": "close", "count": 20, "errors": 0},
        ],
        "groups": [{"name": "order", "count": 900, "errors": 0}],
        "steps": steps,
        "capacity": {
            "peak": {"ok_rps": 38.0, "rps": 38.0, "step": 3, "users": 20},
            "max_users_within_slo": 20, "rps_within_slo": 38.0, "first_step_over_slo": None,
            "unmeasured_steps": [], "knee": None, "demands": copy.deepcopy(DEMANDS),
            "bottleneck": None,
        },
        "resources": {"databases": [{"source": "postgres", "instance": "main"}]},
        "statements": None,
        "sql": None,
        "findings": [],
    }  # fmt: skip


@pytest.fixture
def doc() -> Callable[[], dict[str, Any]]:
    """A fresh healthy document per call."""
    return healthy


def ceiling(rows: list[dict[str, Any]]) -> float:
    """The bottleneck law, written again for the tests: min units / demand."""
    return min(r["units"] / r["demand_s"] for r in rows if r["demand_s"] > 0)


@pytest.fixture
def law() -> Callable[[list[dict[str, Any]]], float]:
    return ceiling
