"""Exact latency statistics over recorded requests.

Percentiles are computed over every request's latency in microseconds with linear
interpolation between the closest ranks (NumPy's ``method="linear"``), then reported in
milliseconds. Nothing here buckets: Locust's own histogram rounds (147 ms becomes 150 ms),
which is why erpcap records each request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: The percentiles every statistics block carries, as (field name, quantile).
PERCENTILES: tuple[tuple[str, float], ...] = (
    ("p50_ms", 50.0),
    ("p75_ms", 75.0),
    ("p90_ms", 90.0),
    ("p95_ms", 95.0),
    ("p99_ms", 99.0),
)


def format_ms(value: float | None) -> str:
    """A latency for people: milliseconds below one second, seconds above.

    >>> format_ms(147.2), format_ms(1530.0), format_ms(None)
    ('147 ms', '1.53 s', 'n/a')
    """
    if value is None:
        return "n/a"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def percentile_ms(latency_us: Sequence[int] | np.ndarray | pd.Series, q: float) -> float | None:
    """The ``q``-th percentile (0–100) in milliseconds, or None when there is no sample.

    >>> percentile_ms([1000, 2000, 3000, 4000], 50)
    2.5
    >>> percentile_ms([], 95) is None
    True
    """
    values = np.asarray(latency_us, dtype=np.float64)
    if values.size == 0:
        return None
    return float(np.percentile(values, q, method="linear")) / 1000.0


def latency_stats(
    frame: pd.DataFrame, seconds: float | None, *, column: str = "latency_us"
) -> dict[str, Any]:
    """Count, errors, throughput and exact latency statistics of a set of requests.

    ``seconds`` is the span the throughput is measured over; None leaves ``rps`` out.
    Latency statistics cover every request, failed ones included (a timeout is what the
    user felt), so that errors cannot make a system look faster.
    """
    count = len(frame)
    errors = int((~frame["ok"]).sum()) if count else 0
    stats: dict[str, Any] = {
        "count": count,
        "errors": errors,
        "error_rate": round(errors / count, 6) if count else 0.0,
    }
    if seconds is not None:
        stats["rps"] = round(count / seconds, 4) if seconds > 0 else 0.0
    values = frame[column].to_numpy(dtype=np.float64) if count else np.empty(0)
    if values.size:
        quantiles = np.percentile(values, [q for _, q in PERCENTILES], method="linear")
        stats["mean_ms"] = round(float(values.mean()) / 1000.0, 3)
        stats["min_ms"] = round(float(values.min()) / 1000.0, 3)
        for (field, _), value in zip(PERCENTILES, quantiles, strict=True):
            stats[field] = round(float(value) / 1000.0, 3)
        stats["max_ms"] = round(float(values.max()) / 1000.0, 3)
    else:
        for field in ("mean_ms", "min_ms", *(f for f, _ in PERCENTILES), "max_ms"):
            stats[field] = None
    return stats


def grouped_stats(
    frame: pd.DataFrame, by: str, seconds: float | None, extra: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """:func:`latency_stats` per value of column ``by``, busiest first.

    Columns named in ``extra`` are copied from the first row of each group (for example the
    transaction's group next to its name).
    """
    rows = []
    for key, part in frame.groupby(by, sort=False, observed=True):
        row: dict[str, Any] = {"name": str(key)}
        for column in extra:
            row[column] = str(part[column].iloc[0])
        row.update(latency_stats(part, seconds))
        rows.append(row)
    rows.sort(key=lambda r: (-r["count"], r["name"]))
    return rows
