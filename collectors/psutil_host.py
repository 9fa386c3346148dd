"""Host and process samples from psutil: CPU, memory, load, disk and network rates.

Every ``interval`` seconds (default 1) the collector writes, with ``source="host"`` and no
labels:

==========================  ===============================================================
``cpu_percent``             all cores busy, 0–100 (``per_cpu=true`` adds one row per core,
                            labels ``{"cpu": "3"}``)
``cpu_user_percent``        user, system, I/O wait and steal shares of all cores, 0–100
``cpu_system_percent``      (``cpu_iowait_percent`` and ``cpu_steal_percent`` on Linux)
``memory_used_percent``     used memory, 0–100; ``memory_used_bytes``,
                            ``memory_available_bytes``
``load_1m`` ...             load averages over 1, 5 and 15 minutes
``disk_read_bytes_per_s``   disk and network rates since the previous sample, also
                            ``disk_write_bytes_per_s``, ``disk_read_ops_per_s``,
                            ``disk_write_ops_per_s``, ``net_sent_bytes_per_s``,
                            ``net_recv_bytes_per_s`` (none in the first sample)
==========================  ===============================================================

and, with ``source="process"``, for each watched role (``watch("erp", pid)``), its root
process and all its descendants (uvicorn or Locust workers) summed, labels
``{"role": "erp"}``: ``cpu_percent`` (100 = one core busy, so it can exceed 100),
``rss_bytes``, ``num_processes`` and ``num_threads``.

A role's ``cpu_percent`` counts the CPU of short-lived descendants too: a database server
that forks a backend per connection, or a server that forks per request, runs processes
that start and end between two samples (or two scans of the process table). Their time is
found where Linux puts it when a parent reaps a child: in the parent's cumulative
``children_user`` and ``children_system``. The role's CPU is the growth, from one sample to
the next, of the tree's cumulative user + system time of the live processes plus what they
reaped; a process that ended moves its time from the first sum to its parent's second, so
nothing is counted twice (the growth is taken from the highest total seen, so a zombie
waiting to be reaped is not counted again when its parent reaps it). ``per_pid=true`` adds the same rows
per process with labels ``{"role": "erp", "pid": 1234}``.

Roles can be watched at any time, so the orchestrator can start this collector first and add
the ERP and Locust as it starts them. A role whose root process ended writes a
``process_exited`` event once and no more rows.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar

import psutil

from erpcap.collectors.base import Collector, metric_row, parse_bool, parse_seconds

HOST = "host"
PROCESS = "process"

_DISK = (
    ("read_bytes", "disk_read_bytes_per_s"),
    ("write_bytes", "disk_write_bytes_per_s"),
    ("read_count", "disk_read_ops_per_s"),
    ("write_count", "disk_write_ops_per_s"),
)
_NET = (("bytes_sent", "net_sent_bytes_per_s"), ("bytes_recv", "net_recv_bytes_per_s"))
_CPU_SHARES = (
    ("user", "cpu_user_percent"),
    ("system", "cpu_system_percent"),
    ("iowait", "cpu_iowait_percent"),
    ("steal", "cpu_steal_percent"),
)


#: Seconds between two scans of the process table for the watched trees' descendants: a
#: worker that starts later is counted within this time. A scan reads every process's
#: /proc entry, the costliest part of a sample; between scans only the known trees are read.
TREE_EVERY_S = 5.0


class PsutilCollector(Collector):
    """Samples the local host and the watched process trees."""

    name: ClassVar[str] = "psutil"
    OPTIONS: ClassVar[Mapping[str, Any]] = {
        "interval": parse_seconds,
        "per_cpu": parse_bool,
        "per_pid": parse_bool,
    }

    def __init__(
        self,
        *,
        interval: float = 1.0,
        per_cpu: bool = False,
        per_pid: bool = False,
        processes: Mapping[str, int] | None = None,
        flush_every_s: float = 5.0,
    ) -> None:
        super().__init__(interval=interval, flush_every_s=flush_every_s)
        self.per_cpu = per_cpu
        self.per_pid = per_pid
        self._lock = threading.Lock()
        self._roots: dict[str, int] = dict(processes or {})
        self._gone: set[str] = set()
        self._procs: dict[int, psutil.Process] = {}  # kept so cpu_percent has a baseline
        self._children: dict[int, list[psutil.Process]] = {}  # parent pid → children
        self._scanned: tuple[float, frozenset[int]] = (float("-inf"), frozenset())
        self._counters: dict[str, tuple[float, dict[str, float]]] = {}
        #: Per role: (monotonic clock, highest cumulative CPU seconds of the tree seen).
        self._cpu_total: dict[str, tuple[float, float]] = {}

    # -- watching processes ------------------------------------------------------------------

    def watch(self, role: str, pid: int) -> None:
        """Sample ``pid`` and its descendants as ``role`` from the next sample on."""
        with self._lock:
            self._roots[role] = int(pid)
            self._gone.discard(role)
            self._cpu_total.pop(role, None)

    def unwatch(self, role: str) -> None:
        with self._lock:
            self._roots.pop(role, None)

    def watched(self) -> dict[str, int]:
        with self._lock:
            return dict(self._roots)

    # -- sampling ---------------------------------------------------------------------------

    def setup(self) -> None:
        # cpu_percent(None) measures since the previous call: prime the baselines.
        psutil.cpu_percent(None)
        psutil.cpu_times_percent(None)
        if self.per_cpu:
            psutil.cpu_percent(None, percpu=True)

    def sample(self, now: datetime) -> Iterable[Mapping[str, Any]]:
        rows = list(self._host(now))
        rows.extend(self._processes(now))
        return rows

    def _host(self, now: datetime) -> Iterable[dict[str, Any]]:
        yield metric_row(now, HOST, "cpu_percent", psutil.cpu_percent(None))
        if self.per_cpu:
            for index, value in enumerate(psutil.cpu_percent(None, percpu=True)):
                yield metric_row(now, HOST, "cpu_percent", value, {"cpu": str(index)})
        shares = psutil.cpu_times_percent(None)
        for field, metric in _CPU_SHARES:
            if hasattr(shares, field):
                yield metric_row(now, HOST, metric, getattr(shares, field))
        memory = psutil.virtual_memory()
        yield metric_row(now, HOST, "memory_used_percent", memory.percent)
        yield metric_row(now, HOST, "memory_used_bytes", memory.total - memory.available)
        yield metric_row(now, HOST, "memory_available_bytes", memory.available)
        if hasattr(os, "getloadavg"):
            for minutes, value in zip((1, 5, 15), os.getloadavg(), strict=True):
                yield metric_row(now, HOST, f"load_{minutes}m", value)
        disk = psutil.disk_io_counters()
        if disk is not None:
            yield from self._rates(now, "disk", disk, _DISK)
        net = psutil.net_io_counters()
        if net is not None:
            yield from self._rates(now, "net", net, _NET)

    def _rates(
        self, now: datetime, key: str, counters: Any, fields: tuple[tuple[str, str], ...]
    ) -> Iterable[dict[str, Any]]:
        clock = time.monotonic()
        values = {field: float(getattr(counters, field)) for field, _ in fields}
        previous = self._counters.get(key)
        self._counters[key] = (clock, values)
        if previous is None:
            return
        elapsed = clock - previous[0]
        if elapsed <= 0:
            return
        for field, metric in fields:
            delta = values[field] - previous[1][field]
            if delta >= 0:  # a counter that wrapped or reset gives no rate this time
                yield metric_row(now, HOST, metric, delta / elapsed)

    def _processes(self, now: datetime) -> Iterable[dict[str, Any]]:
        seen: set[int] = set()
        watched = sorted(self.watched().items())
        children = self._descendants({pid for _, pid in watched})
        for role, root_pid in watched:
            tree = self._tree(role, root_pid, children)
            if tree is None:
                continue
            totals = {"cpu_percent": 0.0, "rss_bytes": 0.0, "num_threads": 0.0}
            count = 0
            cumulative = 0.0
            for proc in tree:
                try:
                    with proc.oneshot():
                        cpu = proc.cpu_percent(None)
                        times = proc.cpu_times()
                        rss = float(proc.memory_info().rss)
                        threads = float(proc.num_threads())
                except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                    continue
                seen.add(proc.pid)
                count += 1
                cumulative += _tree_seconds(times)
                totals["rss_bytes"] += rss
                totals["num_threads"] += threads
                if self.per_pid:
                    labels = {"role": role, "pid": proc.pid}
                    yield metric_row(now, PROCESS, "cpu_percent", cpu, labels)
                    yield metric_row(now, PROCESS, "rss_bytes", rss, labels)
            totals["cpu_percent"] = self._role_cpu(role, cumulative)
            labels = {"role": role}
            for metric, value in totals.items():
                yield metric_row(now, PROCESS, metric, value, labels)
            yield metric_row(now, PROCESS, "num_processes", count, labels)
        for pid in set(self._procs) - seen:  # forget processes that ended
            del self._procs[pid]

    def _role_cpu(self, role: str, cumulative: float) -> float:
        """The role's CPU (% of one core) since the previous sample, from the cumulative
        seconds of its tree (see the module docstring); 0 on the first sample."""
        clock = time.monotonic()
        previous = self._cpu_total.get(role)
        if previous is None:
            self._cpu_total[role] = (clock, cumulative)
            return 0.0
        at, highest = previous
        self._cpu_total[role] = (clock, max(highest, cumulative))
        elapsed = clock - at
        if elapsed <= 0:
            return 0.0
        return round(max(cumulative - highest, 0.0) / elapsed * 100.0, 3)

    def _descendants(self, roots: set[int]) -> Mapping[int, list[psutil.Process]]:
        """The parent → children map, scanned again every :data:`TREE_EVERY_S` seconds and
        whenever the watched roots change; processes of a known tree are sampled every time."""
        at, scanned_roots = self._scanned
        clock = time.monotonic()
        if roots and (clock - at >= TREE_EVERY_S or frozenset(roots) != scanned_roots):
            self._children = _children_map()
            self._scanned = (clock, frozenset(roots))
        return self._children

    def _tree(
        self, role: str, root_pid: int, children: Mapping[int, list[psutil.Process]]
    ) -> list[psutil.Process] | None:
        """The root process and its descendants, cached; None once the root has ended.

        ``children`` maps a pid to its child processes (:meth:`_descendants`): one scan of the
        process table serves every role.
        """
        root = self._process(root_pid)
        if root is None or not _alive(root):
            self._procs.pop(root_pid, None)
            if role not in self._gone:
                self._gone.add(role)
                self._event("process_exited", collector=self.name, role=role, pid=root_pid)
            return None
        tree = [root]
        todo = list(children.get(root_pid, ()))
        while todo:
            child = todo.pop()
            known = self._process(child.pid, child)
            if known is not None:
                tree.append(known)
                todo.extend(children.get(child.pid, ()))
        return tree

    def _process(self, pid: int, proc: psutil.Process | None = None) -> psutil.Process | None:
        cached = self._procs.get(pid)
        if cached is not None and cached.is_running():
            return cached
        try:
            fresh = proc or psutil.Process(pid)
            fresh.cpu_percent(None)  # the baseline; the first real value comes next sample
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            return None
        self._procs[pid] = fresh
        return fresh


def _children_map() -> dict[int, list[psutil.Process]]:
    """Parent pid → its child processes, from one pass over the process table."""
    children: dict[int, list[psutil.Process]] = {}
    for proc in psutil.process_iter(["ppid"]):
        ppid = proc.info.get("ppid")
        if isinstance(ppid, int) and ppid != proc.pid:
            children.setdefault(ppid, []).append(proc)
    return children


def _tree_seconds(times: Any) -> float:
    """A process's own user + system seconds and those of the children it reaped."""
    own = float(times.user) + float(times.system)
    reaped = float(getattr(times, "children_user", 0.0)) + float(
        getattr(times, "children_system", 0.0)
    )
    return own + reaped


def _alive(proc: psutil.Process) -> bool:
    """Running and not a zombie (ended, waiting for its parent to reap it)."""
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
