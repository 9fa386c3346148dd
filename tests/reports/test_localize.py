"""zh-CN reports say the analysis's findings and verdict in Chinese: the rules declare their
templates in both languages (erpcap/findings.py), the reports pick the language
(reports/localize.py)."""

from __future__ import annotations

import copy
import importlib
import json
import pkgutil
import re
import string
from types import ModuleType
from typing import Any

import markupsafe
import pytest

import erpcap.analysis.rules as rules_package
from erpcap.analysis.rules import Context, Slo
from erpcap.analysis.rules.run import incomplete_run
from erpcap.analysis.verdict import verdict
from erpcap.findings import FindingKind
from erpcap.reports import ReportData, Translator, render_html, render_markdown
from erpcap.reports.formats import render_summary_json
from erpcap.reports.localize import PARTS, localize_finding, localize_headline, localize_missing

ZH = Translator("zh-CN")

#: Words that may stay English in Chinese text: names of tools and command-line options.
OPTION_WORDS = {"Locust", "workers", "password", "users", "think", "scale"}

#: The Chinese title of each finding of synthetic.every_finding_doc().
ZH_TITLES = {
    "run.incomplete": "本次运行未完成（状态：已中断）",
    "run.stopped_early": "负载在第 3 阶（8 个用户）后提前停止：超过了上限 p95>2s or errors>5%",
    "errors.rate_high": "请求失败率 3.3%（上限 1%）",
    "latency.p95_over_target": "create_sales_order：p95 为 1.52 秒，超过目标值 1.00 秒",
    "slo.transaction_missed": "check_availability：p99 为 357 ms，未达到目标值 300 ms",
    "capacity.saturated": "吞吐量趋于平稳：成功请求约 30.2 请求/秒（20 个用户）",
    "load.light": "负载较轻：在 20 个用户时，任一时刻只有 0.1% 的用户在等待 ERP",
    "resources.host_cpu_high": "主机 CPU 达到 97%（平均 61%）",
    "generator.saturated": "负载生成器过于繁忙（每个进程占用一个核心的 86%）",
    "data.few_samples": "1 个事务的请求少于 20 次",
    "capacity.knee": "吞吐量曲线的拐点在 20 个用户（30.2 请求/秒，p95 104 ms）",
    "capacity.usl": "通用可扩展性定律：σ = 0.02，κ = 0.0004，λ = 每用户 2.1 请求/秒；峰值 33.4/秒，N ≈ 49",
    "load.generator_limit": "在 40 个用户时负载生成器成为瓶颈：每个请求在请求之外花费 1.08 秒，而配置为 500 ms",
    "capacity.unsteady_step": "第 2 阶（40 个用户）未达到稳态",
    "bottleneck.unknown": "第 2 阶（40 个用户）没有明确的瓶颈",
    "host.noisy_neighbour": "被监视角色之外的进程占用了主机 0.90 个核心",
    "load.schedule_missed": "未能按到达率计划执行：3600 个到达中有 180 个被丢弃（5.0%）",
}


def _kinds() -> list[FindingKind]:
    """Every FindingKind the default rules declare (one module per subject)."""
    kinds = []
    for info in pkgutil.iter_modules(rules_package.__path__):
        module = importlib.import_module(f"{rules_package.__name__}.{info.name}")
        kinds += [v for v in vars(module).values() if isinstance(v, FindingKind)]
    return kinds


KNOWN_FINDINGS = {kind.id for kind in _kinds()}

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _numbers(text: str) -> list[str]:
    """The numbers of a sentence, in order of value (words and units differ by language)."""
    return sorted(_NUMBER.findall(text))


@pytest.fixture()
def doc(synthetic: ModuleType) -> dict[str, Any]:
    return synthetic.every_finding_doc()


def _data(doc: dict[str, Any]) -> ReportData:
    return ReportData(run_id="every-finding", meta={"status": "interrupted"}, findings=doc)


def test_every_default_rule_fires_and_is_known(doc: dict[str, Any]) -> None:
    ids = [f["id"] for f in doc["findings"]]
    assert sorted(ids) == sorted(ZH_TITLES) == sorted(KNOWN_FINDINGS)


