"""``erpcap compare`` on run directories made with the real writer: two that differ in one
transaction, two drawn from the same distribution, and bad input."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from erpcap.analysis.compare import compare_runs
from erpcap.analysis.run import analyze_run
from erpcap.cli import main
from erpcap.rundir import RunDir

#: A ladder: (users, seconds, requests/s, median ms, error probability).
LADDER = [(5, 20.0, 15.0, 90.0, 0.0), (10, 20.0, 30.0, 110.0, 0.0), (20, 20.0, 45.0, 160.0, 0.0)]
FAST = "check_availability"

MakeRun = Callable[..., RunDir]


def _scale(run: RunDir, name: str, factor: float) -> None:
    """Multiply ``name``'s latencies by ``factor`` (rewriting the table with the writer)."""
    frame = run.read_table("requests")
    rows = frame["name"] == name
    for column in ("latency_us", "service_us"):
        frame.loc[rows, column] = (frame.loc[rows, column] * factor).round().astype("int64")
    run.write_table("requests", frame)


def _pair(
    make_run: MakeRun, seed_b: int, factor: float | None = None, ladder: list = LADDER
) -> tuple[RunDir, RunDir]:
    a = make_run(ladder, seed=1)
    b = make_run(ladder, seed=seed_b)
    if factor is not None:
        _scale(b, FAST, factor)
    analyze_run(a)
    analyze_run(b)
    return a, b


def _verdicts(doc: dict) -> dict[str, str]:
    return {r["name"]: r["verdict"] for r in doc["transactions"]["rows"]}


def test_a_transaction_30_percent_faster_is_called_and_nothing_else(make_run: MakeRun) -> None:
    a, b = _pair(make_run, seed_b=2, factor=0.7)
    doc = compare_runs(a.path, b.path)
    assert _verdicts(doc) == {FAST: "faster", "create_sales_order": "no significant change"}
    fast = next(r for r in doc["transactions"]["rows"] if r["name"] == FAST)
    assert -0.4 < fast["p95_change"] < -0.2
    low, high = fast["p95_diff_ci_ms"]
    assert low < fast["p95_diff_ms"] < high < 0
    assert fast["mann_whitney"]["p_adjusted"] < 0.001 and fast["reasons"] == []
    other = next(r for r in doc["transactions"]["rows"] if r["name"] != FAST)
    assert other["reasons"]  # says why it was not called
    assert doc["capacity"]["verdict"] == "no significant change"
    assert doc["regression"] is False
    assert [r["users"] for r in doc["steps"]["rows"]] == [5, 10, 20]
    assert doc["warnings"] == []
    # The other way round, the same transaction is a regression.
    back = compare_runs(b.path, a.path)
    assert _verdicts(back)[FAST] == "slower" and back["regression"] is True


@pytest.mark.parametrize("seed_b", [2, 3, 4])
def test_two_runs_of_the_same_distribution_show_no_change(make_run: MakeRun, seed_b: int) -> None:
    a, b = _pair(make_run, seed_b=seed_b, ladder=[(*s[:4], 0.02) for s in LADDER])
    doc = compare_runs(a.path, b.path)
    assert set(_verdicts(doc).values()) == {"no significant change"}, doc["transactions"]
    assert doc["capacity"]["verdict"] == "no significant change"
    assert doc["regression"] is False
    assert all(r["b"]["failed"] > 0 and r["change"] is None for r in doc["failures"])
    assert doc["warnings"] == []
    for side in ("a", "b"):
        interval = doc["capacity"][side]["interval"]
        assert interval["low"] <= interval["mean"] <= interval["high"]


def test_a_larger_min_effect_withholds_the_call(make_run: MakeRun) -> None:
    a, b = _pair(make_run, seed_b=2, factor=0.7)
    doc = compare_runs(a.path, b.path, min_effect=0.5)
    assert _verdicts(doc)[FAST] == "no significant change"
    row = next(r for r in doc["transactions"]["rows"] if r["name"] == FAST)
    assert any("minimum effect" in reason for reason in row["reasons"])


