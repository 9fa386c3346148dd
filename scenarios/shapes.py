"""Load shapes: how many users run when, as plain data (no Locust here).

A :class:`Shape` is a list of steps, each holding a user count for a duration, plus the rate
at which Locust starts or stops users between steps. The kinds are views of that one
structure:

- ``steps``: a capacity ladder (HammerDB's autopilot: 1 2 4 8 12 16 20 24 users), the
  shape that draws the throughput and latency curves; ``--duration`` is shared by the steps;
- ``ladder``: the same levels, each held long enough to be steady (:data:`LADDER_HOLD_S`
  per step unless ``--duration`` is given); with ``--stop-when`` it ends at the first step
  past the ceiling (:mod:`erpcap.scenarios.stop_when`);
- ``constant``: one step;
- ``ramp``: one step reached slowly; the spawn rate is ``users / duration`` so that Locust
  adds users evenly over the whole step;
- ``spike``: a base load, a sudden multiple of it (:data:`SPIKE_MULTIPLE`), then the base
  again; the jump is spawned within about a second;
- ``soak``: one long step (hours); its part files are compacted while it runs
  (:mod:`erpcap.compaction`);
- ``mixed-day``: a working day compressed into ``--duration`` (:data:`DAY_PHASES`): each
  step names the user classes that run in it (the ``mixed-day`` scenario's roles).

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
>>> shape_from_args("ladder", users=8).total_duration()  # 4 levels held 60 s each
240.0
>>> [(s.users, s.duration_s) for s in shape_from_args("spike", users=4, duration="100s").steps]
[(4, 40.0), (20, 20.0), (4, 40.0)]
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
from erpcap.scenarios.catalog import ROLES, Scenario

#: The shape kinds, in the order the help text lists them.
KINDS = ("steps", "ladder", "constant", "ramp", "spike", "soak", "mixed-day")
#: The kinds a YAML shape file may hold (``mixed-day`` comes only with its scenario).
FILE_KINDS = ("steps", "ladder", "constant", "ramp", "spike", "soak")

#: Users started per second between steps when the input does not say.
DEFAULT_SPAWN_RATE = 10.0
#: Seconds each level of a ``ladder`` is held when ``--duration`` is not given: long enough
#: for a steady step after its warm-up (10 s, erpcap/warmup.py) at real think times.
LADDER_HOLD_S = 60.0
#: ``spike``: the jump as a multiple of the base users, and its share of the duration (in
#: the middle) when not given.
SPIKE_MULTIPLE = 5.0
SPIKE_SHARE = 0.2
#: ``soak``: the duration when ``--duration`` is not given.
SOAK_DEFAULT_S = 4 * 3600.0


@dataclass(frozen=True)
class Phase:
    """A part of the ``mixed-day`` shape: a share of the duration and of ``--users``, and
    the roles (keys of :data:`~erpcap.scenarios.catalog.ROLES`) that work in it."""

    name: str
    share: float
    users_share: float
    roles: tuple[str, ...]


#: A working day in three phases, compressed into ``--duration``: the morning order peak
#: (every user, order entry, warehouse and integration), afternoon queries (60 % of the
#: users: managers and quality), the evening close batch (30 %: accounting and batch).
DAY_PHASES = (
    Phase("morning orders", 0.40, 1.0, ("order_entry", "warehouse", "integration")),
    Phase("afternoon queries", 0.35, 0.6, ("manager", "qa")),
    Phase("evening close", 0.25, 0.3, ("accounting", "batch")),
)

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
    """``users`` running for ``duration_s`` seconds; ``classes``, when not empty, the names
    of the only Locust user classes that run in it (``mixed-day``), ``phase`` its name."""

    users: int
    duration_s: float
    classes: tuple[str, ...] = ()
    phase: str = ""


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

        >>> Shape("steps", (Step(1, 10.0), Step(2, 20.0))).step_at(12.5)[0]
        2
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
            "steps": [_step_dict(s) for s in self.steps],
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Shape:
        """The inverse of :meth:`to_dict`."""
        try:
            steps = tuple(
                Step(
                    int(s["users"]),
                    float(s["duration_s"]),
                    tuple(str(c) for c in s.get("classes") or ()),
                    str(s.get("phase") or ""),
                )
                for s in doc["steps"]
            )
            return cls(str(doc["kind"]), steps, float(doc.get("spawn_rate", DEFAULT_SPAWN_RATE)))
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInput(f"not a shape document: {exc!r}") from exc

    def to_json(self) -> str:
        """One line of JSON.

        >>> Shape.from_json(Shape("constant", (Step(3, 5.0),)).to_json()).steps
        (Step(users=3, duration_s=5.0, classes=(), phase=''),)
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


