"""Kneedle against the paper's figure and the reference cases the kneed package documents."""

from __future__ import annotations

import numpy as np
import pytest

from erpcap.analysis.capacity.knee import kneedle


def _figure2() -> tuple[np.ndarray, np.ndarray]:
    """Satopää et al. 2011, figure 2: y = 5 − 1 / (x + 0.1) on ten points of [0, 1]."""
    x = np.linspace(0.0, 1.0, 10)
    return x, 5 - 1 / (x + 0.1)


def test_the_papers_figure_has_its_knee_at_two_ninths():
    x, y = _figure2()
    index = kneedle(x, y, curve="concave", direction="increasing")
    assert index is not None
    # kneed documents knee 0.2222 and knee_y 1.8966 for this curve
    assert x[index] == pytest.approx(0.2222222, abs=1e-6)
    assert y[index] == pytest.approx(1.8965517, abs=1e-6)


def test_a_mirrored_curve_keeps_the_knee():
    # 1 / (x + 0.1) falls and bends upwards (convex, decreasing): the same knee by symmetry
    x, y = _figure2()
    index = kneedle(x, 5 - y, curve="convex", direction="decreasing")
    assert index is not None and x[index] == pytest.approx(0.2222222, abs=1e-6)


@pytest.mark.parametrize(
    ("direction", "curve", "expected"),
    [("increasing", "convex", 4.9), ("decreasing", "concave", 1.8)],
)
def test_sine_reference_knees(direction, curve, expected):
    # kneed's sine test (x in [0, 10) by 0.1): its knees for these two shapes
    x = np.arange(0, 10, 0.1)
    index = kneedle(x, np.sin(x), curve=curve, direction=direction)
    assert index is not None and x[index] == pytest.approx(expected)


def test_a_straight_line_has_no_knee():
    assert kneedle([1, 2, 3, 4, 5, 6], [3, 6, 9, 12, 15, 18]) is None


def test_noise_on_a_line_makes_no_knee():
    rng = np.random.default_rng(3)
    users = np.array([2, 4, 8, 16, 32], dtype=float)
    assert kneedle(users, users * 5 * (1 + rng.normal(0, 0.03, users.size))) is None


def test_throughput_that_levels_off_bends_where_it_stops_growing():
    users = [2, 4, 8, 16, 32]
    assert kneedle(users, [10, 20, 40, 50, 50]) == 2
    latency = [20, 21, 23, 150, 600]
    # the paper's drop test needs points after the bend; the peak of the difference does not
    assert kneedle(users, latency, curve="convex") is None
    assert kneedle(users, latency, curve="convex", drop=False) == 3
    assert kneedle(users, [10.0 + u for u in users], curve="convex", drop=False) is None


def test_too_few_or_flat_points_give_none():
    assert kneedle([1, 2], [1, 5]) is None
    assert kneedle([1, 2, 3], [4, 4, 4]) is None
    assert kneedle([1, 1, 1], [1, 2, 3]) is None
