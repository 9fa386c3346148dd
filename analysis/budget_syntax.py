"""Reading a budgets file: YAML and k6 expressions into :class:`Budgets`, with file:line.

Every threshold keeps the file and line it was written on, so that bad input is reported as
``file:line: what (how to fix)`` (one :class:`erpcap.errors.BudgetError`), and so that a
breach can point at its line in the gate's table and JUnit XML.

>>> budgets = parse_budgets('thresholds: {http_req_failed: ["rate<1%"]}', path="b.yaml")
>>> [(str(t.selector), t.limit.value, t.where) for t in budgets.thresholds]
[('http_req_failed', 0.01, 'b.yaml:1')]
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import yaml

from erpcap.analysis.budget_model import (
    METRICS,
    TAGS,
    Budgets,
    Limit,
    MetricSpec,
    Selector,
    Threshold,
)
from erpcap.errors import BudgetError
from erpcap.textfile import read_text

#: A one-line example of a budgets file, for error hints.
EXAMPLE = 'thresholds: {http_req_duration: ["p(95)<800"]}'

#: Duration units and their factor to milliseconds.
_DURATION_UNITS: Mapping[str, float] = MappingProxyType(
    {"us": 0.001, "µs": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "min": 60000.0}
)

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_UNIT = r"µs|us|ms|min|s|m|%"
_EXPR = re.compile(
    r"^\s*(?P<agg>avg|min|max|med|count|rate|p\(\s*(?P<q>" + _NUM + r")\s*\))"
    r"\s*(?P<op>===|==|!=|<=|>=|<|>)\s*(?P<rhs>.*?)\s*$"
)
_ABSOLUTE = re.compile(r"^(?P<num>" + _NUM + r")\s*(?P<unit>" + _UNIT + r")?$")
_BASELINE = re.compile(
    r"^baseline(?:\s*\*\s*(?P<factor>" + _NUM + r"))?"
    r"(?:\s*(?P<sign>[+-])\s*(?P<offset>" + _NUM + r")\s*(?P<unit>" + _UNIT + r")?)?$"
)
_SELECTOR = re.compile(r"^\s*(?P<metric>[A-Za-z_][A-Za-z0-9_]*)\s*(?:\{(?P<tags>[^{}]*)\})?\s*$")
#: Keys of k6's object form of a threshold that do not apply after a run (ignored).
_K6_RUNTIME_KEYS = ("abortOnFail", "delayAbortEval")


def _error(message: str, path: str, node: yaml.Node | None, hint: str | None) -> BudgetError:
    line = node.start_mark.line + 1 if node is not None else None
    return BudgetError(message, path=path, line=line, hint=hint)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def parse_selector(text: str, *, path: str = "<string>", node: yaml.Node | None = None) -> Selector:
    """``metric{tag:value,...}`` as a :class:`Selector`; raises BudgetError when invalid.

    >>> str(parse_selector("http_req_duration{ group: query , name:check_availability }"))
    'http_req_duration{group:query,name:check_availability}'
    """
    match = _SELECTOR.match(text)
    if not match:
        raise _error(
            f"{text!r} is not a metric selector",
            path,
            node,
            "write a metric, optionally with tags: http_req_duration{name:create_sales_order}",
        )
    metric = match["metric"]
    if metric not in METRICS:
        close = difflib.get_close_matches(metric, list(METRICS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise _error(
            f"unknown metric {metric!r}", path, node, f"{hint}use one of: {', '.join(METRICS)}"
        )
    tags: dict[str, str] = {}
    raw_tags = match["tags"]
    if raw_tags is not None:
        for part in raw_tags.split(","):
            key, sep, value = (s.strip() for s in part.partition(":"))
            if not sep or not key or not value:
                raise _error(
                    f"tag {part.strip()!r} in {text!r} is not key:value",
                    path,
                    node,
                    "write tags like {name:create_sales_order} or {group:query}",
                )
            if key not in TAGS:
                raise _error(
                    f"unknown tag {key!r} in {text!r}", path, node, f"use one of: {', '.join(TAGS)}"
                )
            if key in tags:
                raise _error(f"tag {key!r} given twice in {text!r}", path, node, "give it once")
            if key == "expected_response" and value not in ("true", "false"):
                raise _error(
                    f"expected_response must be true or false, not {value!r}", path, node, None
                )
            tags[key] = value
    return Selector(metric, tuple(sorted(tags.items())))


def _parse_limit(rhs: str, spec: MetricSpec, agg: str) -> Limit:
    """The right-hand side in the metric's unit; raises ValueError with a reason."""
    unit_kind = "count" if agg == "count" else spec.unit

    def scaled(number: str, unit: str | None) -> float:
        value = _float(number)
        if unit is None:
            return value
        if unit_kind == "ms" and unit in _DURATION_UNITS:
            return value * _DURATION_UNITS[unit]
        if unit_kind == "ratio" and unit == "%":
            return value / 100.0
        raise ValueError(f"unit {unit!r} does not fit {agg} of this metric")

    absolute = _ABSOLUTE.match(rhs)
    if absolute:
        return Limit(value=scaled(absolute["num"], absolute["unit"]))
    relative = _BASELINE.match(rhs)
    if relative:
        factor = _float(relative["factor"]) if relative["factor"] else 1.0
        offset = 0.0
        if relative["offset"]:
            offset = scaled(relative["offset"], relative["unit"])
            offset = -offset if relative["sign"] == "-" else offset
        return Limit(baseline_factor=factor, baseline_offset=offset)
    raise ValueError(f"{rhs!r} is not a number or baseline expression")


