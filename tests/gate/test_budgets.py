"""Parsing and evaluating budgets (analysis/budgets.py)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from erpcap.analysis.budgets import (
    FAIL,
    MISSING,
    PASS,
    RunMeasurer,
    check_run,
    evaluate,
    load_budgets,
    parse_budgets,
)
from erpcap.analysis.latency import percentile_ms
from erpcap.errors import BudgetError, RunDirError
from erpcap.rundir import RunDir

K6_EXAMPLE = """\
thresholds:
  http_req_duration: ["p(95)<800", "p(99)<1500"]          # overall, ms
  http_req_duration{name:create_sales_order}: ["p(95)<1000", "avg<400"]
  http_req_duration{group:query}: ["p(95)<300"]
  http_req_failed: ["rate<0.01"]                          # error rate
  http_reqs: ["rate>5"]                                    # throughput, req/s
  http_req_failed{name:create_sales_order}: ["rate<0.02"]
"""


def test_parse_k6_example() -> None:
    budgets = parse_budgets(K6_EXAMPLE, path="b.yaml")
    got = [(str(t.selector), t.expression, t.line) for t in budgets.thresholds]
    assert got == [
        ("http_req_duration", "p(95)<800", 2),
        ("http_req_duration", "p(99)<1500", 2),
        ("http_req_duration{name:create_sales_order}", "p(95)<1000", 3),
        ("http_req_duration{name:create_sales_order}", "avg<400", 3),
        ("http_req_duration{group:query}", "p(95)<300", 4),
        ("http_req_failed", "rate<0.01", 5),
        ("http_reqs", "rate>5", 6),
        ("http_req_failed{name:create_sales_order}", "rate<0.02", 7),
    ]
    assert not budgets.uses_baseline


@pytest.mark.parametrize(
    ("expr", "agg", "op", "limit"),
    [
        ("p(95)<1.5s", "p(95)", "<", 1500.0),
        ("p(99.9) <= 800ms", "p(99.9)", "<=", 800.0),
        ("med<250us", "med", "<", 0.25),
        ("max<2m", "max", "<", 120000.0),
        ("min>=0", "min", ">=", 0.0),
        ("avg === 40", "avg", "===", 40.0),
        ("p( 50 )!=1e3", "p(50)", "!=", 1000.0),
    ],
)
def test_duration_expressions(expr: str, agg: str, op: str, limit: float) -> None:
    [t] = parse_budgets(f'thresholds:\n  http_req_duration: ["{expr}"]\n').thresholds
    assert (t.aggregation, t.op, t.limit.value) == (agg, op, limit)


def test_rates_percent_counts_and_object_form() -> None:
    text = """\
thresholds:
  http_req_failed:
    - threshold: "rate<1%"
      abortOnFail: true
  http_reqs: "count>=100"
"""
    failed, reqs = parse_budgets(text).thresholds
    assert failed.limit.value == pytest.approx(0.01) and failed.line == 3
    assert (reqs.aggregation, reqs.limit.value, reqs.line) == ("count", 100.0, 5)


def test_baseline_limits() -> None:
    text = 'thresholds:\n  http_req_duration: ["p(95)<baseline*1.2", "avg<baseline+20ms"]\n'
    a, b = parse_budgets(text).thresholds
    assert a.limit.resolve(100.0) == pytest.approx(120.0)
    assert b.limit.resolve(100.0) == pytest.approx(120.0)
    assert a.limit.resolve(None) is None


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('thresholds:\n  http_req_duration: ["p95<800"]\n', 2, "is not a threshold expression"),
        ('thresholds:\n  http_req_latency: ["p(95)<800"]\n', 2, "did you mean 'http_req_duration'"),
        ('thresholds:\n  http_reqs: ["avg<3"]\n', 2, "http_reqs has no 'avg'"),
        ('thresholds:\n  http_req_failed: ["rate<5ms"]\n', 2, "unit 'ms' does not fit"),
        ('thresholds:\n  http_req_duration: ["p(101)<5"]\n', 2, "outside 0..100"),
        ('thresholds:\n  http_req_duration: ["p(95)<"]\n', 2, "has no limit"),
        ('thresholds:\n  http_req_duration{nam:x}: ["p(95)<1"]\n', 2, "unknown tag 'nam'"),
        ('thresholds:\n  http_req_duration{name}: ["p(95)<1"]\n', 2, "is not key:value"),
        ("thresholds:\n  http_req_duration: []\n", 2, "empty list"),
        ('thresholds:\n\n  http_req_duration: ["p(95)<1"\n  x: 1\n', 4, "not valid YAML"),
        ('thresholds:\n  http_reqs: ["rate>1"]\n  http_reqs: ["count>1"]\n', 3, "given twice"),
        ('threshold:\n  http_reqs: ["rate>1"]\n', 1, "did you mean 'thresholds'"),
        ("- http_reqs\n", 1, "expected a mapping"),
        ("thresholds: 3\n", 1, "must map metrics"),
        ("thresholds:\n  http_reqs: [{threshold: 'rate>1', when: x}]\n", 2, "threshold object"),
    ],
)
def test_bad_budgets_name_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(BudgetError) as info:
        parse_budgets(text, path="budgets.yaml")
    error = info.value
    assert (error.path, error.line) == ("budgets.yaml", line)
    assert message in error.one_line()
    assert error.one_line().startswith(f"budgets.yaml:{line}: ")
    assert "\n" not in error.one_line()
    assert error.hint


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    with pytest.raises(BudgetError, match="is empty"):
        load_budgets(empty)
    with pytest.raises(BudgetError, match="no such budgets file"):
        load_budgets(tmp_path / "nope.yaml")


def test_evaluate_reads_findings(analysed_run: RunDir) -> None:
    findings = analysed_run.read_findings()
    overall = findings["overall"]
    sales = next(t for t in findings["transactions"] if t["name"] == "create_sales_order")
    query = next(g for g in findings["groups"] if g["name"] == "query")
    text = f"""\