def test_the_command_prints_writes_and_gates(
    make_run: MakeRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = _pair(make_run, seed_b=2, factor=0.7)
    out_json, out_html = tmp_path / "c.json", tmp_path / "c.html"
    code = main(
        ["compare", str(a.path), str(b.path), "--json", str(out_json), "--html", str(out_html)]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "| check_availability |" in printed and "| faster |" in printed
    assert json.loads(out_json.read_text())["transactions"]["rows"][0]["name"]
    page = out_html.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "faster" in page
    assert main(["compare", str(b.path), str(a.path), "--fail-on-regression"]) == 1
    assert main(["compare", str(a.path), str(b.path), "--fail-on-regression"]) == 0
    capsys.readouterr()


def test_untrusted_names_are_escaped(
    make_run: MakeRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = (("<img src=x>|x", "query"), ("ok", "order"))
    a, b = make_run(LADDER, names=names, seed=1), make_run(LADDER, names=names, seed=2)
    analyze_run(a)
    analyze_run(b)
    out_html = tmp_path / "c.html"
    assert main(["compare", str(a.path), str(b.path), "--html", str(out_html)]) == 0
    assert "<img" not in out_html.read_text() and "&lt;img" in out_html.read_text()
    assert "\\|x" in capsys.readouterr().out


def _one_line_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["compare", *args]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_bad_input_is_one_line_and_exit_2(
    make_run: MakeRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_run(LADDER, seed=1)
    b = make_run(LADDER, seed=2, names=(("other_tx", "query"),))
    assert "no such folder" in _one_line_error([str(tmp_path / "nope"), str(a.path)], capsys)
    (tmp_path / "empty").mkdir()
    assert "not a run directory" in _one_line_error([str(tmp_path / "empty"), str(a.path)], capsys)
    line = _one_line_error([str(a.path), str(b.path)], capsys)
    assert "not been analysed" in line and "erpcap analyze" in line
    analyze_run(a)
    analyze_run(b)
    line = _one_line_error([str(a.path), str(b.path)], capsys)
    assert "no transaction in common" in line
    # A request part added after the analysis: the findings are stale.
    (a.path / "requests").mkdir()
    shutil.copy(a.path / "requests.parquet", a.path / "requests" / "part-1-1-000001.parquet")
    line = _one_line_error([str(a.path), str(a.path)], capsys)
    assert "older than the data" in line and "erpcap analyze" in line
    assert "--alpha" in _one_line_error([str(b.path), str(b.path), "--alpha", "0"], capsys)


def test_a_lower_peak_throughput_is_a_capacity_regression(make_run: MakeRun) -> None:
    a = make_run(LADDER, seed=1)
    b = make_run([*LADDER[:2], (20, 20.0, 33.0, 160.0, 0.0)], seed=2)  # the top step: 33/s
    analyze_run(a)
    analyze_run(b)
    doc = compare_runs(a.path, b.path)
    cap = doc["capacity"]
    assert cap["verdict"] == "lower" and doc["regression"] is True
    assert cap["b"]["interval"]["high"] < cap["a"]["interval"]["low"]
    assert -0.35 < cap["peak_change"] < -0.2
    assert compare_runs(b.path, a.path)["capacity"]["verdict"] == "higher"


def test_a_transaction_that_fails_more_often_is_warned_of(make_run: MakeRun) -> None:
    a = make_run(LADDER, seed=1)
    b = make_run([(*s[:4], 0.1) for s in LADDER], seed=2)
    analyze_run(a)
    analyze_run(b)
    doc = compare_runs(a.path, b.path)
    assert {r["name"]: r["change"] for r in doc["failures"]} == {
        FAST: "higher",
        "create_sales_order": "higher",
    }
    assert any(w.startswith(f"{FAST} fails more often in B") for w in doc["warnings"])


def test_different_slos_and_shapes_are_warned_of(make_run: MakeRun) -> None:
    from erpcap.analysis.rules import Slo

    a = make_run(LADDER, seed=1)
    b = make_run(LADDER[:2], seed=2)
    analyze_run(a)
    analyze_run(b, slo=Slo(error_rate=0.05))
    warnings = compare_runs(a.path, b.path)["warnings"]
    assert any("different SLOs" in w for w in warnings)
    assert any("different load shapes" in w and "[5, 10, 20]" in w for w in warnings)
