"""summary.md and summary.json."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from erpcap.reports import load_report_data, render_markdown, render_reports
from erpcap.rundir import RunDir


def test_summary_md_content(run_copy: RunDir) -> None:
    paths = render_reports(run_copy, formats="md,json")
    assert [p.name for p in paths] == ["summary.md", "summary.json"]
    text = paths[0].read_text(encoding="utf-8")
    findings = run_copy.read_findings()
    assert text.startswith("# Load test report: ladder")
    assert "## ⚠️ Verdict: **WARNING**" in text
    assert "### Key numbers" in text and "| Peak throughput (successful) | **" in text
    assert "### p95 response time at each load step" in text
    assert "| 4 ❌ | 60 |" in text  # the step over the targets is marked
    assert "create\\_sales\\_order" in text
    assert "### Findings" in text
    for finding in findings["findings"]:
        assert finding["severity"] in ("warning", "critical", "info")
    assert "Full report: `report.html`" in text
    doc = json.loads(paths[1].read_text(encoding="utf-8"))
    assert doc["summary"]["verdict"] == findings["verdict"]["status"]
    assert doc["overall"]["p95_ms"] == findings["overall"]["p95_ms"]


def test_summary_md_escapes_and_translates(synthetic: ModuleType, tmp_path: Path) -> None:
    run = synthetic.make_run(tmp_path / "hostile", hostile=True, status="interrupted")
    text = render_markdown(load_report_data(run), lang="zh-CN")
    assert "<script>" not in text
    assert "\\<script\\>" in text
    assert "## ⚠️ 结论" in text or "## ❌ 结论" in text
    assert "本次运行未完成" in text
    for line in text.splitlines():
        if line.startswith("|"):
            # every table row keeps its columns: an escaped name cannot add a cell
            assert line.count(" | ") - line.count("\\|") >= 1


def test_summary_md_of_minimal_findings(synthetic: ModuleType, tmp_path: Path) -> None:
    run = RunDir.create(tmp_path / "imported", status="completed")
    run.write_json("findings.json", synthetic.minimal_findings())
    text = render_markdown(load_report_data(run, tables=False))
    assert "✅ Verdict: **PASS**" in text
    assert "No findings" in text
    assert "p95 response time | **95.0 ms**" in text
