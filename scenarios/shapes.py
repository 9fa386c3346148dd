"""Load shapes: how many users run when, as plain data (no Locust here).

A :class:`Shape` is a list of steps, each holding a user count for a duration, plus the rate
at which Locust starts or stops users between steps. The three kinds are views of that one
structure:

- ``steps``: a capacity ladder (HammerDB's autopilot: 1 2 4 8 12 16 20 24 users), the
  shape that draws the throughput and latency curves;
- ``constant``: one step;
- ``ramp``: one step reached slowly; the spawn rate is ``users / duration`` so that Locust
  adds users evenly over the whole step.

Shapes travel to the Locust process as JSON (:meth:`Shape.to_json`,
:meth:`Shape.from_json`) and come from the command line (:func:`shape_from_args`) or a YAML
file (:func:`load_shape_file`)::

    spawn_rate: 5          # users started per second between steps (optional)
    steps:
      - {users: 5, duration: 20s}
      - {users: 10, duration: 20s}

>>> shape_from_args("constant", users=3, duration="1m").total_duration()
60.0
>>> [s.users for s in shape_from_args("steps", users=24, duration="8m").steps]
[1, 2, 4, 8, 12, 16, 20, 24]
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from erpcap.errors import BadInput
from erpcap.scenarios._yaml import LINE_KEY as _LINE_KEY
from erpcap.scenarios._yaml import load_yaml

#: The shape kinds, in the order the help text lists them.
KINDS = ("steps", "constant", "ramp")

#: Users started per second between steps when the input does not say.
DEFAULT_SPAWN_RATE = 10.0

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|h|m|s)?", re.IGNORECASE)
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, None: 1.0}


def parse_duration(value: str | float | int, *, what: str = "duration") -> float:
    """A duration in seconds from ``90``, ``"90s"``, ``"2m"``, ``"1h"`` or ``"1m30s"``.

    >>> parse_duration("90"), parse_duration("2m"), parse_duration("1h"), parse_duration("1m30s")
    (90.0, 120.0, 3600.0, 90.0)
    >>> parse_duration("soon")
    Traceback (most recent call last):
    erpcap.errors.BadInput: duration 'soon' is not a duration (write e.g. 90, 90s, 2m or 1h)
    """
    if isinstance(value, bool):
        raise BadInput(f"{what} {value!r} is not a duration", hint="write e.g. 90, 90s, 2m or 1h")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip().replace(" ", "")
        pos, seconds, units_seen = 0, 0.0, 0
        while pos < len(text):
            match = _DURATION.match(text, pos)
            if match is None:
                break
            unit = match.group(2).lower() if match.group(2) else None
            if unit is None and (pos != 0 or match.end() != len(text)):
                break  # a number without a unit must be the whole text
            seconds += float(match.group(1)) * _UNIT_S[unit]
            units_seen += 1
            pos = match.end()
        if not text or pos != len(text) or units_seen == 0:
            raise BadInput(
                f"{what} {str(value)!r} is not a duration", hint="write e.g. 90, 90s, 2m or 1h"
            )
    if not math.isfinite(seconds) or seconds <= 0:
        raise BadInput(f"{what} must be more than 0 seconds, got {value!r}")
    return seconds


def ladder(top: int) -> list[int]:
    """User counts of a capacity ladder up to ``top``, HammerDB-style, at most 8 steps.

    Doubling from 1 up to 8 users, then even increments to ``top`` (rounded).

    >>> ladder(24)
    [1, 2, 4, 8, 12, 16, 20, 24]
    >>> ladder(6)
    [1, 2, 4, 6]
    >>> ladder(100)
    [1, 2, 4, 8, 31, 54, 77, 100]
    """
    if top < 1:
        raise BadInput(f"users must be at least 1, got {top}")
    if top <= 8:
        return [n for n in (1, 2, 4) if n < top] + [top]
    tail = (round(8 + (top - 8) * i / 4) for i in range(1, 5))
    return sorted({1, 2, 4, 8, *tail})


@dataclass(frozen=True)
class Step:
    """``users`` running for ``duration_s`` seconds."""

    users: int
    duration_s: float


@dataclass(frozen=True)
class Shape:
    """A load shape: steps of user counts, and the spawn rate between them (users/s)."""

    kind: str
    steps: tuple[Step, ...]
    spawn_rate: float = DEFAULT_SPAWN_RATE

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise BadInput(
                f"unknown shape kind {self.kind!r}", hint=f"use one of: {', '.join(KINDS)}"
            )
        if not self.steps:
            raise BadInput("a shape needs at least one step")
        for step in self.steps:
            if step.users < 0:
                raise BadInput(f"users must be 0 or more, got {step.users}")
            if not step.duration_s > 0:
                raise BadInput(f"step duration must be more than 0 seconds, got {step.duration_s}")
        if not self.spawn_rate > 0:
            raise BadInput(f"spawn rate must be more than 0 users/s, got {self.spawn_rate}")

    def total_duration(self) -> float:
        """Seconds from the start of the first step to the end of the last.

        >>> Shape("steps", (Step(1, 10.0), Step(2, 20.0))).total_duration()
        30.0
        """
        return float(sum(step.duration_s for step in self.steps))

    def max_users(self) -> int:
        """The highest user count of any step."""
        return max(step.users for step in self.steps)

    def step_at(self, elapsed_s: float) -> tuple[int, Step] | None:
        """The 1-based number and the step running ``elapsed_s`` after the start, or None.

        >>> Shape("steps", (Step(1, 10.0), Step(2, 20.0))).step_at(12.5)
        (2, Step(users=2, duration_s=20.0))
        >>> Shape("steps", (Step(1, 10.0),)).step_at(10.0) is None
        True
        """
        end = 0.0
        for number, step in enumerate(self.steps, start=1):
            end += step.duration_s
            if elapsed_s < end:
                return number, step
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the form stored in run.json and passed to Locust)."""
        return {
            "kind": self.kind,
            "spawn_rate": self.spawn_rate,
            "steps": [{"users": s.users, "duration_s": s.duration_s} for s in self.steps],
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Shape:
        """The inverse of :meth:`to_dict`."""
        try:
            steps = tuple(Step(int(s["users"]), float(s["duration_s"])) for s in doc["steps"])
            return cls(str(doc["kind"]), steps, float(doc.get("spawn_rate", DEFAULT_SPAWN_RATE)))
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInput(f"not a shape document: {exc!r}") from exc

    def to_json(self) -> str:
        """One line of JSON.

        >>> Shape.from_json(Shape("constant", (Step(3, 5.0),)).to_json())
        Shape(kind='constant', steps=(Step(users=3, duration_s=5.0),), spawn_rate=10.0)
        """
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Shape:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f"shape is not valid JSON: {exc.msg}") from exc
        if not isinstance(doc, dict):
            raise BadInput("shape JSON must be an object")
        return cls.from_dict(doc)


