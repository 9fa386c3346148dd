"""The statistics of a comparison, in NumPy (SciPy is not a dependency).

- :func:`mann_whitney`: are the latencies of B shifted against A's? A rank test, so one slow
  outlier cannot make a difference significant; average ranks for ties, the normal
  approximation with the tie correction and a continuity correction (as R's ``wilcox.test``
  does when it cannot enumerate).
- :func:`holm`: many transactions are tested at once; Holm's step-down correction keeps the
  chance of calling any one of them changed by luck at most α.
- :func:`bootstrap_quantile_diff`: an interval for the difference of a percentile (p95)
  between two samples — the figure an SLO is written on.
- :func:`bootstrap_mean`: an interval for a mean (of per-second throughputs).

Every bootstrap takes a ``numpy.random.Generator`` so that results are reproducible, and its
work is bounded: ``resamples`` draws; a percentile's replicates are drawn from the order
statistics' Beta laws instead of by resampling (:func:`bootstrap_percentiles`), so a
million requests take as long as a hundred.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Bootstrap draws per interval.
RESAMPLES = 2000
#: Resamples of a mean evaluated at once (bounds the memory to CHUNK × n values).
_CHUNK = 100


@dataclass(frozen=True)
class MannWhitney:
    """The outcome of a two-sided Mann-Whitney U test of ``a`` against ``b``.

    ``u`` is U of ``a`` (pairs where a's value is larger, ties counting one half);
    ``superiority`` = u / (n_a · n_b): the chance that a random value of ``a`` exceeds a random
    value of ``b`` (0.5: neither tends to be larger). For latencies, above 0.5 means B is
    faster.
    """

    u: float
    z: float
    p: float
    superiority: float


def mann_whitney(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> MannWhitney:
    """Two-sided Mann-Whitney U test, normal approximation with tie and continuity corrections.

    >>> r = mann_whitney([1, 2, 3, 4], [5, 6, 7, 8])
    >>> r.u, round(r.p, 4), r.superiority
    (0.0, 0.0304, 0.0)
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    n1, n2 = x.size, y.size
    if n1 == 0 or n2 == 0:
        raise ValueError("both samples need at least one value")
    _, inverse, counts = np.unique(np.concatenate([x, y]), return_inverse=True, return_counts=True)
    # The average (1-based) rank of each distinct value: the middle of its run of ties.
    ends = np.cumsum(counts, dtype=np.float64)
    average = ends - (counts - 1) / 2.0
    rank_sum = float(average[inverse[:n1]].sum())
    u = rank_sum - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    t = counts.astype(np.float64)
    ties = float((t**3 - t).sum())
    variance = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1))) if n > 1 else 0.0
    mean = n1 * n2 / 2.0
    if variance <= 0:
        return MannWhitney(u=u, z=0.0, p=1.0, superiority=u / (n1 * n2))
    shift = u - mean
    corrected = max(abs(shift) - 0.5, 0.0)  # continuity correction, towards the mean
    z = math.copysign(corrected / math.sqrt(variance), shift)
    p = min(1.0, math.erfc(abs(z) / math.sqrt(2.0)))
    return MannWhitney(u=u, z=z, p=p, superiority=u / (n1 * n2))


def two_proportions(failed_a: int, n_a: int, failed_b: int, n_b: int) -> float:
    """Two-sided p of a pooled two-proportion z-test: do two failure rates differ?

    >>> f"{two_proportions(10, 1000, 40, 1000):.2e}"
    '1.73e-05'
    >>> two_proportions(0, 50, 0, 60)
    1.0
    """
    if n_a == 0 or n_b == 0:
        return 1.0
    pooled = (failed_a + failed_b) / (n_a + n_b)
    variance = pooled * (1 - pooled) * (1 / n_a + 1 / n_b)
    if variance <= 0:
        return 1.0
    z = (failed_b / n_b - failed_a / n_a) / math.sqrt(variance)
    return min(1.0, math.erfc(abs(z) / math.sqrt(2.0)))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the order given: compare each with α directly.

    The smallest p is multiplied by m, the next by m − 1, …, each kept at least as large as
    the one before (step-down), and at most 1.

    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = round(running, 12)
    return adjusted


def bootstrap_percentiles(
    values: np.ndarray, q: float, resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """``resamples`` bootstrap replicates of the ``q``-th percentile of ``values``, without
    drawing the resamples.

    NumPy's linear percentile of n values reads the order statistics k and k + 1 (0-based)
    around position h = (n − 1)·q/100. A resample is n draws of a uniform index; drawing an
    index is taking ⌊n·U⌋ of a uniform U, and ⌊·⌋ keeps the order, so the resample's order
    statistics are the sorted values at ⌊n·U₍k₊₁₎⌋ and ⌊n·U₍k₊₂₎⌋, where U₍j₎ is the j-th
    smallest of n uniforms: U₍k₊₁₎ follows Beta(k + 1, n − k), and the next one lies
    above it by (1 − U₍k₊₁₎)·Beta(1, n − k − 1). This is the ordinary bootstrap, exactly,
    at a cost independent of n: a million requests take as long as a hundred.
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    if n == 1:
        return np.full(resamples, x[0])
    h = (n - 1) * q / 100.0
    k = min(int(math.floor(h)), n - 2)
    frac = h - k
    u1 = rng.beta(k + 1, n - k, size=resamples)
    u2 = u1 + (1.0 - u1) * rng.beta(1, n - k - 1, size=resamples)
    low = x[np.minimum((u1 * n).astype(np.int64), n - 1)]
    high = x[np.minimum((u2 * n).astype(np.int64), n - 1)]
    out: np.ndarray = low + (high - low) * frac
    return out


def bootstrap_quantile_diff(
    a: np.ndarray,
    b: np.ndarray,
    rng: np.random.Generator,
    *,
    q: float = 95.0,
    level: float = 0.95,
    resamples: int = RESAMPLES,
) -> tuple[float, float, float]:
    """The difference of the ``q``-th percentiles, ``b − a``, and its bootstrap interval.

    Each sample is resampled on its own (the runs are independent); the interval is the
    percentile interval of the resampled differences (:func:`bootstrap_percentiles`).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    qa = float(np.percentile(a, q, method="linear"))
    qb = float(np.percentile(b, q, method="linear"))
    draws = bootstrap_percentiles(b, q, resamples, rng) - bootstrap_percentiles(
        a, q, resamples, rng
    )
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(draws, [tail, 100.0 - tail], method="linear")
    return qb - qa, float(low), float(high)


def bootstrap_mean(
    values: np.ndarray,
    rng: np.random.Generator,
    *,
    level: float = 0.95,
    resamples: int = RESAMPLES,
) -> tuple[float, float, float]:
    """The mean of ``values`` and its percentile bootstrap interval.

    >>> m, lo, hi = bootstrap_mean(np.array([5.0, 5.0, 5.0]), np.random.default_rng(1))
    >>> (m, lo, hi)
    (5.0, 5.0, 5.0)
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no values")
    n = values.size
    means = np.empty(resamples)
    for start in range(0, resamples, _CHUNK):
        rows = min(_CHUNK, resamples - start)
        means[start : start + rows] = values[rng.integers(0, n, size=(rows, n))].mean(axis=1)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(means, [tail, 100.0 - tail], method="linear")
    return float(values.mean()), float(low), float(high)
