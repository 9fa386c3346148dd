"""Slow SQL rendered: the standalone report of ``erpcap sql analyze``, and the run's section.

Both read the ``sql`` document of analysis/sql/run.py (findings.json ``sql``, or the
``--json`` file) and never recompute it: the ranking with each statement's latency histogram
(CSS bars), each SQL analysis's findings in the report's language (their texts are in the
document), and the notes. The standalone page is one self-contained file (the report's own
CSS inlined, no script, no network); :data:`SLOW_SQL` is the same table as a section of the
run's report and summary.md, registered in ``erpcap.report_sections``. Their words live here,
in both languages.

>>> doc = {"calls": 3, "total_ms": 12.0, "counts": {"fingerprints": 1, "statements": 3},
...        "top": [{"rank": 1, "fingerprint": "select ?", "calls": 3, "total_ms": 12.0,
...                 "share": 1.0, "mean_ms": 4.0, "p95_ms": 6.0, "max_ms": 6.0}]}
>>> print(terminal_table(doc).splitlines()[1])
   #     total  share   calls     mean      p95      max  statement
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from erpcap import __version__
from erpcap.errors import BadInput
from erpcap.reports import model
from erpcap.reports.i18n import MISSING, Translator
from erpcap.reports.sections import Section

_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "Slow SQL",
        "subtitle": "Statements ranked by the time they took",
        "ranking": "Ranking",
        "rank": "#",
        "statement": "statement",
        "calls": "calls",
        "total": "total time",
        "share": "share",
        "mean": "mean",
        "p95": "p95",
        "max": "max",
        "rows": "rows",
        "lock": "lock",
        "where": "database · user · application",
        "histogram": "latency histogram",
        "sample": "slowest execution",
        "summary": "{n} distinct statements ran {calls} times and took {total} in all; "
        "the top {top} are listed.",
        "read": "{statements} statement executions read from logs, {stats} statistics rows; "
        "{skipped} lines skipped.",
        "note": "Times in the database as its logs or statistics say. p95 is read from a "
        "histogram of {per} buckets per power of ten (within ±{err}); it is blank for "
        "statements known only from statistics (pg_stat_statements, performance_schema). "
        "Share: of all statement time. Values are placeholders (?) in the statement; the "
        "slowest execution keeps its real values, for EXPLAIN.",
        "findings": "Findings",
        "no_findings": "No SQL analysis found anything to report.",
        "notes": "Notes",
        "fix": "Fix",
        "sev.critical": "critical",
        "sev.warning": "warning",
        "sev.info": "info",
        "footer": "erpcap {version} · erpcap sql analyze",
    },
    "zh-CN": {
        "title": "慢 SQL",
        "subtitle": "按耗时排序的语句",
        "ranking": "排名",
        "rank": "#",
        "statement": "语句",
        "calls": "调用次数",
        "total": "总耗时",
        "share": "占比",
        "mean": "平均",
        "p95": "p95",
        "max": "最大",
        "rows": "行数",
        "lock": "锁",
        "where": "数据库 · 用户 · 应用",
        "histogram": "耗时分布",
        "sample": "最慢的一次执行",
        "summary": "共 {n} 条不同语句，执行 {calls} 次，总耗时 {total}；列出前 {top} 条。",
        "read": "从日志读取 {statements} 次语句执行，{stats} 行统计数据；跳过 {skipped} 行。",
        "note": "耗时为数据库日志或统计所记。p95 取自每个数量级 {per} 个桶的直方图（误差在"
        " ±{err} 以内）；仅有统计数据（pg_stat_statements、performance_schema）的语句没有 p95。"
        "占比指占全部语句耗时的比例。语句中的值以占位符（?）表示；最慢的一次执行保留真实的值，"
        "可用于 EXPLAIN。",
        "findings": "发现",
        "no_findings": "SQL 分析未发现需要报告的问题。",
        "notes": "说明",
        "fix": "建议",
        "sev.critical": "严重",
        "sev.warning": "警告",
        "sev.info": "提示",
        "footer": "erpcap {version} · erpcap sql analyze",
    },
}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: Characters of a statement the terminal table shows.
_TERMINAL_WIDTH = 70


def say(t: Translator, key: str, **values: object) -> str:
    """A string of this module in ``t``'s language (English where it lacks one)."""
    text = _TEXT.get(t.lang, _TEXT["en"]).get(key) or _TEXT["en"][key]
    return text.format(**values) if values else text


