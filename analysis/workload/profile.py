"""Arrivals over time: the peak minute and hour, the busiest 60 minutes, the day's profile.

Counts are kept per clock minute (UTC epoch minutes) and per local clock hour (the hour in
the log's own UTC offset, so a working day reads as it was lived). Rates are requests per
second: the busiest clock minute's count / 60, the busiest clock hour's count / 3600. The
day's profile is, for each hour of the day, the requests in that hour averaged over the
days whose hour the log covers (a log from Monday 09:00 to Tuesday 18:00 averages 10:00
over two days and 20:00 over one).

>>> a = Arrivals()
>>> for ts in (0.0, 1.0, 59.0, 60.0, 3600.0):
...     a.add(ts, 0)
>>> a.peak_minute()["requests"], a.peak_hour()["requests"], a.day_profile()[0]
(3, 4, 4.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from erpcap.analysis.workload.reading import local_time

#: Quantiles of distributions, as (name, probability).
QUANTILES = (
    ("p10", 0.10),
    ("p25", 0.25),
    ("p50", 0.50),
    ("p75", 0.75),
    ("p90", 0.90),
    ("p95", 0.95),
    ("p99", 0.99),
)
#: An hour of the day is a peak hour when its average reaches this share of the busiest.
PEAK_SHARE = 0.8


class Arrivals:
    """Requests counted per clock minute and per local clock hour."""

    def __init__(self) -> None:
        self.minutes: dict[int, int] = {}
        self.hours: dict[int, int] = {}  # local hour index (local epoch // 3600)
        self.offsets: dict[int, int] = {}  # UTC offset -> requests
        self.first = float("inf")
        self.last = float("-inf")
        self.count = 0

    def add(self, ts: float, offset: int) -> None:
        minute = int(ts // 60)
        self.minutes[minute] = self.minutes.get(minute, 0) + 1
        hour = int((ts + offset) // 3600)
        self.hours[hour] = self.hours.get(hour, 0) + 1
        self.offsets[offset] = self.offsets.get(offset, 0) + 1
        self.first = min(self.first, ts)
        self.last = max(self.last, ts)
        self.count += 1

    @property
    def offset(self) -> int:
        """The log's most common UTC offset (for printing times)."""
        return max(self.offsets, key=lambda o: self.offsets[o]) if self.offsets else 0

    def _when(self, ts: float) -> str:
        return local_time(ts, self.offset)

    def peak_minute(self) -> dict[str, Any]:
        """The busiest clock minute: when, requests, rate per second."""
        minute = max(self.minutes, key=lambda m: (self.minutes[m], -m))
        n = self.minutes[minute]
        return {"start": self._when(minute * 60.0), "requests": n, "rate_per_s": n / 60}

    def peak_hour(self) -> dict[str, Any]:
        """The busiest local clock hour: when, requests, rate per second."""
        hour = max(self.hours, key=lambda h: (self.hours[h], -h))
        n = self.hours[hour]
        start = hour * 3600.0 - self.offset
        return {"start": self._when(start), "requests": n, "rate_per_s": n / 3600}

    def busiest_60_minutes(self) -> dict[str, Any]:
        """The busiest 60 consecutive minutes, whatever the clock says (a window that starts
        at a minute with requests; the minutes without any are never stored)."""
        keys = sorted(self.minutes)
        best, best_start, total, right = -1, keys[0], 0, 0
        for left, start in enumerate(keys):
            while right < len(keys) and keys[right] < start + 60:
                total += self.minutes[keys[right]]
                right += 1
            if total > best:
                best, best_start = total, start
            total -= self.minutes[keys[left]]
        return {"start": self._when(best_start * 60.0), "requests": best, "rate_per_s": best / 3600}

    def day_profile(self) -> list[float]:
        """Requests per hour of the day (0..23, local), averaged over the days covered."""
        first, last = min(self.hours), max(self.hours)
        totals = [0.0] * 24
        days = [0] * 24
        for hour in range(first, last + 1):
            days[hour % 24] += 1
            totals[hour % 24] += self.hours.get(hour, 0)
        return [t / d if d else 0.0 for t, d in zip(totals, days, strict=True)]

    def days(self) -> int:
        """Distinct local dates with requests."""
        return len({h // 24 for h in self.hours})


def peak_hours(profile: Sequence[float]) -> list[int]:
    """Hours of the day whose average reaches :data:`PEAK_SHARE` of the busiest.

    >>> peak_hours([0] * 9 + [50, 100, 85] + [10] * 12)
    [10, 11]
    """
    top = max(profile, default=0.0)
    return [h for h, v in enumerate(profile) if top > 0 and v >= PEAK_SHARE * top]


def distribution(
    values: Sequence[float] | np.ndarray, *, mean: float | None = None
) -> dict[str, Any]:
    """Count, mean, quantiles p10..p99 and max of ``values`` (``mean`` when known exactly).

    >>> d = distribution([1.0, 2.0, 3.0, 4.0])
    >>> d["mean"], d["p50"], d["max"]
    (2.5, 2.5, 4.0)
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return {"count": 0}
    out: dict[str, Any] = {
        "count": int(data.size),
        "mean": float(data.mean()) if mean is None else mean,
    }
    for name, q in QUANTILES:
        out[name] = float(np.quantile(data, q))
    out["max"] = float(data.max())
    return out


def empirical(values: Sequence[float] | np.ndarray, points: int = 100) -> list[float]:
    """``points`` quantiles of ``values`` at the middles of equal-probability bins: a list
    that, sampled uniformly, follows the measured distribution (seconds, 2 decimals).

    >>> empirical(list(range(101)), points=4)
    [12.5, 37.5, 62.5, 87.5]
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return []
    probabilities = (np.arange(points) + 0.5) / points
    return [round(float(v), 2) for v in np.quantile(data, probabilities)]
