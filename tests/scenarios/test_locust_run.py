"""The real Locust process: a two-step ladder against a real HTTP server on loopback."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from erpcap.rundir import RunDir
from erpcap.scenarios.catalog import OPERATION_GROUPS
from erpcap.scenarios.shapes import steps_shape

TWO_STEPS = steps_shape([(2, 4.0), (4, 4.0)], spawn_rate=50)


def _finish(proc: subprocess.Popen[bytes], timeout_s: float) -> str:
    out, _ = proc.communicate(timeout=timeout_s)
    return out.decode(errors="replace")


def check_run(run: RunDir, frame: pd.DataFrame) -> None:
    """What every completed two-step run must show."""
    assert len(frame) > 20
    assert set(frame["name"]) <= set(OPERATION_GROUPS)
    assert {"login", "create_sales_order", "check_availability", "get_sales_order"} <= set(
        frame["name"]
    )
    assert (frame["latency_us"] > 0).all()
    assert (frame["latency_us"] >= frame["service_us"]).all()
    assert (frame["intended_start"] <= frame["start"]).all()
    assert set(frame["user_class"]) <= {"OrderEntryUser", "ManagerUser", "IntegrationUser"}
    failed = frame[~frame["ok"]]
    assert failed["error"].notna().all()
    assert ((failed["status_code"] >= 400) | (failed["status_code"] == 0)).all()
    # Users follow the ladder: 2, then 4 (spawned at 50/s, so hardly anything in between).
    assert set(frame["users"]) <= {1, 2, 3, 4}
    assert {2, 4} <= set(frame["users"])
    first_step_end = frame["start"].min() + pd.Timedelta(seconds=3)
    assert (frame.loc[frame["start"] < first_step_end, "users"] <= 2).all()
    events = run.read_events()
    steps = [e for e in events if e["kind"] == "step"]
    assert [(e["step"], e["users"], e["duration_s"]) for e in steps] == [(1, 2, 4.0), (2, 4, 4.0)]
    # Each row carries the users active when it was sent, not when it finished: nothing sent
    # before the second step began counts its 4 users, and well into it everything does.
    second = pd.Timestamp(steps[1]["ts"])
    assert (frame.loc[frame["intended_start"] < second, "users"] <= 2).all()
    assert (
        frame.loc[frame["intended_start"] > second + pd.Timedelta(seconds=1), "users"] == 4
    ).all()
    assert [e["kind"] for e in events if e["kind"] != "in_flight"][-1] == "stop"
    assert [e["kind"] for e in events].count("in_flight") == 1  # reported once, at the end
    parts = sorted((run.path / "requests").glob("part-*.parquet"))
    assert len(parts) >= 2  # flushed every 2 s while running, not only at the end
    assert not list((run.path / "requests").glob(".*"))  # no torn temporary files


def test_two_step_ladder_against_stub(stub_erp: str, start_locust: Callable[..., Any]) -> None:
    started = time.monotonic()
    proc, run = start_locust(stub_erp, TWO_STEPS)
    output = _finish(proc, timeout_s=60)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, output
    assert elapsed < TWO_STEPS.total_duration() + 20, "Locust did not stop when the shape ended"
    frame = run.read_table("requests")
    check_run(run, frame)
    # The stub answers every fifth order with 409 insufficient_stock: a business outcome.
    orders = frame[frame["name"] == "create_sales_order"]
    conflicts = orders[orders["status_code"] == 409]
    assert conflicts["ok"].all() and (conflicts["error"] == "insufficient_stock").all()
    if len(orders) >= 5:
        assert len(conflicts) >= 1
    # Endpoints the stub lacks (reports, lots) fail as data; the users kept going.
    missing = frame[frame["status_code"] == 404]
    assert (~missing["ok"]).all()
    assert missing["error"].str.startswith("404 not_found").all()


def test_sigterm_keeps_what_was_recorded(
    stub_erp: str, start_locust: Callable[..., Any], wait: Callable[..., None]
) -> None:
    proc, run = start_locust(stub_erp, steps_shape([(3, 60.0)]))
    wait(lambda: run.count_rows("requests") > 0, 20.0, "the first flushed requests")
    flushed = run.count_rows("requests")
    proc.send_signal(signal.SIGTERM)
    output = _finish(proc, timeout_s=20)
    frame = run.read_table("requests")
    assert len(frame) >= flushed > 0
    assert frame["ok"].any()
    assert not list((run.path / "requests").glob(".*"))
    # Locust shut down its normal way and counted what erpcap recorded: nothing was lost
    # between the last timed flush and the stop.
    totals = [line.split() for line in output.splitlines() if line.strip().startswith("Aggregated")]
    assert totals, output[-2000:]
    assert int(totals[0][1]) == len(frame)
    in_flight = [e for e in run.read_events() if e["kind"] == "in_flight"]
    assert len(in_flight) == 1 and in_flight[0]["requests"] >= 0


def test_login_failures_do_not_crash(stub_erp: str, start_locust: Callable[..., Any]) -> None:
    proc, run = start_locust(stub_erp, steps_shape([(2, 3.0)]), password="wrong")
    output = _finish(proc, timeout_s=40)
    assert proc.returncode == 0, output
    frame = run.read_table("requests")
    assert set(frame["name"]) == {"login"}
    assert (frame["status_code"] == 401).all() and (~frame["ok"]).all()
    assert frame["error"].str.startswith("401 bad_credentials").all()


def test_worker_processes(stub_erp: str, start_locust: Callable[..., Any]) -> None:
    proc, run = start_locust(stub_erp, TWO_STEPS, workers=2)
    output = _finish(proc, timeout_s=60)
    assert proc.returncode == 0, output
    frame = run.read_table("requests")
    assert frame["worker"].nunique() == 2  # each worker process writes its own parts
    assert len({p.name.split("-")[1] for p in (run.path / "requests").glob("part-*")}) == 2
    # Workers learn the total from the master: the second step shows 4 users.
    assert frame["users"].max() == 4
    assert [e["users"] for e in run.read_events() if e["kind"] == "step"] == [2, 4]


def test_scenario_file_runs(
    stub_erp: str, start_locust: Callable[..., Any], tmp_path: Path
) -> None:
    path = tmp_path / "only-availability.yaml"
    path.write_text(
        "users:\n  - role: order_entry\n    tasks: {check_availability: 1}\n", encoding="utf-8"
    )
    proc, run = start_locust(stub_erp, steps_shape([(2, 3.0)]), scenario=str(path))
    output = _finish(proc, timeout_s=40)
    assert proc.returncode == 0, output
    frame = run.read_table("requests")
    assert set(frame["name"]) == {"login", "list_items", "check_availability"}
    assert frame["ok"].all() and set(frame["user_class"]) == {"OrderEntryUser"}
