"""Plain-text renderings for a terminal: the gate's compact table of budgets.

Columns are padded to the widest cell; long selectors are shortened in the middle so that
the table stays readable in a CI log. Only printable text reaches the terminal (control
characters in a transaction name are replaced), so a hostile name cannot move the cursor.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from erpcap.types import FAIL, MISSING, PASS
from erpcap.words import plural

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


def gate_table(gate: Mapping[str, Any]) -> str:
    """The budgets of a gate.json document as a padded text table with a one-line verdict.

    >>> gate_table({"passed": True, "results": []})
    'gate: PASS — 0 budgets, 0 breached\\n'
    """
    results = [r for r in gate.get("results") or [] if isinstance(r, Mapping)]
    breaches = sum(1 for r in results if r.get("status") != PASS)
    verdict = "PASS" if gate.get("passed") else "FAIL"
    header = f"gate: {verdict} — {plural(len(results), 'budget')}, {breaches} breached"
    if not results:
        return header + "\n"
    rows = [("", "metric", "budget", "measured", "where / why")]
    for item in results:
        status = str(item.get("status"))
        where = str(item.get("where") or "")
        why = where if status in (PASS, FAIL) else f"{where}: {item.get('message', '')}"
        rows.append(
            (
                _STATUS.get(status, "ok"),
                _shorten(_printable(item.get("selector", "")), MAX_SELECTOR),
                _printable(
                    f"{item.get('aggregation', '')}{item.get('op', '')}{item.get('limit_text', '')}"
                ),
                _printable(item.get("measured_text", "")),
                _printable(why),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [header]
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        lines.append(("  ".join(cells) + "  " + row[4]).rstrip())
    return "\n".join(lines) + "\n"
