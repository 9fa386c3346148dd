"""The HTML report: one self-contained file (plotly.js inlined once, no network access).

The page is rendered by jinja2 with autoescaping on: transaction names, URLs, SQL text and
error messages come from a target or a log and are untrusted. Chart data travels as one JSON
document in a ``<script type="application/json">`` element whose ``<``, ``>`` and ``&`` are
escaped, and a short script draws each chart into its own ``<div>``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from erpcap.reports import model
from erpcap.reports.chart_base import Charts
from erpcap.reports.charts import build_charts
from erpcap.reports.i18n import PLOTLY_STRINGS, Translator
from erpcap.reports.localize import localize_findings, localize_missing
from erpcap.reports.sections import registered_sections
from erpcap.reports.summary import build_summary

TEMPLATE = "report.html.j2"


def environment() -> jinja2.Environment:
    """The jinja2 environment of the report templates (autoescape on, strict undefined)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("erpcap.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


#: Longest evidence value shown before it is cut with "…" (the tables hold the details).
MAX_EVIDENCE = 240


def _evidence_value(value: Any, *, nested: bool = False) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        sep = "; " if any(isinstance(v, Mapping) for v in value) else ", "
        return sep.join(_evidence_value(v, nested=True) for v in value)
    if isinstance(value, Mapping):
        if nested:  # rows of a list (top errors): the values say enough
            return " · ".join(_evidence_value(v, nested=True) for v in value.values())
        return " · ".join(f"{k} {_evidence_value(v, nested=True)}" for k, v in value.items())
    return str(value)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_EVIDENCE else text[: MAX_EVIDENCE - 1] + "…"


def evidence_items(evidence: Any) -> list[tuple[str, str]]:
    """A finding's evidence as (key, formatted value) pairs.

    >>> evidence_items({"p95_ms": 910.25, "transactions": ["a", "b"]})
    [('p95_ms', '910.25'), ('transactions', 'a, b')]
    >>> evidence_items({"cpu": {"mean": 59.3, "max": 99}})
    [('cpu', 'mean 59.3 · max 99')]
    """
    if isinstance(evidence, Mapping):
        return [(str(k), _cut(_evidence_value(v))) for k, v in evidence.items()]
    if evidence in (None, "", [], {}):
        return []
    return [("", _cut(_evidence_value(evidence)))]


@dataclass(frozen=True)
class ResourceRow:
    """One line of the resources table: who, which metric, mean and maximum (formatted with
    the metric's unit)."""

    role: str
    metric: str
    mean: str
    max: str


def resource_rows(resources: Mapping[str, Any], t: Translator) -> list[ResourceRow]:
    """The host's and each process role's summarized metrics, labelled in ``t``'s language."""
    owners: list[tuple[str, Mapping[str, Any]]] = [(t("resources.host"), resources["host"])]
    for proc in resources["processes"]:
        if isinstance(proc, Mapping):
            owners.append((str(proc.get("role") or "other"), proc))
    for entry in resources.get("sources", []):
        if isinstance(entry, Mapping) and isinstance(entry.get("metric"), str):
            owners.append((str(entry.get("source") or ""), {entry["metric"]: entry}))
    rows = []
    for owner, block in owners:
        for metric, value in block.items():
            if not isinstance(value, Mapping):
                continue
            label = t(f"metric.{metric}")
            name = str(metric) if label == f"metric.{metric}" else label
            rows.append(
                ResourceRow(
                    role=owner,
                    metric=name + _series_note(value, t),
                    mean=t.quantity(str(metric), _number(value.get("mean"))),
                    max=t.quantity(str(metric), _number(value.get("max"))),
                )
            )
    return rows


def _series_note(entry: Mapping[str, Any], t: Translator) -> str:
    """`` {state=active}`` for one label set of a source's metric (its ``instance`` left out),
    `` (sum of 12 series)`` for a metric summed over many."""
    labels = entry.get("labels")
    if isinstance(labels, Mapping):
        shown = [f"{k}={v}" for k, v in labels.items() if k != "instance"]
        return " {" + ", ".join(shown) + "}" if shown else ""
    series = entry.get("series")
    if isinstance(series, int) and series > 1:
        return " " + t("resources.summed", n=series)
    return ""


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


#: The charts of the Charts section, in order: the load, then the database under it, on one
#: time axis (CPU and memory are in the Resources section, on the same axis).
TIME_CHARTS = (
    "chart-throughput",
    "chart-latency",
    "chart-db-sessions",
    "chart-db-waits",
    "chart-db-locks",
)


#: The charts by users (reports/capacity_chart.py), drawn in the Capacity section.
CAPACITY_CHARTS = ("chart-capacity", "chart-capacity-p95")


def _charts_payload(charts: Charts) -> str:
    """The chart specs as one JSON array; figure JSON is already script-safe."""
    items = [
        f'{{"id": {json.dumps(chart.id)}, "figure": {chart.figure_json}}}'
        for chart in charts.charts
    ]
    return "[" + ",".join(items) + "]"


def _plotly_js() -> str:
    script = str(get_plotlyjs())
    if "</script" in script.lower():  # would end the inline <script> early
        raise RuntimeError("the installed plotly.js contains '</script'; cannot inline it")
    return script


def render_html(data: model.ReportData, *, lang: str = "en") -> str:
    """The report page of ``data`` in ``lang`` as one self-contained HTML string."""
    t = Translator(lang)
    charts = build_charts(data, t)
    summary = build_summary(data, t)
    by_id = {chart.id: chart for chart in charts.charts}
    quality = model.data_quality(data)
    context = {
        "t": t,
        "lang": lang,
        "summary": summary,
        "run_id": data.run_id,
        "overall": model.overall(data),
        "transactions": model.transactions(data),
        "groups": model.groups(data),
        "steps": model.steps(data),
        "arrivals": model.arrivals(data),  # the open model: rate and dropped per step
        "top_errors": model.top_errors(data),
        "resource_rows": resource_rows(model.resources(data), t),
        "findings": [
            {**finding, "evidence_items": evidence_items(finding.get("evidence"))}
            for finding in localize_findings(model.findings_list(data), t)
        ],
        # an open-model run always shows the wait beside the service time
        "show_queue": model.arrivals(data) is not None
        or any(
            model.worth_showing_queue(model.queue_p95(row), model.service_p95(row))
            for row in [model.overall(data), *model.transactions(data)]
        ),
        "quality": quality,
        "missing": localize_missing(quality, t),
        "time_charts": [by_id[i] for i in TIME_CHARTS if i in by_id],
        "resource_charts": [by_id[i] for i in ("chart-cpu", "chart-memory") if i in by_id],
        "chart_notes": charts.notes,
        "charts_json": _charts_payload(charts),
        "plotly_js": _plotly_js() if charts.charts else "",
        "plotly_version": get_plotlyjs_version(),
        "plotly_locale": json.dumps(
            {"locale": lang, "dictionary": dict(PLOTLY_STRINGS.get(lang, {}))}, ensure_ascii=False
        ),
    }
    context["capacity_charts"] = [by_id[i] for i in CAPACITY_CHARTS if i in by_id]
    shown = [section for section in registered_sections() if section.visible(data)]
    context["top_sections"] = [
        section.render_html(data, t, context) for section in shown if section.place == "top"
    ]
    context["sections"] = [
        section.render_html(data, t, context) for section in shown if section.place != "top"
    ]
    return environment().get_template(TEMPLATE).render(context)
