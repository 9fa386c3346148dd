"""The comparison document (erpcap.analysis.compare) as titled tables of text cells.

Markdown (:mod:`.compare_markdown`) and HTML (:mod:`.compare_html`) render the same tables,
so the two never say different things. Cells are plain text; each renderer escapes them
(transaction names come from the target and are untrusted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from erpcap.words import plural


@dataclass
class Table:
    """A titled table; ``numeric`` marks the columns to right-align."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    numeric: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def num(value: float | int | None, digits: int = 1) -> str:
    """A number for a table cell ('–' when unknown).

    >>> num(1234.567), num(None), num(3, 0)
    ('1,234.6', '–', '3')
    >>> num(-2.25)
    '−2.2'
    """
    if value is None:
        return "–"
    return f"{value:,.{digits}f}".replace("-", "−")


def change(value: float | None) -> str:
    """A relative change as a signed percentage.

    >>> change(-0.2931), change(0.0), change(None)
    ('−29.3 %', '+0.0 %', '–')
    """
    if value is None:
        return "–"
    text = f"{value * 100:+.1f} %"
    return text.replace("-", "−")


def _interval(block: dict[str, Any] | None, digits: int = 1) -> str:
    if not block:
        return "–"
    return f"{num(block.get('mean'), digits)} ({num(block['low'], digits)}–{num(block['high'], digits)})"


