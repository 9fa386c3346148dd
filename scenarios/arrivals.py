"""The open model inside the Locust process: pool users send the arrivals of one clock.

Imports gevent but not Locust (like the recorder): the locustfile hands it Locust's events.

With ``--rate`` (``ERPCAP_RATE``) the locustfile hands every user class to
:func:`open_model`, whatever the class is (erpcap's role users, declarative users, the user's
own locustfile classes, untouched otherwise). Each class's ``wait_time`` is replaced: a user
that finishes a transaction takes the next arrival of the process's
:class:`~erpcap.scenarios.arrival_clock.ArrivalClock` and sleeps until it is due, so
transactions start on schedule whatever the responses do; ``on_start`` is wrapped so that a
user's first transaction waits for an arrival too. A ``TaskSet`` with its own
``wait_time`` keeps it (and is then not paced).

Intended start: the ``wait_time`` replacement notes the arrival's due time for the current
greenlet (the user's), and the request recorder, through its ``intended_start`` hook, gives
it to the first request that greenlet sends; later requests of the same transaction start
when sent. Every request of a rate run is ``paced``: judged by its latency from the intended
start (analysis/latency.py ``with_response``).

Counts: a ``dropped`` event each second in which arrivals were dropped (``dropped``, and
``steps`` by step number), and at the end one ``arrivals`` event per process with the
totals (``intended``, ``sent``, ``dropped``, ``steps``); the pipeline sums them into
run.json's ``arrivals``.

Workers (``--workers N``, Locust's ``--processes``; or ``--master``): the master runs only
the shape; each worker runs the schedule times 1 / (the expected worker count) from its own
clock (seeded with its ``worker_index``), and Locust spreads the pool over the workers. The
sum of independent Poisson streams is the Poisson stream of the whole rate.
"""

from __future__ import annotations

import logging
import random
import time
import weakref
from collections.abc import Iterable
from typing import Any

import gevent

from erpcap.rundir import RunDir
from erpcap.scenarios.arrival_clock import DROP_AFTER_S, ArrivalClock
from erpcap.scenarios.launch import LoadSettings
from erpcap.scenarios.rate import Schedule
from erpcap.scenarios.recorder import worker_id

log = logging.getLogger("erpcap.arrivals")

#: Seconds a user sleeps once the schedule has no arrival left (Locust stops it first).
IDLE_S = 3600.0
#: Seconds between two checks for dropped arrivals (one ``dropped`` event at most each).
DROP_EVENT_EVERY_S = 1.0


