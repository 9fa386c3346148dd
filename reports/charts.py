"""The report's charts as plotly figures, built from ``intervals`` and ``metrics``.

Each chart is a :class:`Chart` holding the figure as JSON (plotly's own serializer, which
escapes ``<`` so that a transaction name cannot close the page's script tag). The HTML page
draws them with the plotly.js it inlines once; nothing here touches the network.

Time is shown in UTC. A long run is bucketed so that no chart carries more than
:data:`MAX_POINTS` points: throughput becomes the bucket's mean rate and latency the worst
second of the bucket (a peak must not be averaged away).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from erpcap.reports import model
from erpcap.reports.i18n import Translator

#: Most points per series before a chart is bucketed.
MAX_POINTS = 1500

#: Bucket sizes (seconds) a long run may be shown in.
_BUCKETS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)

#: Series colours: throughput, errors, users, p50, p95, p99, then per-role colours.
_COLORS = MappingProxyType(
    {
        "rps": "#2563eb",
        "errors": "#dc2626",
        "users": "#6b7280",
        "p50": "#16a34a",
        "p95": "#ea580c",
        "p99": "#9333ea",
    }
)
_ROLE_COLORS = ("#0891b2", "#ca8a04", "#db2777", "#4f46e5", "#65a30d")

_FONT = (
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans CJK SC', "
    "'PingFang SC', 'Microsoft YaHei', sans-serif"
)


@dataclass(frozen=True)
class Chart:
    """One chart: its element id, title and the figure as plotly JSON."""

    id: str
    title: str
    figure_json: str
    note: str = ""


@dataclass(frozen=True)
class Charts:
    """The charts of a report, and notes on the ones that could not be drawn."""

    charts: list[Chart]
    notes: list[str]


def _naive_utc(series: pd.Series) -> pd.Series:
    values = pd.to_datetime(series, utc=True)
    return values.dt.tz_convert("UTC").dt.tz_localize(None)


def _bucket_seconds(first: pd.Timestamp, last: pd.Timestamp) -> int:
    span = max((last - first).total_seconds(), 1.0)
    for size in _BUCKETS:
        if span / size <= MAX_POINTS:
            return size
    return int(math.ceil(span / MAX_POINTS))


#: Time-axis labels in numeric, locale-independent formats (plotly's defaults name months in
#: English: "Nov 25, 2026"), by the distance between ticks in milliseconds.
_TIME_TICKS = (
    {"dtickrange": [None, 1000], "value": "%H:%M:%S.%L"},
    {"dtickrange": [1000, 60_000], "value": "%H:%M:%S"},
    {"dtickrange": [60_000, 86_400_000], "value": "%H:%M"},
    {"dtickrange": [86_400_000, None], "value": "%Y-%m-%d"},
)
#: The time the unified hover label shows, to the second.
_TIME_HOVER = "%Y-%m-%d %H:%M:%S"


def _layout(t: Translator, *, y_title: str, y2_title: str | None = None) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "plotly_white",
        "height": 320,
        "margin": {"l": 60, "r": 60 if y2_title else 20, "t": 10, "b": 45},
        "font": {"family": _FONT, "size": 12, "color": "#1f2937"},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "xanchor": "left"},
        "xaxis": {
            "title": {"text": t("axis.time")},
            "showgrid": True,
            "type": "date",
            "tickformatstops": [dict(stop) for stop in _TIME_TICKS],
            "hoverformat": _TIME_HOVER,
        },
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
    }
    if y2_title:
        layout["yaxis2"] = {
            "title": {"text": y2_title},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
            "tickmode": "auto",
            "tickformat": ",d",
        }
    return layout


def _to_json(fig: go.Figure) -> str:
    text = str(pio.to_json(fig, validate=True, pretty=False))
    # plotly escapes "<"; make ">" , "&" and the JS line separators safe too.
    for char, escaped in ((">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028")):
        text = text.replace(char, escaped)
    return text.replace("\u2029", "\\u2029")


def _step_shapes(data: model.ReportData, t: Translator) -> list[dict[str, Any]]:
    """Light alternate bands behind the load steps, labelled with the step's users."""
    shapes = []
    for i, step in enumerate(model.steps(data)):
        start, end = step.get("start"), step.get("end")
        if not start or not end or len(model.steps(data)) < 2:
            continue
        x0, x1 = _naive_utc(pd.Series([start, end])).dt.strftime("%Y-%m-%d %H:%M:%S.%f")
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": x0,
                "x1": x1,
                "y0": 0,
                "y1": 1,
                "fillcolor": "#f3f4f6" if i % 2 == 0 else "#ffffff",
                "opacity": 0.8,
                "layer": "below",
                "line": {"width": 0},
            }
        )
    return shapes