def parse_threshold(
    selector: Selector, text: str, *, path: str = "<string>", line: int | None = None
) -> Threshold:
    """One expression (``p(95)<800``) on ``selector``; raises BudgetError when invalid.

    >>> t = parse_threshold(parse_selector("http_req_duration"), "p(99) < 1.5s")
    >>> (t.aggregation, t.quantile, t.op, t.limit.value)
    ('p(99)', 99.0, '<', 1500.0)
    """
    spec = METRICS[selector.metric]
    aggs = ", ".join("p(N)" if a == "p" else a for a in spec.aggregations)
    example = {"ms": '"p(95)<800" or "avg<1.5s"', "ratio": '"rate<0.01"', "rps": '"rate>5"'}[
        spec.unit
    ]

    def fail(message: str, hint: str) -> BudgetError:
        return BudgetError(message, path=path, line=line, hint=hint)

    match = _EXPR.match(text)
    if not match:
        raise fail(
            f"{text!r} is not a threshold expression for {selector.metric}",
            f"write AGGREGATION OPERATOR LIMIT, e.g. {example}; aggregations: {aggs}",
        )
    agg = match["agg"].replace(" ", "")
    quantile = None
    if match["q"] is not None:
        quantile = _float(match["q"])
        if not 0.0 <= quantile <= 100.0:
            raise fail(f"percentile {match['q']} in {text!r} is outside 0..100", "e.g. p(95)")
        agg = f"p({quantile:g})"
    kind = "p" if quantile is not None else agg
    if kind not in spec.aggregations:
        raise fail(f"{selector.metric} has no {agg!r} (in {text!r})", f"use one of: {aggs}")
    if not match["rhs"]:
        raise fail(f"{text!r} has no limit after {match['op']!r}", f"e.g. {example}")
    try:
        limit = _parse_limit(match["rhs"], spec, agg)
    except ValueError as exc:
        raise fail(f"bad limit in {text!r}: {exc}", f"e.g. {example}") from None
    return Threshold(
        selector=selector,
        expression=text.strip(),
        aggregation=agg,
        op=match["op"],
        limit=limit,
        quantile=quantile,
        path=path,
        line=line,
    )


def _expressions(node: yaml.Node, path: str) -> list[tuple[str, yaml.Node]]:
    """The expressions under one selector: a list of strings or of ``{threshold: ...}``."""
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    if isinstance(node, yaml.SequenceNode) and not items:
        raise _error("empty list of thresholds", path, node, 'add one, e.g. ["p(95)<800"]')
    out: list[tuple[str, yaml.Node]] = []
    for item in items:
        if isinstance(item, yaml.ScalarNode):
            out.append((str(item.value), item))
        elif isinstance(item, yaml.MappingNode):
            keys = {str(k.value): v for k, v in item.value}
            unknown = set(keys) - {"threshold", *_K6_RUNTIME_KEYS}
            expr = keys.get("threshold")
            if unknown or not isinstance(expr, yaml.ScalarNode):
                raise _error(
                    "a threshold object needs a 'threshold' string and nothing else "
                    f"(found {', '.join(sorted(keys)) or 'nothing'})",
                    path,
                    item,
                    'write {threshold: "p(95)<800"} or just "p(95)<800"',
                )
            out.append((str(expr.value), expr))
        else:
            raise _error("expected a threshold expression", path, item, 'write e.g. ["p(95)<800"]')
    return out


def parse_budgets(text: str, *, path: str = "<string>") -> Budgets:
    """The thresholds of a budgets document; raises BudgetError naming ``path`` and the line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise BudgetError(
            f"not valid YAML: {exc.problem or exc.context}",
            path=path,
            line=mark.line + 1 if mark is not None else None,
            hint="check the indentation and quote each expression",
        ) from None
    except yaml.YAMLError as exc:
        raise BudgetError(f"not valid YAML: {exc}", path=path) from None
    if root is None:
        raise BudgetError("the budgets file is empty", path=path, hint=f"start with: {EXAMPLE}")
    if not isinstance(root, yaml.MappingNode):
        raise _error("expected a mapping with 'thresholds'", path, root, f"start with: {EXAMPLE}")
    top = {str(k.value): (k, v) for k, v in root.value}
    for key, (knode, _) in top.items():
        if key != "thresholds":
            close = difflib.get_close_matches(key, ["thresholds"], n=1)
            hint = "did you mean 'thresholds'?" if close else "the file holds one 'thresholds' map"
            raise _error(f"unknown key {key!r}", path, knode, hint)
    if "thresholds" not in top:
        raise _error("no 'thresholds' key", path, root, f"start with: {EXAMPLE}")
    tnode = top["thresholds"][1]
    if not isinstance(tnode, yaml.MappingNode) or not tnode.value:
        raise _error(
            "'thresholds' must map metrics to lists of expressions",
            path,
            tnode,
            f"e.g. {EXAMPLE}",
        )
    thresholds: list[Threshold] = []
    seen: dict[Selector, int] = {}
    for key_node, value_node in tnode.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise _error("a metric selector must be a string", path, key_node, None)
        selector = parse_selector(str(key_node.value), path=path, node=key_node)
        line = key_node.start_mark.line + 1
        if selector in seen:
            raise _error(
                f"{selector} is given twice (first on line {seen[selector]})",
                path,
                key_node,
                "merge the two lists",
            )
        seen[selector] = line
        for expr, node in _expressions(value_node, path):
            thresholds.append(
                parse_threshold(selector, expr, path=path, line=node.start_mark.line + 1)
            )
    return Budgets(path=path, thresholds=tuple(thresholds))


def load_budgets(path: str | Path) -> Budgets:
    """Read and parse a budgets file."""
    file = Path(path)
    text = read_text(file, "budgets", error=BudgetError, hint="check --budgets")
    return parse_budgets(text, path=str(file))