def _p(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def transactions_table(doc: dict[str, Any]) -> Table:
    level = round((1 - doc["alpha"]) * 100)
    table = Table(
        title="Transactions (successful requests, response time)",
        headers=[
            "transaction", "n A", "n B", "p50 A ms", "p50 B ms", "p95 A ms", "p95 B ms",
            "p95 change", f"p95 B − A ms ({level} % CI)", "p (Holm)", "verdict",
        ],
        numeric=set(range(1, 10)),
    )  # fmt: skip
    for row in doc["transactions"]["rows"]:
        ci = row["p95_diff_ci_ms"]
        diff = "–" if ci is None else f"{num(row['p95_diff_ms'])} ({num(ci[0])} … {num(ci[1])})"
        mw = row["mann_whitney"] or {}
        table.rows.append(
            [
                row["name"], num(row["a"]["count"], 0), num(row["b"]["count"], 0),
                num(row["a"]["p50_ms"]), num(row["b"]["p50_ms"]),
                num(row["a"]["p95_ms"]), num(row["b"]["p95_ms"]),
                change(row["p95_change"]), diff, _p(mw.get("p_adjusted")),
                row["verdict"] if row["tested"] else "too few to test",
            ]
        )  # fmt: skip
    tx = doc["transactions"]
    if any(not r["tested"] for r in tx["rows"]):
        table.notes.append("too few to test: fewer than 20 successful requests in A or B")
    for side, names in (("A", tx["only_in_a"]), ("B", tx["only_in_b"])):
        if names:
            table.notes.append(f"only in {side} (not compared): {', '.join(names)}")
    return table


def capacity_table(doc: dict[str, Any]) -> Table:
    cap = doc["capacity"]
    a, b = cap["a"], cap["b"]
    level = round((1 - doc["alpha"]) * 100)
    table = Table(
        title="Capacity",
        headers=["", "A", "B", "change", "verdict"],
        numeric={1, 2, 3},
    )

    def at(side: dict[str, Any]) -> str:
        users = side.get("peak_users")
        return _interval(side["interval"]) + (f" at {users} users" if users else "")

    table.rows.append(
        [
            f"peak successful req/s, mean per second ({level} % CI)",
            at(a), at(b), change(cap["peak_change"]), cap["verdict"] or "not compared",
        ]
    )  # fmt: skip
    if a.get("usl") or b.get("usl"):
        table.rows.append(
            [
                "USL peak req/s (band)", _interval(a.get("usl")), _interval(b.get("usl")), "",
                cap["usl_verdict"] or "not compared (a fit is missing)",
            ]
        )  # fmt: skip
    table.rows.append(
        [
            "max users within the SLO", num(a["max_users_within_slo"], 0),
            num(b["max_users_within_slo"], 0), change(cap["slo_users_change"]),
            "not tested (a step meets the SLO or not)",
        ]
    )  # fmt: skip
    table.notes.extend(cap["notes"])
    return table


def steps_table(doc: dict[str, Any]) -> Table | None:
    steps = doc["steps"]
    if not steps["rows"]:
        return None
    table = Table(
        title="Steps, matched by users",
        headers=["users", "p95 A ms", "p95 B ms", "change", "ok req/s A", "ok req/s B", "change"],
        numeric=set(range(7)),
    )
    for row in steps["rows"]:
        table.rows.append(
            [
                num(row["users"], 0), num(row["a"]["p95_ms"]), num(row["b"]["p95_ms"]),
                change(row["p95_change"]), num(row["a"]["ok_rps"], 2),
                num(row["b"]["ok_rps"], 2), change(row["ok_rps_change"]),
            ]
        )  # fmt: skip
    for side, users in (("A", steps["only_in_a"]), ("B", steps["only_in_b"])):
        if users:
            table.notes.append(f"measured only in {side}: {', '.join(map(str, users))} users")
    table.notes.append("side by side only: a step's figures are not tested")
    return table


def failures_table(doc: dict[str, Any]) -> Table | None:
    """Failure rates of the transactions that failed at least once in A or B."""
    rows = [r for r in doc.get("failures") or [] if r["a"]["failed"] or r["b"]["failed"]]
    if not rows:
        return None
    table = Table(
        title="Failed requests",
        headers=["transaction", "failed A", "failed B", "rate A", "rate B", "p (Holm)", "change"],
        numeric={1, 2, 3, 4, 5},
    )
    for row in rows:
        table.rows.append(
            [
                row["name"], num(row["a"]["failed"], 0), num(row["b"]["failed"], 0),
                f"{row['a']['rate']:.2%}", f"{row['b']['rate']:.2%}", _p(row["p_adjusted"]),
                row["change"] or "no significant change",
            ]
        )  # fmt: skip
    return table


def not_called(doc: dict[str, Any]) -> list[str]:
    """Why a transaction whose p95 moved by at least the minimum effect was not called."""
    out = []
    for row in doc["transactions"]["rows"]:
        moved = row["p95_change"] is not None and abs(row["p95_change"]) >= doc["min_effect"]
        if row["verdict"] == "no significant change" and moved and row["tested"]:
            out.append(f"{row['name']} ({change(row['p95_change'])}): {'; '.join(row['reasons'])}")
    return out


def method(doc: dict[str, Any]) -> str:
    """One paragraph: what a verdict needs."""
    tested = doc["transactions"]["tested"]
    return (
        f"A transaction is called faster or slower only when its Mann-Whitney test gives "
        f"p < {doc['alpha']:g} after Holm's correction over {plural(tested, 'transaction')}, "
        f"the bootstrap interval of its p95 difference excludes 0, and its p95 moved by at "
        f"least {doc['min_effect']:.0%}. Capacity is called changed only when the intervals "
        f"of the two runs do not overlap."
    )


def headline(doc: dict[str, Any]) -> str:
    """One line: how many transactions moved, and capacity.

    >>> headline({"transactions": {"rows": [{"verdict": "faster", "tested": True},
    ...           {"verdict": "no significant change", "tested": False}]},
    ...           "capacity": {"verdict": None}, "regression": False})
    'B against A: 1 faster, 0 slower, 0 no significant change, 1 too few to test; capacity not compared'
    """
    rows = doc["transactions"]["rows"]
    verdicts = [r["verdict"] for r in rows if r["tested"]]
    counts = ", ".join(
        f"{verdicts.count(v)} {v}" for v in ("faster", "slower", "no significant change")
    )
    untested = len(rows) - len(verdicts)
    if untested:
        counts += f", {untested} too few to test"
    cap = doc["capacity"]["verdict"]
    capacity = "capacity not compared" if cap is None else f"capacity: {cap}"
    tail = " — REGRESSION" if doc["regression"] else ""
    return f"B against A: {counts}; {capacity}{tail}"


def tables(doc: dict[str, Any]) -> list[Table]:
    """Every table of the comparison, in the order shown."""
    out = [transactions_table(doc)]
    failures = failures_table(doc)
    if failures is not None:
        out.append(failures)
    out.append(capacity_table(doc))
    steps = steps_table(doc)
    if steps is not None:
        out.append(steps)
    return out
