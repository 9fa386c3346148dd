"""The per-second intervals: exact per-bucket figures, as pandas' group-by gives them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from erpcap.analysis.intervals import ALL, per_second
from erpcap.analysis.latency import grouped_stats


def _requests(size: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-11-25T10:00:00Z") + pd.to_timedelta(
        rng.integers(0, 20_000_000, size), unit="us"
    )
    return pd.DataFrame(
        {
            "start": start.as_unit("us"),  # not in order: the intervals must not care
            "name": pd.Categorical(rng.choice(["b", "a", "c"], size)),
            "latency_us": rng.integers(1, 5_000_000, size),
            "ok": rng.random(size) > 0.1,
            "users": rng.integers(1, 50, size).astype("int32"),
        }
    )


def _expected(requests: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "ts": requests["start"].dt.floor("s"),
            "name": requests["name"].astype(str),
            "latency_ms": requests["latency_us"].astype("float64") / 1000.0,
            "failed": (~requests["ok"]).astype("int64"),
            "users": requests["users"].astype("int64"),
        }
    )
    grouped = frame.groupby(keys, sort=True)
    ms = grouped["latency_ms"]
    return pd.DataFrame(
        {
            "count": grouped.size(),
            "errors": grouped["failed"].sum(),
            "p50_ms": ms.quantile(0.50),
            "p95_ms": ms.quantile(0.95),
            "p99_ms": ms.quantile(0.99),
            "max_ms": ms.max(),
            "users": grouped["users"].max(),
        }
    ).reset_index()


def test_per_second_figures_are_pandas_groupby_figures_exactly():
    requests = _requests(5000)
    table = per_second(requests)
    by_name = table[table["name"] != ALL].reset_index(drop=True)
    overall = table[table["name"] == ALL].drop(columns="name").reset_index(drop=True)
    columns = ["count", "errors", "p50_ms", "p95_ms", "p99_ms", "max_ms", "users"]
    for got, want in ((by_name, _expected(requests, ["ts", "name"])),
                      (overall, _expected(requests, ["ts"]))):  # fmt: skip
        assert got["ts"].tolist() == want["ts"].tolist()
        for column in columns:  # the same floating-point figures, not merely close ones
            assert got[column].astype("float64").tolist() == want[column].astype("float64").tolist()
    assert table["users"].dtype == "int32" and str(table["ts"].dt.tz) == "UTC"


def test_grouped_stats_read_categoricals_as_text_and_leave_out_rows_without_a_key():
    requests = _requests(600)
    text = requests.assign(name=requests["name"].astype(object))
    text.loc[:9, "name"] = None
    categorical = text.assign(name=text["name"].astype("category"))
    rows = grouped_stats(categorical, "name", 10.0)
    assert rows == grouped_stats(text, "name", 10.0)
    assert sum(r["count"] for r in rows) == 590
