"""The statistics of ``erpcap compare``: Mann-Whitney against exact enumeration and a
published example, Holm's correction, and bootstrap intervals that cover the truth."""

from __future__ import annotations

import doctest
import math
from itertools import combinations

import numpy as np
import pytest

from erpcap.analysis.compare import stats
from erpcap.analysis.compare.stats import (
    bootstrap_mean,
    bootstrap_percentiles,
    bootstrap_quantile_diff,
    holm,
    mann_whitney,
)

# Hollander & Wolfe's example (R's ?wilcox.test): permeability constants at two stages.
X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
Y = [1.15, 0.88, 0.90, 0.74, 1.21]


def _u(a: list[float], b: list[float]) -> float:
    """U by its definition: pairs where a's value is larger, ties one half."""
    return sum((x > y) + 0.5 * (x == y) for x in a for y in b)


def _exact_p(a: list[float], b: list[float]) -> float:
    """Two-sided exact p: the share of all splits of the pooled values whose U is at least as
    far from its mean as the observed one."""
    pooled = a + b
    mean = len(a) * len(b) / 2
    observed = abs(_u(a, b) - mean)
    hits = total = 0
    for chosen in combinations(range(len(pooled)), len(a)):
        picked = set(chosen)
        left = [pooled[i] for i in chosen]
        right = [pooled[i] for i in range(len(pooled)) if i not in picked]
        total += 1
        hits += abs(_u(left, right) - mean) >= observed - 1e-9
    return hits / total


def test_doctests_pass() -> None:
    result = doctest.testmod(stats)
    assert result.attempted >= 5 and result.failed == 0


def test_mann_whitney_on_the_published_example() -> None:
    result = mann_whitney(X, Y)
    assert result.u == 35.0 == _u(X, Y)  # R: W = 35
    exact = _exact_p(X, Y)
    assert exact == pytest.approx(0.2544, abs=5e-4)  # R: one-sided exact p = 0.1272
    assert result.p == pytest.approx(exact, abs=0.02)
    assert result.superiority == pytest.approx(35 / 50)
    swapped = mann_whitney(Y, X)
    assert swapped.u == 50 - 35 and swapped.p == pytest.approx(result.p)


def test_mann_whitney_with_ties_follows_the_exact_distribution() -> None:
    a = [3, 3, 4, 5, 5, 5, 7, 8]
    b = [1, 2, 3, 3, 4, 4, 5, 6]
    result = mann_whitney(a, b)
    assert result.u == _u(a, b)
    assert result.p == pytest.approx(_exact_p(a, b), abs=0.02)


def test_tie_correction_gives_the_permutation_variance() -> None:
    # The tie-corrected variance is the exact variance of U over all splits.
    a, b = [1, 1, 2, 2, 2], [2, 3, 3, 1]
    pooled = a + b
    us = []
    for chosen in combinations(range(len(pooled)), len(a)):
        left = [pooled[i] for i in chosen]
        right = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        us.append(_u(left, right))
    variance = float(np.var(us))
    result = mann_whitney(a, b)
    shift = abs(result.u - len(a) * len(b) / 2) - 0.5
    assert abs(result.z) == pytest.approx(shift / math.sqrt(variance), rel=1e-9)


def test_identical_samples_are_not_different() -> None:
    result = mann_whitney([5, 5, 5], [5, 5])
    assert result.p == 1.0 and result.superiority == 0.5


def test_a_clear_shift_is_significant_both_ways() -> None:
    rng = np.random.default_rng(3)
    a = rng.lognormal(np.log(100), 0.4, 500)
    b = a * 0.8
    assert mann_whitney(a, b).p < 1e-6 and mann_whitney(a, b).superiority > 0.5
    assert mann_whitney(b, a).superiority < 0.5


def test_holm_is_never_below_the_raw_p_and_keeps_the_order() -> None:
    raw = [0.001, 0.2, 0.012, 0.04, 0.03]
    adjusted = holm(raw)
    assert all(x >= r for x, r in zip(adjusted, raw, strict=True))
    assert adjusted[0] == pytest.approx(0.005)  # the smallest × 5
    assert adjusted[2] == pytest.approx(0.048)  # the next × 4
    by_raw = [adjusted[i] for i in sorted(range(5), key=raw.__getitem__)]
    assert by_raw == sorted(by_raw)
    assert holm([]) == []


def _true_p95(median: float, sigma: float) -> float:
    return median * math.exp(sigma * 1.6448536269514722)


@pytest.mark.parametrize("n", [60, 400, 20_000])
def test_the_p95_interval_covers_the_true_difference(n: int) -> None:
    """Coverage of a nominal 95 % interval over repeated samples."""
    rng = np.random.default_rng(11)
    truth = _true_p95(80.0, 0.5) - _true_p95(100.0, 0.4)
    covered = 0
    reps = 60
    for _ in range(reps):
        a = rng.lognormal(np.log(100.0), 0.4, n)
        b = rng.lognormal(np.log(80.0), 0.5, n)
        diff, low, high = bootstrap_quantile_diff(a, b, rng, resamples=1000)
        assert low <= diff <= high
        covered += low <= truth <= high
    assert covered >= 0.85 * reps, covered


@pytest.mark.parametrize(("n", "q"), [(7, 95.0), (300, 95.0), (300, 50.0), (2000, 99.0)])
def test_order_statistic_replicates_match_real_resampling(n: int, q: float) -> None:
    """The Beta shortcut gives the distribution that resampling with replacement gives."""
    rng = np.random.default_rng(9)
    values = rng.lognormal(np.log(100.0), 0.6, n).round()  # rounded: ties too
    fast = bootstrap_percentiles(values, q, 20_000, np.random.default_rng(1))
    slow = np.array(
        [np.percentile(rng.choice(values, n), q, method="linear") for _ in range(20_000)]
    )
    spread = slow.std()
    assert spread > 0
    assert fast.mean() == pytest.approx(slow.mean(), abs=0.05 * spread)
    assert fast.std() == pytest.approx(spread, rel=0.05)
    # The two empirical distribution functions never differ by more than a two-sample
    # Kolmogorov-Smirnov test at the 0.1 % level would allow (1.95 · √(2 / 20,000)).
    fast, slow = fast.round(6), slow.round(6)  # the same value interpolated two ways
    grid = np.union1d(fast, slow)
    cdf_fast = np.searchsorted(np.sort(fast), grid, side="right") / fast.size
    cdf_slow = np.searchsorted(np.sort(slow), grid, side="right") / slow.size
    assert np.abs(cdf_fast - cdf_slow).max() < 1.95 * math.sqrt(2 / 20_000)


def test_the_same_seed_gives_the_same_interval() -> None:
    a = np.arange(1.0, 200.0)
    b = a + 3
    first = bootstrap_quantile_diff(a, b, np.random.default_rng(7))
    assert first == bootstrap_quantile_diff(a, b, np.random.default_rng(7))


def test_the_mean_interval_covers_the_true_rate() -> None:
    rng = np.random.default_rng(2)
    covered = 0
    for _ in range(40):
        counts = rng.poisson(30.0, 20).astype(float)
        mean, low, high = bootstrap_mean(counts, rng, resamples=400)
        assert low <= mean <= high
        covered += low <= 30.0 <= high
    assert covered >= 34, covered
