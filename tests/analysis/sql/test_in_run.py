"""``erpcap analyze`` of a run with statements.parquet (a real PostgreSQL log imported into
it): findings.json's ``sql`` block, SQL findings among the run's, and the Slow SQL section in
the HTML report and summary.md in both languages."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from erpcap.importing import import_files
from erpcap.reports import render_reports
from erpcap.rundir import RunDir


def test_analyze_shows_slow_sql(make_run: Callable[..., RunDir], pg_log: Path) -> None:
    run = make_run([(2, 20.0, 10.0, 50.0, 0.0), (4, 20.0, 12.0, 80.0, 0.0)])
    import_files("pg-log", [pg_log], run.path, options={"log_line_prefix": "%m [%p] %q%u@%d "})
    result = subprocess.run(
        [sys.executable, "-m", "erpcap", "analyze", str(run.path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    findings = run.read_findings()
    sql = findings["sql"]
    assert sql["counts"]["statements"] == run.count_rows("statements")
    by = {t["fingerprint"]: t for t in sql["top"]}
    assert by["select count(*) from items where note like ?"]["calls"] == 40
    sql_ids = {f["id"] for f in sql["findings"]}
    assert sql_ids <= {f["id"] for f in findings["findings"]}  # counted with the run's
    for lang, title in (("en", "Slow SQL"), ("zh-CN", "慢 SQL")):
        render_reports(run, lang=lang, formats=("html", "md"))
        html = run.file("report.html").read_text(encoding="utf-8")
        summary = run.file("summary.md").read_text(encoding="utf-8").replace("\\", "")
        assert 'id="slow-sql"' in html and title in html and title in summary, lang
        assert "select count(*) from items where note like ?" in summary
