"""Exact latency statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd

from erpcap.analysis.latency import grouped_stats, latency_stats, percentile_ms


def test_percentiles_are_exact_not_bucketed():
    # Locust's histogram would report 147 ms as 150 ms; erpcap keeps the microseconds.
    assert percentile_ms([147_000], 95) == 147.0
    values = np.arange(1, 101) * 1000  # 1..100 ms
    assert percentile_ms(values, 95) == float(np.percentile(values, 95)) / 1000
    assert percentile_ms(values, 50) == 50.5


def test_latency_stats_count_errors_and_rate():
    frame = pd.DataFrame(
        {"latency_us": [1000, 2000, 3000, 400_000], "ok": [True, True, False, True]}
    )
    stats = latency_stats(frame, seconds=2.0)
    assert stats["count"] == 4
    assert stats["errors"] == 1
    assert stats["error_rate"] == 0.25
    assert stats["rps"] == 2.0
    assert stats["max_ms"] == 400.0
    assert stats["min_ms"] == 1.0
    assert stats["p50_ms"] == 2.5


def test_empty_stats_have_no_latency():
    frame = pd.DataFrame(
        {"latency_us": pd.Series([], dtype="int64"), "ok": pd.Series([], dtype=bool)}
    )
    stats = latency_stats(frame, seconds=1.0)
    assert stats["count"] == 0 and stats["p95_ms"] is None and stats["rps"] == 0.0


def test_grouped_stats_busiest_first_with_extra_columns():
    frame = pd.DataFrame(
        {
            "name": ["a", "b", "b", "b"],
            "group": ["order", "query", "query", "query"],
            "latency_us": [5000, 1000, 2000, 3000],
            "ok": [True] * 4,
        }
    )
    rows = grouped_stats(frame, "name", 1.0, extra=("group",))
    assert [r["name"] for r in rows] == ["b", "a"]
    assert rows[0]["group"] == "query" and rows[0]["count"] == 3 and rows[0]["p50_ms"] == 2.0
