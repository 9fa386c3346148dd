"""The request recorder: one row per request into ``requests/part-*.parquet``.

Runs inside the Locust process only (it uses gevent and Locust's events, but imports no Locust
module itself: the locustfile hands it the ``Environment``). Listeners, as Locust 2.47 calls
them (``locust/event.py``; ``HttpSession.request`` fires ``request`` with these keywords):

- ``request(request_type, name, response_time, response_length, response, context,
  exception, start_time, url)``: ``response_time`` is in milliseconds (float),
  ``start_time`` is ``time.time()`` when the request was sent, ``exception`` is None for a
  success, ``context`` is the user's :meth:`context` merged with the call's ``context``;
- ``test_stop(environment)``, ``quitting(environment)`` (before the runner quits, e.g. on
  SIGTERM) and ``quit(exit_code)`` (the very end): each flushes the buffer.

Context keys the user classes set: ``user_class``; ``intended_start`` (epoch seconds) for
arrival-paced users; ``outcome`` for a business outcome recorded on a successful request
(e.g. ``insufficient_stock``); ``group``, the transaction group, when the user knows it (a
declarative scenario's ``group:``; else the catalogue's :func:`group_of` the name). Classes
that set no ``user_class`` (a user's own locustfile) get the class of the user whose greenlet
sent the request (:meth:`RequestRecorder.user_class_now`).

Active users: Locust fires ``request`` when a request *ends*, so the count then may already
be the next step's. The recorder keeps a timeline of the user count (sampled every 0.1 s and
at every request) and tags each row with the count at its intended start.

Stopping: with a shape class, Locust installs its own SIGTERM handler only after the shape
has finished, so a SIGTERM during the load would kill it at once, losing the rows not yet
flushed. :func:`stop_gracefully_on` installs a handler from the start: it stops the runner
(users get ``--stop-timeout`` to finish their request), which lets Locust shut down its
normal way, firing ``quitting`` and ``quit``, where the recorder flushes. Requests cut off
by the stop are counted: users that call through :meth:`RequestRecorder.in_flight` (erpcap's
own) are tracked, and an ``in_flight`` event records how many never finished.

With ``--processes`` the master process does not send requests; every worker records its own
parts, and learns the total user count from the master through the ``erpcap_users``
message, sent every second (each worker only knows its own users).
"""

from __future__ import annotations

import bisect
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from types import MappingProxyType
from typing import Any

import gevent

from erpcap.rundir import RunDir
from erpcap.scenarios.request_columns import NUMBERS, Entry, request_entry, requests_table

log = logging.getLogger("erpcap.recorder")

#: Seconds between flushes of the buffered rows to a part file.
FLUSH_EVERY_S = 2.0

USERS_MESSAGE = "erpcap_users"

#: Seconds between two samples of the active user count.
USERS_SAMPLE_S = 0.1

_NO_CONTEXT: MappingProxyType[str, Any] = MappingProxyType({})