def _share(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return MISSING
    return f"{value * 100:.1f}%"


def _dict(doc: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def _list(doc: Mapping[str, Any], key: str) -> list[Any]:
    value = doc.get(key)
    return value if isinstance(value, list) else []


#: Bars a histogram shows at most (empty buckets between full ones included).
_MAX_BARS = 120


def _histogram(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Bars of a statement's histogram, on an even log scale (the empty buckets between two
    full ones are bars of height 0): height in % of the fullest bucket, and a tooltip.

    >>> [b["height"] for b in _histogram({"histogram": [[1.0, 1.1548, 4], [1.3335, 1.54, 2]]})]
    [100, 0, 50]
    """
    buckets = [
        b
        for b in _list(item, "histogram")
        if isinstance(b, list) and len(b) == 3 and all(isinstance(x, int | float) for x in b)
    ]
    most = max((int(b[2]) for b in buckets), default=0)
    bars: list[dict[str, Any]] = []
    for i, (low, high, n) in enumerate(buckets):
        if i and low > 0 and high > low:
            ratio = high / low
            gap = round(math.log(low / buckets[i - 1][1]) / math.log(ratio))
            bars += [{"height": 0, "tip": ""}] * max(0, min(gap, _MAX_BARS - len(bars)))
        height = max(4, round(100 * int(n) / most)) if most else 0
        bars.append({"height": height, "tip": f"{low:.3g}–{high:.3g} ms: {n}"})
    return bars[-_MAX_BARS:]


def rows(doc: Mapping[str, Any], t: Translator) -> list[dict[str, Any]]:
    """The ranking's rows, formatted in ``t``'s language."""
    out: list[dict[str, Any]] = []
    for item in _list(doc, "top"):
        if not isinstance(item, dict):
            continue
        names = [str(item[k]) for k in ("databases", "users", "applications") if item.get(k)]
        out.append(
            {
                "rank": item.get("rank", len(out) + 1),
                "fingerprint": str(item.get("fingerprint") or ""),
                "id": str(item.get("fingerprint_id") or ""),
                "sample": str(item.get("sample") or ""),
                "sources": str(item.get("sources") or ""),
                "where": " · ".join(names),
                "calls": t.count(item.get("calls")),
                "total": t.ms(item.get("total_ms")),
                "share": _share(item.get("share")),
                "share_width": round(100 * float(item.get("share") or 0)),
                "mean": t.ms(item.get("mean_ms")),
                "p95": t.ms(item.get("p95_ms")),
                "max": t.ms(item.get("max_ms")),
                "rows": t.count(item.get("rows")),
                "lock": t.ms(item.get("lock_ms")),
                "bars": _histogram(item),
            }
        )
    return out


def findings(doc: Mapping[str, Any], lang: str) -> list[dict[str, str]]:
    """The SQL findings' texts in ``lang`` (English where a finding lacks it)."""
    out = []
    for f in _list(doc, "findings"):
        if not isinstance(f, dict):
            continue
        texts = _dict(f, "texts")
        words = texts.get(lang) or texts.get("en") or f
        severity = f.get("severity") if f.get("severity") in ("critical", "warning") else "info"
        out.append(
            {
                "severity": str(severity),
                "title": str(words.get("title") or ""),
                "detail": str(words.get("detail") or ""),
                "fix": str(words.get("fix") or ""),
                "id": str(f.get("id") or ""),
            }
        )
    return out


def values(doc: Mapping[str, Any], t: Translator) -> dict[str, Any]:
    """What the section template shows."""
    counts, histogram = _dict(doc, "counts"), _dict(doc, "histogram")
    per = int(histogram.get("buckets_per_decade") or 16)
    listed = rows(doc, t)
    return {
        "s": lambda key, **v: say(t, key, **v),
        "rows": listed,
        "summary": say(
            t,
            "summary",
            n=t.count(counts.get("fingerprints")),
            calls=t.count(doc.get("calls")),
            total=t.ms(doc.get("total_ms")),
            top=len(listed),
        ),
        "read": say(
            t,
            "read",
            statements=t.count(counts.get("statements")),
            stats=t.count(counts.get("stats_rows")),
            skipped=t.count(counts.get("skipped", 0)),
        ),
        "note": say(t, "note", per=per, err=f"{(10 ** (1 / (2 * per)) - 1) * 100:.1f}%"),
        "sql_findings": findings(doc, t.lang),
        "notes": [str(n.get("text")) for n in _list(doc, "notes") if isinstance(n, dict)],
    }


def render_html(doc: Mapping[str, Any], lang: str = "en") -> str:
    """The standalone report (one file) of an ``sql`` document."""
    from erpcap.reports.html import environment

    t = Translator(lang)
    template = environment().get_template("sql-report.html.j2")
    return template.render(
        lang=lang,
        page_title=say(t, "title"),
        title=say(t, "ranking"),
        subtitle=say(t, "subtitle"),
        footer=say(t, "footer", version=__version__),
        show_findings=True,
        **values(doc, t),
    )


def write_html(doc: Mapping[str, Any], path: Path, *, lang: str = "en") -> None:
    """Write the standalone report to ``path``."""
    try:
        path.write_text(render_html(doc, lang), encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot write {path}: {exc.strerror}", hint="check the folder") from exc


def _printable(text: str, width: int) -> str:
    flat = _CONTROL.sub("?", " ".join(text.split()))
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def terminal_table(doc: Mapping[str, Any]) -> str:
    """The top statements as a plain-text table (English; control characters replaced)."""
    t = Translator("en")
    lines = [values(doc, t)["summary"]]
    head = ("#", "total", "share", "calls", "mean", "p95", "max")
    lines.append(
        f"{head[0]:>4}  {head[1]:>8}  {head[2]:>5}  {head[3]:>6}  {head[4]:>7}  "
        f"{head[5]:>7}  {head[6]:>7}  statement"
    )
    for r in rows(doc, t):
        cells = [r["total"], r["share"], r["calls"], r["mean"], r["p95"], r["max"]]
        lines.append(
            f"{r['rank']:>4}  {cells[0]:>8}  {cells[1]:>5}  {cells[2]:>6}  {cells[3]:>7}  "
            f"{cells[4]:>7}  {cells[5]:>7}  {_printable(r['fingerprint'], _TERMINAL_WIDTH)}"
        )
    return "\n".join(lines)


# -- the run's report -----------------------------------------------------------------------


def sql_block(data: model.ReportData) -> dict[str, Any]:
    block = data.findings.get("sql")
    return block if isinstance(block, dict) else {}


def _markdown(data: model.ReportData, t: Translator) -> list[str]:
    from erpcap.reports.markdown import md_escape, table

    doc = sql_block(data)
    shown = values(doc, t)
    header = [say(t, k) for k in ("rank", "statement", "calls", "total", "share", "mean", "p95")]
    body = [
        [str(r["rank"]), md_escape(_printable(r["fingerprint"], 160)), r["calls"], r["total"],
         r["share"], r["mean"], r["p95"]]
        for r in shown["rows"]
    ]  # fmt: skip
    out = [f"### {say(t, 'title')}", "", md_escape(shown["summary"]), ""]
    return [*out, *table(header, body, {0, 2, 3, 4, 5, 6}), ""]


SLOW_SQL = Section(
    id="slow-sql",
    titles={"en": _TEXT["en"]["title"], "zh-CN": _TEXT["zh-CN"]["title"]},
    reads=("sql",),
    html_file="section-slow-sql.html.j2",
    markdown=_markdown,
    visible=lambda data: bool(_list(sql_block(data), "top")),
    # the run's Findings section lists the SQL findings with the others'
    context=lambda data, t: {**values(sql_block(data), t), "show_findings": False},
    markdown_escaped=True,
)
