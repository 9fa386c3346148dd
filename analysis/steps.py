"""Load steps: the windows of constant target users, taken from ``step`` events.

A stepped load (a capacity ladder) writes one ``step`` event as each step begins. A step's
statistics are measured after a warm-up, so that the ramp from the previous step (users
still logging in, queues filling) does not blur them: the first 20 % of the step, at most
10 seconds, is left out (:func:`erpcap.warmup.warmup_s`, the rule the
load shape's ``--stop-when`` check uses too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from erpcap.warmup import warmup_s


@dataclass(frozen=True)
class Step:
    """One window of the load: ``[start, end)``, measured from ``measured_from``."""

    number: int
    users: int
    start: datetime
    end: datetime
    measured_from: datetime

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def measured_s(self) -> float:
        return (self.end - self.measured_from).total_seconds()


def make_step(number: int, users: int, start: datetime, end: datetime) -> Step:
    """The step ``[start, end)`` with its warm-up left out of what is measured."""
    warmup = warmup_s((end - start).total_seconds())
    return Step(number, users, start, end, start + timedelta(seconds=warmup))


def _parse_ts(value: Any) -> datetime:
    return pd.Timestamp(value).to_pydatetime()


def steps_from_events(events: list[dict[str, Any]], run_end: datetime | None) -> list[Step]:
    """The steps announced by ``step`` events, each ending where the next begins.

    The last step ends at ``run_end`` (the last request or the end of the run). Steps that
    would be empty (an announced step the run never reached) are dropped.
    """
    marks = [e for e in events if e.get("kind") == "step" and "ts" in e]
    marks.sort(key=lambda e: e["ts"])
    steps: list[Step] = []
    for i, mark in enumerate(marks):
        start = _parse_ts(mark["ts"])
        if i + 1 < len(marks):
            end = _parse_ts(marks[i + 1]["ts"])
        elif run_end is not None:
            end = run_end
        else:
            continue
        if end <= start:
            continue
        steps.append(make_step(int(mark.get("step", i + 1)), int(mark.get("users", 0)), start, end))
    return steps


def single_step(requests: pd.DataFrame) -> list[Step]:
    """One step over the whole run, for a load without ``step`` events."""
    if requests.empty:
        return []
    start = requests["start"].min().to_pydatetime()
    end = requests["start"].max().to_pydatetime()
    if end <= start:
        return []
    return [make_step(1, int(requests["users"].max()), start, end)]


def requests_in(requests: pd.DataFrame, step: Step) -> pd.DataFrame:
    """The requests sent inside the measured part of ``step``."""
    start = pd.Timestamp(step.measured_from)
    end = pd.Timestamp(step.end)
    mask = (requests["start"] >= start) & (requests["start"] < end)
    return requests.loc[mask]
