"""``erpcap size`` end to end on an analysed run directory, and its bad inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from erpcap.analysis import analyze_run
from erpcap.cli import main
from erpcap.reports import render_reports
from erpcap.rundir import RunDir

LADDER = [(5, 10.0, 10.0, 40.0, 0.0), (10, 10.0, 19.0, 50.0, 0.0), (20, 10.0, 30.0, 90.0, 0.0)]


def _erpcap(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "erpcap", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def run(make_run: Callable[..., RunDir]) -> RunDir:
    run = make_run(LADDER)
    analyze_run(run)
    return run


def test_size_stores_the_block_and_renders_the_reports_again(
    run: RunDir, capsys: pytest.CaptureFixture[str]
) -> None:
    render_reports(run, formats=("html", "md"))
    before = run.read_findings()
    run.file("summary.md").write_text("stale\n", encoding="utf-8")
    assert main(["size", str(run.path), "--target-users", "120", "--think-time", "2"]) == 0
    out = capsys.readouterr().out
    doc = run.read_findings()
    sizing = doc["sizing"]
    assert sizing["target"]["users"] == 120 and sizing["target"]["z_source"] == "given"
    r = sizing["target"]["r_s"]
    assert sizing["target"]["x"] == pytest.approx(120 / (r + 2.0), rel=1e-3)
    assert f"{sizing['target']['x']:,.0f}" in out and "assumptions" in out
    assert {k: v for k, v in doc.items() if k != "sizing"} == {
        k: v for k, v in before.items() if k != "sizing"
    }  # everything else kept
    assert run.file("summary.md").read_text(encoding="utf-8") != "stale\n"
    assert "updated:" in out


def test_size_json(run: RunDir) -> None:
    result = _erpcap("size", str(run.path), "--target-rate", "6000/h", "--rate-unit",
                     "order lines", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    block = json.loads(result.stdout)
    assert (
        block["target"]["rate_per_hour"] == 6000.0 and block["target"]["saps_equivalent"] == 300.0
    )
    assert block == run.read_findings()["sizing"]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--target-rate", "6000 per hour"], "--target-rate"),
        (["--target-rate", "0/h"], "more than 0"),
        (["--target-users", "10", "--slo", "p99<3s"], "--slo"),
        (["--target-users", "10", "--ceiling", "1.5"], "--ceiling"),
        (["--target-users", "0"], "--target-users"),
        ([], "required"),
    ],
)
def test_bad_arguments(run: RunDir, args: list[str], words: str) -> None:
    result = _erpcap("size", str(run.path), *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr


def test_a_run_not_analysed(make_run: Callable[..., RunDir]) -> None:
    run = make_run(LADDER)
    result = _erpcap("size", str(run.path), "--target-users", "50")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "findings.json" in result.stderr


def test_no_capacity_to_size_from(make_run: Callable[..., RunDir]) -> None:
    run = make_run([(2, 2.0, 5.0, 40.0, 0.0)])  # 10 requests: too few to measure the step
    analyze_run(run)
    result = _erpcap("size", str(run.path), "--target-users", "50")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no capacity to size from" in result.stderr


def test_help_has_an_example() -> None:
    result = _erpcap("size", "--help")
    assert result.returncode == 0 and "erpcap size runs/" in result.stdout


def test_not_a_run_directory(tmp_path: Path) -> None:
    result = _erpcap("size", str(tmp_path / "nowhere"), "--target-users", "5")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
