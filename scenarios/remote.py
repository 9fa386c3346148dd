"""Inside Locust: remote workers ship their samples to the master, which writes the run.

Used by erpcap's locustfile (it imports no Locust module itself: the locustfile hands it the
``Environment``). Two ends, over Locust's own messaging (``runner.send_message`` /
``register_message``, the connection a worker already has to its master):

- on a remote worker (``erpcap worker``), :class:`ShippingRun` stands in for the run
  directory, which lives on the master's machine: the recorder's buffered rows (a table
  by then: :meth:`ShippingWriter.write_table`) are sent as one :data:`ROWS_MESSAGE` at every
  flush (every 2 s, and when the test stops), and its events
  (``in_flight``) as :data:`EVENT_MESSAGE`;
- on the master (``erpcap run --master``), :class:`WorkerCollector` writes the rows it
  receives as request parts of the run directory, each row still naming its worker
  (``host:pid`` of the worker's Locust process), writes the workers' events (each worker
  announces itself with ``worker_joined``), and records each worker lost mid-run (``worker_lost``: missed
  heartbeats — killed, or its machine or network gone — or quit before the end).

A lost worker's rows recorded since its last shipment (at most one flush interval) never
reach the master; the ``worker_lost`` event says so.

Locust's messages are msgpack: timestamps travel as integer microseconds since the epoch.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gevent
import gevent.event
import pyarrow as pa

from erpcap import __version__
from erpcap.rundir import PartWriter, RunDir, _schema, iso
from erpcap.scenarios.distribute import ENV_WORKER_SPOOL
from erpcap.scenarios.recorder import RequestRecorder, worker_id

log = logging.getLogger("erpcap.remote")

ROWS_MESSAGE = "erpcap_rows"
EVENT_MESSAGE = "erpcap_event"
#: Seconds between two looks at the master's workers (joined, missing, gone).
WATCH_EVERY_S = 0.5
#: Locust marks a worker missing after this many heartbeats (1 s apart) did not come.
_MISSED_HEARTBEATS = 3

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def is_remote_worker(environ: Mapping[str, str] = os.environ) -> bool:
    """True in the Locust process of ``erpcap worker`` (not in ``--processes`` workers)."""
    return bool(environ.get(ENV_WORKER_SPOOL))


def apply_settings(payload_json: str) -> None:
    """On a remote worker: make the master's settings this process's ``ERPCAP_*``.

    Called by the generated locustfile (:func:`erpcap.scenarios.distribute.master_locustfile_text`)
    before erpcap's locustfile reads its settings. A scenario file is used at its path on the
    master when this machine has the same file there (files it refers to then resolve too),
    otherwise from the text the master sent, written into the spool. Does nothing on the
    master, whose environment holds the settings already.
    """
    spool_text = os.environ.get(ENV_WORKER_SPOOL)
    if not spool_text:
        return
    spool = Path(spool_text)
    payload = json.loads(payload_json)
    if payload.get("erpcap_version") != __version__:
        log.warning(
            "erpcap: the master runs erpcap %s, this worker %s; install the same version",
            payload.get("erpcap_version"),
            __version__,
        )
    os.environ.update({str(k): str(v) for k, v in payload["settings"].items()})
    scenario = payload.get("scenario_file")
    if scenario:
        same = Path(scenario["path"])
        try:
            usable = same.is_file() and same.read_text(encoding="utf-8") == scenario["text"]
        except OSError:
            usable = False
        if not usable:
            same = spool / Path(scenario["name"]).name
            same.write_text(scenario["text"], encoding="utf-8")
        os.environ["ERPCAP_SCENARIO"] = str(same)
    os.environ["ERPCAP_RUN_DIR"] = str(spool)


# -- rows on the wire -----------------------------------------------------------------------


def pack_rows(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Rows as columns of plain values (datetimes as integer microseconds since the epoch).

    >>> when = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    >>> packed = pack_rows([{"start": when, "name": "a"}, {"start": when, "name": "b"}])
    >>> unpack_rows(packed) == [{"start": when, "name": "a"}, {"start": when, "name": "b"}]
    True
    """
    rows = list(rows)
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    times = sorted(
        {k for row in rows for k, v in row.items() if isinstance(v, datetime)}
    )  # fmt: skip
    values = [[_plain(row.get(c)) for c in columns] for row in rows]
    return {"columns": columns, "times": times, "rows": values}


def pack_table(table: pa.Table) -> dict[str, Any]:
    """A table as :func:`pack_rows` packs its rows (``pack_rows(table.to_pylist())``), built
    from its columns: no row becomes a dict, no timestamp a ``datetime``."""
    columns = list(table.column_names)
    times = sorted(f.name for f in table.schema if pa.types.is_timestamp(f.type))
    values = [(table[c].cast(pa.int64()) if c in times else table[c]).to_pylist() for c in columns]
    return {
        "columns": columns,
        "times": times,
        "rows": [list(r) for r in zip(*values, strict=True)],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)
    return value


