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
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np
import pandas as pd
import yaml

from erpcap.analysis.latency import percentile_ms
from erpcap.errors import BudgetError, RunDirError
from erpcap.rundir import FINDINGS, RunDir

#: A one-line example of a budgets file, for error hints.
EXAMPLE = 'thresholds: {http_req_duration: ["p(95)<800"]}'


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

#: Duration units and their factor to milliseconds.
_DURATION_UNITS: Mapping[str, float] = MappingProxyType(
    {"us": 0.001, "µs": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "min": 60000.0}
)

_OPS: Mapping[str, Callable[[float, float], bool]] = MappingProxyType(
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


# -- the parsed budgets ----------------------------------------------------------------------


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


# -- parsing ---------------------------------------------------------------------------------


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
    out = []
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
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BudgetError("no such budgets file", path=file, hint="check --budgets") from None
    except UnicodeDecodeError:
        raise BudgetError("not UTF-8 text", path=file, hint="save it as UTF-8 YAML") from None
    except OSError as exc:
        raise BudgetError(f"cannot read: {exc.strerror}", path=file) from None
    return parse_budgets(text, path=str(file))


# -- measuring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """A measured statistic, or None and the reason it could not be measured."""

    value: float | None
    reason: str = ""
    source: str = "findings"  # findings.json, or requests.parquet when computed


class Measurer(Protocol):
    """Anything that measures a threshold's statistic on a run (current or baseline)."""

    def measure(self, threshold: Threshold) -> Measurement: ...


#: Fields of a findings statistics block per aggregation.
_FIELDS: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        ("http_req_duration", "avg"): "mean_ms",
        ("http_req_duration", "min"): "min_ms",
        ("http_req_duration", "max"): "max_ms",
        ("http_req_duration", "med"): "p50_ms",
        ("http_req_failed", "rate"): "error_rate",
        ("http_reqs", "rate"): "rps",
        ("http_reqs", "count"): "count",
    }
)


class RunMeasurer:
    """Measures thresholds on one run: findings.json first, requests.parquet when needed.

    requests.parquet is read at most once, and only when a statistic is not in findings.
    """

    def __init__(
        self,
        findings: Mapping[str, Any],
        requests: Callable[[], pd.DataFrame] | None = None,
        *,
        label: str = "run",
    ) -> None:
        self._findings = findings
        self._load_requests = requests
        self._requests: pd.DataFrame | None = None
        self.label = label

    @classmethod
    def from_run(cls, run: RunDir, *, label: str = "run") -> RunMeasurer:
        """A measurer over ``run``'s findings.json (required) and requests.parquet."""
        if not run.file(FINDINGS).exists():
            raise RunDirError(
                f"{run.path}: no {FINDINGS} yet", hint=f"run `erpcap analyze {run.path}` first"
            )
        findings = run.read_findings()

        def requests() -> pd.DataFrame:
            return run.read_table("requests")

        return cls(findings, requests if run.has_table("requests") else None, label=label)

    @property
    def run_id(self) -> str:
        """The run's id as findings.json records it ("" when absent)."""
        return str(self._findings.get("run_id") or "")

    # -- blocks of findings.json ---------------------------------------------------------

    def _block(self, selector: Selector) -> dict[str, Any] | None:
        """The findings block the selector names exactly, or None if it needs the requests."""
        tags = dict(selector.tags)
        if not tags:
            overall = self._findings.get("overall")
            return overall if isinstance(overall, dict) else None
        if len(tags) == 1 and ("name" in tags or "group" in tags):
            key = "transactions" if "name" in tags else "groups"
            value = tags.get("name", tags.get("group"))
            for block in self._findings.get(key) or []:
                if isinstance(block, dict) and str(block.get("name")) == value:
                    return block
            return {"count": 0}
        return None

    def _span_s(self) -> float | None:
        """The span throughput is measured over, as the analysis measured it."""
        overall = self._findings.get("overall") or {}
        count, rps = overall.get("count"), overall.get("rps")
        if isinstance(count, int | float) and isinstance(rps, int | float) and rps > 0:
            return float(count) / float(rps)
        duration = (self._findings.get("run") or {}).get("duration_s")
        return float(duration) if isinstance(duration, int | float) and duration > 0 else None

    def _requests_frame(self) -> pd.DataFrame | None:
        if self._requests is None and self._load_requests is not None:
            self._requests = self._load_requests()
        return self._requests

    def _from_requests(self, threshold: Threshold) -> Measurement:
        frame = self._requests_frame()
        if frame is None:
            return Measurement(
                None,
                f"{threshold.aggregation} of {threshold.selector} is not in findings.json and "
                f"the {self.label} has no requests.parquet to compute it from",
            )
        mask = np.ones(len(frame), dtype=bool)
        for key, value in threshold.selector.tags:
            if key == "expected_response":
                mask &= frame["ok"].to_numpy(dtype=bool) == (value == "true")
            else:
                mask &= frame[key].astype(str).to_numpy() == value
        part = frame.loc[mask]
        if part.empty:
            return Measurement(None, _not_run(threshold.selector, self.label), "requests")
        metric, agg = threshold.selector.metric, threshold.aggregation
        latency = part["latency_us"].to_numpy(dtype=np.float64)
        value: float | None
        if metric == "http_req_duration":
            if threshold.quantile is not None:
                value = percentile_ms(latency, threshold.quantile)
            else:
                reducer = {"avg": np.mean, "min": np.min, "max": np.max, "med": np.median}[agg]
                value = float(reducer(latency)) / 1000.0
        elif metric == "http_req_failed":
            value = float((~part["ok"].to_numpy(dtype=bool)).mean())
        elif agg == "count":
            value = float(len(part))
        else:
            span = self._span_s()
            if span is None:
                return Measurement(None, f"the {self.label} has no duration to compute a rate")
            value = len(part) / span
        return Measurement(value, source="requests")

    def measure(self, threshold: Threshold) -> Measurement:
        """The statistic ``threshold`` compares, on this run."""
        block = self._block(threshold.selector)
        if block is not None:
            if not block.get("count"):
                return Measurement(None, _not_run(threshold.selector, self.label))
            metric, agg = threshold.selector.metric, threshold.aggregation
            field_name = _FIELDS.get((metric, agg))
            if field_name is None and threshold.quantile is not None:
                field_name = f"p{threshold.quantile:g}_ms".replace(".", "_")
            value = block.get(field_name) if field_name else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                return Measurement(float(value))
        return self._from_requests(threshold)


def _not_run(selector: Selector, label: str) -> str:
    tags = ", ".join(f"{k}:{v}" for k, v in selector.tags) or "any request"
    return f"no requests matched {tags} in the {label} (did it run? is the name right?)"


# -- evaluating ------------------------------------------------------------------------------

#: Result statuses. ``missing`` (not measured) counts as a breach.
PASS, FAIL, MISSING = "pass", "fail", "missing"


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
    ok = _OPS[threshold.op](measured.value, limit)
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