def test_zh_templates_exist_for_every_known_finding() -> None:
    for kind in _kinds():
        assert "zh-CN" in kind.texts, kind.id
        for part in PARTS:
            text = getattr(kind.texts["zh-CN"], part)
            words = "".join(literal for literal, *_ in string.Formatter().parse(text))
            english = set(re.findall(r"[A-Za-z]{4,}", words)) - OPTION_WORDS
            assert not english, (kind.id, part, english)  # names (SQL, ERP, --workers) may stay


def test_each_finding_is_said_in_chinese_with_the_same_numbers(doc: dict[str, Any]) -> None:
    for finding in doc["findings"]:
        said = localize_finding(finding, ZH)
        assert said["text_lang"] == "zh-CN", finding["id"]
        assert said["title"] == ZH_TITLES[finding["id"]]
        for part in ("title", "detail"):
            assert _numbers(said[part]) == _numbers(finding[part]), (finding["id"], part)
        assert said["evidence"] == finding["evidence"] and said["severity"] == finding["severity"]


def test_zh_html_report_has_no_english_finding_text(doc: dict[str, Any]) -> None:
    html = render_html(_data(doc), lang="zh-CN")
    for title in ZH_TITLES.values():
        assert title in html or _escaped(title) in html  # a --stop-when holds ">"
    for finding in doc["findings"]:
        for part in PARTS:
            english = finding[part]
            assert english not in html and _escaped(english) not in html, (finding["id"], part)
    headline = doc["verdict"]["headline"]
    assert headline not in html and _escaped(headline) not in html
    assert "在目标范围内（在线业务 p95 ≤ 1.00 秒，错误率 ≤ 1%）支撑了 20 个并发用户" in html
    assert 'lang="en"' not in html
    assert "运行提前结束（已中断）" in html and "未采集到资源指标" in html


def test_zh_markdown_and_json_have_no_english_finding_text(doc: dict[str, Any]) -> None:
    text = render_markdown(_data(doc), lang="zh-CN")
    summary = json.loads(render_summary_json(_data(doc), lang="zh-CN"))
    blob = text + json.dumps(summary, ensure_ascii=False)
    for finding in doc["findings"]:
        for part in ("title", "fix"):
            assert finding[part] not in blob, (finding["id"], part)
    assert doc["verdict"]["headline"] not in blob
    for reason in doc["verdict"]["reasons"]:
        assert reason not in blob
    assert summary["summary"]["reasons"][0] == ZH_TITLES["run.incomplete"]
    assert summary["summary"]["headline_lang"] == "zh-CN"
    assert "p95 为 1.52 秒" in text


def test_english_report_shows_the_analysis_text(doc: dict[str, Any]) -> None:
    html = render_html(_data(doc), lang="en")
    for finding in doc["findings"]:
        assert _escaped(finding["title"]) in html
    assert _escaped(doc["verdict"]["headline"]) in html
    assert not any(title in html for title in ZH_TITLES.values())


def test_unknown_finding_id_falls_back_to_english(doc: dict[str, Any]) -> None:
    plugin = {
        "id": "acme.queue_deep",
        "severity": "critical",  # so that summary.md's short list has room for it
        "title": "Message queue depth above 1,000",
        "detail": "The order queue backed up.",
        "evidence": {"depth": 1234},
        "fix": "Add consumers.",
    }
    doc["findings"].insert(0, plugin)
    doc["verdict"]["reasons"].append(plugin["title"])
    html = render_html(_data(doc), lang="zh-CN")
    assert '<span class="title" lang="en">Message queue depth above 1,000</span>' in html
    assert '<p lang="en">The order queue backed up.</p>' in html
    assert '<span lang="en">Add consumers.</span>' in html
    assert "Message queue depth above 1,000</li>" in html  # the reason stays, too
    for title in ZH_TITLES.values():
        assert title in html or _escaped(title) in html
    text = render_markdown(_data(doc), lang="zh-CN")
    assert "Message queue depth above 1,000" in text


def test_a_finding_without_the_language_stays_as_written(doc: dict[str, Any]) -> None:
    finding = copy.deepcopy(
        next(f for f in doc["findings"] if f["id"] == "latency.p95_over_target")
    )
    del finding["texts"]["zh-CN"]
    said = localize_finding(finding, ZH)
    assert said["text_lang"] == "en"
    assert [said[p] for p in PARTS] == [finding[p] for p in PARTS]


