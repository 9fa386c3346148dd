"""What bottleneck attribution reads of one load step: CPU per role, the host, the databases.

:func:`step_view` reduces the metrics of a step's measured part (``measured_from`` … ``end``)
to a :class:`StepView`. It reads the metrics table itself rather than the step's
``resources`` summary because it needs more than the summary keeps: every wait event (not
only the top three), waiting locks per relation, the number of processes of each role, and
per-sample CPU clipped to what the host can give (a process first seen between two samples
can report its whole lifetime's CPU in one sample; a value above all the host's cores is
such an artefact, not a measurement).

Wait events fall into classes (:func:`wait_class`): ``cpu`` (a busy session on no wait),
``lock`` (heavyweight and row locks, MySQL lock states), ``io`` (data-file and WAL reads and
writes), ``lwlock`` (PostgreSQL's internal latches) and ``other`` (the client, a timer, a
background activity).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from erpcap.analysis.windows import label

#: Database wait events that mean a data file or the WAL is being read or written.
_IO_EVENTS = re.compile(r"^(io:|.*(datafile|walsync|walwrite|walread|buffile|relationmap))", re.I)
_LOCK_EVENTS = re.compile(r"^lock:|lock wait|waiting for .*lock|^locked$|row lock|user lock", re.I)
#: MySQL thread states of a statement that is working on the CPU.
_CPU_STATES = ("cpu", "running", "executing", "sending data", "sorting result", "statistics")


def wait_class(wait: str) -> str:
    """The class of a wait event (see the module docstring).

    >>> [wait_class(w) for w in ("CPU", "Lock:transactionid", "IO:DataFileRead",
    ...                          "LWLock:WALWrite", "Timeout:PgSleep", "InnoDB row lock")]
    ['cpu', 'lock', 'io', 'lwlock', 'other', 'lock']
    """
    text = wait.strip()
    if text.lower() in _CPU_STATES:
        return "cpu"
    if text.lower().startswith("lwlock:"):
        return "lwlock"
    if _LOCK_EVENTS.search(text):
        return "lock"
    if _IO_EVENTS.search(text):
        return "io"
    return "other"


@dataclass
class Database:
    """One database instance over a step."""

    source: str
    instance: str
    busy_sessions: float = 0.0
    waiting_sessions: float = 0.0
    #: Share of busy-session samples per wait event, and per class (cpu, lock, io, …).
    waits: dict[str, float] = field(default_factory=dict)
    classes: dict[str, float] = field(default_factory=dict)
    #: Mean waiting lock requests per relation.
    lock_relations: dict[str, float] = field(default_factory=dict)
    connections: float | None = None
    max_connections: float | None = None
    #: Mean sessions per state (active, waiting, idle, idle_in_transaction).
    states: dict[str, float] = field(default_factory=dict)


@dataclass
class StepView:
    """The figures of one step that attribution weighs."""

    step: int
    users: float
    ok_rps: float
    p95_ms: float | None
    within_slo: bool | None
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    #: Mean CPU per role, % of one core (clipped per sample), and processes per role.
    cpu: dict[str, float] = field(default_factory=dict)
    processes: dict[str, float] = field(default_factory=dict)
    #: Host CPU, 0–100 of all cores; I/O wait share of all cores, 0–100.
    host_cpu: float | None = None
    iowait: float | None = None
    databases: list[Database] = field(default_factory=list)
    #: Other sources' metrics whose name speaks of a queue: (source, metric) → mean.
    queues: dict[str, float] = field(default_factory=dict)


def _mean_per_ts(frame: pd.DataFrame, clip: float | None = None) -> float | None:
    if frame.empty:
        return None
    sums = frame.groupby("ts")["value"].sum()
    if clip is not None:
        sums = sums.clip(upper=clip)
    return float(sums.mean())


_QUEUE = re.compile(r"queue|backlog|messages_ready|pending", re.I)


def step_view(block: dict[str, Any], metrics: pd.DataFrame, cores: int | None) -> StepView:
    """The :class:`StepView` of one step of findings.json's ``steps[]``."""
    start_text = block.get("measured_from") or block.get("start")
    start = pd.Timestamp(start_text) if start_text else None
    end = pd.Timestamp(block["end"]) if block.get("end") else None
    view = StepView(
        step=int(block.get("step") or 0),
        users=float(block.get("users") or 0),
        ok_rps=float(block.get("ok_rps") or 0.0),
        p95_ms=block.get("p95_ms"),
        within_slo=block.get("within_slo"),
        start=start,
        end=end,
    )
    if metrics.empty or start is None or end is None:
        return view
    part = metrics[(metrics["ts"] >= start) & (metrics["ts"] < end)].dropna(subset=["value"])
    if part.empty:
        return view
    clip = 100.0 * cores if cores else None
    procs = part[part["source"] == "process"]
    if not procs.empty:
        roles = label(procs, "role").replace("", "other")
        for role, rows in procs.groupby(roles, sort=True):
            cpu = _mean_per_ts(rows[rows["metric"] == "cpu_percent"], clip)
            if cpu is not None:
                view.cpu[str(role)] = round(cpu, 3)
            count = _mean_per_ts(rows[rows["metric"] == "num_processes"])
            if count is not None:
                view.processes[str(role)] = round(count, 3)
    host = part[(part["source"] == "host") & (part["labels"].isin(["{}", ""]))]
    cpu = _mean_per_ts(host[host["metric"] == "cpu_percent"])
    view.host_cpu = None if cpu is None else round(cpu, 3)
    iowait = _mean_per_ts(host[host["metric"] == "cpu_iowait_percent"])
    view.iowait = None if iowait is None else round(iowait, 3)
    view.databases = _databases(part)
    others = part[~part["source"].isin(["host", "process", *(d.source for d in view.databases)])]
    for (source, metric), rows in others.groupby(["source", "metric"], sort=True):
        if _QUEUE.search(str(metric)) and not str(metric).endswith("_per_s"):
            value = _mean_per_ts(rows)
            if value is not None:
                view.queues[f"{source}:{metric}"] = round(value, 3)
    return view


