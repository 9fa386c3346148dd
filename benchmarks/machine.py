"""The machine's facts, written beside every figure in docs/benchmarks.md.

Figures from a slower or busier machine must not be read as if they came from the same one, so
each benchmark section carries a line with the cores, the CPU model, the memory, the load
average and a short CPU-speed probe: a fixed pure-Python loop, timed best of five (lower is
faster; the same loop on any machine, so two machines' probes compare directly).

    .venv/bin/python benchmarks/machine.py     # prints the line
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass
from datetime import UTC, datetime

PROBE_LOOPS = 1_000_000


def cpu_probe_ms(rounds: int = 5) -> float:
    """Milliseconds for a fixed pure-Python loop (one million additions and multiplications),
    the best of ``rounds``: the single-core speed this machine gives Python right now."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        total = 0
        for i in range(PROBE_LOOPS):
            total += i * 3
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float:
    """Total memory in GiB (0 when unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return 0.0


@dataclass(frozen=True)
class Machine:
    """What the machine was when a benchmark ran."""

    cores: int
    model: str
    memory_gib: float
    load_1m: float
    probe_ms: float
    date: str

    @classmethod
    def now(cls) -> Machine:
        """Read the facts and time the probe (about half a second)."""
        return cls(
            cores=os.cpu_count() or 1,
            model=cpu_model(),
            memory_gib=memory_gib(),
            load_1m=os.getloadavg()[0],
            probe_ms=cpu_probe_ms(),
            date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )

    def line(self) -> str:
        """One line for the docs.

        >>> Machine(2, "Xeon", 23.4, 1.5, 61.2, "2026-12-05 03:00 UTC").line()
        '*Machine: 2 cores (Xeon), 23 GiB, load average 1.50, CPU probe 61 ms (a fixed Python loop, best of 5; lower is faster), 2026-12-05 03:00 UTC.*'
        """
        return (
            f"*Machine: {self.cores} cores ({self.model}), {self.memory_gib:.0f} GiB, "
            f"load average {self.load_1m:.2f}, CPU probe {self.probe_ms:.0f} ms (a fixed Python "
            f"loop, best of 5; lower is faster), {self.date}.*"
        )


if __name__ == "__main__":
    print(Machine.now().line())
