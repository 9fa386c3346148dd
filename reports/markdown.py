"""summary.md: the management summary in Markdown, for a CI job summary or a ticket.

The same verdict, sentence, key numbers and per-step p95 as the HTML page (both come from
:func:`erpcap.reports.summary.build_summary`), the busiest transactions and the findings.
Text from the run is escaped so that a transaction name cannot break a table or inject
HTML into a rendered job summary.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from erpcap.reports import model
from erpcap.reports.html import resource_rows
from erpcap.reports.i18n import Translator
from erpcap.reports.localize import localize_findings
from erpcap.reports.sections import Section, registered_sections
from erpcap.reports.summary import basis_note, build_summary

#: Rows of the transactions table and items of the findings list before "…and N more".
TOP_TRANSACTIONS = 10
TOP_FINDINGS = 10

_VERDICT_ICONS = MappingProxyType({"pass": "✅", "warn": "⚠️", "fail": "❌", "unknown": "❔"})
_SEVERITY_ICONS = MappingProxyType({"critical": "🔴", "warning": "🟠", "info": "🔵"})
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#!~])")


def md_escape(text: object) -> str:
    """``text`` as inert Markdown on one line: special characters escaped, HTML disarmed.

    >>> md_escape("a|b <script>")
    'a\\\\|b \\\\<script\\\\>'
    """
    flat = " ".join(str(text).split())
    return _SPECIAL.sub(r"\\\1", flat)


def table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(data: model.ReportData, *, lang: str = "en") -> str:
    """The Markdown summary of ``data`` in ``lang``."""
    t = Translator(lang)
    s = build_summary(data, t)
    out: list[str] = [
        f"# {t('title')}{t('colon')}{md_escape(s.run_id)}",
        "",
        f"## {_VERDICT_ICONS[s.verdict]} {t('verdict')}{t('colon')}**{s.verdict_label}**",
        "",
    ]
    sentences = [s.headline, s.numbers_sentence]
    out += [line for text in sentences if text for line in (md_escape(text), "")]
    if s.basis_note:
        out += [f"> ℹ️ {md_escape(s.basis_note)}", ""]
    if s.incomplete:
        out.append(f"> **{t('incomplete.title')}** — {t('incomplete.body', status=s.status_label)}")
        if s.missing:
            missing = t("sep").join(md_escape(m) for m in s.missing)
            out.append(f"> {t('incomplete.missing')}{t('colon')}{missing}")
        out.append("")
    if s.lost_workers:
        out += [f"> ⚠️ {md_escape(t('workers.lost', workers=', '.join(s.lost_workers)))}", ""]

    if s.stopped_early:
        out += [f"> 🛑 {md_escape(s.stopped_early)}", ""]

    shown = [section for section in registered_sections() if section.visible(data)]
    out += _sections_markdown([x for x in shown if x.place == "top"], data, t)

    out += [f"### {t('key_numbers')}", ""]
    out += table(
        [t("col.metric"), t("col.value")],
        [
            [n.label, f"**{n.value}**" + (f" — {md_escape(n.note)}" if n.note else "")]
            for n in s.key_numbers
        ],
        set(),
    )
    out.append("")

    if s.steps:
        out += [f"### {t('p95_by_step')}", ""]
        rated = any(r.rate for r in s.steps)  # the open model: the rate and dropped arrivals
        out += table(
            [t("col.step"), t("col.users"), *([t("col.rate"), t("col.dropped")] if rated else []),
             t("col.ok_rps"), t("col.p95"), t("col.error_rate")],
            [
                [
                    r.step + (" ❌" if r.within_slo is False else ""),
                    r.users,
                    *([r.rate, r.dropped] if rated else []),
                    r.rps,
                    r.p95 if r.measured else t("steps.not_measured"),
                    r.error_rate,
                ]
                for r in s.steps
            ],
            set(range(7 if rated else 5)),
        )  # fmt: skip
        out.append("")

    out += _sections_markdown([x for x in shown if x.place != "top"], data, t)
    facts = t("sep").join(f"{label}{t('colon')}{md_escape(value)}" for label, value in s.facts)
    out += [f"<sub>{facts}</sub>", "", t("md.full_report"), ""]
    return "\n".join(out)


def _sections_markdown(sections: list[Section], data: model.ReportData, t: Translator) -> list[str]:
    """The registered sections' Markdown in their order (reports/sections.py); lines a
    section did not escape itself (a plug-in's) are escaped here, headings kept."""
    out: list[str] = []
    for section in sections:
        lines = section.markdown(data, t)
        if not section.markdown_escaped:
            lines = [line if line.startswith("#") else md_escape(line) for line in lines]
        out += lines
    return out


def transactions(data: model.ReportData, t: Translator) -> list[str]:
    """The Transactions section: the busiest transactions and which latency is which."""
    out: list[str] = []
    transactions = model.transactions(data)
    if transactions:
        out += [f"### {t('transactions.top')}", ""]
        wait = model.arrivals(data) is not None  # the open model: the wait beside service
        out += table(
            [
                t("col.transaction"),
                t("col.count"),
                t("col.error_rate"),
                t("col.ok_rps"),
                f"{t('col.p95')} (ms)",
                f"{t('col.p99')} (ms)",
                f"{t('col.p95_service')} (ms)",
                *([f"{t('col.p95_queue')} (ms)"] if wait else []),
            ],
            [
                [
                    md_escape(tx.get("name", "")),
                    t.count(tx.get("count")),
                    t.percent(tx.get("error_rate")),
                    t.rps(tx.get("ok_rps", tx.get("rps")), unit=False),
                    t.ms(tx.get("p95_ms"), unit=False),
                    t.ms(tx.get("p99_ms"), unit=False),
                    t.ms(model.service_p95(tx), unit=False),
                    *([t.ms(model.queue_p95(tx), unit=False)] if wait else []),
                ]
                for tx in transactions[:TOP_TRANSACTIONS]
            ],
            {1, 2, 3, 4, 5, 6, 7},
        )
        if len(transactions) > TOP_TRANSACTIONS:
            out += ["", t.plural("md.more_transactions", len(transactions) - TOP_TRANSACTIONS)]
        out += ["", md_escape(t("latency.note")), ""]
        note = basis_note(data, t)
        if note:
            out += [md_escape(note), ""]

    return out


def resources(data: model.ReportData, t: Translator) -> list[str]:
    """The Resources section: every source's summarized series, with units."""
    out: list[str] = []
    resources = resource_rows(model.resources(data), t)
    if resources:
        out += [f"### {t('resources')}", ""]
        out += table(
            [t("col.role"), t("col.metric"), t("col.mean_value"), t("col.max_value")],
            [[md_escape(r.role), md_escape(r.metric), r.mean, r.max] for r in resources],
            {2, 3},
        )
        out.append("")

    return out


def findings(data: model.ReportData, t: Translator) -> list[str]:
    """The Findings section: most severe first, with what to do."""
    out: list[str] = []
    said = localize_findings(model.findings_list(data), t)
    out += [f"### {t('findings')}", ""]
    if not said:
        out.append(t("findings.none"))
    for finding in said[:TOP_FINDINGS]:
        severity = str(finding.get("severity") or "info")
        icon = _SEVERITY_ICONS.get(severity, "🔵")
        label = t(f"severity.{severity}") if severity in _SEVERITY_ICONS else md_escape(severity)
        line = f"- {icon} **{label}** — {md_escape(finding.get('title', ''))}"
        if finding.get("fix"):
            line += f" — {t('finding.fix')}{t('colon')}{md_escape(finding['fix'])}"
        out.append(line)
    if len(said) > TOP_FINDINGS:
        out.append(t.plural("md.more_findings", len(said) - TOP_FINDINGS))
    out.append("")

    return out
