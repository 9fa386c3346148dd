"""``--stop-when``: the ceiling that ends a multi-step load (a ladder) early.

An expression is terms joined by ``or`` and ``and`` (``and`` binds tighter, as in Python):

- a latency term: ``p50``, ``p90``, ``p95``, ``p99``, ``mean`` or ``max``, then ``>`` or
  ``>=``, then a duration (``2s``, ``800ms``, ``1.5s``; a bare number is seconds);
- an error term: ``errors``, ``>`` or ``>=``, and a percentage (``5%``).

The load shape evaluates it at the end of each step, over the step's measured part (after
its warm-up, erpcap/warmup.py), from Locust's own aggregated statistics, so that it works
with workers too: the difference of the histograms of response times (Locust rounds them
to two significant digits: 147 ms becomes 150) between the end of the warm-up and the end
of the step. A step without requests never fires.

>>> rule = parse_stop_when("p95>2s or errors>5%")
>>> rule.fires({"p95_ms": 2500.0, "error_rate": 0.0, "requests": 10})
True
>>> rule.fires({"p95_ms": 900.0, "error_rate": 0.01, "requests": 10})
False
>>> parse_stop_when("p95>2x")
Traceback (most recent call last):
erpcap.errors.BadInput: --stop-when 'p95>2x': column 5: expected a duration such as 2s or 800ms (write e.g. "p95>2s or errors>5%")
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from erpcap.errors import BadInput
from erpcap.scenarios.shapes import parse_duration

#: Latency terms and the observed figure each compares (milliseconds).
LATENCY_TERMS = {
    "p50": "p50_ms",
    "p90": "p90_ms",
    "p95": "p95_ms",
    "p99": "p99_ms",
    "mean": "mean_ms",
    "max": "max_ms",
}
#: Percentiles each step reports, as fractions.
PERCENTILES = {"p50_ms": 0.5, "p90_ms": 0.9, "p95_ms": 0.95, "p99_ms": 0.99}

_HINT = 'write e.g. "p95>2s or errors>5%"'
_TOKEN = re.compile(r"\s*(>=|>|[A-Za-z_][A-Za-z0-9_]*|[0-9.][0-9.A-Za-z%]*|\S)")


@dataclass(frozen=True)
class Term:
    """``figure op limit``: ``figure`` a key of the observed figures (``p95_ms``,
    ``error_rate``), ``limit`` in milliseconds or as a ratio."""

    figure: str
    op: str
    limit: float

    def holds(self, observed: Mapping[str, Any]) -> bool:
        value = observed.get(self.figure)
        if not isinstance(value, int | float) or math.isnan(value):
            return False
        return value >= self.limit if self.op == ">=" else value > self.limit


@dataclass(frozen=True)
class StopWhen:
    """A parsed expression: any of ``clauses`` holds when all of its terms hold."""

    text: str
    clauses: tuple[tuple[Term, ...], ...]

    def fires(self, observed: Mapping[str, Any]) -> bool:
        """Whether a step with these figures passed the ceiling (never without requests)."""
        if not observed.get("requests"):
            return False
        return any(all(term.holds(observed) for term in clause) for clause in self.clauses)

    def figures(self) -> list[str]:
        """The observed figures the expression reads, in order of appearance."""
        seen = [term.figure for clause in self.clauses for term in clause]
        return list(dict.fromkeys(seen))


def parse_stop_when(text: str) -> StopWhen:
    """Parse ``text``; bad input is one line naming the column where it failed."""
    tokens = _tokens(text)
    clauses: list[tuple[Term, ...]] = []
    terms: list[Term] = []
    pos = 0
    while True:
        term, pos = _term(text, tokens, pos)
        terms.append(term)
        if pos == len(tokens):
            break
        word, column = tokens[pos]
        if word.lower() == "and":
            pos += 1
        elif word.lower() == "or":
            clauses.append(tuple(terms))
            terms = []
            pos += 1
        else:
            _fail(text, column, f"expected 'and' or 'or', found {word!r}")
        if pos == len(tokens):
            _fail(text, len(text) + 1, f"expected a term after {word!r}")
    clauses.append(tuple(terms))
    return StopWhen(text, tuple(clauses))


def _tokens(text: str) -> list[tuple[str, int]]:
    """The words of ``text`` with their 1-based columns."""
    out: list[tuple[str, int]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:  # only trailing blanks are left
            break
        out.append((match.group(1), match.start(1) + 1))
        pos = match.end()
    if not out:
        _fail(text, 1, "the expression is empty")
    return out


def _term(text: str, tokens: list[tuple[str, int]], pos: int) -> tuple[Term, int]:
    """The term starting at ``tokens[pos]``, and the position after it."""
    names = ", ".join([*LATENCY_TERMS, "errors"])
    word, column = tokens[pos]
    name = word.lower()
    if name not in LATENCY_TERMS and name != "errors":
        _fail(text, column, f"expected one of {names}, found {word!r}")
    if pos + 1 >= len(tokens) or tokens[pos + 1][0] not in (">", ">="):
        where = tokens[pos + 1][1] if pos + 1 < len(tokens) else len(text) + 1
        _fail(text, where, f"expected > or >= after {word}")
    op = tokens[pos + 1][0]
    if pos + 2 >= len(tokens):
        _fail(text, len(text) + 1, f"expected a value after {word}{op}")
    value, value_column = tokens[pos + 2]
    if name == "errors":
        if not re.fullmatch(r"[0-9]+(\.[0-9]*)?%|\.[0-9]+%", value):
            _fail(text, value_column, "expected a percentage such as 5%")
        limit = float(value[:-1]) / 100.0
        if limit > 1:
            _fail(text, value_column, "a percentage of errors is at most 100%")
        return Term("error_rate", op, limit), pos + 3
    try:
        seconds = parse_duration(value)
    except BadInput:
        _fail(text, value_column, "expected a duration such as 2s or 800ms")
    return Term(LATENCY_TERMS[name], op, seconds * 1000.0), pos + 3


def _fail(text: str, column: int, message: str) -> Any:
    raise BadInput(f"--stop-when {text!r}: column {column}: {message}", hint=_HINT)


# -- the figures of a step, from Locust's histograms ----------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Locust's aggregated counters at one moment (``StatsEntry`` of the total): the
    histogram of response times (rounded milliseconds → count), requests, failures and the
    sum of response times in milliseconds."""

    histogram: Mapping[int, int]
    requests: int
    failures: int
    total_ms: float


