"""The gain arithmetic: the bottleneck law before and after a change, capped by the next
resource."""

from __future__ import annotations

from typing import Any

import pytest

from erpcap.analysis.plan.gain import Relief, ceiling, estimate


def _rows(db: float, app: float, lock: float | None = None) -> list[dict[str, Any]]:
    rows = [
        {"resource": "cpu:db", "kind": "cpu", "role": "db", "units": 4.0, "demand_s": db},
        {"resource": "cpu:target", "kind": "cpu", "role": "target", "units": 2.0, "demand_s": app},
    ]
    if lock is not None:
        rows.append(
            {"resource": "lock:x", "kind": "lock", "role": "db", "units": 1.0, "demand_s": lock}
        )
    return rows


@pytest.mark.parametrize(
    "db, app, share", [(0.04, 0.01, 0.5), (0.04, 0.015, 0.3), (0.02, 0.03, 0.9)]
)
def test_db_time_removed_by_the_bottleneck_law(db: float, app: float, share: float) -> None:
    rows = _rows(db, app)
    old = min(4.0 / db, 2.0 / app)
    new = min(4.0 / (db * (1 - share)), 2.0 / app)
    gain = estimate(rows, Relief(db_share=share), db_time_s=0.03)
    assert gain["capacity_factor"] == round(new / old, 2)
    assert gain["db_time_s"] == round(0.03 * share, 5)
    # the share of the bottleneck's demand removed: all of it on the database, none elsewhere
    expected = share if 4.0 / db <= 2.0 / app else 0.0
    assert gain["demand_share"] == pytest.approx(expected)


def test_relieving_the_bottleneck_is_capped_by_the_next_resource() -> None:
    rows = _rows(0.04, 0.018)  # database 100 req/s, application 111 req/s
    gain = estimate(rows, Relief(db_share=0.9))
    assert gain["capacity_factor"] == round((2.0 / 0.018) / 100.0, 2)
    assert gain["limit_after"] == "cpu:target"


def test_a_lifted_limit_and_more_units() -> None:
    rows = _rows(0.02, 0.01, lock=0.02)  # the lock: 50 req/s; database 200; application 200
    assert ceiling(rows) == (50.0, "lock:x")
    lifted = estimate(rows, Relief(lift=("lock:x",)))
    assert lifted["capacity_factor"] == 4.0 and lifted["demand_share"] == 1.0
    part = estimate(rows, Relief(resource_share=("lock:x", 0.25)))
    assert part["capacity_factor"] == round((1.0 / 0.015) / 50.0, 2)
    app = _rows(0.01, 0.04)  # the application: 50 req/s; database 400
    doubled = estimate(app, Relief(scale=("app", ("cpu",), 2.0)))
    assert doubled["capacity_factor"] == 2.0 and doubled["demand_share"] == 0.5


def test_no_demands_no_factor() -> None:
    gain = estimate([], Relief(db_share=0.2))
    assert gain["capacity_factor"] is None and gain["db_time_share"] == 0.2
