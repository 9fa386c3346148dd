"""The HTML report: self-contained, escaped, charts present, both languages."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

from plotly.offline import get_plotlyjs

from erpcap.reports import load_report_data, render_html, render_reports
from erpcap.rundir import RunDir


class _Tags(HTMLParser):
    """Collects start tags with their attributes, and the text of each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def _charts(parsed: _Tags) -> list[dict]:
    payload = [text for attrs, text in parsed.scripts if attrs.get("id") == "erpcap-charts"]
    assert len(payload) == 1
    return json.loads(payload[0])


def test_report_is_self_contained(run_copy: RunDir) -> None:
    [path] = render_reports(run_copy, formats=["html"])
    assert path == run_copy.file("report.html")
    html = path.read_text(encoding="utf-8")
    parsed = _parse(html)
    for tag, attrs in parsed.tags:
        for attr in ("src", "href"):
            value = (attrs.get(attr) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//")), (tag, attrs)
        assert tag != "link", "no external stylesheet or font"
    assert all("src" not in attrs for attrs, _ in parsed.scripts)
    assert "@import" not in html and "url(" not in html.split("<script>")[0]
    # plotly.js is inlined exactly once
    head = get_plotlyjs()[:300]
    assert html.count(head) == 1
    assert sum(1 for attrs, text in parsed.scripts if head in text) == 1


def test_report_has_every_chart_and_section(run_copy: RunDir) -> None:
    html = render_html(load_report_data(run_copy))
    parsed = _parse(html)
    charts = _charts(parsed)
    ids = [c["id"] for c in charts]
    # the charts over time, then the two by users (the Capacity section's)
    assert ids == [
        "chart-throughput", "chart-latency", "chart-cpu", "chart-memory",
        "chart-capacity", "chart-capacity-p95",
    ]  # fmt: skip
    div_ids = {attrs.get("id") for tag, attrs in parsed.tags if tag == "div"}
    assert set(ids) <= div_ids
    throughput = charts[0]["figure"]
    names = [trace["name"] for trace in throughput["data"]]
    assert names[0] == "throughput" and "active users" in names
    assert any(trace.get("yaxis") == "y2" for trace in throughput["data"])
    latency_names = [trace["name"] for trace in charts[1]["figure"]["data"]]
    assert latency_names[:3] == ["p50", "p95", "p99"]
    memory_names = [trace["name"] for trace in charts[3]["figure"]["data"]]
    assert "erp processes RSS" in memory_names and "host memory used" in memory_names
    for section in ("summary", "charts", "transactions", "steps", "resources", "findings"):
        assert f'<section id="{section}">' in html
    assert 'class="verdict v-warn"' in html
    assert "create_sales_order" in html
    assert "Users within targets" in html


def test_report_escapes_untrusted_text(synthetic: ModuleType, tmp_path: Path) -> None:
    run = synthetic.make_run(tmp_path / "hostile", hostile=True)
    html = render_html(load_report_data(run))
    assert synthetic.XSS_NAME not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html
    assert "&lt;img src=x onerror=" in html
    parsed = _parse(html)
    # exactly our three scripts: plotly.js, the chart data, the bootstrap
    assert len(parsed.scripts) == 3
    assert not any(tag == "img" for tag, _ in parsed.tags)
    # a role name from the metrics labels reaches plotly as text, not markup
    charts = _charts(parsed)
    names = [t["name"] for c in charts for t in c["figure"]["data"]]
    assert any("&lt;b&gt;erp&lt;/b&gt;" in n for n in names)
    assert not any("<b>" in n for n in names)


def test_report_in_chinese(run_copy: RunDir) -> None:
    [path] = render_reports(run_copy, lang="zh-CN", formats="html")
    html = path.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html
    for text in ("负载测试报告", "结论", "警告", "峰值吞吐量", "各负载阶梯的 p95 响应时间", "发现"):
        assert text in html
    charts = _charts(_parse(html))
    assert charts[0]["figure"]["layout"]["yaxis"]["title"]["text"] == "请求/秒"
    # dates in numbers only: plotly's default tick labels name the month in English
    for chart in [c for c in charts if not c["id"].startswith("chart-capacity")]:
        xaxis = chart["figure"]["layout"]["xaxis"]
        formats = [stop["value"] for stop in xaxis["tickformatstops"]]
        assert formats == ["%H:%M:%S.%L", "%H:%M:%S", "%H:%M", "%Y-%m-%d"]
        assert xaxis["hoverformat"] == "%Y-%m-%d %H:%M:%S"
    # plotly's tool-bar tips in Chinese
    [main] = [attrs for tag, attrs in _parse(html).tags if tag == "main"]
    locale = json.loads(main["data-plotly-locale"] or "{}")
    assert locale["locale"] == "zh-CN" and locale["dictionary"]["Zoom in"] == "放大"


def test_interrupted_run_says_so(synthetic: ModuleType, tmp_path: Path) -> None:
    run = synthetic.make_run(tmp_path / "cut", status="interrupted", metrics=False)
    html = render_html(load_report_data(run))
    assert "This run did not complete" in html
    assert "interrupted" in html
    assert "No resource metrics (metrics.parquet)" in html
    assert "locust worker 2 lost for 3 s" in html  # run.json warnings reach the page
    ids = [c["id"] for c in _charts(_parse(html))]
    assert ids == ["chart-throughput", "chart-latency", "chart-capacity", "chart-capacity-p95"]


def test_findings_only_run_renders_without_charts(synthetic: ModuleType, tmp_path: Path) -> None:
    run = RunDir.create(tmp_path / "imported", status="completed")
    run.write_json("findings.json", synthetic.minimal_findings())
    html = render_html(load_report_data(run))
    assert "No per-second data (intervals.parquet)" in html
    assert "<script" not in html  # nothing to draw, so no plotly.js either
    assert re.search(r'class="verdict v-pass"', html)
    assert "All good." in html


def test_resource_values_carry_their_units() -> None:
    from erpcap.reports import Translator
    from erpcap.reports.html import resource_rows

    resources = {
        "host": {
            "memory_available_bytes": {"mean": 23_377_044_935.1, "max": 23_400_000_000.0},
            "net_recv_bytes_per_s": {"mean": 1_250_000.0, "max": 2_500_000.0},
            "cpu_percent": {"mean": 61.26, "max": 97.4},
        },
        "processes": [{"role": "erp", "rss_mb": {"mean": 120.0, "max": 140.0}}],
    }
    rows = {(r.role, r.metric): (r.mean, r.max) for r in resource_rows(resources, Translator("en"))}
    assert rows[("host", "memory available")] == ("23.4 GB", "23.4 GB")
    assert rows[("host", "network received")] == ("1.2 MB/s", "2.5 MB/s")
    assert rows[("host", "CPU")] == ("61.3%", "97.4%")
    assert rows[("erp", "resident memory (RSS)")] == ("125.8 MB", "146.8 MB")
    zh = {r.metric for r in resource_rows(resources, Translator("zh-CN"))}
    assert {"可用内存", "网络接收", "常驻内存（RSS）"} <= zh