def _step_dict(step: Step) -> dict[str, Any]:
    doc: dict[str, Any] = {"users": step.users, "duration_s": step.duration_s}
    if step.classes:
        doc["classes"] = list(step.classes)
    if step.phase:
        doc["phase"] = step.phase
    return doc


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


def ladder_shape(
    levels: Sequence[int], hold_s: float = LADDER_HOLD_S, spawn_rate: float | None = None
) -> Shape:
    """The capacity ladder: each of ``levels`` (user counts) held ``hold_s`` seconds.

    >>> [(s.users, s.duration_s) for s in ladder_shape(ladder(4), 30.0).steps]
    [(1, 30.0), (2, 30.0), (4, 30.0)]
    """
    rate = DEFAULT_SPAWN_RATE if spawn_rate is None else float(spawn_rate)
    return Shape("ladder", tuple(Step(int(n), float(hold_s)) for n in levels), rate)


def spike_shape(
    users: int,
    duration_s: float,
    *,
    multiple: float = SPIKE_MULTIPLE,
    at_s: float | None = None,
    hold_s: float | None = None,
    spawn_rate: float | None = None,
) -> Shape:
    """``users`` for ``duration_s`` seconds, with ``users × multiple`` from ``at_s`` for
    ``hold_s`` seconds (default: :data:`SPIKE_SHARE` of the duration, in the middle).

    The spawn rate defaults to the jump itself per second, so the spike arrives at once.
    """
    if not multiple > 1:
        raise BadInput(f"the spike's multiple must be more than 1, got {multiple:g}")
    hold = SPIKE_SHARE * duration_s if hold_s is None else float(hold_s)
    at = (duration_s - hold) / 2 if at_s is None else float(at_s)
    if at <= 0 or at + hold >= duration_s:
        raise BadInput(
            f"the spike (at {at:g} s for {hold:g} s) must start after 0 s and end before the "
            f"duration, {duration_s:g} s",
            hint="shorten the spike or lengthen the duration",
        )
    top = max(int(round(users * multiple)), users + 1)
    rate = float(max(DEFAULT_SPAWN_RATE, top - users)) if spawn_rate is None else spawn_rate
    steps = (Step(users, at), Step(top, hold), Step(users, duration_s - at - hold))
    return Shape("spike", steps, rate)


def soak_shape(users: int, duration_s: float, spawn_rate: float | None = None) -> Shape:
    """A long constant load: ``users`` for ``duration_s`` seconds (hours)."""
    rate = DEFAULT_SPAWN_RATE if spawn_rate is None else float(spawn_rate)
    return Shape("soak", (Step(int(users), float(duration_s)),), rate)


def day_shape(users: int, duration_s: float, spawn_rate: float | None = None) -> Shape:
    """:data:`DAY_PHASES` compressed into ``duration_s``: one step per phase, with its share
    of ``users`` (at least 1) and the user classes of its roles.

    >>> [(s.users, s.duration_s, s.classes) for s in day_shape(10, 100.0).steps][2]
    (3, 25.0, ('AccountingUser', 'BatchUser'))
    """
    rate = DEFAULT_SPAWN_RATE if spawn_rate is None else float(spawn_rate)
    steps = tuple(
        Step(
            max(1, int(round(users * phase.users_share))),
            duration_s * phase.share,
            tuple(ROLES[role].class_name for role in phase.roles),
            phase.name,
        )
        for phase in DAY_PHASES
    )
    return Shape("mixed-day", steps, rate)


