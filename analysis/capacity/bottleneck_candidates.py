"""Candidate bottlenecks of one step, each with its utilisation, and how they are ranked.

Every resource gets a **utilisation** ``u`` in 0..1 at a step — its share of what it can give:

- ``cpu:<role>`` (each watched role but the load generator): the role's CPU against one core
  per process it has, at most the host's cores (a single Python process uses one core at
  most; a database with a process per session can use them all). For ``cpu:db`` the
  database's own view counts too: busy sessions on no wait event (``CPU``) against the host's
  cores — these include sessions queued for a core, which a CPU-bound database has.
- ``cpu:host``: the host's CPU, counted only for the part the watched roles used (the rest is
  a noisy neighbour, warned about apart).
- ``lock:<relation>``: the share of busy database sessions waiting on a lock.
- ``io:<instance>``: the share of busy database sessions waiting on data-file or WAL I/O.
- ``connections:<instance>``: connections against ``max_connections``.
- ``pool:<instance>``: the connections stayed flat while users grew, more users were inside
  the ERP than there were connections, and at least half the connections were in use (in a
  statement or a transaction): requests queue for a pooled connection. Inferred, so its
  utilisation is at most 0.75.
- ``queue:<metric>``: a broker queue's depth that at least doubled to 10 or more messages
  (only when a metric says so).
- ``generator``: the load generator's CPU per process against one core.
- any other resource the step's own ``utilisation`` list reports (findings.json
  ``steps[].utilisation``: the capacity stage's, or a plug-in's), with its kind and value.

The **score** of a candidate is ``0.6·u + 0.2·g + 0.2·w``: ``g`` the growth of its
utilisation from the first measured step (the part of ``u`` that is new: a resource that
saturates grew into it), ``w`` the share of database wait time that names it (CPU, lock or
I/O; 0 for a resource the database does not see). Without a step to compare, ``g`` is 0.5.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from erpcap.analysis.capacity.bottleneck_data import Database, StepView
from erpcap.analysis.capacity.demands import GENERATOR_ROLES

#: Weights of utilisation, growth and wait share in the score.
WEIGHTS = (0.6, 0.2, 0.2)
#: A broker queue at least this deep (messages) that doubled counts as growing.
QUEUE_MIN = 10.0


@dataclass
class Candidate:
    """A resource that may be the bottleneck, at one step."""

    resource: str
    kind: str
    value: float
    wait_share: float = 0.0
    growth: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float:
        a, b, c = WEIGHTS
        growth = 0.5 if self.growth is None else self.growth
        return round(a * min(1.0, self.value) + b * growth + c * self.wait_share, 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "kind": self.kind,
            "score": self.score,
            "utilisation": round(self.value, 4),
            "growth": None if self.growth is None else round(self.growth, 4),
            "wait_share": round(self.wait_share, 4),
            "evidence": self.evidence,
        }


def _cpu_sessions(db: Database) -> float:
    return db.busy_sessions * db.classes.get("cpu", 0.0)


def _roles(view: StepView, cores: int | None) -> list[Candidate]:
    out = []
    for role, cpu in view.cpu.items():
        if role in GENERATOR_ROLES:
            continue
        processes = max(1, round(view.processes.get(role, 1.0)))
        ceiling = min(processes, cores) if cores else processes
        value = cpu / (100.0 * ceiling)
        evidence: dict[str, Any] = {
            "role": role,
            "cpu_percent": cpu,
            "processes": view.processes.get(role),
            "ceiling_cores": ceiling,
        }
        out.append(Candidate(f"cpu:{role}", "cpu", value, evidence=evidence))
    return out


def _database_cpu(view: StepView, cores: int | None, found: list[Candidate]) -> None:
    """Merge the databases' own CPU view into ``cpu:db``.

    The sessions on the CPU count those runnable but waiting for a core too, so they
    overstate use on a busy host: when the database's processes were measured (a ``db``
    role), their CPU is the utilisation and the sessions are evidence beside it; for a
    database elsewhere, the sessions over the host's cores are all there is.
    """
    sessions = sum(_cpu_sessions(db) for db in view.databases)
    share = max((db.classes.get("cpu", 0.0) for db in view.databases), default=0.0)
    if not view.databases or not cores:
        return
    db_view = min(1.0, sessions / cores)
    wait = share if sessions >= 0.5 else 0.0
    current = next((c for c in found if c.resource == "cpu:db"), None)
    if current is None:
        current = Candidate("cpu:db", "cpu", 0.0, evidence={"role": "db"})
        found.append(current)
    if "cpu_percent" not in current.evidence:  # no process measured: the sessions tell
        current.value = db_view
    current.wait_share = wait
    current.evidence.update(cpu_sessions=round(sessions, 3), cpu_wait_share=share, host_cores=cores)


def _host(view: StepView, cores: int | None) -> Candidate | None:
    if view.host_cpu is None or not cores:
        return None
    busy = view.host_cpu / 100.0 * cores
    watched = sum(v for r, v in view.cpu.items() if r not in GENERATOR_ROLES) / 100.0
    share = min(1.0, watched / busy) if busy > 0 else 0.0
    consumers = sorted(
        ((r, v) for r, v in view.cpu.items() if r not in GENERATOR_ROLES), key=lambda x: -x[1]
    )
    return Candidate(
        "cpu:host",
        "cpu",
        view.host_cpu / 100.0 * share,
        evidence={
            "host_cpu_percent": view.host_cpu,
            "host_cores": cores,
            "busy_cores": round(busy, 3),
            "watched_share": round(share, 4),
            "consumers": [r for r, _ in consumers],
        },
    )


def _database(
    view: StepView, prev: StepView | None, db: Database, busy_share: float | None
) -> list[Candidate]:
    name = f"{db.source}/{db.instance}" if db.instance else db.source
    out = []
    lock = db.classes.get("lock", 0.0)
    relation = next(iter(db.lock_relations), None)
    out.append(
        Candidate(
            f"lock:{relation or name}",
            "lock",
            lock,
            wait_share=lock,
            evidence={
                "instance": name,
                "lock_wait_share": lock,
                "waiting_sessions": db.waiting_sessions,
                "busy_sessions": round(db.busy_sessions, 3),
                "relations": db.lock_relations,
                "waits": {w: s for w, s in db.waits.items() if s >= 0.01},
            },
        )
    )
    io = db.classes.get("io", 0.0)
    out.append(
        Candidate(
            f"io:{name}",
            "io",
            io,
            wait_share=io,
            evidence={
                "instance": name,
                "io_wait_share": io,
                "iowait_percent": view.iowait,
                "waits": {w: s for w, s in db.waits.items() if s >= 0.01},
            },
        )  # fmt: skip
    )
    if db.connections and db.max_connections:
        out.append(
            Candidate(
                f"connections:{name}",
                "connections",
                db.connections / db.max_connections,
                evidence={
                    "instance": name,
                    "connections": db.connections,
                    "max_connections": db.max_connections,
                },
            )  # fmt: skip
        )
    pool = _pool(view, prev, db, busy_share)
    if pool is not None:
        pool.resource, pool.evidence["instance"] = f"pool:{name}", name
        out.append(pool)
    return out


def _pool(
    view: StepView, prev: StepView | None, db: Database, busy_share: float | None
) -> Candidate | None:
    if prev is None or not db.connections or busy_share is None or prev.users <= 0:
        return None
    before = next((d for d in prev.databases if d.instance == db.instance), None)
    if before is None or not before.connections:
        return None
    inside = busy_share * view.users
    flat = db.connections <= 1.1 * before.connections
    grew = view.users >= 1.3 * prev.users
    in_use = db.busy_sessions + db.states.get("idle_in_transaction", 0.0)
    if not (flat and grew and inside > db.connections and in_use >= 0.5 * db.connections):
        return None
    return Candidate(
        "pool",
        "pool",
        min(1.0, inside / db.connections) * 0.75,  # inferred, never certain: at most likely
        evidence={"connections": [before.connections, db.connections],
                  "users": [prev.users, view.users], "users_inside": round(inside, 2)},
    )  # fmt: skip


def _queues(view: StepView, prev: StepView | None) -> list[Candidate]:
    out = []
    for name, depth in view.queues.items():
        before = prev.queues.get(name) if prev is not None else None
        growing = depth >= QUEUE_MIN and (before is None or depth >= 2 * max(before, 1.0))
        evidence = {"metric": name, "depth": [before, depth]}
        out.append(Candidate(f"queue:{name}", "queue", 0.9 if growing else 0.0, evidence=evidence))
    return out


def _generator(view: StepView, workers: int) -> Candidate | None:
    cpu = next((v for r, v in view.cpu.items() if r in GENERATOR_ROLES), None)
    if cpu is None:
        return None
    per_process = cpu / max(1, workers)
    return Candidate(
        "generator",
        "generator",
        per_process / 100.0,
        evidence={"cpu_percent": cpu, "workers": max(1, workers),
                  "per_process_percent": round(per_process, 3)},
    )  # fmt: skip


def _reported(found: list[Candidate], reported: Iterable[Mapping[str, Any]]) -> None:
    """Add the step's own ``utilisation`` entries (findings.json ``steps[].utilisation``, from
    the capacity stage or a plug-in) for resources not measured here."""
    known = {c.resource for c in found}
    for entry in reported:
        resource, value = entry.get("resource"), entry.get("value")
        if not resource or resource in known or not isinstance(value, int | float):
            continue
        kind = str(entry.get("kind") or "unknown")
        evidence = {k: entry.get(k) for k in ("source", "busy", "units") if k in entry}
        found.append(Candidate(str(resource), kind, max(0.0, float(value)), evidence=evidence))
        known.add(str(resource))


def candidates(
    view: StepView,
    prev: StepView | None,
    cores: int | None,
    workers: int,
    busy_share: float | None = None,
    reported: Iterable[Mapping[str, Any]] = (),
) -> list[Candidate]:
    """Every candidate of ``view`` (``prev``: the measured step before it, for the pool and
    the queues; ``reported``: the step's own utilisation entries, for resources this module
    does not measure), unranked; ``growth`` is left for :func:`rank`."""
    found = _roles(view, cores)
    _database_cpu(view, cores, found)
    host = _host(view, cores)
    if host is not None:
        found.append(host)
    for db in view.databases:
        found += _database(view, prev, db, busy_share)
    found += _queues(view, prev)
    generator = _generator(view, workers)
    if generator is not None:
        found.append(generator)
    _reported(found, reported)
    return found


def rank(now: list[Candidate], first: list[Candidate] | None) -> list[Candidate]:
    """``now`` with each candidate's growth from ``first`` (the first measured step's
    candidates; None: no earlier step), highest score first."""
    before = {c.resource: c.value for c in first} if first is not None else None
    for cand in now:
        if before is None:
            cand.growth = None
            continue
        base = before.get(cand.resource, 0.0)
        cand.growth = max(0.0, min(1.0, (cand.value - base) / max(cand.value, 0.01)))
    return sorted(now, key=lambda c: (-c.score, c.resource))
