"""``erpcap compare`` on two real ``erpcap run`` ladders against a small server this test
writes (not the reference ERP): once as it is, once with a planted CPU cost on every
availability request (a fixed amount of hashing, not a sleep). Compare must call that
transaction slower, and flag the regression for CI.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest

from erpcap.analysis.compare import compare_runs
from erpcap.analysis.run import analyze_run
from erpcap.cli import main
from erpcap.rundir import RunDir

SHAPE = "steps:\n" + "".join(f"  - users: {n}\n    duration: 6s\n" for n in (2, 4))
SCENARIO = "users:\n  - role: order_entry\n    tasks: {check_availability: 3, get_sales_order: 1}\n"
ITEMS = [{"id": i, "sku": f"S{i}"} for i in range(1, 11)]
ORDERS = [{"id": i, "status": "open"} for i in range(1, 11)]
#: PBKDF2 rounds burnt per availability request in the slowed server (tens of ms of CPU).
COST_ROUNDS = 40_000


def _json_server() -> ModuleType:
    """tests/json_server.py, loaded by path (tests are not a package)."""
    path = Path(__file__).parents[1] / "json_server.py"
    spec = importlib.util.spec_from_file_location("erpcap_tests_json_server", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


json_server = _json_server()


def _handler(cost_rounds: int) -> type[BaseHTTPRequestHandler]:
    class Handler(json_server.TokenLoginHandler):  # type: ignore[misc]
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = urlsplit(self.path).path
            if path == "/items":
                self._send(200, {"items": ITEMS, "total": len(ITEMS)})
            elif path == "/sales-orders":
                self._send(200, {"items": ORDERS, "total": len(ORDERS)})
            elif path == "/availability":
                if cost_rounds:
                    hashlib.pbkdf2_hmac("sha256", b"planted", b"cost", cost_rounds)
                self._send(200, {"available": 100, "lots": []})
            elif match := re.fullmatch(r"/sales-orders/(\d+)", path):
                self._send(200, {"id": int(match.group(1)), "status": "open", "lines": []})
            else:
                self._no_route()

    return Handler


@contextmanager
def _server(cost_rounds: int) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(cost_rounds))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _run(target: str, folder: Path) -> RunDir:
    """One short ladder recorded with ``erpcap run`` (its own process group), then analysed."""
    folder.mkdir()
    (folder / "shape.yaml").write_text(SHAPE, encoding="utf-8")
    (folder / "scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    argv = [
        sys.executable, "-m", "erpcap", "run", "--target", target,
        "--scenario", str(folder / "scenario.yaml"), "--shape", str(folder / "shape.yaml"),
        "--think-scale", "0.02", "--collect", "none", "--no-report", "--out", str(folder / "runs"),
    ]  # fmt: skip
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, err[-3000:]
    run = RunDir.open(folder / "runs" / "latest")
    analyze_run(run)
    return run


@pytest.mark.slow
def test_compare_calls_a_planted_cpu_cost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _server(0) as target:
        before = _run(target, tmp_path / "before")
    with _server(COST_ROUNDS) as target:
        after = _run(target, tmp_path / "after")
    doc = compare_runs(before.path, after.path)
    rows = {r["name"]: r for r in doc["transactions"]["rows"]}
    slowed = rows["check_availability"]
    assert slowed["verdict"] == "slower", slowed
    assert slowed["p95_change"] > 0.05 and slowed["p95_diff_ci_ms"][0] > 0
    assert doc["regression"] is True
    assert all(r["verdict"] != "faster" for r in rows.values())
    assert [r["users"] for r in doc["steps"]["rows"]] == [2, 4]
    # The command says so and fails the CI step.
    assert main(["compare", str(before.path), str(after.path), "--fail-on-regression"]) == 1
    assert "| check_availability |" in capsys.readouterr().out
