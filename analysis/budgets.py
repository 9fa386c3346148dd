"""Budgets: k6-style thresholds judged against a run's findings (``erpcap gate``).

A budgets file is YAML with one ``thresholds`` mapping, written the way k6 writes them::

    thresholds:
      http_req_duration: ["p(95)<800", "p(99)<1.5s"]        # all requests, ms by default
      http_req_duration{name:create_sales_order}: ["avg<400"]
      http_req_duration{group:query}: ["p(95)<300"]
      http_req_failed: ["rate<0.01"]                       # share of failed requests
      http_reqs: ["rate>5"]                                # throughput, requests/s

Metrics, their aggregations and units are listed in :data:`METRICS`; selectors take the tags
in :data:`TAGS`. Parsing (:func:`parse_budgets`, :func:`load_budgets`) keeps every
threshold's file and line, so a bad expression is reported as ``file:line: what (how to
fix)``.

Evaluation (:func:`evaluate`) reads numbers from findings.json (``overall``,
``transactions``, ``groups``); a statistic findings does not hold (``p(99.9)``, a tag
combination) is computed exactly from requests.parquet with
:func:`erpcap.analysis.latency.percentile_ms`. A threshold on something the run did not
measure (a transaction that never ran) is a breach with status ``missing``: a renamed or
broken transaction must not pass silently.

A limit may be relative to a baseline run (``p(95)<baseline*1.2``, ``rate<baseline+0.005``):
the same statistic is measured on the baseline by a second :class:`RunMeasurer`.

The parts, one module each; every public name is importable from here:

=============================================  ==============================================
:mod:`erpcap.analysis.budget_model`            metrics, tags, operators; ``Selector``,
                                               ``Limit``, ``Threshold``, ``Budgets``
:mod:`erpcap.analysis.budget_syntax`           the YAML file and k6 expressions, with
                                               file:line errors
:mod:`erpcap.analysis.budget_measure`          a statistic of a run, from findings.json or
                                               requests.parquet
:mod:`erpcap.analysis.budgets` (this module)   judging each threshold: ``BudgetResult``,
                                               ``GateResult``, ``evaluate``, ``check_run``
=============================================  ==============================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from erpcap.analysis.budget_measure import Measurement, Measurer, RunMeasurer
from erpcap.analysis.budget_model import (
    METRICS,
    OPERATORS,
    TAGS,
    Budgets,
    Limit,
    MetricSpec,
    Selector,
    Threshold,
)
from erpcap.analysis.budget_syntax import (
    EXAMPLE,
    load_budgets,
    parse_budgets,
    parse_selector,
    parse_threshold,
)
from erpcap.errors import BudgetError
from erpcap.rundir import RunDir, iso
from erpcap.types import FAIL, GATE_VERSION, MISSING, PASS

__all__ = [
    "EXAMPLE",
    "FAIL",
    "METRICS",
    "MISSING",
    "OPERATORS",
    "PASS",
    "TAGS",
    "BudgetResult",
    "Budgets",
    "GateResult",
    "Limit",
    "Measurement",
    "Measurer",
    "MetricSpec",
    "RunMeasurer",
    "Selector",
    "Threshold",
    "check_run",
    "evaluate",
    "format_value",
    "load_budgets",
    "parse_budgets",
    "parse_selector",
    "parse_threshold",
]


#: Result statuses. ``missing`` (not measured) counts as a breach.
# PASS, FAIL, MISSING: the outcomes of a budget, shared with the reports (erpcap.types).


def format_value(threshold: Threshold, value: float | None) -> str:
    """A measured value or limit in the threshold's unit, for messages and tables.

    >>> t = parse_threshold(parse_selector("http_req_failed"), "rate<1%")
    >>> format_value(t, 0.0123)
    '1.23%'
    """
    if value is None:
        return "–"
    unit = "count" if threshold.aggregation == "count" else METRICS[threshold.selector.metric].unit
    if unit == "ms":
        return f"{value:,.1f} ms" if abs(value) < 100 else f"{value:,.0f} ms"
    if unit == "ratio":
        return f"{value * 100:.2f}%"
    if unit == "rps":
        return f"{value:,.2f} req/s"
    return f"{value:,.0f}"


@dataclass(frozen=True)
class BudgetResult:
    """One threshold judged: what was measured, against which limit, and the outcome."""

    threshold: Threshold
    status: str  # PASS, FAIL or MISSING
    measured: float | None
    limit: float | None
    message: str
    baseline: float | None = None

    @property
    def passed(self) -> bool:
        return self.status == PASS


@dataclass(frozen=True)
class GateResult:
    """Every threshold's result; the gate's exit code follows from them."""

    results: tuple[BudgetResult, ...]
    budgets_path: str = ""
    run_id: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def breaches(self) -> tuple[BudgetResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def exit_code(self) -> int:
        """0 when every budget holds, 1 when any is breached or not measured."""
        return 0 if self.passed else 1

    def to_dict(self, *, findings_generated_at: str | None = None) -> dict[str, Any]:
        """gate.json: the outcome as data, with each value formatted in its unit, so that
        reports (the terminal table, JUnit, the HTML page) render it without this module
        (docs/budgets.md).

        >>> GateResult(()).to_dict()["passed"], GateResult(()).to_dict()["exit_code"]
        (True, 0)
        """
        return {
            "schema_version": GATE_VERSION,
            "run_id": self.run_id,
            "budgets": self.budgets_path,
            "generated_at": iso(),
            "findings_generated_at": findings_generated_at,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "breached": len(self.breaches),
            "notes": list(self.notes),
            "results": [_result_dict(r) for r in self.results],
        }


def _result_dict(result: BudgetResult) -> dict[str, Any]:
    t = result.threshold
    return {
        "selector": str(t.selector),
        "expression": t.expression,
        "aggregation": t.aggregation,
        "op": t.op,
        "file": t.path,
        "line": t.line,
        "where": t.where,
        "status": result.status,
        "measured": result.measured,
        "limit": result.limit,
        "baseline": result.baseline,
        "measured_text": format_value(t, result.measured),
        "limit_text": format_value(t, result.limit),
        "message": result.message,
    }


def _judge(threshold: Threshold, current: Measurer, baseline: Measurer | None) -> BudgetResult:
    measured = current.measure(threshold)
    base: Measurement | None = None
    if threshold.limit.relative:
        if baseline is None:
            raise BudgetError(
                f"{threshold.expression!r} is relative to a baseline, but none was given",
                path=threshold.path,
                line=threshold.line,
                hint="pass --baseline RUN_DIR, or write an absolute limit",
            )
        base = baseline.measure(threshold)
    limit = threshold.limit.resolve(base.value if base else None)
    shown = f"{threshold.aggregation} {threshold.op} {format_value(threshold, limit)}"
    if measured.value is None:
        return BudgetResult(
            threshold,
            MISSING,
            None,
            limit,
            f"not measured: {measured.reason}",
            base.value if base else None,
        )
    if limit is None:
        assert base is not None
        return BudgetResult(
            threshold,
            MISSING,
            measured.value,
            None,
            f"baseline not measured: {base.reason}",
            None,
        )
    ok = OPERATORS[threshold.op](measured.value, limit)
    message = (
        f"{threshold.aggregation} = {format_value(threshold, measured.value)}; "
        f"budget {shown}" + (f" (baseline {format_value(threshold, base.value)})" if base else "")
    )
    return BudgetResult(
        threshold,
        PASS if ok else FAIL,
        measured.value,
        limit,
        message,
        base.value if base else None,
    )


def evaluate(
    budgets: Budgets,
    current: Measurer,
    *,
    baseline: Measurer | None = None,
    run_id: str = "",
) -> GateResult:
    """Judge every threshold of ``budgets`` on ``current`` (and ``baseline`` for relative
    limits). Raises BudgetError when a relative limit has no baseline to refer to."""
    results = tuple(_judge(t, current, baseline) for t in budgets.thresholds)
    return GateResult(results, budgets_path=budgets.path, run_id=run_id)


def check_run(run: RunDir, budgets: Budgets, *, baseline: RunDir | None = None) -> GateResult:
    """:func:`evaluate` ``budgets`` on a run directory (and a baseline run directory)."""
    if budgets.uses_baseline and baseline is None:
        first = next(t for t in budgets.thresholds if t.limit.relative)
        raise BudgetError(
            f"{first.expression!r} is relative to a baseline, but none was given",
            path=first.path,
            line=first.line,
            hint="pass --baseline RUN_DIR, or write an absolute limit",
        )
    current = RunMeasurer.from_run(run)
    base = RunMeasurer.from_run(baseline, label="baseline") if baseline is not None else None
    run_id = current.run_id or run.path.name
    return evaluate(budgets, current, baseline=base, run_id=run_id)
