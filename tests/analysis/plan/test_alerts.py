"""The alert rules: thresholds from the measured knee, valid for Prometheus (promtool)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from erpcap.analysis import analyze_run
from erpcap.analysis.plan import alert_rules, make_plan
from erpcap.rundir import RunDir

Doc = Callable[[], dict[str, Any]]
PROMTOOL = shutil.which("promtool")


def _promtool(path: Path) -> None:
    if PROMTOOL is None:
        pytest.skip("promtool is not installed (Debian's prometheus package)")
    result = subprocess.run(
        [PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _rules(text: str) -> dict[str, dict[str, Any]]:
    groups = yaml.safe_load(text)["groups"]
    return {r["alert"]: r for g in groups for r in g["rules"]}


def test_thresholds_come_from_the_knee(doc: Doc, tmp_path: Path) -> None:
    d = doc()
    d["capacity"]["knee"] = {"users": 10, "step": 2, "ok_rps": 21.5, "p95_ms": 160.0}
    text = alert_rules(d)
    assert text is not None
    path = tmp_path / "alerts.yml"
    path.write_text(text)
    _promtool(path)
    rules = _rules(text)
    rate = rules["ErpRequestRateNearCapacity"]["expr"]
    assert rate.endswith(f"> {0.8 * 21.5:g}")
    assert rules["ErpP95AboveTarget"]["expr"].endswith("> 0.8")  # the order target, 800 ms
    cpu = rules["ErpBottleneckCpuAtKnee"]["expr"]  # cpu:db at the knee's step: 20 %
    assert 'instance="DB_HOST:9100"' in cpu and cpu.endswith(f"> {0.1 * 2 * 100:g}")
    assert "pg_settings_max_connections" in rules["ErpPostgresConnectionsNearMax"]["expr"]
    assert "ErpMysqlConnectionsNearMax" not in rules
    for rule in rules.values():
        assert rule["for"] and rule["labels"]["severity"] and rule["annotations"]["summary"]
    plan = make_plan(d)
    assert plan is not None
    assert [r["alert"] for r in plan["alerts"]["rules"]] == list(rules)


def test_lock_bottleneck_and_mysql(doc: Doc, tmp_path: Path) -> None:
    d = doc()
    d["resources"]["databases"] = [{"source": "mysql", "instance": "m1"}]
    d["steps"][2]["resources"]["databases"] = [
        {"source": "mysql", "instance": "m1", "lock_waits": {"mean": 3.4, "max": 9.0}}
    ]
    d["capacity"]["bottleneck"] = {"resource": "lock:t_stock", "kind": "lock"}
    text = alert_rules(d)  # no knee: the largest step within the targets, step 3
    assert text is not None and "no knee found" in text
    path = tmp_path / "alerts.yml"
    path.write_text(text)
    _promtool(path)
    rules = _rules(text)
    assert rules["ErpRowLockWaitsAtKnee"]["expr"].endswith("> 3.4")
    assert "ErpMysqlConnectionsNearMax" in rules and "ErpPostgresConnectionsNearMax" not in rules
    assert "ErpBottleneckCpuAtKnee" not in rules


def test_no_measured_limit_no_rules(doc: Doc) -> None:
    d = doc()
    d["capacity"].update(rps_within_slo=0.0, knee=None)
    assert alert_rules(d) is None


def test_analyze_writes_alerts_yml(make_run: Callable[..., RunDir], tmp_path: Path) -> None:
    run = make_run([(2, 10.0, 8.0, 40.0, 0.0), (4, 10.0, 14.0, 60.0, 0.0)])
    doc = analyze_run(run)
    path = run.file("alerts.yml")
    assert path.exists()
    _promtool(path)
    expected = 0.8 * doc["capacity"]["rps_within_slo"]
    rate = _rules(path.read_text())["ErpRequestRateNearCapacity"]["expr"]
    assert float(rate.rsplit(">", 1)[1]) == pytest.approx(expected, rel=1e-3)
    assert doc["plan"]["alerts"]["file"] == "alerts.yml"
    assert doc["sizing"]["target"] is None and doc["sizing"]["today"]["users"] == 4
