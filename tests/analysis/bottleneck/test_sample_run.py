"""The attribution on the sample run of the reference ERP's ``legacy`` profile (PostgreSQL,
psutil and postgres collectors, a ladder of 5 → 10 → 20 → 40 users), copied to a temporary
folder and analysed again. The legacy profile runs without its secondary indexes and with
N+1 reads, so its database works on the CPU: what the attribution says must agree with the
run's own evidence, checked here from the raw tables, not from the attribution's output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from erpcap.rundir import RunDir

SAMPLE = Path("/work/sample-runs/latest")

pytestmark = pytest.mark.skipif(
    not (SAMPLE / "run.json").exists(), reason="the sample run is not on this machine"
)


def test_the_sample_legacy_run_is_attributed_consistently_with_its_evidence(
    tmp_path: Path,
) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(SAMPLE.resolve(), run_dir)
    result = subprocess.run(
        [sys.executable, "-m", "erpcap", "analyze", str(run_dir)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    findings = RunDir.open(run_dir).read_findings()
    block = findings["capacity"]["bottleneck"]
    print(json.dumps({k: block[k] for k in ("resource", "kind", "confidence", "step", "method",
                                            "saturation", "texts", "tables")},
                     ensure_ascii=False, indent=1))  # fmt: skip
    print([(c["resource"], c["score"]) for c in block["candidates"]], block["warnings"])

    # What the raw tables say about the attributed step.
    step = next(s for s in findings["steps"] if s["step"] == block["step"])
    metrics = pd.read_parquet(run_dir / "metrics.parquet")
    part = metrics[(metrics["ts"] >= pd.Timestamp(step["measured_from"]))
                   & (metrics["ts"] < pd.Timestamp(step["end"]))]  # fmt: skip
    waits = part[part["metric"] == "wait_sessions"]
    by_wait = waits.groupby(waits["labels"].map(lambda t: json.loads(t)["wait"]))["value"].sum()
    cpu_share = by_wait.get("CPU", 0.0) / by_wait.sum()
    lock_share = by_wait[[w for w in by_wait.index if w.startswith("Lock:")]].sum() / by_wait.sum()
    sessions = part[part["metric"] == "sessions"]
    busy = sessions[sessions["labels"].str.contains('"(?:active|waiting)"')]
    cpu_sessions = busy.groupby("ts")["value"].sum().mean() * cpu_share
    cores = RunDir.open(run_dir).read_meta()["host"]["cpu_count"]
    stats = pd.read_parquet(run_dir / "sql_stats.parquet")
    at_step = stats[stats["step"] == block["step"]]
    top_sql = at_step.groupby("fingerprint")["total_ms"].sum().sort_values(ascending=False)

    # The legacy profile's database is CPU-bound: its sessions ran on the CPU (no wait), more
    # of them than the host has cores, and locks were a small part of their time.
    assert cpu_share > 0.8 and lock_share < 0.2 and cpu_sessions >= 0.9 * cores
    assert (block["kind"], block["resource"]) == ("cpu", "cpu:db")
    assert block["confidence"] in ("strong", "likely")
    assert step["within_slo"] is False or block["method"] in ("knee", "peak", "plateau")
    # Its statements are the step's top SQL by database time, with their operations' tags.
    assert block["statements"][0]["fingerprint"] == top_sql.index[0][:300]
    assert all(s["operation"] for s in block["statements"])  # the reference ERP tags its SQL
    # The index the legacy profile lacks: order lines looked up by order.
    assert "sales_order_line" in block["statements"][0]["tables"]
    [finding] = [f for f in findings["findings"] if f["id"].startswith("bottleneck.")]
    assert finding["id"] == "bottleneck.cpu" and finding["severity"] == "warning"
