"""The live generator warning of ``erpcap run``: the decision on recorded samples, and the
line and event it leaves (the busy generator itself is not forced: on a shared 2-core
machine a test cannot be sure to hold 80 % of a core)."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

from erpcap.generator import GeneratorWatch, suggested_workers, tree_cpu_seconds
from erpcap.pipeline import _check_generator
from erpcap.progress import Progress
from erpcap.rundir import RunDir

#: Cumulative CPU seconds of a Locust process sampled every 0.5 s: a start-up burst (an
#: import and the spawn at 100 % for 2 s), then 35 % of a core (a healthy run).
HEALTHY = [(i * 0.5, min(i, 4) * 0.5 + max(0, i - 4) * 0.5 * 0.35) for i in range(40)]
#: The same start, then 92 % of a core from 4 s on.
BUSY = [(i * 0.5, min(i, 4) * 0.5 + max(0, i - 4) * 0.5 * 0.92) for i in range(40)]


def _feed(watch: GeneratorWatch, samples: list[tuple[float, float]]) -> list[int]:
    return [i for i, (at, cpu) in enumerate(samples) if watch.add(at, cpu) is not None]


def test_a_start_up_burst_is_no_warning_and_a_busy_generator_is_one() -> None:
    assert _feed(GeneratorWatch(processes=1, cores=8), HEALTHY) == []
    found = _feed(GeneratorWatch(processes=1, cores=8), BUSY)
    assert len(found) == 1  # once, not at every sample after it
    watch = GeneratorWatch(processes=1, cores=8)
    busy = next(b for at, cpu in BUSY if (b := watch.add(at, cpu)) is not None)
    assert 80 <= busy.per_process_percent <= 100
    assert busy.suggested == 2 and "--workers 2" in busy.line()


def test_the_cpu_counts_per_process_and_the_suggestion_stops_at_the_cores() -> None:
    # Two processes together at 1.7 cores: 85 % each.
    two = [(at, cpu * 1.7 / 0.92) for at, cpu in BUSY]
    watch = GeneratorWatch(processes=2, cores=8)
    busy = next(b for at, cpu in two if (b := watch.add(at, cpu)) is not None)
    assert busy.processes == 2 and busy.suggested == 3  # 2 × 85 / 60 = 2.8
    watch = GeneratorWatch(processes=2, cores=2)
    busy = next(b for at, cpu in two if (b := watch.add(at, cpu)) is not None)
    assert busy.suggested == 2 and not busy.more_processes_help
    assert "--workers" not in busy.line() and "more machines" in busy.line()
    # The same CPU over two processes is healthy.
    assert _feed(GeneratorWatch(processes=2, cores=8), BUSY) == []
    assert suggested_workers(70.0, processes=4, cores=None) == 5
    assert suggested_workers(50.0, processes=1, cores=4) == 2  # never fewer than one more


def test_the_warning_is_printed_once_and_noted_as_an_event(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path / "run")
    out = io.StringIO()
    progress = Progress(out)
    watch = GeneratorWatch(processes=1, cores=4)
    used = tree_cpu_seconds(os.getpid())
    assert used is not None and used > 0
    # As if this process had used 20 CPU-seconds over the last 10 s: two cores' worth.
    watch.add(time.monotonic() - 10.0, used - 20.0)
    for _ in range(3):
        _check_generator(run, progress, watch, os.getpid())
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("erpcap: warning: the load generator uses ")
    assert "run with --workers 4" in lines[0]  # 200 % per process / 60 → 4, the cores
    events = [e for e in run.read_events() if e["kind"] == "generator_busy"]
    assert len(events) == 1
    assert events[0]["suggested_workers"] == 4 and events[0]["processes"] == 1
    assert events[0]["per_process_percent"] >= 150
    assert run.read_meta()["generator_busy"] == {k: v for k, v in events[0].items()
                                                 if k not in ("ts", "kind")}  # fmt: skip


def test_a_gone_process_is_no_sample() -> None:
    assert tree_cpu_seconds(2**22 + 7) is None  # above Linux's largest pid
