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
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from erpcap.reports import model
from erpcap.reports.capacity_chart import capacity_charts
from erpcap.reports.chart_base import (
    COLORS,
    ROLE_COLORS,
    Chart,
    Charts,
    base_layout,
    bucket_seconds,
    naive_utc,
    plain,
    role_of,
    series_of,
    step_shapes,
    to_json,
)
from erpcap.reports.database_charts import database_charts
from erpcap.reports.i18n import Translator


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
    rows["ts"] = naive_utc(rows["ts"])
    rows = rows.sort_values("ts")
    size = bucket_seconds(rows["ts"].iloc[0], rows["ts"].iloc[-1])
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
    return list(naive_utc(pd.Series(times))), [*users, users[-1]]


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
        line={"color": COLORS["users"], "dash": "dot", "shape": "hv", "width": 1.5},
    )


def _throughput(data: model.ReportData, t: Translator, rows: pd.DataFrame) -> go.Figure:
    users = _users_trace(data, rows, t)
    layout = base_layout(t, y_title=t("axis.rps"), y2_title=t("axis.users") if users else None)
    layout["shapes"] = step_shapes(data, t)
    fig = go.Figure(layout=layout)
    fig.add_trace(
        go.Scatter(
            x=rows["ts"],
            y=rows["rps"],
            name=t("series.rps"),
            mode="lines",
            line={"color": COLORS["rps"], "width": 1.8},
        )
    )
    if rows["eps"].fillna(0).gt(0).any():
        fig.add_trace(
            go.Scatter(
                x=rows["ts"],
                y=rows["eps"],
                name=t("series.errors"),
                mode="lines",
                line={"color": COLORS["errors"], "width": 1.2},
            )
        )
    if users:
        fig.add_trace(users)
    return fig


def _latency(data: model.ReportData, t: Translator, rows: pd.DataFrame) -> go.Figure:
    users = _users_trace(data, rows, t)
    layout = base_layout(t, y_title=t("axis.ms"), y2_title=t("axis.users") if users else None)
    layout["shapes"] = step_shapes(data, t)
    fig = go.Figure(layout=layout)
    for column, label in (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99")):
        fig.add_trace(
            go.Scatter(
                x=rows["ts"],
                y=rows[column],
                name=label,
                mode="lines",
                line={"color": COLORS[label], "width": 1.6 if label == "p95" else 1.1},
            )
        )
    if users:
        fig.add_trace(users)
    return fig


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
    size = bucket_seconds(pd.Timestamp(first), pd.Timestamp(last))
    host = frame[(frame["source"] == "host") & (frame["metric"] == host_metric)]
    procs = frame[(frame["source"] == "process") & (frame["metric"] == proc_metric)]
    if host.empty and procs.empty:
        return None
    on_y2 = bool(y2_title) and not host.empty and not procs.empty
    layout = base_layout(
        t,
        y_title=y_title if not procs.empty or not y2_title else y2_title,
        y2_title=y2_title if on_y2 else None,
    )
    fig = go.Figure(layout=layout)
    if not procs.empty:
        procs = procs.assign(role=procs["labels"].map(role_of))
        for i, (role, part) in enumerate(procs.groupby("role", sort=True)):
            series = series_of(part, size)
            fig.add_trace(
                go.Scatter(
                    x=series["ts"],
                    y=series["value"] * proc_scale,
                    name=t(proc_label, role=plain(str(role))),
                    mode="lines",
                    line={"color": ROLE_COLORS[i % len(ROLE_COLORS)], "width": 1.5},
                )
            )
    if not host.empty:
        series = series_of(host, size)
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
        charts.append(Chart("chart-cpu", t("chart.cpu"), to_json(cpu), t("chart.cpu_note")))
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
        charts.append(Chart("chart-memory", t("chart.memory"), to_json(memory)))
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
            charts.append(Chart(chart_id, t(title), to_json(fig), note))
    resource_charts, resource_notes = _resource_charts(data, t)
    db_charts, db_notes = database_charts(data, t)
    # by users, not by time: drawn in the Capacity section, their notes said there
    by_users, _ = capacity_charts(data, t)
    return Charts(
        _aligned(charts + resource_charts + db_charts, data) + by_users,
        notes + resource_notes + db_notes,
    )


def _aligned(charts: list[Chart], data: model.ReportData) -> list[Chart]:
    """Every chart on the same time axis: the run's window, so that a CPU peak or a lock
    wait lines up with the latency above it."""
    window = _window(data)
    if window is None:
        return charts
    out = []
    for chart in charts:
        figure = go.Figure(json.loads(chart.figure_json))
        figure.update_xaxes(range=list(window))
        out.append(Chart(chart.id, chart.title, to_json(figure), chart.note))
    return out


def _window(data: model.ReportData) -> tuple[str, str] | None:
    """The run's first and last second (UTC) from its intervals and metrics."""
    stamps = [
        frame["ts"] for frame in (data.intervals, data.metrics) if frame is not None and len(frame)
    ]
    if not stamps:
        return None
    values = naive_utc(pd.concat(stamps, ignore_index=True))
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    return values.min().strftime(fmt), values.max().strftime(fmt)