thresholds:
  http_req_duration: ["p(95)<{overall["p95_ms"] + 1}", "p(95)<{overall["p95_ms"] - 1}"]
  http_req_duration{{name:create_sales_order}}: ["avg<={sales["mean_ms"]}"]
  http_req_duration{{group:query}}: ["p(90)>{query["p90_ms"]}"]
  http_req_failed: ["rate<{overall["error_rate"] + 0.001}"]
  http_reqs: ["rate>{overall["rps"] - 1}", "count=={overall["count"]}"]
"""
    result = check_run(analysed_run, parse_budgets(text))
    statuses = [r.status for r in result.results]
    assert statuses == [PASS, FAIL, PASS, FAIL, PASS, PASS, PASS]
    assert result.results[0].measured == overall["p95_ms"]
    assert result.exit_code == 1 and len(result.breaches) == 2
    assert "budget p(95) < " in result.results[1].message


def test_statistics_not_in_findings_come_from_requests(analysed_run: RunDir) -> None:
    requests = analysed_run.read_table("requests")
    text = """\
thresholds:
  http_req_duration: ["p(99.9)<1000000"]
  http_req_duration{name:login,expected_response:true}: ["max<1000000"]
  http_req_duration{group:order,name:ship_order}: ["med<1000000"]
"""
    result = check_run(analysed_run, parse_budgets(text))
    assert result.passed
    p999, login_max, ship_med = (r.measured for r in result.results)
    assert p999 == pytest.approx(percentile_ms(requests["latency_us"], 99.9))
    ok_login = requests[(requests["name"] == "login") & requests["ok"]]
    assert login_max == pytest.approx(ok_login["latency_us"].max() / 1000)
    ship = requests[requests["name"] == "ship_order"]
    assert ship_med == pytest.approx(percentile_ms(ship["latency_us"], 50))


def test_a_transaction_that_did_not_run_is_a_breach(analysed_run: RunDir) -> None:
    text = """\
thresholds:
  http_req_duration{name:create_salesorder}: ["p(95)<1000"]
  http_req_duration{name:create_salesorder,expected_response:true}: ["p(99.9)<1000"]
  http_req_failed{group:nightly}: ["rate<0.01"]
"""
    result = check_run(analysed_run, parse_budgets(text))
    assert [r.status for r in result.results] == [MISSING, MISSING, MISSING]
    assert result.exit_code == 1
    assert "no requests matched name:create_salesorder" in result.results[0].message


def test_baseline_comparison(analysed_run: RunDir, synthetic: ModuleType, tmp_path: Path) -> None:
    faster = [(u, rps, factor * 0.5, err) for u, rps, factor, err in synthetic.STEPS]
    baseline = synthetic.make_run(tmp_path / "baseline", steps=faster, seed=11)
    text = 'thresholds:\n  http_req_duration: ["p(95)<baseline*1.2", "p(95)<baseline*10"]\n'
    budgets = parse_budgets(text)
    with pytest.raises(BudgetError, match="relative to a baseline"):
        check_run(analysed_run, budgets)
    result = check_run(analysed_run, budgets, baseline=baseline)
    slower, generous = result.results
    base_p95 = baseline.read_findings()["overall"]["p95_ms"]
    assert slower.status == FAIL and slower.baseline == base_p95
    assert slower.limit == pytest.approx(base_p95 * 1.2)
    assert generous.status == PASS
    # the same evaluation through explicit measurers (how a caller plugs its own in)
    again = evaluate(
        budgets,
        RunMeasurer.from_run(analysed_run),
        baseline=RunMeasurer.from_run(baseline, label="baseline"),
    )
    assert [r.status for r in again.results] == [FAIL, PASS]


def test_statistic_without_requests_table_is_missing(synthetic: ModuleType, tmp_path: Path) -> None:
    run = RunDir.create(tmp_path / "imported", status="completed")
    run.write_json("findings.json", synthetic.minimal_findings())
    text = 'thresholds:\n  http_req_duration: ["p(95)<100", "p(99.9)<100"]\n'
    result = check_run(run, parse_budgets(text))
    assert [r.status for r in result.results] == [PASS, MISSING]
    assert "no requests.parquet" in result.results[1].message


def test_unanalysed_run_is_bad_input(synthetic: ModuleType, tmp_path: Path) -> None:
    run = synthetic.make_run(tmp_path / "raw", analyze=False)
    with pytest.raises(RunDirError, match="erpcap analyze"):
        check_run(run, parse_budgets('thresholds:\n  http_reqs: ["rate>1"]\n'))