def shape_from_args(
    name: str | None = None,
    *,
    users: int | None = None,
    duration: str | float | None = None,
    spawn_rate: float | None = None,
) -> Shape:
    """The shape the command line asks for: a kind with ``--users``/``--duration``, or a file.

    ``name`` is a kind (:data:`KINDS`; default ``constant``) or the path of a YAML shape
    file. For ``steps``, ``users`` is the top of a :func:`ladder` and ``duration`` the total
    run time, shared equally by the steps; ``ladder`` holds each level :data:`LADDER_HOLD_S`
    unless ``duration`` is given (then shared equally too). For ``spike``, ``users`` is the
    base. Defaults: 10 users, 60 s (``soak``: :data:`SOAK_DEFAULT_S`).
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
    if kind == "ladder":
        levels = ladder(top)
        hold = LADDER_HOLD_S
        if duration is not None:
            hold = parse_duration(duration, what="--duration") / len(levels)
        return ladder_shape(levels, hold, spawn_rate)
    default = SOAK_DEFAULT_S if kind == "soak" else 60
    total = parse_duration(default if duration is None else duration, what="--duration")
    if kind == "constant":
        return constant_shape(top, total, spawn_rate)
    if kind == "ramp":
        return ramp_shape(top, total)
    if kind == "spike":
        return spike_shape(top, total, spawn_rate=spawn_rate)
    if kind == "soak":
        return soak_shape(top, total, spawn_rate)
    if kind == "mixed-day":
        return day_shape(top, total, spawn_rate)
    counts = ladder(top)
    return steps_shape([(n, total / len(counts)) for n in counts], spawn_rate)


def check_shape_fits(shape: Shape, scenario: Scenario, *, stop_when: str | None = None) -> None:
    """Refuse, before anything starts, a shape the run cannot follow: one that names user
    classes the scenario lacks (``mixed-day`` with another scenario), or ``--stop-when``
    on a shape with a single step (there is no step to stop before).

    >>> from erpcap.scenarios.catalog import get_scenario
    >>> check_shape_fits(day_shape(5, 60.0), get_scenario("query"))
    Traceback (most recent call last):
    erpcap.errors.BadInput: the mixed-day shape runs user classes that scenario 'query' does not have: AccountingUser, BatchUser, IntegrationUser, ManagerUser, WarehouseUser (use --scenario mixed-day, or another shape)
    """
    named = {name for step in shape.steps for name in step.classes}
    if named:
        have = (
            {ROLES[m.role].class_name for m in scenario.users}
            if scenario.kind == "roles"
            else set()
        )
        missing = sorted(named - have)
        if missing:
            raise BadInput(
                f"the {shape.kind} shape runs user classes that scenario {scenario.name!r} "
                f"does not have: {', '.join(missing)}",
                hint=f"use --scenario {shape.kind}, or another shape",
            )
    if stop_when and len(shape.steps) < 2:
        raise BadInput(
            f"--stop-when needs a shape with several steps; {shape.kind} has one",
            hint="use --shape ladder (or steps, spike, a YAML file with steps)",
        )


# -- YAML files ---------------------------------------------------------------------------


def load_shape_file(path: str | Path, *, spawn_rate: float | None = None) -> Shape:
    """Read a shape from YAML; errors name the file and line.

    Accepted forms, each with an optional top-level ``spawn_rate``::

        steps: [{users: 5, duration: 20s}, ...]
        constant: {users: 10, duration: 5m}
        ramp: {users: 50, duration: 5m}
        ladder: {users: 24, hold: 1m}          # or levels: [1, 5, 10]; duration: instead of hold
        spike: {users: 10, multiple: 5, at: 2m, hold: 30s, duration: 6m}
        soak: {users: 20, duration: 8h}
    """
    file = Path(path)
    doc = load_yaml(file, "shape")
    kinds_text = ", ".join(FILE_KINDS)
    if not isinstance(doc, dict):
        raise BadInput(f"expected a mapping with one of {kinds_text}", path=file, line=1)
    top_line = int(doc.get(_LINE_KEY, 1))
    kinds = [k for k in FILE_KINDS if k in doc]
    unknown = sorted(str(k) for k in doc if k not in (*FILE_KINDS, "spawn_rate", "kind", _LINE_KEY))
    if unknown:
        raise BadInput(
            f"unknown key {unknown[0]!r}",
            path=file,
            line=top_line,
            hint=f"use one of {kinds_text}, and optionally spawn_rate",
        )
    if len(kinds) != 1:
        raise BadInput(f"expected exactly one of {kinds_text}", path=file, line=top_line)
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
        if kind == "ladder":
            return _ladder_body(body, file, top_line, rate)
        if kind == "spike":
            return _spike_body(body, file, top_line, rate)
        users, seconds = _step(body, file, top_line)
        if kind == "constant":
            return constant_shape(users, seconds, rate)
        if kind == "soak":
            return soak_shape(users, seconds, rate)
        return ramp_shape(users, seconds)
    except BadInput as exc:
        if exc.path is None:
            raise BadInput(exc.message, path=file, line=top_line, hint=exc.hint) from exc
        raise


def _body(
    body: Any, kind: str, allowed: tuple[str, ...], file: Path, default_line: int
) -> tuple[dict[str, Any], int]:
    """``body`` as a mapping with only ``allowed`` keys, and its line."""
    if not isinstance(body, dict):
        raise BadInput(f"'{kind}' must be a mapping", path=file, line=default_line)
    line = int(body.get(_LINE_KEY, default_line))
    extra = sorted(str(k) for k in body if k not in (*allowed, _LINE_KEY))
    if extra:
        raise BadInput(
            f"unknown key {extra[0]!r} in {kind}",
            path=file,
            line=line,
            hint=f"use {', '.join(allowed)}",
        )
    return body, line


def _users(value: Any, file: Path, line: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadInput(f"users must be a whole number above 0, got {value!r}", path=file, line=line)
    return value


def _seconds(body: dict[str, Any], key: str, file: Path, line: int) -> float | None:
    if key not in body:
        return None
    try:
        return parse_duration(body[key], what=key)
    except BadInput as exc:
        raise BadInput(exc.message, path=file, line=line, hint=exc.hint) from exc


def _ladder_body(body: Any, file: Path, top_line: int, rate: float | None) -> Shape:
    fields, line = _body(body, "ladder", ("users", "levels", "hold", "duration"), file, top_line)
    if ("users" in fields) == ("levels" in fields):
        raise BadInput("a ladder needs either users (the top) or levels", path=file, line=line)
    if "levels" in fields:
        levels = fields["levels"]
        if not isinstance(levels, list) or not levels:
            raise BadInput("levels must be a list of user counts", path=file, line=line)
        counts = [_users(n, file, line) for n in levels]
    else:
        counts = ladder(_users(fields["users"], file, line))
    hold, total = _seconds(fields, "hold", file, line), _seconds(fields, "duration", file, line)
    if hold is not None and total is not None:
        raise BadInput("give a ladder hold (per step) or duration (in all), not both",
                       path=file, line=line)  # fmt: skip
    if hold is None:
        hold = LADDER_HOLD_S if total is None else total / len(counts)
    return ladder_shape(counts, hold, rate)


def _spike_body(body: Any, file: Path, top_line: int, rate: float | None) -> Shape:
    allowed = ("users", "multiple", "at", "hold", "duration")
    fields, line = _body(body, "spike", allowed, file, top_line)
    if "users" not in fields or "duration" not in fields:
        missing = "users" if "users" not in fields else "duration"
        raise BadInput(f"spike is missing {missing!r}", path=file, line=line)
    multiple = fields.get("multiple", SPIKE_MULTIPLE)
    if isinstance(multiple, bool) or not isinstance(multiple, int | float):
        raise BadInput(f"multiple must be a number, got {multiple!r}", path=file, line=line)
    try:
        return spike_shape(
            _users(fields["users"], file, line),
            _seconds(fields, "duration", file, line) or 0.0,
            multiple=float(multiple),
            at_s=_seconds(fields, "at", file, line),
            hold_s=_seconds(fields, "hold", file, line),
            spawn_rate=rate,
        )
    except BadInput as exc:
        if exc.path is None:
            raise BadInput(exc.message, path=file, line=line, hint=exc.hint) from exc
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