def steps_shape(steps: Sequence[tuple[int, float]], spawn_rate: float | None = None) -> Shape:
    """A capacity ladder from ``(users, duration_s)`` pairs."""
    return Shape(
        "steps",
        tuple(Step(int(u), float(d)) for u, d in steps),
        DEFAULT_SPAWN_RATE if spawn_rate is None else float(spawn_rate),
    )


def constant_shape(users: int, duration_s: float, spawn_rate: float | None = None) -> Shape:
    """``users`` for ``duration_s`` seconds."""
    rate = DEFAULT_SPAWN_RATE if spawn_rate is None else float(spawn_rate)
    return Shape("constant", (Step(int(users), float(duration_s)),), rate)


def ramp_shape(users: int, duration_s: float) -> Shape:
    """From 0 to ``users`` evenly over ``duration_s`` seconds."""
    return Shape("ramp", (Step(int(users), float(duration_s)),), max(users, 1) / duration_s)


def shape_from_args(
    name: str | None = None,
    *,
    users: int | None = None,
    duration: str | float | None = None,
    spawn_rate: float | None = None,
) -> Shape:
    """The shape the command line asks for: a kind with ``--users``/``--duration``, or a file.

    ``name`` is a kind (``steps``, ``constant``, ``ramp``; default ``constant``) or the path
    of a YAML shape file. For ``steps``, ``users`` is the top of a :func:`ladder` and
    ``duration`` the total run time, shared equally by the steps. Defaults: 10 users, 60 s.
    """
    kind = name or "constant"
    if kind not in KINDS:
        path = Path(kind)
        if path.suffix.lower() in (".yaml", ".yml", ".json") or path.exists():
            return load_shape_file(path, spawn_rate=spawn_rate)
        raise BadInput(
            f"unknown shape {kind!r}", hint=f"use one of: {', '.join(KINDS)}, or a YAML file"
        )
    top = 10 if users is None else int(users)
    if top < 1:
        raise BadInput(f"--users must be at least 1, got {top}")
    total = parse_duration(60 if duration is None else duration, what="--duration")
    if kind == "constant":
        return constant_shape(top, total, spawn_rate)
    if kind == "ramp":
        return ramp_shape(top, total)
    counts = ladder(top)
    return steps_shape([(n, total / len(counts)) for n in counts], spawn_rate)


