"""Per-second aggregates of the requests (``intervals.parquet``), for time-series charts.

Each request falls in the one-second bucket of its start time. Rows are kept per
transaction and once more for all transactions together, under the name ``"*"``.
"""

from __future__ import annotations

import pandas as pd

from erpcap.types import INTERVALS_SCHEMA

ALL = "*"


def _aggregate(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(keys, sort=True, observed=True)
    ms = grouped["latency_ms"]
    out = pd.DataFrame(
        {
            "count": grouped.size(),
            "errors": grouped["failed"].sum(),
            "p50_ms": ms.quantile(0.50),
            "p95_ms": ms.quantile(0.95),
            "p99_ms": ms.quantile(0.99),
            "max_ms": ms.max(),
            "users": grouped["users"].max(),
        }
    )
    return out.reset_index()


def per_second(requests: pd.DataFrame) -> pd.DataFrame:
    """The intervals table for ``requests`` (columns of INTERVALS_SCHEMA)."""
    columns = [f.name for f in INTERVALS_SCHEMA]
    if requests.empty:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in columns})
    frame = pd.DataFrame(
        {
            "ts": requests["start"].dt.floor("s"),
            "name": requests["name"].astype(str),
            "latency_ms": requests["latency_us"].astype("float64") / 1000.0,
            "failed": (~requests["ok"]).astype("int64"),
            "users": requests["users"].astype("int64"),
        }
    )
    by_name = _aggregate(frame, ["ts", "name"])
    overall = _aggregate(frame, ["ts"])
    overall.insert(1, "name", ALL)
    table = pd.concat([overall, by_name], ignore_index=True)
    table["count"] = table["count"].astype("int64")
    table["errors"] = table["errors"].astype("int64")
    table["users"] = table["users"].astype("int32")
    return table[columns].sort_values(["ts", "name"], kind="stable").reset_index(drop=True)
