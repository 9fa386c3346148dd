"""The vocabulary of budgets: the metrics and tags a budget may name, and the parsed form.

A budgets file (see :mod:`erpcap.analysis.budget_syntax`) becomes a :class:`Budgets`: one
:class:`Threshold` per expression, each with its :class:`Selector` (metric and tags) and its
:class:`Limit` (a number, or relative to a baseline run). The types carry no behaviour
beyond what their own fields say; parsing, measuring and judging live in their own modules.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class MetricSpec:
    """A metric a budget may name: its aggregations and the unit of its values."""

    description: str
    aggregations: tuple[str, ...]  # "p" stands for p(N)
    unit: str  # "ms", "ratio" or "rps"; count is always a plain number


#: The metrics a budget may name (k6's names for the same things).
METRICS: Mapping[str, MetricSpec] = MappingProxyType(
    {
        "http_req_duration": MetricSpec(
            "request latency from its intended start, ms",
            ("avg", "min", "max", "med", "p"),
            "ms",
        ),
        "http_req_failed": MetricSpec("share of failed requests (0..1)", ("rate",), "ratio"),
        "http_reqs": MetricSpec(
            "requests: count, and rate in requests/s", ("count", "rate"), "rps"
        ),
    }
)

#: Tags a selector may filter on, and what they match in requests.parquet.
TAGS: Mapping[str, str] = MappingProxyType(
    {
        "name": "transaction name (operationId)",
        "group": "transaction group (order, query, close, auth, ...)",
        "expected_response": "true: only successful requests; false: only failed ones",
    }
)
#: Comparison operators of an expression (k6 accepts ``===`` for ``==``).
OPERATORS: Mapping[str, Callable[[float, float], bool]] = MappingProxyType(
    {
        "<": operator.lt,
        "<=": operator.le,
        ">": operator.gt,
        ">=": operator.ge,
        "==": operator.eq,
        "===": operator.eq,
        "!=": operator.ne,
    }
)


@dataclass(frozen=True)
class Selector:
    """A metric and the tags that narrow it, e.g. ``http_req_duration{name:ship_order}``."""

    metric: str
    tags: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        if not self.tags:
            return self.metric
        return self.metric + "{" + ",".join(f"{k}:{v}" for k, v in self.tags) + "}"

    def tag(self, key: str) -> str | None:
        return dict(self.tags).get(key)


@dataclass(frozen=True)
class Limit:
    """The right-hand side of a threshold: a number, or ``baseline * factor + offset``.

    Values are in the metric's unit: milliseconds, a ratio (0.01), requests/s or a count.
    """

    value: float | None = None
    baseline_factor: float | None = None
    baseline_offset: float = 0.0

    @property
    def relative(self) -> bool:
        return self.baseline_factor is not None

    def resolve(self, baseline: float | None) -> float | None:
        """The limit as a number (None when it is relative and the baseline is unknown)."""
        if self.baseline_factor is None:
            return self.value
        if baseline is None:
            return None
        return baseline * self.baseline_factor + self.baseline_offset


@dataclass(frozen=True)
class Threshold:
    """One expression of a budgets file, e.g. ``p(95)<800`` on ``http_req_duration``."""

    selector: Selector
    expression: str  # as written in the file
    aggregation: str  # avg, min, max, med, count, rate, or p(N)
    op: str
    limit: Limit
    quantile: float | None = None  # N of p(N)
    path: str = "<string>"
    line: int | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path


@dataclass(frozen=True)
class Budgets:
    """The thresholds of one budgets file, in file order."""

    path: str
    thresholds: tuple[Threshold, ...]

    @property
    def uses_baseline(self) -> bool:
        return any(t.limit.relative for t in self.thresholds)