def _overall_series(data: model.ReportData) -> tuple[pd.DataFrame, int] | None:
    frame = data.intervals
    if frame is None:
        return None
    rows = frame[frame["name"] == "*"].copy()
    if rows.empty:  # an importer that wrote only per-transaction rows
        rows = frame.groupby("ts", as_index=False).agg(
            count=("count", "sum"),
            errors=("errors", "sum"),
            p50_ms=("p50_ms", "max"),
            p95_ms=("p95_ms", "max"),
            p99_ms=("p99_ms", "max"),
            max_ms=("max_ms", "max"),
            users=("users", "max"),
        )
    if rows.empty:
        return None
    rows["ts"] = _naive_utc(rows["ts"])
    rows = rows.sort_values("ts")
    size = _bucket_seconds(rows["ts"].iloc[0], rows["ts"].iloc[-1])
    if size > 1:
        rows = (
            rows.set_index("ts")
            .resample(f"{size}s")
            .agg(
                {
                    "count": "sum",
                    "errors": "sum",
                    "p50_ms": "max",
                    "p95_ms": "max",
                    "p99_ms": "max",
                    "max_ms": "max",
                    "users": "max",
                }
            )
            .reset_index()
        )
    rows["rps"] = rows["count"] / size
    rows["eps"] = rows["errors"] / size
    return rows, size


def _step_users(data: model.ReportData) -> tuple[list[Any], list[int]] | None:
    """The load's user count as a step line: each step's users from its start, to the last
    step's end. None when the run had no steps with times."""
    steps = [s for s in model.steps(data) if s.get("start") and s.get("end")]
    if not steps:
        return None
    times = [s["start"] for s in steps] + [steps[-1]["end"]]
    users = [int(s.get("users") or 0) for s in steps]
    return list(_naive_utc(pd.Series(times))), [*users, users[-1]]


def _users_trace(data: model.ReportData, rows: pd.DataFrame, t: Translator) -> go.Scatter | None:
    """Active users on the second axis: from the load steps (what the shape asked for, at
    the moment each step began), else the highest count tagged on the requests per bucket."""
    line = _step_users(data)
    x: Any
    y: Any
    if line is not None:
        x, y = line
    elif "users" in rows and not rows["users"].isna().all():
        x, y = rows["ts"], rows["users"]
    else:
        return None
    return go.Scatter(
        x=x,
        y=y,
        name=t("series.users"),
        yaxis="y2",
        mode="lines",
        line={"color": _COLORS["users"], "dash": "dot", "shape": "hv", "width": 1.5},
    )


def _throughput(data: model.ReportData, t: Translator, rows: pd.DataFrame) -> go.Figure:
    users = _users_trace(data, rows, t)
    layout = _layout(t, y_title=t("axis.rps"), y2_title=t("axis.users") if users else None)
    layout["shapes"] = _step_shapes(data, t)
    fig = go.Figure(layout=layout)
    fig.add_trace(
        go.Scatter(
            x=rows["ts"],
            y=rows["rps"],
            name=t("series.rps"),
            mode="lines",
            line={"color": _COLORS["rps"], "width": 1.8},
        )
    )
    if rows["eps"].fillna(0).gt(0).any():
        fig.add_trace(
            go.Scatter(
                x=rows["ts"],
                y=rows["eps"],
                name=t("series.errors"),
                mode="lines",
                line={"color": _COLORS["errors"], "width": 1.2},
            )
        )
    if users:
        fig.add_trace(users)
    return fig


