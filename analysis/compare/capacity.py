"""Capacity before and after: the peak successful throughput of each run with an interval,
and the largest load within the SLO.

The measured interval is a bootstrap interval of the mean per-second successful throughput
over the measured part of each run's peak step (findings.json ``capacity.peak.step``). When
both runs carry a USL fit (``capacity.usl``), the model's peak and its band are compared too.
A change is called only when the two intervals do not overlap: capacity is measured once
per run, so anything less would sell noise as a gain.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from erpcap.analysis.compare.load import Side
from erpcap.analysis.compare.stats import bootstrap_mean

HIGHER = "higher"
LOWER = "lower"
SAME = "no significant change"
#: Fewer whole seconds than this at the peak step give no interval.
MIN_SECONDS = 3


def per_second(starts_ns: np.ndarray, begin: Any, end: Any) -> np.ndarray:
    """Successful requests started in each whole second of [begin, end) (zeros included);
    ``starts_ns`` are sorted UTC nanoseconds since the epoch, ``begin`` and ``end`` anything
    ``pandas.Timestamp`` reads (naive means UTC).

    >>> t0 = pd.Timestamp("2026-01-01T00:00:00Z")
    >>> s = t0.value + np.array([0, 100, 1500, 2100, 2200, 2900]) * 1_000_000
    >>> per_second(s, t0, "2026-01-01T00:00:03.5Z").tolist()
    [2, 1, 3]
    """
    t0, t1 = _ns(begin), _ns(end)
    seconds = (t1 - t0) // _SECOND
    if seconds <= 0:
        return np.zeros(0, dtype=np.int64)
    lo, hi = np.searchsorted(starts_ns, [t0, t0 + seconds * _SECOND])
    offsets = (starts_ns[lo:hi] - t0) // _SECOND
    return np.bincount(offsets.astype(np.int64), minlength=seconds)


_SECOND = 1_000_000_000


def _ns(value: Any) -> int:
    """``value`` as UTC nanoseconds since the epoch."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return int(ts.value)


def _peak(side: Side, rng: np.random.Generator, level: float) -> dict[str, Any]:
    capacity = side.findings.get("capacity") or {}
    peak = capacity.get("peak") or {}
    out: dict[str, Any] = {
        "max_users_within_slo": capacity.get("max_users_within_slo"),
        "rps_within_slo": capacity.get("rps_within_slo"),
        "peak_step": peak.get("step"),
        "peak_users": peak.get("users"),
        "peak_ok_rps": peak.get("ok_rps"),
        "interval": None,
        "seconds": 0,
        "note": None,
    }
    step = next(
        (s for s in side.findings.get("steps") or [] if s.get("step") == peak.get("step")), None
    )
    if not peak or step is None:
        out["note"] = f"run {side.label} has no measured peak step"
        return out
    begin, end = step.get("measured_from") or step.get("start"), step.get("end")
    counts = per_second(side.ok_starts, begin, end) if begin and end else np.zeros(0)
    out["seconds"] = int(counts.size)
    if counts.size < MIN_SECONDS:
        out["note"] = (
            f"run {side.label}'s peak step has {counts.size} whole seconds; "
            f"an interval needs {MIN_SECONDS}"
        )
        return out
    mean, low, high = bootstrap_mean(counts.astype(np.float64), rng, level=level)
    out["interval"] = {"mean": round(mean, 4), "low": round(low, 4), "high": round(high, 4)}
    return out


def _usl(side: Side) -> dict[str, Any] | None:
    """The USL peak and its band, from the fit's curve at the point nearest the peak."""
    usl = (side.findings.get("capacity") or {}).get("usl")
    if not isinstance(usl, dict) or not usl.get("fitted") or usl.get("peak_n") is None:
        return None
    curve = [row for row in usl.get("curve") or [] if isinstance(row, list) and len(row) >= 4]
    if not curve:
        return None
    near = min(curve, key=lambda row: abs(row[0] - usl["peak_n"]))
    if near[2] is None or near[3] is None:
        return None
    return {
        "peak_n": usl["peak_n"],
        "mean": usl.get("peak_x"),
        "low": near[2],
        "high": near[3],
    }


def _call(a: dict[str, Any] | None, b: dict[str, Any] | None) -> str | None:
    if a is None or b is None:
        return None
    if b["low"] > a["high"]:
        return HIGHER
    if b["high"] < a["low"]:
        return LOWER
    return SAME


def _change(a: float | None, b: float | None) -> float | None:
    return round((b - a) / a, 4) if a and b is not None else None


def compare_capacity(a: Side, b: Side, *, alpha: float, seed: int) -> dict[str, Any]:
    """The capacity block: each run's figures, the measured verdict and the USL verdict."""
    level = 1.0 - alpha
    pa = _peak(a, np.random.default_rng([seed, 1]), level)
    pb = _peak(b, np.random.default_rng([seed, 2]), level)
    ua, ub = _usl(a), _usl(b)
    verdict = _call(pa["interval"], pb["interval"])
    notes = [n for n in (pa.pop("note"), pb.pop("note")) if n]
    if verdict is None:
        notes.append("no interval on the peak throughput of both runs: capacity not compared")
    return {
        "a": {**pa, "usl": ua},
        "b": {**pb, "usl": ub},
        "peak_change": _change(
            (pa["interval"] or {}).get("mean"), (pb["interval"] or {}).get("mean")
        ),
        "verdict": verdict,
        "usl_verdict": _call(ua, ub),
        "slo_users_change": _change(pa["max_users_within_slo"], pb["max_users_within_slo"]),
        "notes": notes,
    }
