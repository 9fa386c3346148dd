"""The load generator's own CPU: when it, not the target, is the limit, and what to do.

Locust runs a process's users as greenlets on one core. From :data:`BUSY_PERCENT` (80 %) of a
core per Locust process it sends requests late, and the run measures the generator. Then
``--workers N`` (``N`` Locust processes) spreads the users: :func:`suggested_workers` is the
number that brings each process under :data:`TARGET_PERCENT` (60 %), the processes now times
their CPU over 60, rounded up, and no more than the machine's cores.

``erpcap run`` watches the Locust process tree with :class:`GeneratorWatch` while the users
run and prints :meth:`Busy.line` once, the first time the mean over the last
:data:`WINDOW_S` seconds reaches 80 % per process; the analysis judges the same threshold
per step (``generator.saturated``, analysis/capacity/bottleneck_warnings.py).

>>> suggested_workers(95.0, processes=1, cores=8)
2
>>> suggested_workers(90.0, processes=2, cores=8), suggested_workers(90.0, processes=2, cores=2)
(3, 2)
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import psutil

#: CPU per Locust process (% of one core) from which the generator is called busy.
BUSY_PERCENT = 80.0
#: CPU per process (% of one core) the suggested ``--workers`` aims below.
TARGET_PERCENT = 60.0
#: Seconds of the window whose mean CPU is judged (start-up and spawning bursts pass).
WINDOW_S = 5.0


def suggested_workers(per_process_percent: float, *, processes: int, cores: int | None) -> int:
    """The Locust processes that would each use under :data:`TARGET_PERCENT` of a core (at
    least one more than now), capped by ``cores`` (None: no cap)."""
    need = max(processes + 1, math.ceil(processes * per_process_percent / TARGET_PERCENT))
    return min(need, cores) if cores else need


@dataclass(frozen=True)
class Busy:
    """The generator found busy: its CPU per process, its processes, the suggestion."""

    per_process_percent: float
    processes: int
    cores: int | None
    suggested: int

    @property
    def more_processes_help(self) -> bool:
        """False when the machine has no more cores than Locust processes already."""
        return self.suggested > self.processes

    def line(self) -> str:
        """One line for the terminal.

        >>> Busy(92.4, 1, 4, 2).line()
        'warning: the load generator uses 92% of a core per Locust process (1 process), so it may send requests late and measure itself: run with --workers 2 to bring it under 60%'
        >>> Busy(95.0, 2, 2, 2).line().split(": ", 2)[2]
        'this machine has no more cores (2) for Locust processes: run the generator on more machines (erpcap run --master, erpcap worker)'
        """
        head = (
            f"warning: the load generator uses {self.per_process_percent:.0f}% of a core per "
            f"Locust process ({self.processes} process{'es' if self.processes != 1 else ''}), "
            "so it may send requests late and measure itself: "
        )
        if self.more_processes_help:
            return head + (
                f"run with --workers {self.suggested} to bring it under {TARGET_PERCENT:.0f}%"
            )
        return head + (
            f"this machine has no more cores ({self.cores}) for Locust processes: run the "
            "generator on more machines (erpcap run --master, erpcap worker)"
        )

    def evidence(self) -> dict[str, object]:
        return {
            "per_process_percent": round(self.per_process_percent, 1),
            "processes": self.processes,
            "cores": self.cores,
            "suggested_workers": self.suggested,
        }


class GeneratorWatch:
    """Judges the generator's cumulative CPU seconds, sampled while the users run.

    :meth:`add` answers :class:`Busy` once, the first time the mean over the last
    ``window_s`` seconds reaches :data:`BUSY_PERCENT` per process, and None otherwise.

    >>> watch = GeneratorWatch(processes=1, cores=4)
    >>> [watch.add(t, 0.3 * t) for t in range(7)]  # 30 % of a core: healthy
    [None, None, None, None, None, None, None]
    >>> watch = GeneratorWatch(processes=1, cores=4)
    >>> found = [watch.add(t, 0.9 * t) for t in range(12)]
    >>> [i for i, b in enumerate(found) if b], found[5].suggested
    ([5], 2)
    """

    def __init__(self, *, processes: int, cores: int | None, window_s: float = WINDOW_S) -> None:
        self.processes = max(1, processes)
        self.cores = cores
        self.window_s = window_s
        self._samples: deque[tuple[float, float]] = deque()
        self._warned = False

    def add(self, at: float, cpu_seconds: float) -> Busy | None:
        """The sample ``cpu_seconds`` (cumulative, of all Locust processes) at ``at``
        (seconds of a monotonic clock)."""
        if self._warned:
            return None
        self._samples.append((at, cpu_seconds))
        while len(self._samples) > 2 and at - self._samples[1][0] >= self.window_s:
            self._samples.popleft()
        start, used = self._samples[0]
        if at - start < self.window_s:
            return None
        per_process = 100.0 * (cpu_seconds - used) / (at - start) / self.processes
        if per_process < BUSY_PERCENT:
            return None
        self._warned = True
        suggested = suggested_workers(per_process, processes=self.processes, cores=self.cores)
        return Busy(per_process, self.processes, self.cores, suggested)


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) of process ``pid`` and its descendants alive now, with
    its children that ended; None when ``pid`` is gone."""
    try:
        root = psutil.Process(pid)
        times = root.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        children = root.children(recursive=True)
    except psutil.Error:
        return None
    for child in children:
        try:
            child_times = child.cpu_times()
        except psutil.Error:
            continue
        total += child_times.user + child_times.system
    return total
