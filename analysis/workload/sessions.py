"""Sessions: one user's requests with gaps below a timeout; their concurrency and think times.

A session is a user's run of requests in which no gap reaches the session timeout (30 min by
default, the usual web-analytics definition). Who the user is comes from the reader (the
CSV's user column; a combined log's remote user, else IP and user agent). The gaps between
successive requests of a session are its *think times* (they include the response time of
the previous request, which a log cannot separate). A session is active in every minute
from its first request's to its last request's.

Memory: one entry per open session (closed ones are swept as the log's clock passes the
timeout), one counter per minute of the log, and at most :data:`MAX_GAPS` think times (a
uniform reservoir sample beyond that; the mean and count stay exact).

>>> s = Sessions(timeout_s=1800)
>>> for ts, user in [(0, "a"), (10, "a"), (30, "a"), (5, "b"), (4000, "a")]:
...     s.add(user, ts)
>>> s.finish()
>>> s.count, sorted(s.gaps), s.gap_sum
(3, [10.0, 20.0], 30.0)
>>> s.concurrency()
{'peak': 2, 'peak_minute': 0, 'p95': 2.0, 'p50': 1.0}
"""

from __future__ import annotations

import random
from array import array

#: Think times kept for the quantiles; beyond, a uniform sample of this many.
MAX_GAPS = 500_000


class Sessions:
    """Sessions built from hits in time order (a hit a little out of order is tolerated)."""

    def __init__(self, timeout_s: float = 1800.0, *, seed: int = 0) -> None:
        self.timeout_s = timeout_s
        self._open: dict[str, list[float]] = {}  # user -> [first ts, last ts, requests]
        self._starts: dict[int, int] = {}  # minute -> sessions starting to be active
        self._ends: dict[int, int] = {}  # minute -> sessions no longer active
        self._swept = float("-inf")
        self._random = random.Random(seed)
        self.gaps = array("d")
        self.gap_count = 0
        self.gap_sum = 0.0
        self.count = 0
        self.requests_per_session: dict[int, int] = {}
        self.late = 0  # hits older than their user's previous one (not used as gaps)

    def add(self, user: str, ts: float) -> None:
        """One request of ``user`` at ``ts`` (epoch seconds)."""
        if ts - self._swept >= self.timeout_s / 4:
            self._sweep(ts)
        state = self._open.get(user)
        if state is not None and ts - state[1] >= self.timeout_s:
            self._close(state)
            state = None
        if state is None:
            self._open[user] = [ts, ts, 1]
            return
        if ts < state[1]:
            self.late += 1
            state[2] += 1
            return
        self._gap(ts - state[1])
        state[1] = ts
        state[2] += 1

    def _gap(self, gap: float) -> None:
        self.gap_count += 1
        self.gap_sum += gap
        if len(self.gaps) < MAX_GAPS:
            self.gaps.append(gap)
            return
        slot = self._random.randrange(self.gap_count)  # Algorithm R
        if slot < MAX_GAPS:
            self.gaps[slot] = gap

    def _close(self, state: list[float]) -> None:
        self.count += 1
        first, last = int(state[0] // 60), int(state[1] // 60)
        self._starts[first] = self._starts.get(first, 0) + 1
        self._ends[last + 1] = self._ends.get(last + 1, 0) + 1
        n = int(state[2])
        self.requests_per_session[n] = self.requests_per_session.get(n, 0) + 1

    def _sweep(self, now: float) -> None:
        self._swept = now
        stale = [u for u, s in self._open.items() if now - s[1] >= self.timeout_s]
        for user in stale:
            self._close(self._open.pop(user))

    def finish(self) -> None:
        """Close every open session (the end of the log)."""
        for state in self._open.values():
            self._close(state)
        self._open.clear()

    def concurrency(self) -> dict[str, float]:
        """Active sessions per minute: the peak and its (first) minute, and the p95 and the
        median over the minutes with a session (the count that that share of minutes does not
        exceed). Computed from the minutes where the count changes, so a log spanning years
        costs no more than one spanning a day."""
        points = sorted(set(self._starts) | set(self._ends))
        segments: list[tuple[int, int, int]] = []  # (active sessions, minutes, first minute)
        active = 0
        for here, after in zip(points, points[1:], strict=False):
            active += self._starts.get(here, 0) - self._ends.get(here, 0)
            if active > 0:
                segments.append((active, after - here, here))
        if not segments:
            return {"peak": 0, "peak_minute": 0, "p95": 0.0, "p50": 0.0}
        peak = max(segments, key=lambda s: (s[0], -s[2]))
        ranked = sorted(segments)
        total = sum(s[1] for s in ranked)

        def quantile(q: float) -> float:
            seen = 0
            for count, minutes, _ in ranked:
                seen += minutes
                if seen >= q * total:
                    return float(count)
            return float(ranked[-1][0])

        return {
            "peak": peak[0],
            "peak_minute": peak[2],
            "p95": quantile(0.95),
            "p50": quantile(0.50),
        }
