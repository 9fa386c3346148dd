"""Per-second aggregates of the requests (``intervals.parquet``), for time-series charts.

Each request falls in the one-second bucket of its start time. Rows are kept per
transaction and once more for all transactions together, under the name ``"*"``.

The percentiles are exact, interpolated linearly between the closest ranks the way pandas'
group-by ``quantile`` does; the requests are sorted once per grouping (by bucket, then
latency) in NumPy rather than copied into a frame per group, so memory stays a few numbers
per request.
"""

from __future__ import annotations

from datetime import tzinfo

import numpy as np
import pandas as pd

from erpcap.types import INTERVALS_SCHEMA

ALL = "*"
#: The quantiles of each bucket, as (column, quantile).
QUANTILES = (("p50_ms", 0.50), ("p95_ms", 0.95), ("p99_ms", 0.99))


def group_quantile(ms: np.ndarray, starts: np.ndarray, sizes: np.ndarray, q: float) -> np.ndarray:
    """The ``q``-quantile of each group of ``ms``, sorted within groups that begin at
    ``starts`` and hold ``sizes`` values, with pandas' linear interpolation.

    >>> ms = np.array([1.0, 2.0, 3.0, 4.0, 10.0, 20.0])
    >>> group_quantile(ms, np.array([0, 4]), np.array([4, 2]), 0.5).tolist()
    [2.5, 15.0]
    """
    position = q * (sizes - 1).astype(np.float64)
    low = starts + position.astype(np.int64)
    frac = position % 1
    value = ms[low]
    upper = ms[np.minimum(low + 1, starts + sizes - 1)]
    result: np.ndarray = np.where(frac == 0.0, value, value + (upper - value) * frac)
    return result


def _aggregate(
    keys: np.ndarray, order: np.ndarray, latency_us: np.ndarray, ok: np.ndarray, users: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Each distinct key (ascending) and its bucket's figures; ``order`` sorts the requests
    by key, then latency."""
    ordered = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    found = ordered[starts]
    del ordered
    sizes = np.diff(np.append(starts, len(order)))
    ms = latency_us[order].astype(np.float64)
    ms /= 1000.0
    out = {
        "count": sizes.astype(np.int64),
        "errors": np.add.reduceat(~ok[order], starts, dtype=np.int64),
        **{column: group_quantile(ms, starts, sizes, q) for column, q in QUANTILES},
        "max_ms": ms[starts + sizes - 1],
        "users": np.maximum.reduceat(users[order], starts),
    }
    return found, out


def per_second(requests: pd.DataFrame) -> pd.DataFrame:
    """The intervals table for ``requests`` (columns of INTERVALS_SCHEMA)."""
    columns = [f.name for f in INTERVALS_SCHEMA]
    if requests.empty:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in columns})
    start = requests["start"].dt.as_unit("us")
    second = start.array.asi8 // 1_000_000
    first = int(second.min())
    second -= first
    latency = requests["latency_us"].to_numpy(dtype=np.int64)
    ok = requests["ok"].to_numpy(dtype=bool)
    users = requests["users"].to_numpy()
    order = np.lexsort((latency, second))  # by second, then latency
    seconds, overall = _aggregate(second, order, latency, ok, users)
    names = requests["name"].astype("category")
    labels = np.array([str(c) for c in names.cat.categories] + [ALL], dtype=object)
    width = len(labels)
    codes = names.cat.codes.to_numpy()
    keys = second * width + codes
    keys[codes < 0] = -1  # a request without a name counts only under "*"
    del second
    # by second, name and latency: a stable sort by name within the seconds keeps the latency order
    order = order[np.argsort(keys[order], kind="stable")]
    order = order[int((codes < 0).sum()) :]
    found, by_name = _aggregate(keys, order, latency, ok, users)
    del order, keys, codes
    table = pd.concat(
        [
            _frame(seconds, np.full(len(seconds), width - 1), overall, first, start.dt.tz),
            _frame(found // width, found % width, by_name, first, start.dt.tz),
        ],
        ignore_index=True,
    )
    table["name"] = labels[table["name"].to_numpy()]
    table["users"] = table["users"].astype("int32")
    return table[columns].sort_values(["ts", "name"], kind="stable").reset_index(drop=True)


def _frame(
    seconds: np.ndarray,
    codes: np.ndarray,
    figures: dict[str, np.ndarray],
    first: int,
    tz: tzinfo | None,
) -> pd.DataFrame:
    ts = pd.to_datetime((seconds + first) * 1_000_000, unit="us", utc=True).as_unit("us")
    return pd.DataFrame({"ts": ts.tz_convert(tz), "name": codes, **figures})
