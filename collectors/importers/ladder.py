"""Load steps derived from the active-user count of imported load results.

Another tool's results say how many users were active (JMeter's ``allThreads`` on every
sample, Locust's ``User Count`` every second) but not when its load shape began a step. A
step is derived where the count changes to a level that then holds for at least
:data:`MIN_HOLD_S`; a shorter level (a ramp adding a user a second, threads finishing one by
one at the end) begins no step and belongs to the step before it. A level of 0 users is no
step. :func:`write_steps` records the steps as ``step`` events (with ``derived: true``), the
way a load shape of erpcap's own announces them, so that the analysis measures each.

>>> timeline = UserTimeline()
>>> for second, users in [(0, 1), (1, 2), (2, 5), (3, 5), (4, 5), (5, 5), (6, 9), (7, 10),
...                        (8, 10), (9, 10), (10, 10), (11, 3)]:
...     timeline.add(second, users)
>>> [(s.start, s.users, s.duration_s) for s in timeline.steps()]
[(2, 5, 5.0), (7, 10, 5.0)]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from erpcap.rundir import RunDir, iso

#: Seconds a user count must hold to be a step of its own.
MIN_HOLD_S = 3


@dataclass(frozen=True)
class DerivedStep:
    """A window of constant users, ``[start, end)`` in epoch seconds."""

    start: int
    end: int
    users: int

    @property
    def duration_s(self) -> float:
        return float(self.end - self.start)


class UserTimeline:
    """Active users per second (epoch seconds), the highest count seen in each second."""

    def __init__(self) -> None:
        self._users: dict[int, int] = {}

    def add(self, second: int, users: int) -> None:
        """Note ``users`` active in ``second``."""
        if users > self._users.get(second, -1):
            self._users[second] = users

    def __bool__(self) -> bool:
        return bool(self._users)

    def steps(self, end: int | None = None) -> list[DerivedStep]:
        """The steps of the timeline; the last ends at ``end`` (by default one second after
        the last second seen). A second without a sample keeps the level before it."""
        if not self._users:
            return []
        seconds = sorted(self._users)
        stop = max(end if end is not None else seconds[-1] + 1, seconds[-1] + 1)
        levels: list[tuple[int, int]] = []  # (start, users) where the count changes
        for second in seconds:
            users = self._users[second]
            if not levels or levels[-1][1] != users:
                levels.append((second, users))
        held: list[tuple[int, int]] = []
        for i, (start, users) in enumerate(levels):
            until = levels[i + 1][0] if i + 1 < len(levels) else stop
            if users <= 0 or until - start < MIN_HOLD_S:
                continue
            if held and held[-1][1] == users:
                continue  # the same level again after a short blip: one step
            held.append((start, users))
        return [
            DerivedStep(start, held[i + 1][0] if i + 1 < len(held) else stop, users)
            for i, (start, users) in enumerate(held)
        ]


def write_steps(run: RunDir, steps: list[DerivedStep]) -> None:
    """One ``step`` event per derived step, at its start, numbered from 1."""
    for number, step in enumerate(steps, start=1):
        run.event(
            "step",
            ts=iso(datetime.fromtimestamp(step.start, UTC)),
            step=number,
            users=step.users,
            duration_s=step.duration_s,
            derived=True,
        )
