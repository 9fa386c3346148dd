"""The ranking: counts, totals, shares, p95 within the histogram's resolution, memory bounded by
the fingerprints, and statement statistics folded in where no execution shows."""

from __future__ import annotations

import math
import random
import tracemalloc
from typing import Any

import numpy as np
import pandas as pd
import pytest

from erpcap.analysis.sql.context import RANKED_COLUMNS
from erpcap.analysis.sql.ranking import (
    BUCKETS_PER_DECADE,
    SAMPLE_CHARS,
    Ranker,
    bucket,
    bucket_bounds,
    rank,
)

#: A percentile read from the histogram is the geometric middle of its bucket.
RESOLUTION = 10 ** (1 / (2 * BUCKETS_PER_DECADE))


def _record(fp: str, ms: float, **more: Any) -> dict[str, Any]:
    return {"fingerprint": fp, "duration_ms": ms, "statement": more.pop("text", fp),
            "source": more.pop("source", "pg-log"), **more}  # fmt: skip


def test_counts_totals_shares_and_order() -> None:
    rng = random.Random(7)
    durations: dict[str, list[float]] = {"select a": [], "select b": [], "update c": []}
    records = []
    for fp, mean, n in (("select a", 2.0, 500), ("select b", 40.0, 30), ("update c", 0.3, 2000)):
        for _ in range(n):
            ms = rng.expovariate(1 / mean)
            durations[fp].append(ms)
            records.append(_record(fp, ms, database="shop", user="app", rows=2))
    rng.shuffle(records)
    table, _ = rank(records)
    assert list(table.columns) == list(RANKED_COLUMNS)
    totals = {fp: sum(v) for fp, v in durations.items()}
    grand = sum(totals.values())
    assert list(table["fingerprint"]) == sorted(totals, key=lambda fp: -totals[fp])
    for row in table.to_dict("records"):
        values = durations[row["fingerprint"]]
        assert row["calls"] == len(values)
        assert row["total_ms"] == pytest.approx(sum(values))
        assert row["mean_ms"] == pytest.approx(sum(values) / len(values))
        assert row["max_ms"] == max(values)
        assert row["share"] == pytest.approx(totals[row["fingerprint"]] / grand)
        assert row["rows"] == 2 * len(values)
        assert row["databases"] == "shop" and row["users"] == "app"
        exact = float(np.percentile(values, 95, method="inverted_cdf"))
        assert exact / RESOLUTION <= row["p95_ms"] <= exact * RESOLUTION
    assert table["share"].sum() == pytest.approx(1.0)


def test_sample_is_the_slowest_execution_cut_to_size() -> None:
    ranker = Ranker()
    ranker.add_records(
        [_record("select ?", 1.0, text="SELECT 1"), _record("select ?", 9.0, text="SELECT 9"),
         _record("select ?", 3.0, text="SELECT 3")]
    )  # fmt: skip
    assert ranker.table().loc[0, "sample"] == "SELECT 9"
    huge = "SELECT '" + "x" * 1_000_000 + "'"
    ranker.add("select ?", 50.0, huge, "pg-log", None, None, None, None)
    assert len(ranker.table().loc[0, "sample"]) == SAMPLE_CHARS


def test_names_by_time_and_missing_values() -> None:
    table, _ = rank(
        [_record("q", 1.0, database="a", user="u1", application="x"),
         _record("q", 5.0, database="b", user=None, application=None),
         _record("r", 1.0)]
    )  # fmt: skip
    q = table.set_index("fingerprint").loc["q"]
    assert q["databases"] == "b, a" and q["users"] == "u1" and q["applications"] == "x"
    r = table.set_index("fingerprint").loc["r"]
    assert pd.isna(r["databases"]) and pd.isna(r["rows"]) and pd.isna(r["lock_ms"])


def test_histogram_buckets() -> None:
    for ms in (0.002, 0.5, 1.0, 7.3, 250.0, 12_345.0):
        low, high = bucket_bounds(bucket(ms))
        assert low <= ms * (1 + 1e-9) and ms < high * (1 + 1e-9)
    ranker = Ranker()
    for ms in (1.0, 1.01, 100.0):
        ranker.add("q", ms, "q", "pg-log", None, None, None, None)
    hist = ranker.histogram("q")
    assert [n for *_, n in hist] == [2, 1] and hist[0][0] <= 1.0 < hist[0][1]


def test_frame_input_equals_records() -> None:
    records = [_record(f"q{i % 7}", float(i % 13) + 0.5, rows=i if i % 3 else None,
                       lock_ms=0.1 if i % 2 else None) for i in range(500)]  # fmt: skip
    from_records, _ = rank(records)
    from_frame, _ = rank(pd.DataFrame(records))
    pd.testing.assert_frame_equal(from_records, from_frame)


def test_memory_is_bounded_by_fingerprints() -> None:
    """Ten times the executions of the same few fingerprints take no more memory."""

    def peak(n: int) -> int:
        ranker = Ranker()
        tracemalloc.start()
        for i in range(n):
            fp = f"select ? from t{i % 50}"
            ranker.add(fp, (i % 997) / 10 + 0.01, f"SELECT {i} FROM t{i % 50}", "pg-log",
                       "db", "app", None, 1)  # fmt: skip
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert len(ranker) == 50 and ranker.executions == n
        return size

    small, large = peak(20_000), peak(200_000)
    assert large < small * 1.5


def test_sql_stats_fold_in_where_no_execution() -> None:
    stats = pd.DataFrame(
        {"source": ["postgres"] * 4, "step": [None, None, 1.0, None],
         "fingerprint": ["update t set a = ?", "select ? from logged", "update t set a = ?",
                         "update t set a = ?"],
         "query": ["UPDATE t SET a = $1", "SELECT $1 FROM logged", "UPDATE t SET a = $1",
                   "UPDATE t SET a = $1"],
         "database": ["shop"] * 4, "user": ["app"] * 4,
         "calls": [100, 5, 40, 20], "total_ms": [800.0, 1e6, 300.0, 200.0],
         "max_ms": [30.0, 1.0, 9.0, 45.0], "rows": [100, 5, 40, 20],
         "shared_blks_read": [7, 1, 2, 3]}
    )  # fmt: skip
    logged = [_record("select ? from logged", 2.0), _record("select ? from logged", 4.0)]
    table, _ = rank(logged, stats)
    by = table.set_index("fingerprint")
    update = by.loc["update t set a = ?"]
    # the whole-run rows only (step null), summed over the source's rows
    assert update["calls"] == 120 and update["total_ms"] == 1000.0 and update["max_ms"] == 45.0
    assert math.isnan(update["p95_ms"]) and update["shared_blks_read"] == 10
    assert update["sample"] == "UPDATE t SET a = $1" and update["sources"] == "postgres"
    # a fingerprint with executions keeps the executions' figures, not the statistics'
    assert by.loc["select ? from logged", "calls"] == 2
    assert by.loc["select ? from logged", "total_ms"] == 6.0
    assert list(table["fingerprint"]) == ["update t set a = ?", "select ? from logged"]
    assert by.loc["update t set a = ?", "share"] == pytest.approx(1000 / 1006)


def test_empty() -> None:
    table, _ = rank([], pd.DataFrame())
    assert table.empty and list(table.columns) == list(RANKED_COLUMNS)