def test_a_run_note_in_free_text_is_kept_in_the_detail() -> None:
    meta = {"status": "interrupted", "exit_reason": "stopped by SIGINT"}
    ctx = Context(meta=meta, overall={}, transactions=[], steps=[], resources={}, errors=[],
                  slo=Slo())  # fmt: skip
    (finding,) = incomplete_run(ctx)
    said = localize_finding(finding.to_dict(), ZH)
    assert said["detail"] == "运行提前结束：stopped by SIGINT"
    assert finding.detail == "stopped by SIGINT"


@pytest.mark.parametrize(
    "capacity",
    [
        {
            "peak": {"ok_rps": 31.1, "rps": 31.5, "step": 2, "users": 40},
            "max_users_within_slo": 20,
            "rps_within_slo": 30.2,
            "first_step_over_slo": {"step": 2, "users": 40},
        },
        {
            "peak": {"ok_rps": 30.2, "rps": 30.2, "step": 1, "users": 20},
            "max_users_within_slo": 20,
            "rps_within_slo": 30.2,
            "first_step_over_slo": None,
        },
        {
            "peak": {"rps": 12.5, "step": 3, "users": 60},  # before 1.1: no ok_rps
            "max_users_within_slo": 0,
            "rps_within_slo": 0.0,
            "first_step_over_slo": {"step": 1, "users": 10},
        },
        {},
    ],
)
def test_headline_says_what_the_english_says(capacity: dict[str, Any]) -> None:
    slo = Slo(error_rate=0.02)
    overall = {"count": 5120, "error_rate": 0.0123}
    quality = {"missing": []}
    english = verdict(overall, capacity, [], quality, slo)
    doc = {"verdict": english, "overall": overall, "capacity": capacity, "slo": slo.to_dict()}
    said = localize_headline(doc, ZH)
    assert said.lang == "zh-CN"
    assert _numbers(said.text) == _numbers(english["headline"])
    assert said.text.endswith("。") and "总体错误率 1.23%" in said.text


def test_headline_of_an_empty_run_and_of_a_document_without_blocks() -> None:
    slo = Slo()
    empty = verdict({"count": 0}, {}, [], {"missing": []}, slo)
    doc = {"verdict": empty, "overall": {"count": 0}, "capacity": {}, "slo": slo.to_dict()}
    assert localize_headline(doc, ZH).text == "未记录到任何请求，因此无法作出判断。"
    old = {"verdict": {"headline": "All good."}}
    assert localize_headline(old, ZH) == localize_headline(old, Translator("en"))
    assert localize_headline(old, ZH).lang == "en"


def test_missing_notes_of_the_analysis_are_translated(make_run) -> None:
    from erpcap.analysis import analyze_run

    run = make_run([(5, 20, 10, 50, 0)], status="failed")
    quality = analyze_run(run)["data_quality"]
    said = localize_missing(quality, ZH)
    assert [n.text for n in said] == ["未采集到资源指标", "运行提前结束（失败）"]
    assert {n.lang for n in said} == {"zh-CN"}
    older = {"missing": ["collector pg failed"]}  # a note without translations
    assert [(n.text, n.lang) for n in localize_missing(older, ZH)] == [
        ("collector pg failed", "en")
    ]


def _escaped(text: str) -> str:
    """``text`` as jinja2's autoescaping writes it into the page."""
    return str(markupsafe.escape(text))


def test_the_busy_generator_names_the_workers_it_needs_where_users_look(
    doc: dict[str, Any],
) -> None:
    found = next(f for f in doc["findings"] if f["id"] == "generator.saturated")
    assert found["evidence"]["suggested_workers"] == 2  # 86 % of one process / 60 %, rounded up
    assert "--workers 2" in found["fix"] and "--workers 2" in found["texts"]["zh-CN"]["fix"]
    for lang in ("en", "zh-CN"):
        fix = found["texts"][lang]["fix"]
        assert fix in render_markdown(_data(doc), lang=lang)
        html = render_html(_data(doc), lang=lang)
        assert fix in html or _escaped(fix) in html