def worker_id() -> str:
    """This process as ``hostname:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


class RequestRecorder:
    """Buffers request rows and flushes them to the run directory on a timer and at the end.

    ``attach`` wires it into a Locust ``Environment``; the other methods are plain Python and
    testable without Locust.
    """

    def __init__(self, run: RunDir, *, flush_every_s: float = FLUSH_EVERY_S) -> None:
        self._run = run
        self._writer = run.part_writer("requests")
        # Requests since the last flush, as plain tuples (request_columns.py; the table is
        # built at the flush). Greenlets of one process never run at once, so a plain list
        # needs no lock (the writer's lock, a gevent lock here, cost 2-3 µs a row).
        self._entries: list[Entry] = []
        self._flush_every_s = flush_every_s
        self._worker = worker_id()
        self._environment: Any = None
        self._total_users: int | None = None  # from the master, when this is a worker
        self._loop: gevent.Greenlet | None = None
        self._sampler: gevent.Greenlet | None = None
        # The user count over time: at _user_times[i] (epoch s) it became _user_counts[i].
        self._user_times: list[float] = []
        self._user_counts: list[int] = []
        self._in_flight = 0
        self._cut_off = 0  # requests whose user was stopped before they finished
        self._reported = False
        #: The open model's hook (scenarios/arrivals.py): given when a request was sent, its
        #: intended start (its arrival's due time), for user classes that do not say it.
        self.intended_start: Callable[[float], float] | None = None
        self._user_classes: frozenset[type[Any]] = frozenset()

    @property
    def rows_written(self) -> int:
        return self._writer.rows_written

    @property
    def run(self) -> RunDir:
        """Where its rows and events go (on a remote worker, the master: scenarios/remote.py)."""
        return self._run

    # -- wiring -----------------------------------------------------------------------------

    def attach(self, environment: Any) -> None:
        """Listen to ``environment``'s events and start the flush greenlet."""
        self._environment = environment
        self._user_classes = frozenset(getattr(environment, "user_classes", None) or ())
        events = environment.events
        events.request.add_listener(self.on_request)
        events.test_stop.add_listener(self._on_stop)
        events.quitting.add_listener(self._on_stop)
        events.quit.add_listener(self._on_quit)
        runner = environment.runner
        if runner is not None and type(runner).__name__ == "WorkerRunner":
            runner.register_message(USERS_MESSAGE, self._on_users_message)
        environment.erpcap_recorder = self  # users find it here for in_flight()
        self._loop = gevent.spawn(self._flush_loop)
        self._sampler = gevent.spawn(self._sample_loop)

    def _on_users_message(self, environment: Any, msg: Any, **_: Any) -> None:
        try:
            self._total_users = int(msg.data)
        except (TypeError, ValueError):
            return
        self.note_users()

    def _sample_loop(self) -> None:
        while True:
            self.note_users()
            gevent.sleep(USERS_SAMPLE_S)

    def note_users(self, now: float | None = None) -> int:
        """Add the current user count to the timeline (when it changed); return it."""
        count = self.current_users()
        if not self._user_counts or self._user_counts[-1] != count:
            self._user_times.append(time.time() if now is None else now)
            self._user_counts.append(count)
        return count

    def users_at(self, when: float) -> int:
        """The active user count at epoch second ``when``, from the timeline.

        Before the first sample, the first known count; with no timeline, the count now.
        Samples are :data:`USERS_SAMPLE_S` apart, so a request sent within that time after a
        change may carry the count before it.
        """
        if not self._user_counts:
            return self.current_users()
        if when >= self._user_times[-1]:  # most requests: since the last change
            return self._user_counts[-1]
        i = max(bisect.bisect_right(self._user_times, when) - 1, 0)
        # A request means a user was active: a 0 is a sample taken just before the spawn.
        if self._user_counts[i] == 0 and i + 1 < len(self._user_counts):
            i += 1
        return self._user_counts[i]

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        """Wrap one request: counts it as in flight, and as cut off if its user is killed."""
        self._in_flight += 1
        try:
            yield
        except BaseException as exc:
            if not isinstance(exc, Exception):  # GreenletExit: the user was stopped
                self._cut_off += 1
            raise
        finally:
            self._in_flight -= 1

    def report_in_flight(self) -> None:
        """Once, at the end: an ``in_flight`` event with the requests that never finished."""
        if self._reported:
            return
        self._reported = True
        lost = self._cut_off + self._in_flight
        try:
            self._run.event("in_flight", requests=lost, worker=self._worker)
        except OSError:
            log.exception("could not write the in_flight event to %s", self._run.path)

    def _flush_loop(self) -> None:
        while True:
            gevent.sleep(self._flush_every_s)
            self.flush()

    def _on_stop(self, **_: Any) -> None:
        self.flush()

    def _on_quit(self, **_: Any) -> None:
        for greenlet in (self._loop, self._sampler):
            if greenlet is not None:
                greenlet.kill(block=False)
        self.flush()
        self.report_in_flight()

    def flush(self) -> int:
        """Write buffered rows as one part file; never raises (a lost part is logged)."""
        entries, self._entries = self._entries, []
        if not entries:
            return 0
        try:
            return self._writer.write_table(requests_table(entries, self._worker))
        except Exception:  # a full disk must not kill the load test
            log.exception("could not write a requests part to %s", self._run.path)
            return 0

    # -- rows -------------------------------------------------------------------------------

    def current_users(self) -> int:
        """Active users now: the master's total on a worker, the runner's count otherwise."""
        if self._total_users is not None:
            return self._total_users
        runner = getattr(self._environment, "runner", None)
        return int(getattr(runner, "user_count", 0) or 0)

    def user_class_now(self) -> str:
        """The class name of the user running in this greenlet; "" when there is none.

        Locust spawns each user's greenlet with the user as its argument
        (``User.start``); a greenlet that a task spawned leads back to it through gevent's
        ``spawning_greenlet``.
        """
        greenlet: Any = gevent.getcurrent()
        for _ in range(8):  # a task's own greenlets, a few levels deep
            for arg in getattr(greenlet, "args", None) or ():
                if type(arg) in self._user_classes:
                    return type(arg).__name__
            parent = getattr(greenlet, "spawning_greenlet", None)
            greenlet = parent() if parent is not None else None
            if greenlet is None:
                break
        return ""

    def on_request(
        self,
        request_type: str,
        name: str,
        response_time: float | None,
        response_length: int | None = 0,
        response: Any = None,
        context: dict[str, Any] | None = None,
        exception: BaseException | None = None,
        start_time: float | None = None,
        **_: Any,
    ) -> None:
        """The ``request`` listener: buffer one request (built into rows at the flush)."""
        users = self.note_users()
        sent_at = start_time if start_time is not None else time.time()
        known: Mapping[str, Any] = context if context is not None else _NO_CONTEXT
        # No user_class: a class of the user's own locustfile.
        user_class = known["user_class"] if "user_class" in known else self.user_class_now()
        if self.intended_start is None or "intended_start" in known:
            due = known.get("intended_start")
        else:
            due = self.intended_start(sent_at)  # the open model
        began = float(due) if isinstance(due, NUMBERS) and due < sent_at else sent_at
        if began < self._user_times[-1]:  # sent before the last change of the user count
            users = self.users_at(began)
        self._entries.append(
            request_entry(
                request_type,
                name,
                response_time,
                response_length,
                getattr(response, "status_code", 0) if response is not None else 0,
                known,
                exception,
                start_time,
                users,
                user_class,
                due,
            )
        )


