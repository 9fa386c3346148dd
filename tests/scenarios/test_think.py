"""Think times follow TPC-C's truncated negative exponential; the pacer keeps intended starts."""

from __future__ import annotations

import math
import random

import pytest

from erpcap.scenarios.think import TRUNCATE_AT_MEANS, Pacer, think_time


def test_think_time_mean_tail_and_truncation() -> None:
    rng = random.Random(20261125)
    mean = 10.0
    draws = [think_time(mean, rng) for _ in range(200_000)]
    # Truncation at 10 means lowers the mean by a factor (1 - e**-10): negligible.
    expected = mean * (1 - math.exp(-TRUNCATE_AT_MEANS))
    assert sum(draws) / len(draws) == pytest.approx(expected, rel=0.01)
    assert max(draws) <= TRUNCATE_AT_MEANS * mean
    assert min(draws) >= 0.0
    # Exponential tail: P(X > mean) = e**-1 ≈ 0.368, P(X > 3 mean) = e**-3 ≈ 0.0498.
    assert sum(d > mean for d in draws) / len(draws) == pytest.approx(math.exp(-1), abs=0.005)
    assert sum(d > 3 * mean for d in draws) / len(draws) == pytest.approx(math.exp(-3), abs=0.002)


def test_think_time_truncates_at_ten_means() -> None:
    class Tiny(random.Random):
        def random(self) -> float:  # 1 - r is then e**-20: -ln gives 20 means
            return 1.0 - math.exp(-20.0)

    assert think_time(2.0, Tiny()) == pytest.approx(20.0)


def test_think_time_scale_and_zero() -> None:
    a = think_time(10.0, random.Random(1), scale=0.05)
    b = think_time(10.0, random.Random(1))
    assert a == pytest.approx(b * 0.05)
    assert think_time(10.0, random.Random(1), scale=0.0) == 0.0


def test_pacer_keeps_intended_start_when_late() -> None:
    now = [1000.0]
    pacer = Pacer(1.0, random.Random(3), clock=lambda: now[0])
    dues = []
    for _ in range(50):
        wait, due = pacer.next_wait()
        assert wait >= 0.0
        dues.append(due)
        now[0] += wait + 5.0  # every request takes 5 s: the system falls behind
    assert dues == sorted(dues)
    # Arrivals stay on their own clock (mean gap 1 s), not the responses' (5 s).
    assert (dues[-1] - dues[0]) / 49 == pytest.approx(1.0, rel=0.5)
    assert now[0] - dues[-1] > 100.0  # the lag a latency-from-intended-start will show
