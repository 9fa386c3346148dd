"""The comparison as Markdown: what ``erpcap compare`` prints on stdout."""

from __future__ import annotations

import re
from typing import Any

from erpcap.reports.compare_tables import Table, headline, method, not_called, tables

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def cell(text: str) -> str:
    """A table cell: control characters replaced, pipes escaped (names are untrusted).

    >>> cell("a|b\\x1b[2J")
    'a\\\\|b?[2J'
    """
    return _CONTROL.sub("?", text).replace("|", "\\|")


def _table(table: Table) -> list[str]:
    lines = [f"## {table.title}", ""]
    lines.append("| " + " | ".join(cell(h) for h in table.headers) + " |")
    lines.append(
        "| "
        + " | ".join("---:" if i in table.numeric else "---" for i in range(len(table.headers)))
        + " |"
    )
    lines.extend("| " + " | ".join(cell(c) for c in row) + " |" for row in table.rows)
    if table.notes:
        lines.append("")
        lines.extend(f"- {cell(n)}" for n in table.notes)
    lines.append("")
    return lines


def render_markdown(doc: dict[str, Any]) -> str:
    """The whole comparison: headline, runs, tables, what was not called and why, warnings."""
    lines = [
        "# erpcap compare",
        "",
        f"**{cell(headline(doc))}**",
        "",
        f"- A (before): `{cell(doc['a']['path'])}` — {doc['a']['requests_ok']:,} successful requests",
        f"- B (after): `{cell(doc['b']['path'])}` — {doc['b']['requests_ok']:,} successful requests",
        "",
    ]
    for warning in doc["warnings"]:
        lines.append(f"> warning: {cell(warning)}")
        lines.append("")
    for table in tables(doc):
        lines.extend(_table(table))
    unexplained = not_called(doc)
    if unexplained:
        lines.extend(["## Moved, but not called", ""])
        lines.extend(f"- {cell(item)}" for item in unexplained)
        lines.append("")
    lines.extend([method(doc), ""])
    return "\n".join(lines)
