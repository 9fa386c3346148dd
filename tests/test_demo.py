"""End to end: `erpcap demo --quick` on SQLite and PostgreSQL, and Ctrl-C in the middle."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import psycopg
import pytest

from erpcap.demo import QUICK
from erpcap.rundir import RunDir
from erpcap.types import SCHEMA_VERSION

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _demo(out: Path, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "erpcap", "demo", "--quick", "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _only_run(out: Path) -> RunDir:
    runs = [p for p in out.iterdir() if (p / "run.json").exists() and not p.is_symlink()]
    assert len(runs) == 1, runs
    assert (out / "latest").resolve() == runs[0].resolve()  # runs/latest names the newest run
    return RunDir.open(runs[0])


def _port_closed(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((parts.hostname, parts.port)) != 0


def _check_demo_run(run: RunDir, stdout: str) -> None:
    meta = run.read_meta()
    assert meta["status"] == "completed", meta
    assert meta["schema_version"] == SCHEMA_VERSION == "1.2"
    assert meta["host"]["cpu_count"] >= 1 and meta["versions"]["locust"] != "not installed"
    assert f"report:   {run.file('report.html')}" in stdout

    requests = run.read_table("requests")
    assert len(requests) > 100
    names = set(requests["name"])
    assert {"create_sales_order", "check_availability", "get_sales_order"} <= names
    assert requests["ok"].mean() > 0.95, requests.loc[
        ~requests["ok"], ["name", "status_code", "error"]
    ].head()
    assert (requests["latency_us"] > 0).all()
    ladder = [users for users, _ in QUICK.steps]
    assert set(requests["users"]) >= set(ladder)

    findings = run.read_findings()
    assert [s["users"] for s in findings["steps"]] == ladder
    assert sum(t["count"] for t in findings["transactions"]) == len(requests)
    # Exact percentiles from every request, not a histogram.
    order = requests[requests["name"] == "create_sales_order"]["latency_us"]
    tx = next(t for t in findings["transactions"] if t["name"] == "create_sales_order")
    assert tx["p95_ms"] == pytest.approx(order.quantile(0.95) / 1000, abs=0.01)
    assert findings["verdict"]["status"] in ("pass", "warn", "fail")

    metrics = run.read_table("metrics")
    roles = {json.loads(x).get("role") for x in metrics[metrics["source"] == "process"]["labels"]}
    assert {"erp", "locust"} <= roles
    assert (
        metrics[(metrics["source"] == "host") & (metrics["metric"] == "cpu_percent")]["value"] >= 0
    ).all()
    assert not (run.path / "requests").exists()  # parts were merged

    html = run.file("report.html").read_text(encoding="utf-8")
    # Self-contained: no tag loads anything from the network (plotly.js is inlined).
    assert not re.findall(
        r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"']?(?:https?:)?//", html
    )
    assert "Plotly.newPlot" in html or "Plotly.react" in html
    assert findings["verdict"]["headline"][:40] in html
    summary = run.file("summary.md").read_text(encoding="utf-8").replace("\\_", "_")
    assert "create_sales_order" in summary and "Verdict" in summary
    # The ERP erpcap started is gone.
    assert _port_closed(meta["target"]["url"])


@pytest.mark.slow
def test_demo_quick_on_sqlite(tmp_path):
    started = time.monotonic()
    result = _demo(tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    run = _only_run(tmp_path)
    _check_demo_run(run, result.stdout)
    assert (run.path / "erp.sqlite").exists()
    # The database URL it prints and stores can be pasted back: four slashes, absolute path.
    db = run.read_meta()["erp"]["db"]
    assert db == f"sqlite:///{(run.path / 'erp.sqlite').resolve()}" and db in result.stderr
    print(f"demo --quick took {time.monotonic() - started:.0f} s")


@pytest.mark.slow
@pytest.mark.postgres
def test_demo_quick_on_postgresql(tmp_path, pg_database):
    result = _demo(tmp_path, "--db", pg_database)
    assert result.returncode == 0, result.stderr[-3000:]
    run = _only_run(tmp_path)
    _check_demo_run(run, result.stdout)
    meta = run.read_meta()
    assert meta["erp"]["db"].startswith("postgresql://")
    with psycopg.connect(pg_database) as conn:
        orders = conn.execute("SELECT count(*) FROM sales_order").fetchone()[0]
    assert orders > 0
    # The PostgreSQL server is watched by its port, and its statements were collected:
    # every request the ERP answered issued at least one statement.
    assert "db" in meta["watched"] and meta["watched"]["db"] != meta["watched"]["erp"]
    metrics = pd.read_parquet(run.file("metrics.parquet"))
    roles = set(metrics[metrics["source"] == "process"]["labels"])
    assert any('"role":"db"' in r for r in roles)
    assert {"sessions", "commits_per_s"} <= set(metrics[metrics["source"] == "postgres"]["metric"])
    stats = pd.read_parquet(run.file("sql_stats.parquet"))
    whole = stats[stats["step"].isna()]
    ok = pd.read_parquet(run.file("requests.parquet"))["ok"].sum()
    assert whole["calls"].sum() >= ok
    assert set(stats["step"].dropna().astype(int)) >= {1, 2}
    # Plausible on the load's clock: with four times the users, the ERP works harder and
    # its database runs more statements in the top step than in the first.
    first, top = (
        s["resources"] for s in (run.read_findings()["steps"][0], run.read_findings()["steps"][-1])
    )
    assert top["cpu_by_role"]["erp"] > first["cpu_by_role"]["erp"]
    assert top["db_calls"] > first["db_calls"]
    assert top["databases"][0]["source"] == "postgres"


@pytest.mark.slow
def test_ctrl_c_keeps_what_was_recorded(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "erpcap", "demo", "--quick", "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        seen = 0
        while time.monotonic() < deadline and proc.poll() is None:
            runs = [
                p for p in tmp_path.iterdir() if (p / "run.json").exists() and not p.is_symlink()
            ]
            if runs:
                seen = RunDir(runs[0]).count_rows("requests")
                if seen >= 20:
                    break
            time.sleep(0.5)
        if seen < 20:
            proc.kill()
            _, stderr = proc.communicate(timeout=30)
            pytest.fail(f"fewer than 20 requests recorded before the demo ended: {stderr[-3000:]}")
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr
    run = _only_run(tmp_path)
    meta = run.read_meta()
    assert meta["status"] == "interrupted"
    requests = pd.read_parquet(run.file("requests.parquet"))
    assert len(requests) >= seen  # nothing that was flushed is lost
    # Locust stopped its normal way and counted exactly what erpcap recorded: the rows it
    # held since the last flush were written too, and the run says what was cut off.
    log = (run.path / "logs" / "locust.log").read_text(encoding="utf-8")
    totals = [line.split() for line in log.splitlines() if line.strip().startswith("Aggregated")]
    assert totals and int(totals[0][1]) == len(requests), log[-2000:]
    assert isinstance(meta["in_flight"], int) and meta["in_flight"] >= 0
    findings = run.read_findings()
    assert any(f["id"] == "run.incomplete" for f in findings["findings"])
    assert _port_closed(meta["target"]["url"])
