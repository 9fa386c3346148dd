"""A failing collector leaves a gap and a warning; the run and the other samples go on."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from erpcap.collectors.base import Collector, metric_row
from erpcap.rundir import RunDir


class Flaky(Collector):
    """Fails on samples 3 to 5, works otherwise."""

    name: ClassVar[str] = "flaky"

    def __init__(self) -> None:
        super().__init__(interval=0.05, flush_every_s=0.2)
        self.calls = 0

    def sample(self, now: datetime) -> Iterable[Mapping[str, Any]]:
        self.calls += 1
        if 3 <= self.calls <= 5:
            raise ConnectionError("database went away")
        return [metric_row(now, "test", "calls", self.calls)]


class BrokenSetup(Flaky):
    name: ClassVar[str] = "broken"

    def setup(self) -> None:
        raise PermissionError("no access to the stats view")


def _wait(predicate: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.02)
    assert predicate()


def test_failing_sampler_leaves_a_gap_and_a_warning(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path / "run")
    flaky = Flaky()
    flaky.start(run)
    _wait(lambda: flaky.samples >= 6, 5.0)
    assert flaky.running  # still sampling after the failures
    flaky.stop()
    assert not flaky.running
    kinds = [e["kind"] for e in run.read_events()]
    assert kinds.count("collector_gap") == 1  # one gap for the streak of three failures
    assert kinds.index("collector_gap") < kinds.index("collector_resumed")
    gap = next(e for e in run.read_events() if e["kind"] == "collector_gap")
    assert gap["collector"] == "flaky" and "database went away" in gap["error"]
    warnings = run.read_meta()["warnings"]
    assert len(warnings) == 1 and "collector flaky failed" in warnings[0]
    values = sorted(run.read_table("metrics")["value"])
    assert flaky.failures == 3
    assert values[:3] == [1.0, 2.0, 6.0]  # samples 3-5 are the gap
    assert run.read_meta()["status"] == "running"  # nothing else about the run changed


def test_failing_setup_does_not_stop_sampling(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path / "run")
    broken = BrokenSetup()
    broken.start(run)
    _wait(lambda: broken.samples >= 1, 5.0)
    broken.stop()
    gap = next(e for e in run.read_events() if e["kind"] == "collector_gap")
    assert "no access" in gap["error"]
    assert run.count_rows("metrics") >= 1
