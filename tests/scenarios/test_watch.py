"""``erpcap run`` watches the target's own processes (found by its port) and ``--watch``
roles, and their CPU and memory reach the run directory and the report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from erpcap.rundir import RunDir

from .conftest import running_stub


def test_run_watches_the_target_and_named_processes(tmp_path: Path) -> None:
    with running_stub() as target:
        result = subprocess.run(
            [sys.executable, "-m", "erpcap", "run", "--target", target, "--duration", "6s",
             "--users", "2", "--think-scale", "0.05", "--watch", "stub=~stub_erp\\.py",
             "--collect", "psutil:interval=0.5", "--out", str(tmp_path / "runs")],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    run = RunDir.open(tmp_path / "runs" / "latest")
    watched = run.read_meta()["watched"]
    assert set(watched) == {"target", "stub"} and watched["target"] == watched["stub"]
    metrics = run.read_table("metrics")
    roles = {json.loads(labels).get("role") for labels in metrics["labels"]}
    assert {"target", "stub", "locust"} <= roles
    findings = run.read_findings()
    assert "target" in {p["role"] for p in findings["resources"]["processes"]}


def test_a_watch_pattern_that_matches_nothing_is_a_warning(tmp_path: Path) -> None:
    with running_stub() as target:
        result = subprocess.run(
            [sys.executable, "-m", "erpcap", "run", "--target", target, "--duration", "3s",
             "--users", "1", "--think-scale", "0.05", "--watch", "db=~no-such-process-xyz",
             "--no-report", "--out", str(tmp_path / "runs")],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    warnings = RunDir.open(tmp_path / "runs" / "latest").read_meta()["warnings"]
    assert any("--watch db" in w and "no process matches" in w for w in warnings)
