"""``erpcap report`` through the real command line."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from erpcap.cli import main
from erpcap.rundir import RunDir


def test_report_command_writes_the_formats(
    run_copy: RunDir, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["report", str(run_copy.path), "--lang", "zh-CN", "--format", "html,md,json"])
    assert code == 0
    out = capsys.readouterr().out.split()
    assert [Path(p).name for p in out] == ["report.html", "summary.md", "summary.json"]
    assert "负载测试报告" in run_copy.file("report.html").read_text(encoding="utf-8")


def test_report_of_unanalysed_run_is_bad_input(
    synthetic: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = synthetic.make_run(tmp_path / "raw", analyze=False)
    assert main(["report", str(run.path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "no findings.json yet" in err and "erpcap analyze" in err


def test_report_bad_format_and_folder(
    run_copy: RunDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(run_copy.path), "--format", "pdf"]) == 2
    assert "unknown report format 'pdf'" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(run_copy.path), "--lang", "fr"])
    assert exit_info.value.code == 2
