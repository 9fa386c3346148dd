"""Think times and arrival pacing, TPC-C style (pure functions, no Locust).

TPC-C draws each think time from a negative exponential distribution, ``-ln(r) * mean`` with
``r`` uniform in (0, 1], and truncates it at ten times its mean; the truncation lowers the
realised mean by only ``e**-10`` (about 0.005 %).

Arrival-rate driven users (integration channels) use a :class:`Pacer` instead: arrivals are
scheduled on a Poisson clock, and a request that is due while the previous one still runs
keeps its *intended* start, so that latency counts the wait a real arrival would have had
(the coordinated-omission correction of CAPACITY.md).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

#: TPC-C truncates think times at this multiple of the mean.
TRUNCATE_AT_MEANS = 10.0


def think_time(mean_s: float, rng: random.Random, *, scale: float = 1.0) -> float:
    """One think time in seconds: ``min(-ln(r) * mean, 10 * mean)``, times ``scale``.

    >>> rng = random.Random(7)
    >>> 0 <= think_time(10.0, rng) <= 100.0
    True
    >>> think_time(0.0, rng)
    0.0
    """
    mean = mean_s * scale
    if mean <= 0:
        return 0.0
    r = 1.0 - rng.random()  # in (0, 1]: ln(0) never happens
    return min(-math.log(r) * mean, TRUNCATE_AT_MEANS * mean)


class Pacer:
    """A Poisson arrival schedule for one user, with a mean gap of ``mean_s`` seconds.

    Call :meth:`next_wait` before each arrival: it returns how long to sleep (0 when the
    arrival is already late) and the arrival's intended start time (``clock()`` seconds).

    >>> now = [100.0]
    >>> pacer = Pacer(2.0, random.Random(1), clock=lambda: now[0])
    >>> wait, due = pacer.next_wait()
    >>> wait == due - 100.0 and wait >= 0
    True
    >>> now[0] = due + 5.0  # the request ran 5 s past the next arrival's slot
    >>> wait2, due2 = pacer.next_wait()
    >>> wait2 >= 0 and due2 > due
    True
    """

    def __init__(
        self,
        mean_s: float,
        rng: random.Random,
        *,
        scale: float = 1.0,
        clock: Callable[[], float],
    ) -> None:
        self._mean = mean_s
        self._scale = scale
        self._rng = rng
        self._clock = clock
        self._due: float | None = None

    def next_wait(self) -> tuple[float, float]:
        """The seconds to wait before the next arrival, and its intended start (clock time)."""
        now = self._clock()
        gap = think_time(self._mean, self._rng, scale=self._scale)
        self._due = (now if self._due is None else self._due) + gap
        return max(0.0, self._due - now), self._due
