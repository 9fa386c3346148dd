"""``erpcap import locust-csv``: a real Locust run's --csv files, then analyze, report and gate.

A tiny HTTP server (written here) answers on 127.0.0.1; Locust runs headless as its own
process group for 5 s with 3 users and writes ``--csv PREFIX --csv-full-history``. Written
histories in Locust's documented layout cover what one short run cannot show (a ladder, a
history without --csv-full-history).
"""

from __future__ import annotations

import csv
import json
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from erpcap.cli import main
from erpcap.processes import ManagedProcess
from erpcap.rundir import RunDir

SERVER = """\
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/broken"):
            status, body = 500, b"broken"
        else:
            time.sleep(0.002)
            status, body = 200, b"item" * 8
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("PORT", server.server_address[1], flush=True)
server.serve_forever()
"""

LOCUSTFILE = """\
from locust import HttpUser, constant, task

class Shopper(HttpUser):
    wait_time = constant(0.05)

    @task(4)
    def items(self):
        self.client.get("/items")

    @task(1)
    def broken(self):
        self.client.get("/broken")
"""

BUDGETS = """\
thresholds:
  http_req_duration: ["p(95)<5s", "p(99.9)<10s"]
  http_req_duration{name:/items}: ["p(95)<5000", "avg<2s"]
  http_req_failed{name:/items}: ["rate<0.01"]
  http_reqs: ["count>10"]
"""

#: A history header in Locust's documented layout (2.x), percentiles as Locust names them.
PERCENTS = ["50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"]
HISTORY_HEADER = [
    "Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s", *PERCENTS,
    "Total Request Count", "Total Failure Count", "Total Median Response Time",
    "Total Average Response Time", "Total Min Response Time", "Total Max Response Time",
    "Total Average Content Size",
]  # fmt: skip
STATS_HEADER = [
    "Type", "Name", "Request Count", "Failure Count", "Median Response Time",
    "Average Response Time", "Min Response Time", "Max Response Time", "Average Content Size",
    "Requests/s", "Failures/s", *PERCENTS,
]  # fmt: skip


def _port(log: Path, timeout_s: float = 30.0) -> int:
    """The port the test server printed in its log, polled until a deadline."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        match = re.search(r"PORT (\d+)", log.read_text()) if log.exists() else None
        if match:
            return int(match[1])
        time.sleep(0.05)
    raise AssertionError(f"the test server did not print its port within {timeout_s} s")


@pytest.fixture(scope="module")
def locust_csv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The PREFIX of a real, bounded Locust run's CSV files (3 users, 5 s, 127.0.0.1)."""
    folder = tmp_path_factory.mktemp("locust")
    (folder / "server.py").write_text(SERVER)
    (folder / "locustfile.py").write_text(LOCUSTFILE)
    server = ManagedProcess(
        "server", [sys.executable, str(folder / "server.py")], log_path=folder / "server.log"
    ).start()
    locust: ManagedProcess | None = None
    try:
        port = _port(folder / "server.log")
        prefix = folder / "shop"
        locust = ManagedProcess(
            "locust",
            [
                sys.executable, "-m", "locust", "-f", str(folder / "locustfile.py"),
                "--headless", "-u", "3", "-r", "3", "-t", "5s", "--stop-timeout", "2",
                "--host", f"http://127.0.0.1:{port}",
                "--csv", str(prefix), "--csv-full-history", "--only-summary",
                "--loglevel", "WARNING",
            ],
            log_path=folder / "locust.log",
            cwd=folder,
        ).start()  # fmt: skip
        code = locust.wait(60)
        assert code in (0, 1), locust.tail()  # 1: Locust's exit code when requests failed
        yield prefix
    finally:
        if locust is not None:
            locust.stop(5)
        server.stop(5)


def _aggregated(prefix: Path) -> dict[str, str]:
    with Path(f"{prefix}_stats.csv").open(newline="") as f:
        return next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")


def _per_name(prefix: Path) -> dict[str, int]:
    with Path(f"{prefix}_stats.csv").open(newline="") as f:
        rows = [row for row in csv.DictReader(f) if row["Name"] != "Aggregated"]
    return {row["Name"]: int(row["Request Count"]) for row in rows}


