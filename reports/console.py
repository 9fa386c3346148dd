"""Plain-text renderings for a terminal: the gate's compact table of budgets.

Columns are padded to the widest cell; long selectors are shortened in the middle so that
the table stays readable in a CI log. Only printable text reaches the terminal (control
characters in a transaction name are replaced), so a hostile name cannot move the cursor.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from erpcap.analysis.budgets import FAIL, MISSING, GateResult, format_value
from erpcap.progress import plural

#: Widest selector shown before it is shortened with "…".
MAX_SELECTOR = 56

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_STATUS = MappingProxyType({FAIL: "FAIL", MISSING: "MISSING"})


def _printable(text: object) -> str:
    return _CONTROL.sub("?", str(text))


def _shorten(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    keep = width - 1
    return text[: keep // 2] + "…" + text[len(text) - (keep - keep // 2) :]


def gate_table(result: GateResult) -> str:
    """The budgets of ``result`` as a padded text table with a one-line verdict on top.

    >>> from erpcap.analysis.budgets import GateResult
    >>> gate_table(GateResult(()))
    'gate: PASS — 0 budgets, 0 breached\\n'
    """
    breaches = len(result.breaches)
    verdict = "PASS" if result.passed else "FAIL"
    header = f"gate: {verdict} — {plural(len(result.results), 'budget')}, {breaches} breached"
    if not result.results:
        return header + "\n"
    rows = [("", "metric", "budget", "measured", "where / why")]
    for item in result.results:
        t = item.threshold
        why = t.where if item.passed or item.status == FAIL else f"{t.where}: {item.message}"
        rows.append(
            (
                _STATUS.get(item.status, "ok"),
                _shorten(_printable(t.selector), MAX_SELECTOR),
                _printable(f"{t.aggregation}{t.op}{format_value(t, item.limit)}"),
                format_value(t, item.measured),
                _printable(why),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [header]
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        lines.append(("  ".join(cells) + "  " + row[4]).rstrip())
    return "\n".join(lines) + "\n"
