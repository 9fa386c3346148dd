"""The psutil collector sampling a real child process tree."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from erpcap.collectors.psutil_host import PsutilCollector
from erpcap.rundir import RunDir

# A parent that burns CPU for a few seconds and keeps one sleeping child.
BUSY = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
end = time.monotonic() + 30
while time.monotonic() < end:
    pass
"""


def test_samples_host_and_a_process_tree(tmp_path: Path, wait: Callable[..., None]) -> None:
    run = RunDir.create(tmp_path / "run")
    collector = PsutilCollector(interval=0.2, per_cpu=True, per_pid=True, flush_every_s=0.5)
    collector.start(run)  # before the process exists: it is watched later
    proc = subprocess.Popen([sys.executable, "-c", BUSY], start_new_session=True)
    try:
        collector.watch("app", proc.pid)

        def tree_sampled() -> bool:
            if run.count_rows("metrics") == 0:
                return False
            frame = run.read_table("metrics")
            counts = frame[
                (frame["metric"] == "num_processes") & (frame["labels"] == '{"role":"app"}')
            ]
            busy = frame[(frame["metric"] == "cpu_percent") & (frame["labels"] == '{"role":"app"}')]
            return bool((counts["value"] == 2).any() and (busy["value"] > 20).any())

        wait(tree_sampled, 8.0, "the parent and its child to be sampled busy")
        first_pid = proc.pid
        os.killpg(proc.pid, signal.SIGKILL)  # the parent and its sleeping child
        proc.wait(5)
        wait(
            lambda: any(e["kind"] == "process_exited" for e in run.read_events()),
            5.0,
            "the process_exited event",
        )
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        collector.stop()
    assert not collector.running and collector.failures == 0
    frame = run.read_table("metrics")
    host = frame[frame["source"] == "host"]
    for metric in ("cpu_percent", "memory_used_percent", "memory_used_bytes", "load_1m",
                   "net_sent_bytes_per_s"):  # fmt: skip
        assert metric in set(host["metric"]), metric
    assert host.loc[host["metric"] == "memory_used_bytes", "value"].gt(0).all()
    rates = host[host["metric"].str.endswith("_per_s")]
    assert (rates["value"] >= 0).all()
    assert host["labels"].map(json.loads).map(lambda d: d.get("cpu")).notna().any()  # per core
    cpu = host[(host["metric"] == "cpu_percent") & (host["labels"] == "{}")]["value"]
    assert cpu.between(0, 100).all()
    process = frame[frame["source"] == "process"]
    labels = process["labels"].map(json.loads)
    assert set(labels.map(lambda d: d["role"])) == {"app"}
    pids = {d["pid"] for d in labels if "pid" in d}
    assert first_pid in pids and len(pids) == 2  # the parent and its child, each
    rss = process[(process["metric"] == "rss_bytes") & (process["labels"] == '{"role":"app"}')]
    assert (rss["value"] > 1_000_000).all()
    assert pd.api.types.is_datetime64_any_dtype(frame["ts"])
    assert frame["ts"].is_monotonic_increasing or len(list((run.path / "metrics").glob("*"))) > 1
    exited = [e for e in run.read_events() if e["kind"] == "process_exited"]
    assert [(e["role"], e["pid"]) for e in exited] == [("app", first_pid)]


# A parent that runs children one after another, each burning 0.15 s of CPU and ending well
# within the collector's five-second rescan of the process table, and counts them in a file.
FORKING = """
import pathlib, subprocess, sys
done = pathlib.Path(sys.argv[1])
burn = "import time\\nwhile time.process_time() < 0.15:\\n    pass\\n"
for n in range(1, 400):
    subprocess.run([sys.executable, "-c", burn], check=True)
    done.write_text(str(n))
"""


def test_counts_the_cpu_of_children_that_ended_between_samples(
    tmp_path: Path, wait: Callable[..., None]
) -> None:
    """A server forking a process per connection (PostgreSQL) spends its CPU in children
    that live less than a sample: the role's CPU must include them."""
    run = RunDir.create(tmp_path / "run")
    collector = PsutilCollector(interval=0.5, flush_every_s=0.5)
    done = tmp_path / "done"
    proc = subprocess.Popen([sys.executable, "-c", FORKING, str(done)], start_new_session=True)
    collector.watch("forker", proc.pid)
    collector.start(run)
    try:
        wait(
            lambda: done.exists() and int(done.read_text() or 0) >= 12,
            60.0,
            "twelve short-lived children to end",
        )
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
        collector.stop()
    children = int(done.read_text())
    frame = run.read_table("metrics")
    role = frame[(frame["metric"] == "cpu_percent") & (frame["labels"] == '{"role":"forker"}')]
    cpu_seconds = float((role["value"] / 100.0 * 0.5).sum())
    # at least 0.15 s each for the children that ended (and at most all that could run)
    assert cpu_seconds >= 0.6 * 0.15 * children, (cpu_seconds, children)
