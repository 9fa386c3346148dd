"""The capacity parts of the report: the management page, the capacity chart, the bottleneck,
the operational laws, the plan and the sizing — from a findings.json 1.4 made by hand
(capacity_doc.py), a 1.3 document and one where every model block is a note."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from erpcap.reports import Translator, render_html, render_markdown
from erpcap.reports.charts import build_charts


def _load() -> ModuleType:
    path = Path(__file__).with_name("capacity_doc.py")
    spec = importlib.util.spec_from_file_location("erpcap_tests_capacity_doc", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


docs = _load()


def _section(html: str, section_id: str) -> str:
    """The HTML of one ``<section id=…>`` (sections do not nest)."""
    match = re.search(rf'<section id="{section_id}"[^>]*>(.*?)</section>', html, re.S)
    assert match, f"no section {section_id}"
    return match.group(1)


def _text(fragment: str) -> str:
    """The visible text of an HTML fragment, entities decoded, spaces collapsed."""
    import html as html_lib

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _figures(doc: dict[str, Any], lang: str = "en") -> dict[str, dict[str, Any]]:
    charts = build_charts(docs.report_data(doc), Translator(lang))
    return {c.id: json.loads(c.figure_json) for c in charts.charts}


def _trace(figure: dict[str, Any], uid: str) -> dict[str, Any] | None:
    return next((t for t in figure["data"] if t.get("meta") == uid), None)


# -- a full 1.4 document --------------------------------------------------------------------

EXPECTED = {
    "en": {
        "users": "Today's system takes about 20 concurrent users within the response targets "
        "(57.6 req/s of successful requests).",
        "model": "puts the limit at about 24 users",
        "knee": "From about 20 users, more users bring little more throughput (57.6 req/s at "
        "the knee; p95 485 ms).",
        "first": "Add an index for the order-line count: about ×1.35 capacity; 37% less "
        "database time, assuming the index serves the count without a scan.",
        "generator": "load generator was the limit",
        "phase1": "Quick wins",
        "phase2": "Phase 2 — architecture",
    },
    "zh-CN": {
        "users": "当前系统在响应目标内可支撑约 20 个并发用户（成功请求 57.6 请求/秒）。",
        "model": "上限约为 24 个用户",
        "knee": "约从 20 个用户起，再增加用户几乎不再提升吞吐量（拐点处 57.6 请求/秒；p95 485 ms）。",
        "first": "为订单行计数添加索引：容量约提升至 1.35 倍；数据库耗时减少 37%"
        "（假设：索引无需扫描即可完成计数）。",
        "generator": "负载生成器成为瓶颈",
        "phase1": "速赢",
        "phase2": "第二阶段——架构",
    },
}


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_full_document_shows_every_part(lang: str) -> None:
    doc = docs.full()
    html = render_html(docs.report_data(doc), lang=lang)
    want = EXPECTED[lang]

    # the management page comes right after the summary, before the time charts
    order = [html.index(f'<section id="{s}">') for s in ("summary", "management", "charts")]
    assert order == sorted(order)
    page = _text(_section(html, "management"))
    for key in ("users", "model", "knee", "first"):
        assert want[key] in page, (key, page)
    assert docs.BOTTLENECK_TEXT[lang] in page and docs.SIZING_TEXT[lang] in page
    assert docs.NEIGHBOUR[lang] in page  # the warning, loudly
    assert 'role="alert"' in _section(html, "management")
    assert 'lang="en"' not in _section(html, "management") or lang == "en"

    capacity = _text(_section(html, "capacity"))
    kappa = doc["capacity"]["usl"]["kappa"]
    assert f"{kappa:.4g}" in capacity
    assert "check_availability" in capacity and "20,000 ms" in capacity  # SLO limits
    assert "−18.0%" in capacity  # the unsteady step's trend

    bottleneck = _section(html, "bottleneck")
    assert docs.NEIGHBOUR[lang] in _text(bottleneck) and 'role="alert"' in bottleneck
    assert "cpu:host" in bottleneck and "list_customer_orders" in bottleneck
    assert "37%" in _text(bottleneck)  # the statement's share
    # candidates in the analysis's order, numbered
    assert _text(bottleneck).index("cpu:db") > _text(bottleneck).index("0.92")

    laws = _section(html, "laws")
    row = re.search(r'<tr class="is-bottleneck">(.*?)</tr>', laws, re.S)
    assert row and "cpu:host" in row.group(1)
    ceiling = doc["capacity"]["demands"]["ceiling_rps"]
    assert Translator(lang).rps(ceiling) in _text(row.group(1))
    assert want["generator"] in _text(laws)

    plan = _text(_section(html, "plan"))
    assert plan.index(want["phase1"]) < plan.index(want["phase2"])
    # ranked within the phase, whatever the document's order
    title = docs.TOP_TITLE[lang]
    second = "Batch the per-line reads" if lang == "en" else "合并同一操作中的逐行查询"
    assert plan.index(title) < plan.index(second)
    assert 'href="alerts.yml"' in _section(html, "plan")

    sizing = _text(_section(html, "sizing"))
    assert Translator(lang).rps(3 * doc["capacity"]["demands"]["x"]) in sizing
    assert docs.SIZING_TEXT[lang] in sizing
    # nested figures flattened under their parent, the resources as a table
    assert ("application · workers 7" if lang == "en" else "应用 · 工作进程数 7") in sizing
    row = re.search(r"<tr><td[^>]*>cpu:db</td>(.*?)</tr>", _section(html, "sizing"), re.S)
    assert row and "×3.37" in row.group(1)
    assert ("at or below 70% utilisation" if lang == "en" else "利用率不超过 70%") in sizing
    # a recommendation that buys nothing alone says what limits next
    limited = (
        "no capacity on its own: cpu:host limits next" if lang == "en" else "单独实施不提升容量"
    )
    assert limited in plan


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_summary_md_says_it_compactly(lang: str) -> None:
    doc = docs.full()
    md = render_markdown(docs.report_data(doc), lang=lang)
    title = "### Capacity in plain words" if lang == "en" else "### 容量结论一览"
    block = md[md.index(title) : md.index("###", md.index(title) + 4)]
    assert md.index(title) < md.index("### " + Translator(lang)("key_numbers"))
    assert "20" in block and "24" in block
    assert docs.SIZING_TEXT[lang] in block.replace("\\", "")
    assert docs.NEIGHBOUR[lang] in block.replace("\\", "")
    items = re.findall(r"^  (\d)\. ", block, re.M)
    assert items == ["1", "2", "3"]  # the top three, in rank order
    assert docs.TOP_TITLE[lang] in block
    assert ("Pilot a larger" if lang == "en" else "试点更大") not in block


def test_summary_json_carries_the_answers() -> None:
    from erpcap.reports import render_summary_json

    doc = json.loads(render_summary_json(docs.report_data(docs.full()), lang="zh-CN"))
    answers = {a["question"]: a["answer"] for a in doc["management"]}
    assert EXPECTED["zh-CN"]["users"] in answers["能支撑多少用户？"]
    assert doc["plan"]["recommendations"] and doc["sizing"]["texts"] == docs.SIZING_TEXT
    old = json.loads(render_summary_json(docs.report_data(docs.old())))
    assert old["management"] == [] and old["plan"] is None


def test_the_chart_draws_the_usl_curve_the_knee_and_the_limits() -> None:
    doc = docs.full()
    figures = _figures(doc)
    figure = figures["chart-capacity"]
    curve = doc["capacity"]["usl"]["curve"]
    top = max(s["users"] for s in doc["steps"])
    model, prediction = _trace(figure, "usl"), _trace(figure, "usl-prediction")
    assert model and prediction
    assert model["x"] + prediction["x"][1:] == [p[0] for p in curve]
    assert model["y"] == pytest.approx([p[1] for p in curve if p[0] <= top])
    assert prediction["line"]["dash"] == "dot"
    low, high = _trace(figure, "usl-low"), _trace(figure, "usl-high")
    assert low and high and low["fill"] == "tonexty"
    assert low["y"] == pytest.approx([p[2] for p in curve])
    knee = _trace(figure, "knee")
    assert knee and knee["x"] == [20] and knee["y"] == [pytest.approx(57.6043)]
    measured = _trace(figure, "measured")
    assert measured and measured["x"] == [s["users"] for s in doc["steps"]]
    lines = sorted(s["x0"] for s in figure["layout"]["shapes"] if s["yref"] == "paper")
    assert lines == [20, docs.SLO_USERS]  # measured limit, the model's
    p95 = figures["chart-capacity-p95"]
    target = [s for s in p95["layout"]["shapes"] if s["yref"] == "y"]
    assert [s["y0"] for s in target] == [1000.0]
    assert p95["layout"]["yaxis"]["type"] == "log"  # 104 ms … 14.6 s
    assert _trace(p95, "knee")["y"] == [pytest.approx(484.696)]  # type: ignore[index]


def test_the_chart_caption_says_what_a_reader_sees() -> None:
    html = render_html(docs.report_data(docs.full()))
    capacity = _text(_section(html, "capacity"))
    assert "The orange diamond marks the knee (20 users)" in capacity
    assert "largest load that met every response target (20 users)" in capacity
    assert "strictest p95 target (1,000 ms)" in capacity


# -- what could not be computed -------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_13_document_renders_and_says_the_model_is_missing(lang: str) -> None:
    data = docs.report_data(docs.old())
    html = render_html(data, lang=lang)
    note = _text(_section(html, "capacity"))
    assert ("version 1.3" if lang == "en" else "版本 1.3") in note
    for absent in ("management", "bottleneck", "plan", "sizing", "laws"):
        assert f'<section id="{absent}">' not in html
    figure = _figures(docs.old(), lang)["chart-capacity"]
    assert [t.get("meta") for t in figure["data"]] == ["measured"]
    md = render_markdown(data, lang=lang)
    assert ("version 1.3" if lang == "en" else "版本 1.3") in md


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_notes_are_shown_where_the_blocks_could_not_be_computed(lang: str) -> None:
    doc = docs.with_notes()
    html = render_html(docs.report_data(doc), lang=lang)
    capacity = _text(_section(html, "capacity"))
    assert docs.NO_KNEE[lang] in capacity and docs.NO_FIT[lang] in capacity
    laws = _text(_section(html, "laws"))
    assert doc["capacity"]["demands"]["note"][lang] in laws
    none = {
        "en": ("No bottleneck could be attributed", "No upgrade plan", "No sizing"),
        "zh-CN": ("无法根据本次运行的测量确定瓶颈", "本次分析没有升级计划", "本次分析没有容量规划"),
    }[lang]
    for section, words in zip(("bottleneck", "plan", "sizing"), none, strict=True):
        assert words in _text(_section(html, section))
    assert docs.NO_KNEE[lang] in _text(_section(html, "management"))
    figure = _figures(doc, lang)["chart-capacity"]
    assert [t.get("meta") for t in figure["data"]] == ["measured"]  # no curve, no knee
    md = render_markdown(docs.report_data(doc), lang=lang)
    assert docs.NO_KNEE[lang] in md


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_an_analysis_without_a_model_says_so(lang: str) -> None:
    """The real document as the analysis wrote it before its capacity stages did anything:
    1.4, with plan and sizing null and no model keys."""
    doc = docs.base()
    html = render_html(docs.report_data(doc), lang=lang)
    words = "computed no capacity model" if lang == "en" else "没有为此运行计算容量模型"
    assert words in _text(_section(html, "capacity"))
    assert '<section id="management">' not in html
    assert ("No upgrade plan" if lang == "en" else "没有升级计划") in _text(_section(html, "plan"))


def test_malformed_blocks_do_not_break_the_report() -> None:
    doc = docs.full()
    cap = doc["capacity"]
    cap["knee"] = "20"
    cap["usl"]["curve"] = [[1, None], "x", [2], [3, 4.0, None, None]]
    cap["demands"]["resources"] = [None, {"resource": "cpu:host"}]
    cap["littles_law"] = {"step": 1}
    cap["bottleneck"]["candidates"] = [{"score": "high"}]
    doc["plan"]["recommendations"] = [{"rank": "one", "texts": "?"}, 3]
    doc["sizing"]["today"] = {"users": None, "odd": {"a": 1}, "flag": True}
    for lang in ("en", "zh-CN"):
        html = render_html(docs.report_data(doc), lang=lang)
        assert '<section id="capacity">' in html
        render_markdown(docs.report_data(doc), lang=lang)


def test_text_from_the_analysis_is_escaped() -> None:
    doc = docs.full()
    hostile = "<script>alert('x')</script>"
    doc["capacity"]["bottleneck"]["texts"] = {"en": hostile}
    doc["plan"]["recommendations"][1]["texts"]["en"]["title"] = hostile
    doc["capacity"]["bottleneck"]["statements"][0]["operation"] = hostile
    html = render_html(docs.report_data(doc))
    assert hostile not in html and "&lt;script&gt;" in html
    md = render_markdown(docs.report_data(doc))
    assert "<script>" not in md


@pytest.mark.parametrize(
    "module",
    ["capacity_chart", "capacity_sections", "bottleneck_section", "laws_section",
     "plan_sections", "management"],
)  # fmt: skip
def test_both_languages_have_the_same_words_and_placeholders(module: str) -> None:
    import importlib
    import string

    table = importlib.import_module(f"erpcap.reports.{module}")._TEXT

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert set(table["en"]) == set(table["zh-CN"])
    for key, text in table["en"].items():
        assert fields(text) == fields(table["zh-CN"][key]), key


def test_thin_evidence_is_called_a_hypothesis_and_a_generator_limit_is_loud() -> None:
    doc = docs.full()
    block = doc["capacity"]["bottleneck"]
    block["confidence"] = "thin"
    limit = "The load generator used 98% of its CPU: the system was not the limit."
    block["warnings"] = [{"id": "bottleneck.generator_limit", "texts": {"en": limit}}]
    html = render_html(docs.report_data(doc))
    assert 'id="bottleneck-thin"' in html
    assert "treat this as a hypothesis" in _text(_section(html, "management"))
    for section in ("management", "bottleneck"):
        alert = re.search(
            r'<div class="banner alarm" role="alert">(.*?)</div>', _section(html, section), re.S
        )
        assert alert and limit in _text(alert.group(1))
    # a warning the analysis wrote only in English stays English, marked so, in Chinese
    zh = render_html(docs.report_data(doc), lang="zh-CN")
    assert f'<span lang="en">{limit}</span>' in _section(zh, "management")


def test_the_model_figure_is_left_out_when_a_measured_step_broke_below_it() -> None:
    doc = docs.full()
    doc["capacity"]["usl"]["slo_users"] = 52  # the targets broke at 40 users, measured
    page = _text(_section(render_html(docs.report_data(doc)), "management"))
    assert "about 20 concurrent users" in page and "52" not in page


def test_the_bottleneck_series_marks_its_step() -> None:
    doc = docs.full()
    block = doc["capacity"]["bottleneck"]
    block["evidence"]["series"] = [
        {"step": s["step"], "users": s["users"], "ok_rps": s["ok_rps"], "p95_ms": s["p95_ms"],
         "utilisation": min(1.0, s["resources"]["host_cpu"] / 100)}
        for s in doc["steps"]
    ]  # fmt: skip
    block["evidence"]["databases"] = [
        {"source": "postgres", "busy_sessions": 2.5, "wait_classes": {"cpu": 0.9167, "lock": 0.05},
         "connections": 12.0, "max_connections": 100.0}
    ]  # fmt: skip
    html = _section(render_html(docs.report_data(doc)), "bottleneck")
    rows = re.findall(
        r"<tr( class=\"is-bottleneck\")?>(.*?)</tr>",
        html.split('id="bottleneck-series"')[1].split("</table>")[0],
        re.S,
    )
    marked = [_text(cells).split()[0] for mark, cells in rows if mark]
    assert marked == ["3"]
    assert (
        "postgres · busy sessions 2.5 · wait_classes cpu 92% · lock 5% · connections 12 / 100"
        in _text(html)
    )


def test_an_unbounded_band_and_a_knee_without_throughput_still_draw() -> None:
    doc = docs.full()
    curve = doc["capacity"]["usl"]["curve"]
    for point in curve[60:]:
        point[2] = point[3] = None  # far out, the fit no longer bounds it
    del doc["capacity"]["knee"]["ok_rps"]  # a knee from the latency curve
    figure = _figures(doc)["chart-capacity"]
    low = _trace(figure, "usl-low")
    assert low and low["x"] == [p[0] for p in curve[:60]]
    knee = _trace(figure, "knee")
    assert knee and knee["y"] == [pytest.approx(doc["steps"][2]["ok_rps"])]  # the step at 20 users


def test_a_ladder_that_never_broke_a_target_says_at_least() -> None:
    """The top step within the targets is a floor, not the limit the system reached."""
    doc = docs.full()
    page = _text(_section(render_html(docs.report_data(doc)), "management"))
    assert "takes about 20 concurrent users" in page and "at least" not in page
    doc["capacity"]["first_step_over_slo"] = None
    page = _text(_section(render_html(docs.report_data(doc)), "management"))
    assert "took 20 concurrent users" in page and "at least that many" in page


def test_an_unknown_bottleneck_says_its_evidence_is_thin_once() -> None:
    doc = docs.full()
    block = doc["capacity"]["bottleneck"]
    block["confidence"] = "thin"
    page = _text(_section(render_html(docs.report_data(doc)), "management"))
    assert page.count("The evidence is thin") == 1  # a named cause gets the caveat
    block["kind"] = "unknown"
    block["texts"] = {"en": "The evidence is thin: no measured resource was busy."}
    page = _text(_section(render_html(docs.report_data(doc)), "management"))
    assert page.count("The evidence is thin") == 1  # its own sentence says it, once


def test_an_open_model_run_is_answered_in_its_arrival_rate() -> None:
    doc = docs.full()
    doc["capacity"]["rate_within_slo"] = 30.0
    for lang, words in (("en", "up to an offered 30 per second"), ("zh-CN", "每秒 30")):
        page = _text(_section(render_html(docs.report_data(doc), lang=lang), "management"))
        assert words in page and "concurrent users within" not in page


def test_a_run_that_kept_no_target_says_so_not_zero_users() -> None:
    doc = docs.full()
    doc["capacity"].update(max_users_within_slo=0, rps_within_slo=0.0)
    page = _text(_section(render_html(docs.report_data(doc)), "management"))
    assert "about 0 concurrent users" not in page and "missed the response targets" in page
    doc["capacity"].update(rate_within_slo=None)
    doc["capacity"]["first_step_over_slo"]["rate"] = 15.0
    page = _text(_section(render_html(docs.report_data(doc)), "management"))
    assert "lowest arrival rate tried (15 per second) missed" in page
