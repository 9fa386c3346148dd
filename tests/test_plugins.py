"""A plug-in package, installed the way pip installs one (its code and a dist-info with entry
points on the path), adds a rule, a report section and a collector — and erpcap uses them
as it uses its own, without any change to erpcap: the rule's finding is in findings.json,
in report.html in both languages and in summary.md; the section renders; the collector
samples through ``--collect``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN = """
from erpcap.collectors import Collector, metric_row
from erpcap.findings import FindingKind, Quantity, Texts
from erpcap.reports.sections import Section

DEEP = FindingKind(
    id="acme.queue_deep",
    stage="resources",
    texts={
        "en": Texts("Order queue peaked at {depth}", "The queue held {depth} orders.", "Add consumers."),
        "zh-CN": Texts("订单队列峰值 {depth}", "队列中积压了 {depth} 个订单。", "增加消费者。"),
    },
)


def queue_deep(ctx):
    yield DEEP.make("warning", values={"depth": Quantity(ctx.overall["count"], "count")})


ACME = Section(
    id="acme",
    titles={"en": "Acme queue", "zh-CN": "Acme 队列"},
    reads=("overall",),
    html_template='<section id="acme"><h2>{{ title }}</h2><p>{{ data.findings["overall"]["count"] }}</p></section>',
    markdown=lambda data, t: ["### Acme", "", "queue section", ""],
)


class Counter(Collector):
    name = "acme-counter"
    OPTIONS = {}

    def sample(self, now):
        yield metric_row(now, "acme", "queue_depth", 7.0)
"""

ENTRY_POINTS = """\
[erpcap.rules]
55-acme.queue_deep = acme_erpcap:queue_deep

[erpcap.report_sections]
85-acme = acme_erpcap:ACME

[erpcap.collectors]
50-acme-counter = acme_erpcap:Counter
"""


@pytest.fixture
def plugin_path(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    info = site / "acme_erpcap-0.1.dist-info"
    info.mkdir(parents=True)
    (site / "acme_erpcap.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-erpcap\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    return site


def _erpcap(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "erpcap", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_a_plugin_rule_and_section_reach_every_output(make_run, plugin_path: Path) -> None:
    run = make_run([(5, 20, 10, 50, 0), (10, 20, 20, 60, 0)])
    assert _erpcap(plugin_path, "analyze", str(run.path)).returncode == 0
    findings = json.loads(run.file("findings.json").read_text(encoding="utf-8"))
    (deep,) = [f for f in findings["findings"] if f["id"] == "acme.queue_deep"]
    count = findings["overall"]["count"]
    assert deep["title"] == f"Order queue peaked at {count}"
    assert deep["texts"]["zh-CN"]["title"] == f"订单队列峰值 {count}"
    assert deep["quantities"]["depth"] == {"value": count, "unit": "count"}

    assert _erpcap(plugin_path, "report", str(run.path), "--lang", "zh-CN").returncode == 0
    zh = run.file("report.html").read_text(encoding="utf-8")
    assert f"订单队列峰值 {count}" in zh and "增加消费者。" in zh
    assert '<section id="acme"><h2>Acme 队列</h2>' in zh
    assert _erpcap(plugin_path, "report", str(run.path)).returncode == 0
    en = run.file("report.html").read_text(encoding="utf-8")
    assert f"Order queue peaked at {count}" in en and "<h2>Acme queue</h2>" in en
    summary = run.file("summary.md").read_text(encoding="utf-8")
    assert f"Order queue peaked at {count}" in summary and "### Acme" in summary


def test_a_plugin_collector_is_a_collect_spec(plugin_path: Path, tmp_path: Path) -> None:
    script = (
        "from erpcap.collectors import parse_collect_spec\n"
        "from erpcap.rundir import RunDir\n"
        "import sys, time\n"
        "run = RunDir.create(sys.argv[1])\n"
        "c = parse_collect_spec('acme-counter:interval=0.05')\n"
        "c.start(run)\n"
        "deadline = time.monotonic() + 10\n"
        "while time.monotonic() < deadline and c._writer.pending + c._writer.rows_written < 3:\n"
        "    time.sleep(0.05)\n"
        "c.stop()\n"
        "print(sorted(set(run.read_table('metrics')['metric'])))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(plugin_path)}
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "run")],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "queue_depth" in result.stdout
    # Its series reach the analysis and the reports like any collector's.
    run = tmp_path / "run"
    assert _erpcap(plugin_path, "analyze", str(run)).returncode == 0
    assert _erpcap(plugin_path, "report", str(run)).returncode == 0
    findings = json.loads((run / "findings.json").read_text(encoding="utf-8"))
    assert {"source": "acme", "metric": "queue_depth", "mean": 7.0, "max": 7.0} in findings[
        "resources"
    ]["sources"]
    assert "queue_depth" in (run / "report.html").read_text(encoding="utf-8")
    assert "queue\\_depth" in (run / "summary.md").read_text(encoding="utf-8")
    unknown = _erpcap(plugin_path, "run", "--target", "http://127.0.0.1:9", "--collect", "sar")
    assert unknown.returncode == 2 and "acme-counter" in unknown.stderr  # listed with psutil


def test_a_plugin_that_does_not_load_is_one_line(make_run, plugin_path: Path) -> None:
    (plugin_path / "acme_erpcap.py").write_text("raise ImportError('acme needs numpy 9')\n")
    run = make_run([(5, 20, 10, 50, 0)])
    result = _erpcap(plugin_path, "analyze", str(run.path))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "55-acme.queue_deep" in lines[0] and "acme needs numpy 9" in lines[0]