def unpack_rows(packed: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows :func:`pack_rows` packed."""
    columns = [str(c) for c in packed["columns"]]
    times = set(packed.get("times") or ())
    rows = []
    for values in packed["rows"]:
        row = dict(zip(columns, values, strict=True))
        for key in times & row.keys():
            if isinstance(row[key], int):
                row[key] = _EPOCH + timedelta(microseconds=row[key])
        rows.append(row)
    return rows


# -- the worker's end -----------------------------------------------------------------------


class ShippingWriter(PartWriter):
    """A part writer whose flush sends the rows to the master instead of writing a file."""

    def __init__(self, run: ShippingRun, table: str) -> None:
        super().__init__(run.path / table, _schema(table), table=table)
        self._ship_run = run
        self._ship_table = table

    def flush(self) -> int:
        with self._lock:
            rows, self._rows = self._rows, []
        if not rows:
            return 0
        self._ship_run.send(ROWS_MESSAGE, {"table": self._ship_table, **pack_rows(rows)})
        self.rows_written += len(rows)
        return len(rows)

    def write_table(self, data: pa.Table) -> int:
        if data.num_rows == 0:
            return 0
        self._ship_run.send(ROWS_MESSAGE, {"table": self._ship_table, **pack_table(data)})
        self.rows_written += data.num_rows
        return int(data.num_rows)


class ShippingRun(RunDir):
    """The run directory as a remote worker sees it: rows and events go to the master.

    ``path`` is the worker's spool (a private folder of its machine, where nothing is kept).
    """

    def __init__(self, spool: Path, environment: Any, worker: str) -> None:
        super().__init__(spool)
        self._environment = environment
        self.worker = worker

    def send(self, kind: str, data: dict[str, Any]) -> None:
        """One message to the master; a failure is logged (the load goes on)."""
        runner = self._environment.runner
        try:
            runner.send_message(kind, {"worker": self.worker, **data})
        except Exception:
            log.exception("erpcap: could not send %s to the master", kind)

    def part_writer(self, table: str) -> PartWriter:
        return ShippingWriter(self, table)

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        record = {"ts": iso(), "kind": kind, **fields}
        self.send(EVENT_MESSAGE, {"event": record})
        return record


def ship_from_worker(environment: Any) -> RequestRecorder:
    """On a remote worker: a recorder whose rows and events go to the master.

    Tells the master this worker's name and erpcap version (``worker_joined``), and ships the
    last rows and the ``in_flight`` count when the test stops: by the time this process
    quits, the master may be gone.
    """
    spool = Path(os.environ[ENV_WORKER_SPOOL])
    run = ShippingRun(spool, environment, worker_id())
    recorder = RequestRecorder(run)
    recorder.attach(environment)

    def on_stop(**_: Any) -> None:
        recorder.flush()
        recorder.report_in_flight()

    environment.events.test_stop.add_listener(on_stop)
    run.event("worker_joined", erpcap=__version__)
    return recorder


# -- the master's end -----------------------------------------------------------------------


class WorkerCollector:
    """On the master: writes what remote workers ship and records workers joining and lost."""

    def __init__(self, run: RunDir, *, flush_every_s: float = 2.0) -> None:
        self._run = run
        self._writer = run.part_writer("requests")
        self._flush_every_s = flush_every_s
        self._environment: Any = None
        self._names: dict[str, str] = {}  # Locust client id -> the worker's host:pid
        self._rows: dict[str, int] = {}  # client id -> rows received
        self._present: set[str] = set()
        self._known: set[str] = set()  # every worker seen, to tell each one to quit
        self._lost: set[str] = set()
        self._greenlets: list[gevent.Greenlet] = []

    @property
    def rows_received(self) -> int:
        return sum(self._rows.values())

    def attach(self, environment: Any) -> None:
        self._environment = environment
        runner = environment.runner
        runner.register_message(ROWS_MESSAGE, self.on_rows)
        runner.register_message(EVENT_MESSAGE, self.on_event)
        events = environment.events
        events.test_stop.add_listener(self._flush_on)
        events.quitting.add_listener(self._flush_on)
        events.quit.add_listener(self._on_quit)
        self._greenlets = [gevent.spawn(self._flush_loop), gevent.spawn(self._watch_loop)]
        self._stop_workers_before_quit(runner)

    def _stop_workers_before_quit(self, runner: Any) -> None:
        """Make the master's ``quit`` stop its workers first, wait for them, then let them go.

        A headless Locust master (2.47) quits at the end of the shape, and on SIGTERM,
        without stopping its workers: it sends ``quit`` and exits half a second later. A
        worker then stops its users (up to ``--stop-timeout``) and ships its last rows and its
        ``in_flight`` count to a master that is gone. ``runner.stop()`` sends ``stop`` instead
        and waits until every worker reports it stopped, which a worker does after its
        ``test_stop`` (where it ships), on the same connection: by then its rows have arrived.
        A stopped worker is no longer among the master's clients, so Locust's ``quit`` would
        not reach it: it is sent to every worker seen. On SIGTERM, ``quit`` is called twice
        (by erpcap's handler, then by Locust when the shape greenlet ends): the second call
        waits for the first one's stop.
        """
        original_quit = runner.quit
        stopped = gevent.event.Event()
        begun: list[bool] = []

        def stop_then_quit() -> None:
            if not begun:
                begun.append(True)
                try:
                    runner.stop()
                    for client_id in sorted(self._known - set(runner.clients.keys())):
                        runner.send_message("quit", None, client_id)
                except Exception:
                    log.exception("erpcap: could not stop the workers before quitting")
                finally:
                    stopped.set()
            else:
                stop_timeout = float(getattr(runner.environment, "stop_timeout", 0) or 0)
                stopped.wait(timeout=stop_timeout + 65)
            original_quit()

        runner.quit = stop_then_quit

    def on_rows(self, environment: Any = None, msg: Any = None, **_: Any) -> None:
        data = msg.data
        self._name(msg.node_id, data)
        rows = unpack_rows(data)
        self._rows[msg.node_id] = self._rows.get(msg.node_id, 0) + len(rows)
        if data.get("table", "requests") == "requests":
            self._writer.extend(rows)

    def on_event(self, environment: Any = None, msg: Any = None, **_: Any) -> None:
        data = msg.data
        self._name(msg.node_id, data)
        record = dict(data.get("event") or {})
        kind = str(record.pop("kind", "worker_event"))
        record.pop("ts", None)
        record.setdefault("worker", self._names.get(msg.node_id, msg.node_id))
        record["client_id"] = msg.node_id
        self._safe_event(kind, **record)

    def _name(self, client_id: str, data: Mapping[str, Any]) -> None:
        self._known.add(client_id)
        worker = data.get("worker")
        if worker and client_id not in self._names:
            self._names[client_id] = str(worker)

    def check_workers(self) -> None:
        """Record the workers missing, or gone while the test runs, as ``worker_lost``."""
        runner = self._environment.runner
        clients = dict(runner.clients.items())
        running = getattr(runner, "state", "") not in ("stopped", "stopping", "cleanup")
        for cid, node in clients.items():
            missing = getattr(node, "state", "") == "missing"
            if not missing and cid in self._lost:  # Locust's self-heal: heartbeats resumed
                self._lost.discard(cid)
                self._safe_event("worker_back", worker=self._names.get(cid, cid), client_id=cid)
            if missing and cid not in self._lost:
                self._lose(
                    cid,
                    f"missed {_MISSED_HEARTBEATS} heartbeats: killed, or its machine or network "
                    "is gone",
                    "the requests it recorded since its last shipment (up to "
                    f"{self._flush_every_s:g} s of samples) are not in the run",
                )
        if running:
            for cid in self._present - clients.keys() - self._lost:
                self._lose(
                    cid,
                    "stopped on its machine before the end of the run",
                    "it stopped its users and shipped its last requests as it quit",
                )
        self._present = set(clients)
        self._known |= self._present

    def _lose(self, client_id: str, reason: str, unshipped: str) -> None:
        self._lost.add(client_id)
        worker = self._names.get(client_id, client_id)
        self._safe_event(
            "worker_lost",
            worker=worker,
            client_id=client_id,
            reason=reason,
            rows_received=self._rows.get(client_id, 0),
            unshipped=unshipped,
        )
        log.warning("erpcap: worker %s lost: %s", worker, reason)

    def _safe_event(self, kind: str, **fields: Any) -> None:
        try:
            self._run.event(kind, **fields)
        except OSError:
            log.exception("could not write the %s event to %s", kind, self._run.path)

    def flush(self) -> int:
        try:
            return self._writer.flush()
        except Exception:
            log.exception("could not write a requests part to %s", self._run.path)
            return 0

    def _flush_on(self, **_: Any) -> None:
        self.flush()

    def _on_quit(self, **_: Any) -> None:
        for greenlet in self._greenlets:
            greenlet.kill(block=False)
        self.flush()

    def _flush_loop(self) -> None:
        while True:
            gevent.sleep(self._flush_every_s)
            self.flush()

    def _watch_loop(self) -> None:
        while True:
            gevent.sleep(WATCH_EVERY_S)
            try:
                self.check_workers()
            except Exception:
                log.exception("erpcap: could not check the workers")
