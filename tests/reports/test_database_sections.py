"""Resources per step and the top statements: from the tables to findings.json, the HTML
report in both languages, and summary.md.

The run is made by the test: a two-step load with database samples in the collectors'
vocabulary (sessions by state, waits, lock waits) and statement statistics, under names
that are the test's own, so nothing depends on the reference ERP.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from erpcap.analysis import analyze_run
from erpcap.reports import render_reports
from erpcap.rundir import RunDir

SOURCE = "acmedb"  # any source speaking the database vocabulary, not only postgres


def _with_database(run: RunDir, *, gap: bool = False) -> None:
    steps = [e for e in run.read_events() if e.get("kind") == "step"]
    t0 = pd.Timestamp(steps[0]["ts"])
    rows: list[dict[str, Any]] = []
    labels = {"instance": "db1:5432/shop"}
    for second in range(40):
        if gap and 25 <= second < 33:
            continue  # the collector missed these samples
        ts = t0 + timedelta(seconds=second)
        second_step = second >= 20
        cpu = {"target": 40.0 if second_step else 20.0, "db": 60.0 if second_step else 10.0}
        for role, value in cpu.items():
            rows.append(_row(ts, "process", "cpu_percent", value, {"role": role}))
        rows.append(_row(ts, "host", "cpu_percent", 50.0, {}))
        busy = {"active": 1.0, "waiting": 3.0 if second_step else 0.0, "idle": 5.0}
        for state, value in busy.items():
            rows.append(_row(ts, SOURCE, "sessions", value, {**labels, "state": state}))
        waits = {"CPU": 1.0, "Lock:tuple": 3.0 if second_step else 0.0}
        for wait, value in waits.items():
            if value:
                rows.append(_row(ts, SOURCE, "wait_sessions", value, {**labels, "wait": wait}))
        rows.append(_row(ts, SOURCE, "lock_waits", 3.0 if second_step else 0.0, labels))
        rows.append(_row(ts, SOURCE, "connections", 9.0, labels))
        rows.append(_row(ts, SOURCE, "max_connections", 100.0, labels))
    writer = run.part_writer("metrics")
    writer.extend(rows)
    writer.flush()
    stats = run.part_writer("sql_stats")
    end = t0 + timedelta(seconds=40)
    for step, calls, total in ((None, 300, 900.0), (1, 100, 100.0), (2, 200, 800.0)):
        stats.append(
            _stat(t0, end, step, "UPDATE basket SET n = n + $1 WHERE id = $2", calls, total)
        )
    stats.append(_stat(t0, end, None, "SELECT name FROM shelf WHERE id = $1", 50, 100.0))
    stats.flush()


def _row(ts: Any, source: str, metric: str, value: float, labels: dict[str, Any]) -> dict[str, Any]:
    return {"ts": ts, "source": source, "metric": metric, "labels": json.dumps(labels),
            "value": value}  # fmt: skip


def _stat(
    start: Any, end: Any, step: int | None, query: str, calls: int, total: float
) -> dict[str, Any]:
    from erpcap.sqltext import fingerprint

    return {"source": SOURCE, "instance": "db1:5432/shop", "start": start, "end": end,
            "step": step, "queryid": None, "fingerprint": fingerprint(query), "query": query,
            "calls": calls, "total_ms": total}  # fmt: skip


def _run(make_run: Callable[..., RunDir], **kwargs: Any) -> RunDir:
    run = make_run([(2, 20.0, 10.0, 50.0, 0.0), (8, 20.0, 12.0, 400.0, 0.0)],
                   names=(("put_basket", "order"), ("read_shelf", "query")))  # fmt: skip
    _with_database(run, **kwargs)
    return run


def test_findings_carry_resources_per_step_and_the_top_statements(
    make_run: Callable[..., RunDir],
) -> None:
    run = _run(make_run)
    findings = analyze_run(run)
    first, second = (s["resources"] for s in findings["steps"])
    assert first["cpu_by_role"] == {"db": 10.0, "target": 20.0}
    assert second["cpu_by_role"] == {"db": 60.0, "target": 40.0}
    db = second["databases"][0]
    assert (db["source"], db["instance"]) == (SOURCE, "db1:5432/shop")
    assert db["busy_sessions"] == 4.0 and db["sessions"]["waiting"] == 3.0
    assert db["top_waits"][0] == {"wait": "Lock:tuple", "share": 0.75}
    assert db["lock_waits"]["max"] == 3.0 and db["max_connections"] == 100.0
    assert first["databases"][0]["top_waits"] == [{"wait": "CPU", "share": 1.0}]
    assert (second["db_calls"], second["db_time_ms"]) == (200, 800.0)

    statements = findings["statements"]
    assert statements["total_ms"] == 1000.0 and statements["statements"] == 2
    top = statements["top"][0]
    assert top["fingerprint"] == "update basket set n = n + ? where id = ?"
    assert (top["calls"], top["share"], top["mean_ms"]) == (300, 0.9, 3.0)


def test_report_and_summary_show_them_in_both_languages(make_run: Callable[..., RunDir]) -> None:
    run = _run(make_run)
    analyze_run(run)
    # findings.json 1.3: the statements show in the Slow SQL section (reports/sql_report.py)
    for lang, words in (("en", ("Resources per step", "Slow SQL", "top wait Lock:tuple (75%)")),
                        ("zh-CN", ("各阶资源", "慢 SQL", "主要等待 Lock:tuple（75%）"))):  # fmt: skip
        render_reports(run, lang=lang, formats=("html", "md"))
        html = run.file("report.html").read_text(encoding="utf-8")
        summary = run.file("summary.md").read_text(encoding="utf-8").replace("\\", "")
        for word in words:
            assert word in html and word in summary, (lang, word)
        for chart in ("chart-db-sessions", "chart-db-waits", "chart-db-locks"):
            assert f'id="{chart}"' in html
        assert "update basket set n = n + ? where id = ?" in summary
        assert "Top statements" not in html and "耗时最多的语句" not in html


def test_findings_without_the_sql_block_keep_top_statements(
    make_run: Callable[..., RunDir],
) -> None:
    """A findings.json written before 1.3 (no ``sql``) still shows its Top statements."""
    run = _run(make_run)
    findings = analyze_run(run)
    findings.pop("sql")
    run.write_json("findings.json", findings)
    for lang, word in (("en", "Top statements"), ("zh-CN", "耗时最多的语句")):
        render_reports(run, lang=lang, formats=("html", "md"))
        html = run.file("report.html").read_text(encoding="utf-8")
        summary = run.file("summary.md").read_text(encoding="utf-8").replace("\\", "")
        assert word in html and word in summary, (lang, word)
        assert 'id="slow-sql"' not in html


def _chart(html: str, chart_id: str) -> dict[str, Any]:
    start = html.index('id="erpcap-charts"')
    payload = html[html.index(">", start) + 1 : html.index("</script>", start)]
    charts = json.loads(payload)
    found = charts[chart_id] if isinstance(charts, dict) else next(
        c for c in charts if c.get("id") == chart_id)  # fmt: skip
    figure = found.get("figure", found)
    return json.loads(figure) if isinstance(figure, str) else figure


def test_charts_share_one_time_axis_and_a_gap_stays_a_gap(make_run: Callable[..., RunDir]) -> None:
    run = _run(make_run, gap=True)
    analyze_run(run)
    render_reports(run, lang="en", formats=("html",))
    html = run.file("report.html").read_text(encoding="utf-8")
    ranges = {c: _chart(html, c)["layout"]["xaxis"]["range"]
              for c in ("chart-latency", "chart-cpu", "chart-db-waits")}  # fmt: skip
    assert len({tuple(r) for r in ranges.values()}) == 1, ranges
    for chart in ("chart-db-sessions", "chart-db-waits", "chart-cpu"):
        values = _values(_chart(html, chart)["data"][0]["y"])
        assert np.isnan(values).sum() == 1, chart  # the missed samples break the line


def _values(y: Any) -> Any:
    """A trace's y values: a list, or plotly's typed array (``{"dtype", "bdata"}``)."""
    if isinstance(y, dict):
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
    return np.array([np.nan if v is None else v for v in y], dtype=float)
