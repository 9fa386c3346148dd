"""``erpcap gate``: exit codes, the table, JUnit XML; once as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from erpcap.cli import main
from erpcap.rundir import RunDir

PASSING = """\
thresholds:
  http_req_duration: ["p(95)<5s", "p(99.9)<60s"]
  http_req_duration{name:create_sales_order}: ["p(95)<5000", "avg<2s"]
  http_req_failed: ["rate<0.10"]
  http_reqs: ["rate>5"]
"""

BREACHED = """\
thresholds:
  http_req_duration: ["p(95)<800", "p(99)<60s"]
  http_req_duration{name:create_sales_order}: ["p(95)<1"]
  http_req_duration{name:no_such_tx}: ["p(95)<1000"]
  http_req_failed: ["rate<0.5"]
"""


def test_pass_exits_0(
    analysed_run: RunDir,
    write_budgets: Callable[[str], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    junit = tmp_path / "junit.xml"
    code = main(
        [
            "gate",
            str(analysed_run.path),
            "--budgets",
            str(write_budgets(PASSING)),
            "--junit",
            str(junit),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("gate: PASS — 6 budgets, 0 breached")
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "6" and suite.get("failures") == "0"
    assert suite.findall("testcase/failure") == []


def test_breach_exits_1_with_junit_failures(
    analysed_run: RunDir,
    write_budgets: Callable[[str], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    junit = tmp_path / "junit.xml"
    budgets = write_budgets(BREACHED)
    code = main(["gate", str(analysed_run.path), "--budgets", str(budgets), "--junit", str(junit)])
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("gate: FAIL — 5 budgets, 3 breached")
    assert "MISSING" in out and "no_such_tx" in out
    root = ET.parse(junit).getroot()
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 5  # one per expression
    assert [c.get("classname") for c in cases] == [
        "http_req_duration",
        "http_req_duration",
        "http_req_duration{name:create_sales_order}",
        "http_req_duration{name:no_such_tx}",
        "http_req_failed",
    ]
    assert root.get("failures") == "3"
    failures = {c.get("name"): c.find("failure") for c in cases}
    assert failures["p(99)<60s"] is None and failures["rate<0.5"] is None
    breach = failures["p(95)<800"]
    assert breach is not None and breach.get("type") == "budget_breach"
    assert "measured:" in (breach.text or "") and "limit:    < 800 ms" in (breach.text or "")
    assert failures["p(95)<1000"] is not None
    assert failures["p(95)<1000"].get("type") == "not_measured"
    assert cases[0].get("file") == str(budgets) and cases[0].get("line") == "2"


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            'thresholds:\n  http_req_duration: ["p(95)<800"]\n  http_req_duration{name:x}: ["p95<1"]\n',
            ":3: ",
            "is not a threshold expression",
        ),
        ('thresholds:\n  http_req_time: ["p(95)<800"]\n', ":2: ", "unknown metric"),
        ("thresholds:\n  http_reqs: [rate>1\n", ":3: ", "not valid YAML"),
    ],
)
def test_bad_budgets_exit_2_with_file_and_line(
    analysed_run: RunDir,
    write_budgets: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    text: str,
    where: str,
    message: str,
) -> None:
    budgets = write_budgets(text)
    code = main(["gate", str(analysed_run.path), "--budgets", str(budgets)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    err = captured.err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert err.startswith(f"erpcap gate: error: {budgets}{where}")
    assert message in err


def test_not_a_run_directory_exits_2(
    tmp_path: Path, write_budgets: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["gate", str(tmp_path), "--budgets", str(write_budgets(PASSING))])
    assert code == 2
    assert "not a run directory" in capsys.readouterr().err


def test_subprocess_exit_codes(analysed_run: RunDir, write_budgets: Callable[..., Path]) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "error::UserWarning"}

    def gate(budgets: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "erpcap",
                "gate",
                str(analysed_run.path),
                "--budgets",
                str(budgets),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )

    ok = gate(write_budgets(PASSING, "ok.yaml"))
    assert ok.returncode == 0, ok.stderr
    assert "gate: PASS" in ok.stdout
    breached = gate(write_budgets(BREACHED, "breached.yaml"))
    assert breached.returncode == 1, breached.stderr
    bad = gate(write_budgets('thresholds:\n  http_reqs: ["rate>>1"]\n', "bad.yaml"))
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("erpcap gate: error: ")
    assert "bad.yaml:2: " in bad.stderr and "Traceback" not in bad.stderr


def test_one_budget_is_one_budget(
    analysed_run: RunDir, write_budgets: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["gate", str(analysed_run.path), "--budgets", str(write_budgets(
        'thresholds:\n  http_req_failed: ["rate<0.10"]\n'))])  # fmt: skip
    assert code == 0
    assert "— 1 budget, 0 breached" in capsys.readouterr().out


def test_the_gate_writes_its_outcome_and_the_report_shows_it(
    analysed_run: RunDir, write_budgets: Callable[[str], Path]
) -> None:
    import json

    from erpcap.analysis import analyze_run
    from erpcap.reports import render_reports

    code = main(["gate", str(analysed_run.path), "--budgets", str(write_budgets(BREACHED))])
    gate = json.loads(analysed_run.file("gate.json").read_text(encoding="utf-8"))
    assert code == gate["exit_code"] == 1 and gate["passed"] is False
    assert gate["findings_generated_at"] == analysed_run.read_findings()["generated_at"]
    assert {r["status"] for r in gate["results"]} == {"pass", "fail", "missing"}
    assert all(r["measured_text"] and r["where"] for r in gate["results"])
    html_path, md_path = render_reports(analysed_run, formats="html,md")
    html = html_path.read_text(encoding="utf-8")
    assert 'id="budgets"' in html and "no_such_tx" in html
    assert "FAIL — 5 budgets, 3 breached" in md_path.read_text(encoding="utf-8")
    # A new analysis makes that outcome stale: the report no longer shows it.
    analyze_run(analysed_run)
    html_path, md_path = render_reports(analysed_run, formats="html,md")
    assert 'id="budgets"' not in html_path.read_text(encoding="utf-8")
    assert "breached" not in md_path.read_text(encoding="utf-8")
