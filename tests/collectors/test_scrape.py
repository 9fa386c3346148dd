"""``--collect scrape=URL``: a Prometheus text endpoint read directly — here the reference
ERP's own ``/metrics``, served by a real server on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from erpcap.collectors import parse_collect_spec
from erpcap.collectors.scrape import ScrapeCollector
from erpcap.errors import BadInput
from erpcap.processes import free_port
from erpcap.reference_erp.seed import seed as seed_db
from erpcap.rundir import RunDir

TEXT = """\
# HELP jobs_total Jobs done.
# TYPE jobs_total counter
jobs_total{kind="a"} {jobs}
# HELP pool_in_use Connections in use.
# TYPE pool_in_use gauge
pool_in_use 3
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.1"} 5
latency_seconds_bucket{le="+Inf"} 9
latency_seconds_count 9
latency_seconds_sum {sum}
"""


def test_gauges_as_they_are_counters_as_rates() -> None:
    collector = ScrapeCollector(url="http://127.0.0.1:9100/metrics")
    t0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    first = list(collector.rows(TEXT.replace("{jobs}", "10").replace("{sum}", "1.0"), t0))
    assert [r["metric"] for r in first] == ["pool_in_use"]  # no rate from one scrape
    later = t0 + timedelta(seconds=2)
    second = {
        r["metric"]: r
        for r in collector.rows(TEXT.replace("{jobs}", "30").replace("{sum}", "2.0"), later)
    }
    assert second["jobs_per_s"]["value"] == pytest.approx(10.0)
    assert second["latency_seconds_sum_per_s"]["value"] == pytest.approx(0.5)
    assert json.loads(second["jobs_per_s"]["labels"]) == {"kind": "a", "instance": "127.0.0.1:9100"}
    assert not any("bucket" in m for m in second)
    restarted = list(
        collector.rows(
            TEXT.replace("{jobs}", "1").replace("{sum}", "0.1"), later + timedelta(seconds=2)
        )
    )
    assert "jobs_per_s" not in {r["metric"] for r in restarted}  # a counter that went down


def test_the_shorthand_and_bad_specs() -> None:
    collector = parse_collect_spec("scrape=http://127.0.0.1:8000/metrics")
    assert isinstance(collector, ScrapeCollector) and collector.url.endswith("/metrics")
    for spec in ("scrape", "scrape=ftp://x/metrics", "scrape:url=http://h/m,match=(", "psutil=1"):
        with pytest.raises(BadInput):
            parse_collect_spec(spec)


def test_scraping_the_reference_erp(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'erp.sqlite'}"
    seed_db(db, 0.02, 1)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "erpcap.reference_erp", "serve", "--port", str(port)],
        env={**os.environ, "ERPCAP_ERP_DB": db},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    run = RunDir.create(tmp_path / "run")
    collector = parse_collect_spec(f"scrape:url={base}/metrics,interval=0.2")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        collector.start(run)
        with httpx.Client(base_url=base) as client:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and collector._writer.pending < 20:
                client.post("/auth/login", json={"username": "sales", "password": "erpcap"})
        collector.stop()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    metrics = run.read_table("metrics")
    assert set(metrics["source"]) == {"scrape"}
    rates = metrics[metrics["metric"].str.endswith("_per_s")]
    assert not rates.empty and (rates["value"] >= 0).all()
    assert rates["value"].max() > 0  # logins happened between two scrapes
