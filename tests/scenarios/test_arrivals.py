"""The open model's glue (scenarios/arrivals.py) with real gevent greenlets, no Locust: any
user class is paced, and each greenlet's first request gets its own arrival's due time."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import gevent

from erpcap.rundir import RunDir
from erpcap.scenarios.arrivals import OpenModel, with_rates
from erpcap.scenarios.rate import RateStep, Schedule

SCHEDULE = Schedule((RateStep(50.0, 5.0, 50.0), RateStep(80.0, 5.0, 50.0)), max_users=4)


class PlainUser:
    """A user class that knows nothing of erpcap (as in a user's own locustfile)."""

    started = 0

    def on_start(self) -> None:
        PlainUser.started += 1

    def wait_time(self) -> float:
        return 99.0  # replaced by the open model


class SubUser(PlainUser):
    pass


def _model(tmp_path: Path) -> OpenModel:
    return OpenModel(SCHEDULE, RunDir.create(tmp_path / "run"), seed=3)


def test_pace_replaces_wait_time_on_any_class(tmp_path: Path) -> None:
    model = _model(tmp_path)
    model.start(time.time())
    model.pace([PlainUser, SubUser])
    user = PlainUser()
    wait = user.wait_time()
    assert 0.0 <= wait < 5.0  # the next arrival, not the class's own 99 s
    # on_start runs the class's own, once (SubUser inherits the wrapper, not a second one)
    before = PlainUser.started
    SubUser().on_start()
    assert PlainUser.started == before + 1


def test_each_greenlet_gets_its_own_intended_start(tmp_path: Path) -> None:
    """Two users take arrivals in their own greenlets; each one's first request gets its own
    arrival's due time, later requests their own send time; the clock stays in order."""
    model = _model(tmp_path)
    model.start(time.time())
    model.pace([PlainUser])
    seen: dict[str, list[float]] = {}

    def user(name: str, sent_at: float) -> None:
        person = PlainUser()
        person.wait_time()
        first = model.intended_start(sent_at)
        second = model.intended_start(sent_at + 1.0)
        seen[name] = [first, second, sent_at]

    a = gevent.spawn(user, "a", 10.0**10)
    b = gevent.spawn(user, "b", 10.0**10)
    gevent.joinall([a, b], raise_error=True)
    (due_a, later_a, sent_a), (due_b, later_b, sent_b) = seen["a"], seen["b"]
    assert due_a < due_b < sent_a  # a took the first arrival, b the next one
    assert (later_a, later_b) == (sent_a + 1.0, sent_b + 1.0)
    assert model.intended_start(5.0) == 5.0  # this greenlet took no arrival


def test_stop_reports_the_arrivals(tmp_path: Path) -> None:
    model = _model(tmp_path)
    model.start(time.time() - 3.0)  # three seconds of arrivals are due, nobody took them
    model._on_stop()
    model._on_stop()  # once only
    events = [e for e in model.run.read_events() if e["kind"] in ("dropped", "arrivals")]
    assert [e["kind"] for e in events] == ["dropped", "arrivals"]
    dropped, totals = events
    assert totals["sent"] == 0 and totals["intended"] == totals["dropped"] > 100
    assert 0 < dropped["dropped"] < totals["dropped"]  # more than 1 s overdue; then the rest
    assert json.loads(json.dumps(totals["steps"]))[0]["step"] == 1


def test_step_events_carry_the_rate() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    class Shape:
        def _event(self, kind: str, **fields: Any) -> None:
            calls.append((kind, fields))

    shaped = with_rates(Shape, SCHEDULE)()
    shaped._event("step", step=2, users=4, duration_s=5.0)
    shaped._event("stop", reason="shape complete")
    assert calls[0] == ("step", {"step": 2, "users": 4, "duration_s": 5.0, "rate": 80.0,
                                 "start_rate": 50.0, "pool": 4})  # fmt: skip
    assert calls[1] == ("stop", {"reason": "shape complete"})
