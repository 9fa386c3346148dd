"""The psutil collector sampling a real child process tree."""

from __future__ import annotations

import json
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
    proc = subprocess.Popen([sys.executable, "-c", BUSY])
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
        proc.kill()
        proc.wait(5)
        wait(
            lambda: any(e["kind"] == "process_exited" for e in run.read_events()),
            5.0,
            "the process_exited event",
        )
    finally:
        if proc.poll() is None:
            proc.kill()
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
