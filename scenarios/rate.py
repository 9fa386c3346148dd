"""The open model's arrival schedule, as plain data (no Locust here).

In the open model transactions start on a schedule of arrivals per second, whatever the
responses do; the users are only a pool that sends them (:mod:`erpcap.scenarios.arrivals`
does that inside the Locust process). A :class:`Schedule` is a list of steps, each holding a
rate for a duration, or ramping linearly to it from the previous step's rate.

On the command line: ``--rate 30/s`` (also ``/m`` and ``/h``; constant over ``--duration``,
default 60 s) or ``--rate FILE``, a YAML rate schedule (docs/open-model.md)::

    max_users: 200                  # optional: the pool (most users busy at once)
    steps:
      - {rate: 10/s, duration: 2m}
      - {rate: 30/s, duration: 5m, ramp: true}   # ramps linearly from the previous rate
    # or:  constant: {rate: 30/s, duration: 5m}
    # or:  ramp: {from: 0/s, to: 30/s, duration: 5m}

The schedule travels to the Locust process as JSON (``ERPCAP_RATE``: :meth:`Schedule.to_json`).

>>> schedule, pool = rate_from_args("30/s", users=None, duration="2m")
>>> Schedule.from_json(schedule).steps
(RateStep(rate=30.0, duration_s=120.0, start_rate=30.0),)
>>> pool.max_users(), pool.total_duration()
(60, 120.0)
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import Any

from erpcap.errors import BadInput
from erpcap.scenarios._yaml import keys, line_of, load_yaml
from erpcap.scenarios.shapes import Shape, Step, parse_duration

#: The default pool is the users needed to keep the peak rate going if every transaction
#: took this many seconds (Little's law: busy users = rate × response time), generous on
#: purpose: a pool too small drops arrivals, a larger one only costs idle greenlets.
POOL_RESPONSE_S = 2.0
#: The default pool is never smaller than this.
MIN_POOL = 10
#: Seconds over which Locust starts the whole pool (the spawn rate is pool / this).
POOL_SPAWN_S = 1.0

_RATE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*/\s*(s|m|h)\s*$", re.IGNORECASE)
_PER_S = {"s": 1.0, "m": 1 / 60.0, "h": 1 / 3600.0}
_RATE_HINT = "write e.g. 30/s, 600/m or 5000/h"


def parse_rate(value: Any, *, what: str = "rate") -> float:
    """Arrivals per second from ``"30/s"``, ``"600/m"`` or ``"5000/h"`` (N may be a decimal).

    >>> parse_rate("30/s"), parse_rate("600/m"), parse_rate("7200/h"), parse_rate("0.5/s")
    (30.0, 10.0, 2.0, 0.5)
    >>> parse_rate("30")
    Traceback (most recent call last):
    erpcap.errors.BadInput: rate '30' is not a rate (write e.g. 30/s, 600/m or 5000/h)
    """
    match = _RATE.match(str(value)) if isinstance(value, str) else None
    if match is None:
        raise BadInput(f"{what} {str(value)!r} is not a rate", hint=_RATE_HINT)
    rate = float(match.group(1)) * _PER_S[match.group(2).lower()]
    if not math.isfinite(rate):
        raise BadInput(f"{what} {value!r} is not a finite rate", hint=_RATE_HINT)
    return rate


@dataclass(frozen=True)
class RateStep:
    """``duration_s`` seconds going linearly from ``start_rate`` to ``rate`` arrivals/s
    (equal for a constant step)."""

    rate: float
    duration_s: float
    start_rate: float

    def rate_at(self, offset_s: float) -> float:
        """The rate ``offset_s`` seconds into the step."""
        share = min(max(offset_s / self.duration_s, 0.0), 1.0)
        return self.start_rate + (self.rate - self.start_rate) * share

    def expected(self) -> float:
        """The arrivals the step schedules on average (the area under its rate)."""
        return (self.start_rate + self.rate) / 2.0 * self.duration_s


@dataclass(frozen=True)
class Schedule:
    """The arrival schedule: steps of rates, and optionally the pool size it asks for."""

    steps: tuple[RateStep, ...]
    max_users: int | None = None

    def __post_init__(self) -> None:
        if not self.steps:
            raise BadInput("a rate schedule needs at least one step")
        for step in self.steps:
            if not (step.duration_s > 0 and math.isfinite(step.duration_s)):
                raise BadInput(f"step duration must be more than 0 seconds, got {step.duration_s}")
            if min(step.rate, step.start_rate) < 0:
                raise BadInput(f"rates must be 0 or more, got {step.rate}")
        if self.peak_rate() <= 0:
            raise BadInput("the rate schedule never sends anything (every rate is 0)")
        if self.max_users is not None and self.max_users < 1:
            raise BadInput(f"max_users must be at least 1, got {self.max_users}")

    def total_duration(self) -> float:
        return float(sum(step.duration_s for step in self.steps))

    def peak_rate(self) -> float:
        return max(max(step.rate, step.start_rate) for step in self.steps)

    def step_at(self, elapsed_s: float) -> int:
        """The 1-based step running ``elapsed_s`` after the start (the last one after it).

        >>> Schedule((RateStep(1, 10, 1), RateStep(2, 5, 2))).step_at(12.0)
        2
        """
        end = 0.0
        for number, step in enumerate(self.steps, start=1):
            end += step.duration_s
            if elapsed_s < end:
                return number
        return len(self.steps)

    def scaled(self, factor: float) -> Schedule:
        """Every rate times ``factor`` (one worker's share of the schedule)."""
        steps = tuple(RateStep(s.rate * factor, s.duration_s, s.start_rate * factor)
                      for s in self.steps)  # fmt: skip
        return Schedule(steps, self.max_users)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (stored in run.json as ``rate``, passed to Locust)."""
        return {
            "steps": [
                {"rate": s.rate, "duration_s": s.duration_s, "start_rate": s.start_rate}
                for s in self.steps
            ],
            "max_users": self.max_users,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Schedule:
        """The inverse of :meth:`to_dict`."""
        try:
            steps = tuple(
                RateStep(float(s["rate"]), float(s["duration_s"]), float(s["start_rate"]))
                for s in doc["steps"]
            )
            users = doc.get("max_users")
            return cls(steps, None if users is None else int(users))
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInput(f"not a rate schedule document: {exc!r}") from exc

    @classmethod
    def from_json(cls, text: str) -> Schedule:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f"rate schedule is not valid JSON: {exc.msg}") from exc
        if not isinstance(doc, dict):
            raise BadInput("rate schedule JSON must be an object")
        return cls.from_dict(doc)


def arrival_offsets(schedule: Schedule, rng: Random) -> Iterator[float]:
    """Poisson arrivals at the schedule's rate: seconds after its start, in order.

    Each step is sampled by thinning (Lewis and Shedler): candidates at the step's highest
    rate, each kept with probability rate(t) / highest; the exponential gaps are memoryless,
    so a step can start afresh at its boundary.

    >>> offsets = list(arrival_offsets(Schedule((RateStep(50.0, 20.0, 50.0),)), Random(3)))
    >>> 900 < len(offsets) < 1100, offsets == sorted(offsets), offsets[-1] < 20.0
    (True, True, True)
    """
    begin = 0.0
    for step in schedule.steps:
        top = max(step.rate, step.start_rate)
        t = begin
        end = begin + step.duration_s
        while top > 0:
            t += rng.expovariate(top)
            if t >= end:
                break
            if step.rate == step.start_rate or rng.random() * top < step.rate_at(t - begin):
                yield t
        begin = end


def default_pool(schedule: Schedule) -> int:
    """The pool when neither ``--users`` nor ``max_users`` says: the peak rate times
    :data:`POOL_RESPONSE_S`, at least :data:`MIN_POOL`.

    >>> default_pool(Schedule((RateStep(30.0, 60.0, 30.0),))), default_pool(Schedule((RateStep(1.0, 60.0, 1.0),)))
    (60, 10)
    """
    return max(MIN_POOL, math.ceil(schedule.peak_rate() * POOL_RESPONSE_S))


def pool_shape(schedule: Schedule, users: int) -> Shape:
    """``users`` users for the whole schedule, one step per rate step (so that Locust's
    shape marks each rate step with a ``step`` event), all started within
    :data:`POOL_SPAWN_S`."""
    kind = "constant" if len(schedule.steps) == 1 else "steps"
    steps = tuple(Step(users, s.duration_s) for s in schedule.steps)
    return Shape(kind, steps, max(float(users) / POOL_SPAWN_S, 1.0))


def rate_from_args(
    text: str, *, users: int | None = None, duration: str | float | None = None
) -> tuple[str, Shape]:
    """The schedule's JSON for ``ERPCAP_RATE`` and the shape of the user pool.

    ``text`` is a rate (constant over ``duration``, default 60 s) or the path of a YAML rate
    schedule (then ``duration`` must not be given). ``users`` sets the pool; else the file's
    ``max_users``; else :func:`default_pool`.
    """
    if _RATE.match(text):
        seconds = parse_duration(60 if duration is None else duration, what="--duration")
        rate = parse_rate(text, what="--rate")
        schedule = Schedule((RateStep(rate, seconds, rate),))
    else:
        path = Path(text)
        if path.suffix.lower() not in (".yaml", ".yml") and not path.exists():
            raise BadInput(f"--rate {text!r} is neither a rate nor a file", hint=_RATE_HINT
                           + ", or name a YAML rate schedule")  # fmt: skip
        if duration is not None:
            raise BadInput("--duration does not apply to a rate file: its steps say how long",
                           path=path)  # fmt: skip
        schedule = load_rate_file(path)
    if users is not None and users < 1:
        raise BadInput(f"--users must be at least 1, got {users}")
    pool = users or schedule.max_users or default_pool(schedule)
    schedule = Schedule(schedule.steps, pool)
    return schedule.to_json(), pool_shape(schedule, pool)


# -- YAML files ---------------------------------------------------------------------------

_FORMS = ("steps", "constant", "ramp")


def load_rate_file(path: str | Path) -> Schedule:
    """Read a rate schedule from YAML; every error names the file and line."""
    file = Path(path)
    doc = load_yaml(file, "rate schedule")
    if not isinstance(doc, dict):
        raise BadInput("expected a mapping with 'steps', 'constant' or 'ramp'", path=file, line=1)
    top = line_of(doc, 1)
    unknown = [k for k in keys(doc) if k not in (*_FORMS, "max_users")]
    if unknown:
        raise BadInput(f"unknown key {unknown[0]!r}", path=file, line=top,
                       hint="use steps, constant or ramp, and optionally max_users")  # fmt: skip
    forms = [k for k in _FORMS if k in doc]
    if len(forms) != 1:
        raise BadInput("expected exactly one of 'steps', 'constant' or 'ramp'", path=file,
                       line=top)  # fmt: skip
    users = doc.get("max_users")
    if users is not None and (isinstance(users, bool) or not isinstance(users, int) or users < 1):
        raise BadInput(f"max_users must be a whole number above 0, got {users!r}", path=file,
                       line=top)  # fmt: skip
    form, body = forms[0], doc[forms[0]]
    if form == "steps":
        if not isinstance(body, list) or not body:
            raise BadInput("'steps' must be a non-empty list", path=file, line=top,
                           hint="e.g. steps: [{rate: 10/s, duration: 2m}]")  # fmt: skip
        steps: list[RateStep] = []
        for item in body:
            line = line_of(item, top)
            fields = _fields(item, ("rate", "duration"), ("ramp",), file, line)
            rate = _rate(fields["rate"], file, line)
            ramp = fields.get("ramp", False)
            if not isinstance(ramp, bool):
                raise BadInput(f"ramp must be true or false, got {ramp!r}", path=file, line=line)
            start = (steps[-1].rate if steps else 0.0) if ramp else rate
            steps.append(RateStep(rate, _duration(fields["duration"], file, line), start))
        return _schedule(tuple(steps), users, file, top)
    line = line_of(body, top)
    if form == "constant":
        fields = _fields(body, ("rate", "duration"), (), file, line)
        rate = _rate(fields["rate"], file, line)
        step = RateStep(rate, _duration(fields["duration"], file, line), rate)
    else:
        fields = _fields(body, ("from", "to", "duration"), (), file, line)
        step = RateStep(_rate(fields["to"], file, line),
                        _duration(fields["duration"], file, line),
                        _rate(fields["from"], file, line))  # fmt: skip
    return _schedule((step,), users, file, line)


def _schedule(steps: tuple[RateStep, ...], users: int | None, file: Path, line: int) -> Schedule:
    try:
        return Schedule(steps, users)
    except BadInput as exc:
        raise BadInput(exc.message, path=file, line=line, hint=exc.hint) from exc


def _fields(
    item: Any, required: tuple[str, ...], optional: tuple[str, ...], file: Path, line: int
) -> dict[str, Any]:
    example = "{" + ", ".join(f"{k}: ..." for k in required) + "}"
    if not isinstance(item, dict):
        raise BadInput(f"expected a mapping like {example}", path=file, line=line)
    extra = [k for k in keys(item) if k not in (*required, *optional)]
    if extra:
        raise BadInput(f"unknown key {extra[0]!r}", path=file, line=line,
                       hint=f"use {', '.join((*required, *optional))}")  # fmt: skip
    missing = [k for k in required if k not in item]
    if missing:
        raise BadInput(f"missing {missing[0]!r}", path=file, line=line, hint=f"e.g. {example}")
    return {k: item[k] for k in keys(item)}


def _rate(value: Any, file: Path, line: int) -> float:
    try:
        return parse_rate(value)
    except BadInput as exc:
        raise BadInput(exc.message, path=file, line=line, hint=exc.hint) from exc


def _duration(value: Any, file: Path, line: int) -> float:
    try:
        return parse_duration(value)
    except BadInput as exc:
        raise BadInput(exc.message, path=file, line=line, hint=exc.hint) from exc
