"""The comparison as one self-contained HTML page, in the report's styles (report.css
inlined; no script, no network access)."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from erpcap.reports.compare_tables import Table, headline, method, not_called, tables

_CSS = Path(__file__).resolve().parent / "templates" / "report.css"


def _table(table: Table) -> str:
    def cls(i: int) -> str:
        return ' class="num"' if i in table.numeric else ""

    head = "".join(f"<th{cls(i)}>{escape(h)}</th>" for i, h in enumerate(table.headers))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{escape(c)}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in table.rows
    )
    notes = "".join(f"<li>{escape(n)}</li>" for n in table.notes)
    return (
        f"<h2>{escape(table.title)}</h2>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        + (f'<ul class="sub">{notes}</ul>' if notes else "")
    )


def _status(doc: dict[str, Any]) -> str:
    if doc["regression"]:
        return "fail"
    rows = doc["transactions"]["rows"]
    improved = any(r["verdict"] == "faster" for r in rows) or doc["capacity"]["verdict"] == "higher"
    return "pass" if improved else "unknown"


def render_html(doc: dict[str, Any]) -> str:
    """The page: verdict banner, the runs, the tables, what moved but was not called."""
    css = _CSS.read_text(encoding="utf-8") if _CSS.is_file() else ""
    status = _status(doc)
    badge = {"fail": "REGRESSION", "pass": "IMPROVED", "unknown": "NO CLEAR CHANGE"}[status]
    warnings = "".join(
        f'<div class="banner"><strong>warning</strong> {escape(w)}</div>' for w in doc["warnings"]
    )
    moved = not_called(doc)
    moved_html = (
        "<h2>Moved, but not called</h2><ul>"
        + "".join(f"<li>{escape(m)}</li>" for m in moved)
        + "</ul>"
        if moved
        else ""
    )
    runs = "".join(
        f"<li>{side} ({when}): <code>{escape(doc[key]['path'])}</code> — "
        f"{doc[key]['requests_ok']:,} successful requests</li>"
        for side, when, key in (("A", "before", "a"), ("B", "after", "b"))
    )
    body = "".join(_table(t) for t in tables(doc))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>erpcap compare</title><style>{css}</style></head><body><main>"
        "<h1>erpcap compare</h1>"
        f'<div class="verdict v-{status}"><span class="badge">{badge}</span>'
        f'<div class="headline">{escape(headline(doc))}</div></div>'
        f"<ul>{runs}</ul>{warnings}{body}{moved_html}"
        f'<p class="sub">{escape(method(doc))}</p>'
        "</main></body></html>\n"
    )
