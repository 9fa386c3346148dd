"""The scenarios against the real reference ERP (seeded SQLite, served on a free port)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from erpcap.processes import free_port
from erpcap.rundir import RunDir
from erpcap.scenarios.shapes import steps_shape

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference_erp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m erpcap.reference_erp`` seeded at scale 0.02 and served on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("erp")
    db = f"sqlite:///{folder / 'erp.sqlite'}"
    cli = [sys.executable, "-m", "erpcap.reference_erp"]
    seeded = subprocess.run(
        [*cli, "seed", "--db", db, "--scale", "0.02"], capture_output=True, text=True, timeout=180
    )
    assert seeded.returncode == 0, f"seed failed:\n{seeded.stdout}\n{seeded.stderr}"
    port = free_port()
    log = (folder / "serve.log").open("wb")
    server = subprocess.Popen(
        [*cli, "serve", "--db", db, "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (folder / "serve.log").read_text(errors="replace")
            try:
                if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "reference ERP did not answer /health in 60 s"
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        log.close()


def _failures(frame: Any) -> str:
    failed = frame[~frame["ok"]]
    return (
        failed.groupby(["name", "status_code", "error"]).size().to_string() if len(failed) else ""
    )


def test_demo_mix_against_reference_erp(
    reference_erp: str, start_locust: Callable[..., Any]
) -> None:
    proc, run = start_locust(reference_erp, steps_shape([(2, 4.0), (4, 4.0)], spawn_rate=50))
    out, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, out.decode(errors="replace")
    frame = run.read_table("requests")
    assert len(frame) > 10, _failures(frame)
    logins = frame[frame["name"] == "login"]
    assert len(logins) >= 4 and logins["ok"].all(), _failures(frame)
    core = frame[frame["name"].isin(["create_sales_order", "check_availability", "get_sales_order",
                                     "list_customer_orders", "list_customers", "list_items"])]  # fmt: skip
    assert len(core) > 0 and core["ok"].mean() >= 0.95, _failures(frame)
    assert (frame["status_code"] < 500).all(), _failures(frame)
    assert {2, 4} <= set(frame["users"])
    steps = [e["users"] for e in run.read_events() if e["kind"] == "step"]
    assert steps == [2, 4]


@pytest.mark.parametrize("scenario", ["peak-order", "month-end-close"])
def test_every_operation_matches_the_contract(
    reference_erp: str, start_locust: Callable[..., Any], scenario: str
) -> None:
    """Each role's requests reach a route with a valid body: no 404/405/422, no 5xx."""
    proc, run = start_locust(
        reference_erp, steps_shape([(12, 6.0)], spawn_rate=50), scenario=scenario, think_scale=0.01
    )
    out, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, out.decode(errors="replace")
    frame = run.read_table("requests")
    bad = frame[frame["status_code"].isin([0, 404, 405, 422]) | (frame["status_code"] >= 500)]
    assert bad.empty, _failures(frame)
    assert frame["ok"].mean() > 0.9, _failures(frame)


def test_open_model_against_reference_erp(reference_erp: str, tmp_path: Path) -> None:
    """``--rate`` with the reference ERP's role users: every request is paced, and the
    arrivals are counted (intended = sent + dropped) in run.json."""
    done = subprocess.run(
        [sys.executable, "-m", "erpcap", "run", "--target", reference_erp, "--rate", "10/s",
         "--duration", "6s", "--users", "12", "--collect", "none", "--no-report",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    run = RunDir.open(next(tmp_path.iterdir()))
    frame = run.read_table("requests")
    assert frame["paced"].all() and (frame["start"] >= frame["intended_start"]).all()
    assert (frame["status_code"] < 500).all(), _failures(frame)
    arrivals = run.read_meta()["arrivals"]
    assert arrivals["intended"] == arrivals["sent"] + arrivals["dropped"]
    assert arrivals["sent"] >= 30  # 10/s for 6 s, less the pool's start
    assert len(frame[frame["name"] != "login"]) >= arrivals["sent"] * 0.8
