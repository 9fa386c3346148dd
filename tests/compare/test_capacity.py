"""The capacity block's use of the USL fits (capacity.usl, written by the analysis when a
ladder has enough steps): the peak band read from the fit's curve, called only when the
bands do not overlap, and never a regression on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from erpcap.analysis.compare.capacity import _usl, compare_capacity
from erpcap.analysis.compare.load import Side


def _side(label: str, usl: dict[str, Any] | None) -> Side:
    capacity: dict[str, Any] = {"max_users_within_slo": 10, "peak": {}}
    if usl is not None:
        capacity["usl"] = usl
    return Side(
        label=label,
        path=Path(label),
        findings={"capacity": capacity, "steps": []},
        latencies={},
        groups={},
        outcomes={},
        ok_starts=np.zeros(0, dtype=np.int64),
    )


def _fit(peak_x: float, half_width: float) -> dict[str, Any]:
    curve = [[n, peak_x * n / 40, None, None] for n in (1, 10, 20)]
    curve.append([40, peak_x, peak_x - half_width, peak_x + half_width])
    curve.append([80, peak_x * 0.8, peak_x * 0.7, peak_x * 0.9])
    return {"fitted": True, "peak_n": 41.0, "peak_x": peak_x, "curve": curve}


def test_the_usl_peak_band_comes_from_the_curve_at_the_peak() -> None:
    band = _usl(_side("A", _fit(100.0, 5.0)))
    assert band == {"peak_n": 41.0, "mean": 100.0, "low": 95.0, "high": 105.0}
    assert _usl(_side("A", {"fitted": False, "note": {"en": "too few steps"}})) is None
    assert _usl(_side("A", {**_fit(100.0, 5.0), "peak_n": None})) is None  # Amdahl: no peak
    assert _usl(_side("A", None)) is None


def test_usl_bands_are_called_only_apart_and_apart_from_the_measured_verdict() -> None:
    lower = compare_capacity(
        _side("A", _fit(100.0, 5.0)), _side("B", _fit(80.0, 5.0)), alpha=0.05, seed=1
    )
    assert lower["usl_verdict"] == "lower"
    assert lower["verdict"] is None and lower["notes"]  # no measured peak: said, not guessed
    close = compare_capacity(
        _side("A", _fit(100.0, 5.0)), _side("B", _fit(92.0, 5.0)), alpha=0.05, seed=1
    )
    assert close["usl_verdict"] == "no significant change"
    one = compare_capacity(_side("A", _fit(100.0, 5.0)), _side("B", None), alpha=0.05, seed=1)
    assert one["usl_verdict"] is None