class OpenModel:
    """The arrival clock of this process and its bookkeeping."""

    def __init__(self, schedule: Schedule, run: RunDir, seed: int | None) -> None:
        self.schedule = schedule
        self.run = run
        self.seed = seed
        self.share = 1.0  # this process's share of the rate
        self._clock: ArrivalClock | None = None
        self._pending: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
        self._environment: Any = None
        self._loop: gevent.Greenlet | None = None
        self._reported = False

    # -- the clock --------------------------------------------------------------------------

    def clock(self, now: float) -> ArrivalClock:
        """The clock, started at ``now`` if the test has not started it yet."""
        if self._clock is None:
            self.start(now)
        assert self._clock is not None
        return self._clock

    def start(self, now: float) -> None:
        runner = getattr(self._environment, "runner", None)
        index = 0
        if runner is not None and type(runner).__name__ == "WorkerRunner":
            options = getattr(self._environment, "parsed_options", None)
            count = int(getattr(options, "expect_workers", 0) or 0) or int(
                getattr(options, "processes", 0) or 0
            )
            self.share = 1.0 / max(count, 1)
            index = max(int(getattr(runner, "worker_index", 0) or 0), 0)
        rng = random.Random(f"{self.seed}:{index}") if self.seed is not None else random.Random()
        self._clock = ArrivalClock(self.schedule.scaled(self.share), rng, start=now)

    def next_wait(self) -> float:
        """Take the next arrival for the current user: the seconds until it is due."""
        now = time.time()
        due = self.clock(now).take(now)
        if due is None:
            return IDLE_S
        self._pending[gevent.getcurrent()] = due
        return max(0.0, due - now)

    def intended_start(self, sent_at: float) -> float:
        """The recorder's hook: the due time of the arrival the current greenlet sends now,
        once (its first request); ``sent_at`` for every later request."""
        due = self._pending.pop(gevent.getcurrent(), None)
        return sent_at if due is None else due

    # -- the user classes -------------------------------------------------------------------

    def pace(self, classes: Iterable[type[Any]]) -> None:
        """Make every class's users take their transactions from the clock."""
        model = self

        def wait_time(user: Any) -> float:
            return model.next_wait()

        for cls in classes:
            cls.wait_time = wait_time
            original = cls.on_start
            if getattr(original, "erpcap_paced", False):
                continue  # inherited from a class already paced

            def on_start(user: Any, _original: Any = original) -> None:
                _original(user)
                due = model._pending.get(gevent.getcurrent())
                if due is None:  # on_start took no arrival itself: wait for one
                    gevent.sleep(model.next_wait())
                elif due > time.time():
                    gevent.sleep(due - time.time())

            on_start.erpcap_paced = True  # type: ignore[attr-defined]
            cls.on_start = on_start

    # -- Locust events ----------------------------------------------------------------------

    def on_init(self, environment: Any, **_: Any) -> None:
        if type(environment.runner).__name__ == "MasterRunner":
            return  # the master only runs the shape
        self._environment = environment
        environment.events.test_start.add_listener(self._on_test_start)
        environment.events.test_stop.add_listener(self._on_stop)
        environment.events.quitting.add_listener(self._on_stop)

    def _on_test_start(self, **_: Any) -> None:
        if self._clock is None:
            self.start(time.time())
        recorder = getattr(self._environment, "erpcap_recorder", None)
        if recorder is not None:
            recorder.intended_start = self.intended_start
            self.run = recorder.run  # a remote worker's events go to the master with its rows
        if self._loop is None:
            self._loop = gevent.spawn(self._drop_loop)

    def _drop_loop(self) -> None:
        while True:
            gevent.sleep(DROP_EVENT_EVERY_S)
            self.report_drops()

    def report_drops(self) -> None:
        """One ``dropped`` event with the arrivals dropped since the last one, if any."""
        if self._clock is None:
            return
        self._clock.expire(time.time())
        drops = self._clock.drain_drops()
        if drops:
            self._event(
                "dropped",
                dropped=sum(drops.values()),
                steps={str(k): v for k, v in drops.items()},
                worker=worker_id(),
            )

    def _on_stop(self, **_: Any) -> None:
        if self._reported or self._clock is None:
            return
        self._reported = True
        if self._loop is not None:
            self._loop.kill(block=False)
        self.report_drops()
        totals = self._clock.totals(time.time())
        self._event(
            "arrivals",
            **totals,
            share=round(self.share, 6),
            drop_after_s=DROP_AFTER_S,
            worker=worker_id(),
        )

    def _event(self, kind: str, **fields: Any) -> None:
        try:
            self.run.event(kind, **fields)
        except OSError:
            log.exception("could not write the %s event to %s", kind, self.run.path)


def with_rates(shape_class: type[Any], schedule: Schedule) -> type[Any]:
    """``shape_class`` whose ``step`` events also carry the step's ``rate`` (arrivals/s at
    its end), ``start_rate`` (at its start: they differ on a ramp) and ``pool``."""

    def _event(self: Any, kind: str, **fields: Any) -> None:
        number = fields.get("step")
        if kind == "step" and isinstance(number, int) and 0 < number <= len(schedule.steps):
            step = schedule.steps[number - 1]
            fields.update(rate=step.rate, start_rate=step.start_rate, pool=fields.get("users"))
        shape_class._event(self, kind, **fields)

    return type(shape_class.__name__, (shape_class,), {"_event": _event})


def open_model(
    settings: LoadSettings,
    run: RunDir,
    classes: Iterable[type[Any]],
    shape_class: type[Any],
    events: Any,
) -> type[Any]:
    """Pace ``classes`` on ``settings.rate`` and listen to Locust's ``events`` (its module of
    event hooks: this module imports gevent, not Locust, so that it is testable in-process);
    return the shape class to use (``shape_class`` with the rates in its step events)."""
    assert settings.rate is not None
    schedule = Schedule.from_json(settings.rate)
    model = OpenModel(schedule, run, settings.seed)
    model.pace(classes)
    events.init.add_listener(model.on_init)
    return with_rates(shape_class, schedule)
