"""The open model end to end: ``erpcap run --rate`` against a target that stalls.

The target (stall_erp.py, a real HTTP server in its own process) holds every request for
3 s from 5 s after the first one; the pool has 4 users at 20 arrivals/s. During the stall
the 4 users are stuck, so arrivals are dropped (more than 1 s overdue) or sent late (keeping
their intended start), and outside it the schedule is kept.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from erpcap.processes import ManagedProcess, free_port, wait_http_ok
from erpcap.rundir import RunDir

STALL = Path(__file__).with_name("stall_erp.py")
RATE = 20.0
STALL_AFTER_S, STALL_S = 5.0, 3.0
DURATION_S = 13.0


@pytest.fixture
def stalling_target(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The stalling stub in its own process group; yields its URL and its window file."""
    window, port = tmp_path / "window.json", free_port()
    server = ManagedProcess(
        "stall-erp",
        [sys.executable, str(STALL), str(port), str(STALL_AFTER_S), str(STALL_S), str(window)],
        log_path=tmp_path / "stall-erp.log",
    ).start()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http_ok(f"{url}/health", timeout_s=20, alive=lambda: server.poll() is None,
                     why_dead=server.tail)  # fmt: skip
        yield url, window
    finally:
        server.stop()


def test_rate_run_against_a_stall(stalling_target: tuple[str, Path], tmp_path: Path) -> None:
    target, window_file = stalling_target
    scenario = tmp_path / "availability.yaml"
    scenario.write_text(
        "users:\n  - role: order_entry\n    tasks: {check_availability: 1}\n", encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "erpcap", "run", "--target", target, "--scenario", str(scenario),
         "--rate", f"{RATE:g}/s", "--duration", f"{DURATION_S:g}s", "--users", "4", "--collect", "none",
         "--out", str(tmp_path / "runs")],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    run = RunDir.open(next((tmp_path / "runs").iterdir()))
    window = json.loads(window_file.read_text(encoding="utf-8"))
    stall_from, stall_until = (pd.Timestamp(window[k], unit="s", tz="UTC") for k in ("from", "until"))  # fmt: skip
    requests = run.read_table("requests")
    paced = requests[requests["name"] == "check_availability"]
    assert paced["paced"].all()
    lag_us = (paced["start"] - paced["intended_start"]).dt.total_seconds() * 1e6
    assert (paced["latency_us"] - paced["service_us"] == lag_us.round().astype("int64")).all()

    # Arrivals due during the stall: at most the pool's 4 went out on time (and hung); every
    # other one that was sent went out when the stall ended, keeping its intended start.
    in_stall = paced[(paced["intended_start"] >= stall_from)
                     & (paced["intended_start"] < stall_until)]  # fmt: skip
    during = in_stall[in_stall["start"] < stall_until]
    assert len(during) <= 4  # the pool: its users hung in the stall
    after = in_stall[in_stall["start"] >= stall_until]
    assert len(after) >= 4
    early = after[after["intended_start"] < stall_until - pd.Timedelta(seconds=0.3)]
    assert len(early) >= 2  # due well before the stall ended, sent when it did: late
    assert (lag_us[early.index] > 300_000).all()
    assert (early["latency_us"] > early["service_us"] + 300_000).all()
    assert (paced["start"] >= paced["intended_start"]).all()

    # Dropped arrivals: counted in run.json, in events, and the totals add up.
    meta = run.read_meta()
    arrivals = meta["arrivals"]
    assert arrivals["dropped"] > 0
    assert arrivals["intended"] == arrivals["sent"] + arrivals["dropped"]
    drop_events = [e for e in run.read_events() if e["kind"] == "dropped"]
    assert sum(e["dropped"] for e in drop_events) == arrivals["dropped"]
    stall_drops = [e for e in drop_events
                   if stall_from <= pd.Timestamp(e["ts"]) <= stall_until + pd.Timedelta(seconds=2)]  # fmt: skip
    assert sum(e["dropped"] for e in stall_drops) >= 0.9 * arrivals["dropped"]  # the stall's
    # the pool could not take more than a few seconds' worth: most of the stall is dropped
    assert arrivals["dropped"] >= RATE * (STALL_S - 1.0) * 0.5
    steps = [e for e in run.read_events() if e["kind"] == "step"]
    assert [(e["step"], e["rate"], e["pool"]) for e in steps] == [(1, RATE, 4)]

    # Outside the stall (past the pool's start, and once the pool caught up after the stall)
    # the schedule was kept: the rate near 20/s, the requests on time.
    begin = pd.Timestamp(steps[0]["ts"])
    windows = [(begin + pd.Timedelta(seconds=1.5), stall_from),
               (stall_until + pd.Timedelta(seconds=1.5), begin + pd.Timedelta(seconds=DURATION_S - 0.5))]  # fmt: skip
    clear = pd.concat([paced[(paced["intended_start"] >= a) & (paced["intended_start"] < b)]
                       for a, b in windows])  # fmt: skip
    seconds = sum((b - a).total_seconds() for a, b in windows)
    assert seconds > 5
    assert len(clear) / seconds == pytest.approx(RATE, rel=0.3)
    assert (lag_us[clear.index] < 500_000).mean() > 0.95

    # The analysis shows the dropped share, and says the target stalled (not the pool).
    findings = json.loads(run.file("findings.json").read_text(encoding="utf-8"))
    assert findings["arrivals"]["dropped"] == arrivals["dropped"]
    missed = [f for f in findings["findings"] if f["id"] == "load.schedule_missed"]
    assert missed and missed[0]["evidence"]["cause"] == "stall"
    assert not [f for f in findings["findings"] if f["id"] == "load.light"]  # an idle pool
    assert findings["capacity"]["usl"]["fitted"] is False  # no users curve in a rate run
    assert findings["steps"][0]["rate"] == RATE
    summary = run.file("summary.md").read_text(encoding="utf-8")
    assert f"| Arrivals dropped | **{arrivals['dropped']}** " in summary
    assert "p95 wait" in summary  # the wait beside the service time
    html = run.file("report.html").read_text(encoding="utf-8")
    assert "Arrivals dropped" in html and "The rate schedule was not kept" in html


def test_rate_split_over_workers(stub_erp: str, tmp_path: Path) -> None:
    """``--workers 2``: each worker process sends half the rate from its own clock, and the
    run's arrivals are the sum of both."""
    done = subprocess.run(
        [sys.executable, "-m", "erpcap", "run", "--target", stub_erp, "--scenario", "query",
         "--rate", "16/s", "--duration", "6s", "--users", "8", "--workers", "2",
         "--collect", "none", "--no-report", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    run = RunDir.open(next(tmp_path.iterdir()))
    reports = [e for e in run.read_events() if e["kind"] == "arrivals"]
    assert len(reports) == 2 and {e["share"] for e in reports} == {0.5}
    assert len({e["worker"] for e in reports}) == 2
    arrivals = run.read_meta()["arrivals"]
    assert arrivals["processes"] == 2
    assert arrivals["intended"] == sum(e["intended"] for e in reports)
    assert arrivals["intended"] == pytest.approx(16 * 6, rel=0.35)  # Poisson: sd ~10 %
    frame = run.read_table("requests")
    assert frame["paced"].all()
    assert frame["worker"].nunique() == 2