def request_row(
    *,
    request_type: str,
    name: str,
    response_time_ms: float | None,
    response_length: int | None,
    status_code: int | None,
    context: dict[str, Any],
    exception: BaseException | None,
    start_time: float | None,
    users: int,
    worker: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """One row of REQUESTS_SCHEMA from a Locust request event.

    ``service_us`` is Locust's response time (sent → response read); ``latency_us`` adds
    the delay between the intended and the actual start (0 in the closed model). The
    recorder builds the same rows many at a time (:mod:`erpcap.scenarios.request_columns`);
    this is one of them.

    >>> row = request_row(request_type="GET", name="check_availability", response_time_ms=12.5,
    ...     response_length=90, status_code=200, context={"user_class": "OrderEntryUser"},
    ...     exception=None, start_time=1_700_000_000.0, users=3, worker="h:1")
    >>> row["group"], row["service_us"], row["latency_us"], row["ok"], row["error"]
    ('query', 12500, 12500, True, None)
    >>> row["start"].timestamp(), row["intended_start"] == row["start"], row["paced"]
    (1700000000.0, True, False)
    """
    if start_time is None and now is not None:  # the response ended at ``now``
        start_time = now.timestamp() - max(0, round((response_time_ms or 0.0) * 1000.0)) / 1e6
    entry = request_entry(
        request_type,
        name,
        response_time_ms,
        response_length,
        status_code,
        context,
        exception,
        start_time,
        users,
        context.get("user_class", ""),
        context.get("intended_start"),
    )
    row: dict[str, Any] = requests_table([entry], worker).to_pylist()[0]
    return row


def stop_gracefully_on(environment: Any, signals: tuple[int, ...] = (signal.SIGTERM,)) -> None:
    """On ``signals``, stop the runner so that Locust shuts down its normal way.

    Locust (2.47, headless with a shape) installs its SIGTERM handler only after the shape
    greenlet has ended; until then the signal's default action kills the process, and the
    rows buffered since the last flush are lost. Stopping the runner ends the shape greenlet,
    and Locust's own shutdown follows (``quitting``, the summary, ``quit``).
    """

    def handler() -> None:
        runner = environment.runner
        log.info("erpcap: stop requested; stopping the users")
        recorder = getattr(environment, "erpcap_recorder", None)  # a master has none
        if recorder is not None:
            recorder.flush()
        if runner is not None:
            gevent.spawn(runner.quit)

    for sig in signals:
        gevent.signal_handler(sig, handler)


def broadcast_users(environment: Any, *, every_s: float = 1.0) -> gevent.Greenlet:
    """On a master: tell the workers the total user count, now and every ``every_s`` seconds.

    The master's ``user_count`` sums the workers' reports, which lag by about a second, so
    once spawning is complete the target count (exact by then) is sent instead, and
    ``spawning_complete`` sends the new total at once.
    """

    def send(count: int) -> None:
        runner = environment.runner
        if runner is not None and getattr(runner, "clients", None):
            try:
                runner.send_message(USERS_MESSAGE, int(count))
            except Exception:  # a worker that just left
                log.debug("could not broadcast the user count", exc_info=True)

    def on_spawning_complete(user_count: int, **_: Any) -> None:
        send(user_count)

    def loop() -> None:
        while True:
            gevent.sleep(every_s)
            runner = environment.runner
            if runner is not None:
                running = getattr(runner, "state", "") == "running"
                send(runner.target_user_count if running else runner.user_count)

    environment.events.spawning_complete.add_listener(on_spawning_complete)
    return gevent.spawn(loop)
