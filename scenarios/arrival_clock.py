"""The open model's arrival clock: which arrival a free user sends next (pure, no Locust).

One clock per Locust process holds the Poisson arrivals of the schedule
(:func:`erpcap.scenarios.rate.arrival_offsets`). A pool user that is free asks for the next
arrival nobody has taken (:meth:`ArrivalClock.take`) and waits until it is due; every free
user holds one arrival, so an arrival that is still untaken when it is due found every user
busy. Such an arrival is still sent, late, if a user frees up within :data:`DROP_AFTER_S`
of its due time (its latency then counts the wait, from the *intended* start); later than
that it is **dropped** and counted, never sent, so that a stall cannot turn into a burst of
stale requests afterwards.

Times are the caller's clock (epoch seconds in Locust), so that tests drive it with a fake.

>>> from random import Random
>>> from erpcap.scenarios.rate import RateStep, Schedule
>>> clock = ArrivalClock(Schedule((RateStep(10.0, 5.0, 10.0),)), Random(1), start=100.0)
>>> due = clock.take(100.0)
>>> 100.0 <= due < 105.0
True
>>> clock.take(104.9) is not None  # every user was busy for almost 5 s: most arrivals dropped
True
>>> totals = clock.totals(105.0)
>>> totals["dropped"] > 30 and totals["intended"] == totals["sent"] + totals["dropped"]
True
"""

from __future__ import annotations

from collections import deque
from random import Random
from typing import Any

from erpcap.scenarios.rate import Schedule, arrival_offsets

#: An arrival not sent within this many seconds after it was due is dropped.
DROP_AFTER_S = 1.0


class ArrivalClock:
    """The arrivals of ``schedule`` from ``start`` (clock seconds), handed out in order."""

    def __init__(
        self,
        schedule: Schedule,
        rng: Random,
        *,
        start: float,
        drop_after_s: float = DROP_AFTER_S,
    ) -> None:
        self.schedule = schedule
        self.start = start
        self.drop_after_s = drop_after_s
        self._offsets = arrival_offsets(schedule, rng)
        self._next: float | None = next(self._offsets, None)
        steps = len(schedule.steps)
        self._sent = [0] * steps
        self._dropped = [0] * steps
        self._new_drops = [0] * steps  # since the last drain_drops()
        self._taken: deque[float] = deque()  # due times handed out, maybe not reached yet

    def _advance(self) -> None:
        self._next = next(self._offsets, None)

    def take(self, now: float) -> float | None:
        """Claim the next arrival for a user free at ``now``: its due time, or None when the
        schedule has no arrival left. Arrivals more than ``drop_after_s`` overdue are
        dropped on the way. The user waits ``max(0, due - now)`` before sending it."""
        self.expire(now)
        if self._next is None:
            return None
        due = self.start + self._next
        self._sent[self.schedule.step_at(self._next) - 1] += 1
        self._taken.append(due)
        while self._taken and self._taken[0] <= now:
            self._taken.popleft()
        self._advance()
        return due

    def expire(self, now: float) -> None:
        """Drop the arrivals more than ``drop_after_s`` overdue at ``now``: nobody took them
        in time (called by :meth:`take`, and every second while every user is busy)."""
        while self._next is not None and self.start + self._next < now - self.drop_after_s:
            step = self.schedule.step_at(self._next) - 1
            self._dropped[step] += 1
            self._new_drops[step] += 1
            self._advance()

    def drain_drops(self) -> dict[int, int]:
        """Arrivals dropped since the last call, by 1-based step (only steps with drops)."""
        drops = {i + 1: n for i, n in enumerate(self._new_drops) if n}
        self._new_drops = [0] * len(self._new_drops)
        return drops

    def totals(self, now: float) -> dict[str, Any]:
        """Intended, sent and dropped arrivals up to ``now``, overall and per step.

        Intended are the arrivals due by ``now``; every one of them nobody took is dropped
        (the load stopped before a user was free for it), and an arrival taken but not yet
        due (its user was stopped while waiting) was not sent and is not intended either.
        """
        elapsed = now - self.start
        while self._next is not None and self._next <= elapsed:
            step = self.schedule.step_at(self._next) - 1
            self._dropped[step] += 1
            self._advance()
        sent = list(self._sent)
        for due in self._taken:
            if due > now:
                sent[self.schedule.step_at(due - self.start) - 1] -= 1
        steps = [
            {"step": i + 1, "intended": s + d, "sent": s, "dropped": d}
            for i, (s, d) in enumerate(zip(sent, self._dropped, strict=True))
        ]
        return {
            "intended": sum(s["intended"] for s in steps),
            "sent": sum(sent),
            "dropped": sum(self._dropped),
            "steps": steps,
        }
