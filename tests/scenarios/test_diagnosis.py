"""The capacity rules on a server erpcap was not built around: the stub ERP, once healthy and
once with a planted bottleneck (a global lock held 100 ms by every request), driven through
``erpcap run`` with a ladder of 2 → 4 → 8 → 16 users.

Planted: at most 10 requests/s get done, while 16 thinking users offer about 26/s — the
throughput must level off and the finding must say so with its evidence. Healthy: the same
ladder offers 3 to 26 requests/s that a free server answers in a millisecond — throughput
follows the users, nothing levels off, and the run is rightly called a light load.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from erpcap.rundir import RunDir

from .conftest import running_stub

SHAPE = "steps:\n" + "".join(f"  - users: {n}\n    duration: 8s\n" for n in (2, 4, 8, 16))
SCENARIO = "users:\n  - role: order_entry\n    tasks: {check_availability: 3, get_sales_order: 1}\n"


def _run_ladder(target: str, tmp_path: Path) -> dict:
    (tmp_path / "shape.yaml").write_text(SHAPE, encoding="utf-8")
    (tmp_path / "scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable, "-m", "erpcap", "run", "--target", target,
            "--scenario", str(tmp_path / "scenario.yaml"), "--shape", str(tmp_path / "shape.yaml"),
            "--think-scale", "0.05", "--out", str(tmp_path / "runs"),
        ],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return RunDir.open(tmp_path / "runs" / "latest").read_findings()


def _ids(findings: dict) -> set[str]:
    return {f["id"] for f in findings["findings"]}


@pytest.mark.slow
def test_a_planted_bottleneck_levels_off(tmp_path: Path) -> None:
    with running_stub("--serial-ms", "100") as target:
        findings = _run_ladder(target, tmp_path)
    saturated = [f for f in findings["findings"] if f["id"] == "capacity.saturated"]
    assert saturated, [f["title"] for f in findings["findings"]]
    evidence = saturated[0]["evidence"]
    assert evidence["users"][1] > evidence["users"][0] >= 4
    assert max(evidence["rps"]) <= 10.5  # the lock allows 10/s, and the finding shows it
    assert evidence["delivered_share"] < 0.8 and evidence["expected_rps"] > evidence["rps"][1]
    top = findings["steps"][-1]
    assert top["busy_share"] > 0.5  # users wait for the server most of the time
    assert "load.light" not in _ids(findings)


@pytest.mark.slow
def test_a_healthy_server_is_not_called_saturated(tmp_path: Path) -> None:
    with running_stub() as target:
        findings = _run_ladder(target, tmp_path)
    assert "capacity.saturated" not in _ids(findings), [f["title"] for f in findings["findings"]]
    steps = [s for s in findings["steps"] if s["measured"]]
    assert len(steps) >= 3
    # Throughput follows the users: doubling them nearly doubles the work done.
    assert steps[-1]["ok_rps"] > 1.6 * steps[-2]["ok_rps"]
    assert "load.light" in _ids(findings)


def test_a_wrong_password_stops_the_run_before_the_load(stub_erp: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "erpcap", "run", "--target", stub_erp, "--password", "wrong",
         "--duration", "30s", "--out", str(tmp_path / "runs")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "refused the login of user" in lines[0] and "HTTP 401" in lines[0]
    assert "--password" in lines[0] and "wrong" not in lines[0].split("(")[0]
    assert not (tmp_path / "runs").exists()  # nothing was started or written


def test_a_target_without_the_login_is_refused(tmp_path: Path) -> None:
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        target = f"http://127.0.0.1:{server.server_address[1]}"
        result = subprocess.run(
            [sys.executable, "-m", "erpcap", "run", "--target", target, "--out", str(tmp_path)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 2, result.stderr
    assert "login" in result.stderr and "Traceback" not in result.stderr