def observe(before: Snapshot, after: Snapshot) -> dict[str, Any]:
    """The figures of the requests between two snapshots: ``requests``, ``error_rate``,
    ``mean_ms``, ``max_ms`` and the percentiles of :data:`PERCENTILES` (None without requests).

    >>> a = Snapshot({100: 5}, 5, 0, 500.0)
    >>> b = Snapshot({100: 10, 2000: 90}, 100, 10, 181000.0)
    >>> figures = observe(a, b)
    >>> figures["requests"], figures["error_rate"], figures["p50_ms"], figures["p95_ms"]
    (95, 0.1053, 2000.0, 2000.0)
    """
    histogram = {
        ms: count - before.histogram.get(ms, 0)
        for ms, count in after.histogram.items()
        if count - before.histogram.get(ms, 0) > 0
    }
    requests = max(after.requests - before.requests, 0)
    failures = max(after.failures - before.failures, 0)
    timed = sum(histogram.values())
    figures: dict[str, Any] = {
        "requests": requests,
        "error_rate": round(failures / requests, 4) if requests else None,
        "mean_ms": round((after.total_ms - before.total_ms) / timed, 1) if timed else None,
        "max_ms": float(max(histogram)) if histogram else None,
    }
    for figure, fraction in PERCENTILES.items():
        figures[figure] = percentile_ms(histogram, fraction)
    return figures


def percentile_ms(histogram: Mapping[int, int], fraction: float) -> float | None:
    """The smallest response time that ``fraction`` of the counted requests do not exceed.

    >>> percentile_ms({10: 90, 500: 10}, 0.9), percentile_ms({10: 90, 500: 10}, 0.95)
    (10.0, 500.0)
    """
    total = sum(histogram.values())
    if total <= 0:
        return None
    needed = fraction * total
    seen = 0
    for ms in sorted(histogram):
        seen += histogram[ms]
        if seen >= needed:
            return float(ms)
    return float(max(histogram))
