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


#: Response time (what a user felt) is judged; it is built once per analysis (:func:`with_response`).
RESPONSE = "response_us"


def with_response(requests: pd.DataFrame) -> pd.DataFrame:
    """``requests`` plus ``response_us``: the latency a target is judged on.

    For a request sent on an arrival schedule (``paced``: the open model) that is
    ``latency_us``, from when it was due, so that a stall in the generator cannot hide
    (coordinated omission); for every other request it is ``service_us``, from when it was
    sent — in the closed model a user waits for the answer before the next request, so the
    two are the same there.
    """
    paced = requests["paced"].to_numpy(dtype=bool) if "paced" in requests else False
    response = np.where(paced, requests["latency_us"], requests["service_us"])
    return requests.assign(**{RESPONSE: response.astype("int64")})


def _percentile_block(values: np.ndarray) -> dict[str, float | None]:
    """mean, p50…p99 and max in milliseconds (None for every field when empty)."""
    fields = ("mean_ms", "min_ms", *(f for f, _ in PERCENTILES), "max_ms")
    if not values.size:
        return dict.fromkeys(fields)
    quantiles = np.percentile(values, [q for _, q in PERCENTILES], method="linear")
    block: dict[str, float | None] = {
        "mean_ms": round(float(values.mean()) / 1000.0, 3),
        "min_ms": round(float(values.min()) / 1000.0, 3),
    }
    for (field, _), value in zip(PERCENTILES, quantiles, strict=True):
        block[field] = round(float(value) / 1000.0, 3)
    block["max_ms"] = round(float(values.max()) / 1000.0, 3)
    return block


def latency_stats(frame: pd.DataFrame, seconds: float | None) -> dict[str, Any]:
    """Count, errors, throughput and exact latency statistics of a set of requests.

    ``seconds`` is the span the throughput is measured over; None leaves the rates out.
    ``rps`` counts every request, ``ok_rps`` only the successful ones (the work done).

    The top-level percentiles are of the **response time** (``response_us``, see
    :func:`with_response`; ``latency_us`` when the frame lacks it). ``service`` holds the same
    percentiles of the **service time** (sent to answered), ``queue`` the wait between when a
    paced request was due and when it was sent (p95 and max, and the share of requests that
    were late by more than a millisecond), and ``paced_share`` the share of requests sent on
    an arrival schedule. Latency statistics cover every request, failed ones included (a
    timeout is what the user felt), so that errors cannot make a system look faster.
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
        stats["ok_rps"] = round((count - errors) / seconds, 4) if seconds > 0 else 0.0
    column = RESPONSE if RESPONSE in frame else "latency_us"
    empty = np.empty(0)
    stats.update(_percentile_block(frame[column].to_numpy(dtype=np.float64) if count else empty))
    # Frames made by hand (tests, importers) may lack a column: fall back to what they have.
    sent = "service_us" if "service_us" in frame else column
    due = "latency_us" if "latency_us" in frame else sent
    service = frame[sent].to_numpy(dtype=np.float64) if count else empty
    stats["service"] = _percentile_block(service)
    delay = frame[due].to_numpy(dtype=np.float64) - service if count else empty
    paced = frame["paced"].to_numpy(dtype=bool) if count and "paced" in frame else empty
    stats["paced_share"] = round(float(paced.mean()), 4) if paced.size else 0.0
    if delay.size:
        stats["queue"] = {
            "p95_ms": round(float(np.percentile(delay, 95, method="linear")) / 1000.0, 3),
            "max_ms": round(float(delay.max()) / 1000.0, 3),
            "late_share": round(float((delay > 1000).mean()), 4),
        }
    else:
        stats["queue"] = {"p95_ms": None, "max_ms": None, "late_share": 0.0}
    return stats


def grouped_stats(
    frame: pd.DataFrame, by: str, seconds: float | None, extra: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """:func:`latency_stats` per value of column ``by``, busiest first.

    Columns named in ``extra`` are copied from the first row of each group (for example the
    transaction's group next to its name). Rows without a value of ``by`` are left out.

    Only the columns the statistics read are copied, one group at a time, so that a frame of
    millions of requests is never copied whole.
    """
    codes, keys = _codes(frame[by])
    order = np.argsort(codes, kind="stable")  # each group's rows, in their original order
    bounds = np.concatenate(([0], np.cumsum(np.bincount(codes + 1, minlength=len(keys) + 1))))
    used = [c for c in (*_STATS_COLUMNS, *extra) if c in frame.columns]
    rows = []
    for code, key in enumerate(keys):
        lo, hi = bounds[code + 1], bounds[code + 2]  # code -1 (no value) comes first
        if lo == hi:
            continue
        part = frame[used].take(order[lo:hi])
        row: dict[str, Any] = {"name": str(key)}
        for column in extra:
            row[column] = str(part[column].iloc[0])
        row.update(latency_stats(part, seconds))
        rows.append(row)
    rows.sort(key=lambda r: (-r["count"], r["name"]))
    return rows


#: The columns :func:`latency_stats` reads.
_STATS_COLUMNS = ("ok", RESPONSE, "latency_us", "service_us", "paced")


def _codes(column: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """A small integer per row (-1 where there is no value) and the value of each integer."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), list(column.cat.categories)
    codes, uniques = pd.factorize(column, sort=False)
    return codes, list(uniques)