def test_a_real_locust_run_is_imported_analysed_reported_and_gated(
    locust_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main(["import", "locust-csv", str(locust_csv), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert said.startswith("locust-csv: imported ") and "from 4 files" in said
    run = RunDir.open(out)
    assert not run.has_table("requests")  # Locust's CSV has no request rows: none are made up
    assert run.count_rows("load_stats") > 0 and run.count_rows("load_errors") >= 1
    meta = run.read_meta()
    assert meta["started_at"] and meta["ended_at"] and meta["shape"] == {"kind": "unknown"}
    assert any("per-request rows" in w for w in meta["warnings"])

    assert main(["analyze", str(out)]) == 0
    findings = json.loads((out / "findings.json").read_text())
    total = _aggregated(locust_csv)
    overall = findings["overall"]
    assert overall["count"] == int(total["Request Count"]) > 50
    assert overall["errors"] == int(total["Failure Count"]) > 0
    assert overall["p95_ms"] == float(total["95%"]) and overall["p99_9_ms"] == float(total["99.9%"])
    assert overall["percentiles_from"] == "locust-csv"
    assert {t["name"]: t["count"] for t in findings["transactions"]} == _per_name(locust_csv)
    assert findings["errors"][0]["transaction"] == "/broken"
    assert findings["errors"][0]["status_code"] == 500
    quality = findings["data_quality"]
    assert quality["per_request"] is False and quality["percentiles_from"] == "locust-csv"
    assert any("percentiles are the tool's own" in m for m in quality["missing"])
    assert any("百分位数是该工具自身的统计" in m for m in quality["missing_texts"]["zh-CN"])
    assert [s["users"] for s in findings["steps"]] == [3]  # from the history's User Count
    intervals = run.read_table("intervals")
    history = pd.read_csv(f"{locust_csv}_stats_history.csv")
    last = history.loc[history["Name"] == "Aggregated", "Total Request Count"].iloc[-1]
    assert intervals.loc[intervals["name"] == "*", "count"].sum() == last

    for lang in ("en", "zh-CN"):
        assert main(["report", str(out), "--lang", lang, "--format", "html,md"]) == 0
        summary = (out / "summary.md").read_text()
        page = (out / "report.html").read_text()
        if lang == "en":
            assert "Percentiles are the load tool's own (locust-csv)" in summary
            assert "the load tool&#39;s own statistics (locust-csv)" in page
        else:
            assert "百分位数为负载工具自身的统计（locust-csv）" in summary
            assert "负载工具自身的统计（locust-csv）；没有逐请求数据" in page
        assert 'id="basis-note"' in page

    budgets = tmp_path / "budgets.yaml"
    budgets.write_text(BUDGETS)
    capsys.readouterr()
    assert main(["gate", str(out), "--budgets", str(budgets)]) == 0
    assert capsys.readouterr().out.startswith("gate: PASS — 6 budgets, 0 breached")
    budgets.write_text('thresholds:\n  http_req_duration: ["p(97)<5s"]\n')
    assert main(["gate", str(out), "--budgets", str(budgets)]) == 1
    table = capsys.readouterr().out
    assert "MISSING" in table and "imported from locust-csv without per-request rows" in table


def test_the_files_one_by_one_are_the_prefix(locust_csv: Path, tmp_path: Path) -> None:
    files = [f"{locust_csv}{suffix}" for suffix in ("_stats.csv", "_stats_history.csv")]
    assert main(["import", "locust-csv", *files, "--out", str(tmp_path / "a")]) == 0
    assert main(["import", "locust-csv", str(locust_csv), "--out", str(tmp_path / "b")]) == 0
    one = RunDir.open(tmp_path / "a").read_table("load_stats")
    both = RunDir.open(tmp_path / "b").read_table("load_stats")
    pd.testing.assert_frame_equal(one, both)
    assert not RunDir.open(tmp_path / "a").has_table("load_errors")  # failures not given


def _history(path: Path, rows: list[tuple[int, int, str, list[str], int, int, float]]) -> None:
    """A history file: (timestamp, users, name, percentiles, total count, failures, mean)."""
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HISTORY_HEADER)
        for ts, users, name, percentiles, count, failures, mean in rows:
            kind = "" if name == "Aggregated" else "GET"
            writer.writerow(
                [ts, users, kind, name, "0.000000", "0.000000", *percentiles, count, failures,
                 percentiles[0], mean, 1, 500, 12]
            )  # fmt: skip


def _ladder(path: Path, *, full: bool) -> None:
    """Two users for 10 s, then four for 10 s; 10 requests a second per user."""
    rows = []
    count = 0
    for second in range(21):
        users = 0 if second == 0 else 2 if second <= 10 else 4
        count += 10 * users
        p95 = "40" if users == 2 else "90"
        percentiles = [p95] * len(PERCENTS) if full or second else ["N/A"] * len(PERCENTS)
        mean = 20.0 if count <= 200 else (20.0 * 200 + 60.0 * (count - 200)) / count
        if full and users:
            rows.append((1_800_000_000 + second, users, "/orders", percentiles, count, 0, mean))
        rows.append((1_800_000_000 + second, users, "Aggregated", percentiles, count, 0, mean))
    _history(path, rows)


def test_a_ladder_in_the_history_is_measured_step_by_step(tmp_path: Path) -> None:
    history = tmp_path / "ladder_stats_history.csv"
    _ladder(history, full=True)
    out = tmp_path / "run"
    assert main(["import", "locust-csv", str(history), "--out", str(out)]) == 0
    assert main(["analyze", str(out)]) == 0
    findings = json.loads((out / "findings.json").read_text())
    steps = findings["steps"]
    assert [(s["users"], s["duration_s"]) for s in steps] == [(2, 10.0), (4, 10.0)]
    # Step 1 from its warm-up's end (2 s in) to its last row; step 2 likewise.
    assert [s["count"] for s in steps] == [8 * 20, 8 * 40]
    assert [s["rps"] for s in steps] == [20.0, 40.0]
    assert [s["p95_ms"] for s in steps] == [40.0, 90.0]  # Locust's window at each step's end
    assert steps[1]["mean_ms"] == 60.0  # from the cumulative means, exactly
    assert [s["measured"] for s in steps] == [True, True]
    assert steps[1]["transactions"][0]["name"] == "/orders"
    # No PREFIX_stats.csv: the whole test from the history's last row, without percentiles.
    assert findings["overall"]["count"] == 600 and findings["overall"]["p95_ms"] is None


def test_a_history_without_full_history_has_no_percentiles_per_second(tmp_path: Path) -> None:
    prefix = tmp_path / "old"
    _ladder(Path(f"{prefix}_stats_history.csv"), full=False)
    with Path(f"{prefix}_stats.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(STATS_HEADER)
        writer.writerow(["GET", "/orders", 600, 0, 60, 46.7, 1, 500, 12, 30.0, 0.0, *["90"] * 11])
        writer.writerow(["", "Aggregated", 600, 0, 60, 46.7, 1, 500, 12, 30.0, 0.0, *["90"] * 11])
    out = tmp_path / "run"
    assert main(["import", "locust-csv", str(prefix), "--out", str(out)]) == 0
    assert main(["analyze", str(out)]) == 0
    findings = json.loads((out / "findings.json").read_text())
    steps = findings["steps"]
    assert steps[0]["p95_ms"] == 40.0  # since the start is the first step
    assert steps[1]["p95_ms"] is None and steps[1]["measured"] is False
    assert steps[1]["count"] == 8 * 40  # counts are still the history's
    assert findings["overall"]["p95_ms"] == 90.0
    intervals = RunDir.open(out).read_table("intervals")
    assert intervals["p95_ms"].isna().all() and intervals["count"].sum() == 600
    assert any("--csv-full-history" in m for m in findings["data_quality"]["missing"])


def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b,c\n1,2,3\n")
    assert main(["import", "locust-csv", str(other), "--out", str(tmp_path / "r1")]) == 2
    err = capsys.readouterr().err
    assert f"{other}:1: not a Locust CSV file" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r1").exists()  # nothing was taken, nothing is left behind

    failures = tmp_path / "x_failures.csv"
    failures.write_text("Method,Name,Error,Occurrences\nGET,/a,boom,3\n")
    assert main(["import", "locust-csv", str(failures), "--out", str(tmp_path / "r2")]) == 2
    assert "failures alone cannot be judged" in capsys.readouterr().err

    assert main(["import", "locust-csv", str(tmp_path / "nothing"), "--out", str(tmp_path)]) == 2
    assert "nothing: no such file" in capsys.readouterr().err


def test_broken_rows_are_counted_and_strict_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stats = tmp_path / "x_stats.csv"
    with stats.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(STATS_HEADER)
        writer.writerow(["GET", "/a", 50, 0, 60, 46.7, 1, 500, 12, 30.0, 0.0, *["90"] * 11])
        writer.writerow(["GET", "/b", "many", 0, 60, 46.7, 1, 500, 12, 30.0, 0.0, *["9"] * 11])
        writer.writerow(["GET", "/c", 5])
        writer.writerow(["", "Aggregated", 50, 0, 60, 46.7, 1, 500, 12, 30.0, 0.0, *["90"] * 11])
    out = tmp_path / "run"
    assert main(["import", "locust-csv", str(stats), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "skipped 2" in said and f"first at {stats}:3" in said and f"first at {stats}:4" in said
    assert main(["import", "locust-csv", str(stats), "--strict", "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert f"{stats}:3:" in err and "2 lines skipped" in err
    assert RunDir.open(tmp_path / "s").count_rows("load_stats") == 2  # what was read stays


def test_load_results_make_their_own_run(
    locust_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main(["import", "locust-csv", str(locust_csv), "--out", str(out)]) == 0
    assert main(["import", "locust-csv", str(locust_csv), "--out", str(out)]) == 2
    assert "already holds load results (load_stats)" in capsys.readouterr().err