def _latency(data: model.ReportData, t: Translator, rows: pd.DataFrame) -> go.Figure:
    users = _users_trace(data, rows, t)
    layout = _layout(t, y_title=t("axis.ms"), y2_title=t("axis.users") if users else None)
    layout["shapes"] = _step_shapes(data, t)
    fig = go.Figure(layout=layout)
    for column, label in (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99")):
        fig.add_trace(
            go.Scatter(
                x=rows["ts"],
                y=rows[column],
                name=label,
                mode="lines",
                line={"color": _COLORS[label], "width": 1.6 if label == "p95" else 1.1},
            )
        )
    if users:
        fig.add_trace(users)
    return fig


def _plain(text: str) -> str:
    """``text`` for a plotly label: plotly.js reads a little HTML (<b>, <a href>) in names."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _role(labels: Any) -> str:
    try:
        value = json.loads(labels or "{}")
    except (TypeError, json.JSONDecodeError):
        return "other"
    role = value.get("role") if isinstance(value, dict) else None
    return str(role) if role else "other"


def _series(frame: pd.DataFrame, size: int, how: str = "mean") -> pd.DataFrame:
    """One value per timestamp (summed over processes of a role), bucketed to ``size``."""
    per_ts = frame.groupby("ts")["value"].sum().reset_index()
    per_ts["ts"] = _naive_utc(per_ts["ts"])
    per_ts = per_ts.sort_values(by="ts")
    if size > 1:
        per_ts = per_ts.set_index("ts").resample(f"{size}s").agg(how).dropna().reset_index()
    result: pd.DataFrame = per_ts
    return result


def _resource_figure(
    metrics: pd.DataFrame,
    t: Translator,
    *,
    host_metric: str,
    host_label: str,
    proc_metric: str,
    proc_label: str,
    proc_scale: float,
    y_title: str,
    y2_title: str | None,
) -> go.Figure | None:
    """Host series of ``host_metric`` and one series per process role of ``proc_metric``.

    With ``y2_title`` the host series goes on the right axis (different units).
    """
    frame = metrics.dropna(subset=["value"])
    first, last = frame["ts"].min(), frame["ts"].max()
    size = _bucket_seconds(pd.Timestamp(first), pd.Timestamp(last))
    host = frame[(frame["source"] == "host") & (frame["metric"] == host_metric)]
    procs = frame[(frame["source"] == "process") & (frame["metric"] == proc_metric)]
    if host.empty and procs.empty:
        return None
    on_y2 = bool(y2_title) and not host.empty and not procs.empty
    layout = _layout(
        t,
        y_title=y_title if not procs.empty or not y2_title else y2_title,
        y2_title=y2_title if on_y2 else None,
    )
    fig = go.Figure(layout=layout)
    if not procs.empty:
        procs = procs.assign(role=procs["labels"].map(_role))
        for i, (role, part) in enumerate(procs.groupby("role", sort=True)):
            series = _series(part, size)
            fig.add_trace(
                go.Scatter(
                    x=series["ts"],
                    y=series["value"] * proc_scale,
                    name=t(proc_label, role=_plain(str(role))),
                    mode="lines",
                    line={"color": _ROLE_COLORS[i % len(_ROLE_COLORS)], "width": 1.5},
                )
            )
    if not host.empty:
        series = _series(host, size)
        fig.add_trace(
            go.Scatter(
                x=series["ts"],
                y=series["value"],
                name=t(host_label),
                mode="lines",
                yaxis="y2" if on_y2 else "y",
                line={"color": "#111827", "width": 1.5, "dash": "dash" if on_y2 else "solid"},
            )
        )
    return fig


def _resource_charts(data: model.ReportData, t: Translator) -> tuple[list[Chart], list[str]]:
    metrics = data.metrics
    if metrics is None:
        return [], [t("chart.no_metrics")]
    charts, notes = [], []
    cpu = _resource_figure(
        metrics,
        t,
        host_metric="cpu_percent",
        host_label="series.host_cpu",
        proc_metric="cpu_percent",
        proc_label="series.proc_cpu",
        proc_scale=1.0,
        y_title=t("axis.cpu"),
        y2_title=None,
    )
    if cpu is None:
        notes.append(t("chart.no_cpu"))
    else:
        charts.append(Chart("chart-cpu", t("chart.cpu"), _to_json(cpu), t("chart.cpu_note")))
    memory = _resource_figure(
        metrics,
        t,
        host_metric="memory_percent",
        host_label="series.host_mem",
        proc_metric="rss_bytes",
        proc_label="series.proc_rss",
        proc_scale=1 / 2**20,
        y_title=t("axis.rss"),
        y2_title=t("axis.mem_percent"),
    )
    if memory is None:
        notes.append(t("chart.no_memory"))
    else:
        charts.append(Chart("chart-memory", t("chart.memory"), _to_json(memory)))
    return charts, notes


def build_charts(data: model.ReportData, t: Translator) -> Charts:
    """Every chart the data allows, in page order, with notes on what is left out."""
    charts: list[Chart] = []
    notes: list[str] = []
    series = _overall_series(data)
    if series is None:
        notes.append(t("chart.no_intervals"))
    else:
        rows, size = series
        note = t("chart.downsampled", seconds=size) if size > 1 else ""
        builders: tuple[tuple[str, str, Callable[..., go.Figure]], ...] = (
            ("chart-throughput", "chart.throughput", _throughput),
            ("chart-latency", "chart.latency", _latency),
        )
        for chart_id, title, build in builders:
            fig = build(data, t, rows)
            charts.append(Chart(chart_id, t(title), _to_json(fig), note))
    resource_charts, resource_notes = _resource_charts(data, t)
    return Charts(charts + resource_charts, notes + resource_notes)
