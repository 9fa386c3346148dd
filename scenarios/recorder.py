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
(e.g. ``insufficient_stock``).

With ``--processes`` the master process does not send requests; every worker records its own
parts, and learns the total user count from the master through the ``erpcap_users``
message, sent every second (each worker only knows its own users).
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import gevent

from erpcap.rundir import RunDir
from erpcap.scenarios.catalog import group_of

log = logging.getLogger("erpcap.recorder")

#: Seconds between flushes of the buffered rows to a part file.
FLUSH_EVERY_S = 2.0

#: Longest error text kept per row, in characters.
MAX_ERROR_CHARS = 500

USERS_MESSAGE = "erpcap_users"


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
        self._flush_every_s = flush_every_s
        self._worker = worker_id()
        self._environment: Any = None
        self._total_users: int | None = None  # from the master, when this is a worker
        self._loop: gevent.Greenlet | None = None

    @property
    def rows_written(self) -> int:
        return self._writer.rows_written

    # -- wiring -----------------------------------------------------------------------------

    def attach(self, environment: Any) -> None:
        """Listen to ``environment``'s events and start the flush greenlet."""
        self._environment = environment
        events = environment.events
        events.request.add_listener(self.on_request)
        events.test_stop.add_listener(self._on_stop)
        events.quitting.add_listener(self._on_stop)
        events.quit.add_listener(self._on_quit)
        runner = environment.runner
        if runner is not None and type(runner).__name__ == "WorkerRunner":
            runner.register_message(USERS_MESSAGE, self._on_users_message)
        self._loop = gevent.spawn(self._flush_loop)

    def _on_users_message(self, environment: Any, msg: Any, **_: Any) -> None:
        try:
            self._total_users = int(msg.data)
        except (TypeError, ValueError):
            return

    def _flush_loop(self) -> None:
        while True:
            gevent.sleep(self._flush_every_s)
            self.flush()

    def _on_stop(self, **_: Any) -> None:
        self.flush()

    def _on_quit(self, **_: Any) -> None:
        if self._loop is not None:
            self._loop.kill(block=False)
        self.flush()

    def flush(self) -> int:
        """Write buffered rows as one part file; never raises (a lost part is logged)."""
        try:
            return self._writer.flush()
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
        """The ``request`` listener: buffer one row."""
        self._writer.append(
            request_row(
                request_type=request_type,
                name=name,
                response_time_ms=response_time,
                response_length=response_length,
                status_code=getattr(response, "status_code", 0) if response is not None else 0,
                context=context or {},
                exception=exception,
                start_time=start_time,
                users=self.current_users(),
                worker=self._worker,
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
    the delay between the intended and the actual start (0 in the closed model).

    >>> row = request_row(request_type="GET", name="check_availability", response_time_ms=12.5,
    ...     response_length=90, status_code=200, context={"user_class": "OrderEntryUser"},
    ...     exception=None, start_time=1_700_000_000.0, users=3, worker="h:1")
    >>> row["group"], row["service_us"], row["latency_us"], row["ok"], row["error"]
    ('query', 12500, 12500, True, None)
    """
    service_us = max(0, round((response_time_ms or 0.0) * 1000.0))
    if start_time is not None:
        start = datetime.fromtimestamp(start_time, UTC)
    else:
        start = (now or datetime.now(UTC)) - timedelta(microseconds=service_us)
    intended_ts = context.get("intended_start")
    intended = start
    if isinstance(intended_ts, int | float):
        intended = min(start, datetime.fromtimestamp(float(intended_ts), UTC))
    delay_us = round((start - intended).total_seconds() * 1_000_000)
    if exception is not None:
        error: str | None = _error_text(exception)
    else:
        outcome = context.get("outcome")
        error = str(outcome) if outcome else None
    return {
        "intended_start": intended,
        "start": start,
        "name": str(name),
        "group": group_of(str(name)),
        "user_class": str(context.get("user_class", "")),
        "method": str(request_type),
        "status_code": int(status_code or 0),
        "ok": exception is None,
        "latency_us": service_us + delay_us,
        "service_us": service_us,
        "bytes": int(response_length or 0),
        "users": int(users),
        "worker": worker,
        "error": error,
    }


def _error_text(exception: BaseException) -> str:
    text = str(exception) or type(exception).__name__
    # Locust wraps failure messages as CatchResponseError('...'); the text is what we set.
    return text[:MAX_ERROR_CHARS]


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