def _databases(part: pd.DataFrame) -> list[Database]:
    sources = part.loc[part["metric"].isin(["sessions", "wait_sessions"]), "source"].unique()
    out = []
    for source in sorted(map(str, sources)):
        rows = part[part["source"] == source]
        for instance, own in rows.groupby(label(rows, "instance"), sort=True):
            out.append(_database(source, str(instance), own))
    return out


def _database(source: str, instance: str, rows: pd.DataFrame) -> Database:
    db = Database(source, instance)
    sessions = rows[rows["metric"] == "sessions"]
    states = label(sessions, "state")
    for state, part in sessions.groupby(states, sort=True):
        db.states[str(state)] = round(float(part.groupby("ts")["value"].sum().mean()), 3)
    db.busy_sessions = db.states.get("active", 0.0) + db.states.get("waiting", 0.0)
    db.waiting_sessions = db.states.get("waiting", 0.0)
    waits = rows[rows["metric"] == "wait_sessions"]
    if not waits.empty:
        totals = waits.groupby(label(waits, "wait"))["value"].sum()
        grand = float(totals.sum())
        if grand > 0:
            db.waits = {
                str(w): round(float(v) / grand, 4)
                for w, v in totals.sort_values(ascending=False, kind="stable").items()
            }
            for wait, share in db.waits.items():
                kind = wait_class(wait)
                db.classes[kind] = round(db.classes.get(kind, 0.0) + share, 4)
    locks = rows[rows["metric"] == "lock_waits_by_relation"]
    if not locks.empty:
        samples = max(1, rows.loc[rows["metric"] == "lock_waits", "ts"].nunique())
        per = locks.groupby(label(locks, "relation"))["value"].sum() / samples
        db.lock_relations = {
            str(r): round(float(v), 3)
            for r, v in per.sort_values(ascending=False, kind="stable").items()
        }
    connections = rows[rows["metric"] == "connections"]
    if not connections.empty:
        db.connections = float(connections["value"].max())
    limit = rows[rows["metric"] == "max_connections"]
    if not limit.empty:
        db.max_connections = float(limit["value"].iloc[-1])
    return db