# -- YAML files ---------------------------------------------------------------------------


def load_shape_file(path: str | Path, *, spawn_rate: float | None = None) -> Shape:
    """Read a shape from YAML; errors name the file and line.

    Accepted forms: ``steps: [{users, duration}, ...]``, ``constant: {users, duration}``,
    ``ramp: {users, duration}``, each with an optional top-level ``spawn_rate``.
    """
    file = Path(path)
    doc = load_yaml(file, "shape")
    if not isinstance(doc, dict):
        raise BadInput("expected a mapping with 'steps', 'constant' or 'ramp'", path=file, line=1)
    top_line = int(doc.get(_LINE_KEY, 1))
    kinds = [k for k in KINDS if k in doc]
    unknown = sorted(str(k) for k in doc if k not in (*KINDS, "spawn_rate", "kind", _LINE_KEY))
    if unknown:
        raise BadInput(
            f"unknown key {unknown[0]!r}",
            path=file,
            line=top_line,
            hint="use steps, constant or ramp, and optionally spawn_rate",
        )
    if len(kinds) != 1:
        raise BadInput(
            "expected exactly one of 'steps', 'constant' or 'ramp'", path=file, line=top_line
        )
    kind = kinds[0]
    rate = spawn_rate
    if rate is None and "spawn_rate" in doc:
        rate = _number(doc["spawn_rate"], "spawn_rate", file, top_line)
    body = doc[kind]
    try:
        if kind == "steps":
            if not isinstance(body, list) or not body:
                raise BadInput("'steps' must be a non-empty list", path=file, line=top_line)
            pairs = [_step(item, file, top_line) for item in body]
            return steps_shape(pairs, rate)
        users, seconds = _step(body, file, top_line)
        if kind == "constant":
            return constant_shape(users, seconds, rate)
        return ramp_shape(users, seconds)
    except BadInput as exc:
        if exc.path is None:
            raise BadInput(exc.message, path=file, line=top_line, hint=exc.hint) from exc
        raise


def _step(item: Any, file: Path, default_line: int) -> tuple[int, float]:
    if not isinstance(item, dict):
        raise BadInput(
            "each step must be a mapping like {users: 5, duration: 20s}",
            path=file,
            line=default_line,
        )
    line = int(item.get(_LINE_KEY, default_line))
    extra = sorted(str(k) for k in item if k not in ("users", "duration", _LINE_KEY))
    if extra:
        raise BadInput(
            f"unknown key {extra[0]!r} in step", path=file, line=line, hint="use users and duration"
        )
    if "users" not in item or "duration" not in item:
        missing = "users" if "users" not in item else "duration"
        raise BadInput(f"step is missing {missing!r}", path=file, line=line)
    users = item["users"]
    if isinstance(users, bool) or not isinstance(users, int) or users < 0:
        raise BadInput(
            f"users must be a whole number, 0 or more, got {users!r}", path=file, line=line
        )
    try:
        seconds = parse_duration(item["duration"])
    except BadInput as exc:
        raise BadInput(exc.message, path=file, line=line, hint=exc.hint) from exc
    return users, seconds


def _number(value: Any, what: str, file: Path, line: int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise BadInput(f"{what} must be a number above 0, got {value!r}", path=file, line=line)
    return float(value)
