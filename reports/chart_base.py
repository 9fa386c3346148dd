"""What every chart of the report shares: the figure type, axes, time handling and colours.

Times are shown in UTC on numeric, locale-independent ticks; a long run is bucketed so that
no series carries more than :data:`MAX_POINTS` points; a collector's missed samples break
the line (:func:`with_gaps`). Figures are serialized by :func:`to_json`, which makes the
JSON safe inside the page's script tag.
"""

from __future__ import annotations

import json
import math
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
BUCKETS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)

#: Series colours: throughput, errors, users, p50, p95, p99, then per-role colours.
COLORS = MappingProxyType(
    {
        "rps": "#2563eb",
        "errors": "#dc2626",
        "users": "#6b7280",
        "p50": "#16a34a",
        "p95": "#ea580c",
        "p99": "#9333ea",
    }
)
ROLE_COLORS = ("#0891b2", "#ca8a04", "#db2777", "#4f46e5", "#65a30d")

FONT = (
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


def naive_utc(series: pd.Series) -> pd.Series:
    values = pd.to_datetime(series, utc=True)
    return values.dt.tz_convert("UTC").dt.tz_localize(None)


def bucket_seconds(first: pd.Timestamp, last: pd.Timestamp) -> int:
    span = max((last - first).total_seconds(), 1.0)
    for size in BUCKETS:
        if span / size <= MAX_POINTS:
            return size
    return int(math.ceil(span / MAX_POINTS))


#: Time-axis labels in numeric, locale-independent formats (plotly's defaults name months in
#: English: "Nov 25, 2026"), by the distance between ticks in milliseconds.
TIME_TICKS = (
    {"dtickrange": [None, 1000], "value": "%H:%M:%S.%L"},
    {"dtickrange": [1000, 60_000], "value": "%H:%M:%S"},
    {"dtickrange": [60_000, 86_400_000], "value": "%H:%M"},
    {"dtickrange": [86_400_000, None], "value": "%Y-%m-%d"},
)
#: The time the unified hover label shows, to the second.
TIME_HOVER = "%Y-%m-%d %H:%M:%S"


def base_layout(t: Translator, *, y_title: str, y2_title: str | None = None) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "plotly_white",
        "height": 320,
        "margin": {"l": 60, "r": 60 if y2_title else 20, "t": 10, "b": 45},
        "font": {"family": FONT, "size": 12, "color": "#1f2937"},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "xanchor": "left"},
        "xaxis": {
            "title": {"text": t("axis.time")},
            "showgrid": True,
            "type": "date",
            "tickformatstops": [dict(stop) for stop in TIME_TICKS],
            "hoverformat": TIME_HOVER,
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


def to_json(fig: go.Figure) -> str:
    text = str(pio.to_json(fig, validate=True, pretty=False))
    # plotly escapes "<"; make ">" , "&" and the JS line separators safe too.
    for char, escaped in ((">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028")):
        text = text.replace(char, escaped)
    return text.replace("\u2029", "\\u2029")


def step_shapes(data: model.ReportData, t: Translator) -> list[dict[str, Any]]:
    """Light alternate bands behind the load steps, labelled with the step's users."""
    shapes = []
    for i, step in enumerate(model.steps(data)):
        start, end = step.get("start"), step.get("end")
        if not start or not end or len(model.steps(data)) < 2:
            continue
        x0, x1 = naive_utc(pd.Series([start, end])).dt.strftime("%Y-%m-%d %H:%M:%S.%f")
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


def plain(text: str) -> str:
    """``text`` for a plotly label: plotly.js reads a little HTML (<b>, <a href>) in names."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def role_of(labels: Any) -> str:
    try:
        value = json.loads(labels or "{}")
    except (TypeError, json.JSONDecodeError):
        return "other"
    role = value.get("role") if isinstance(value, dict) else None
    return str(role) if role else "other"


def series_of(frame: pd.DataFrame, size: int, how: str = "mean") -> pd.DataFrame:
    """One value per timestamp (summed over processes of a role), bucketed to ``size``, with
    a break wherever the collector missed samples (:func:`with_gaps`)."""
    per_ts = frame.groupby("ts")["value"].sum().reset_index()
    per_ts["ts"] = naive_utc(per_ts["ts"])
    per_ts = per_ts.sort_values(by="ts")
    if size > 1:
        per_ts = per_ts.set_index("ts").resample(f"{size}s").agg(how).dropna().reset_index()
    return with_gaps(per_ts)


#: A pause between two samples longer than this many times their usual spacing is a gap.
GAP_FACTOR = 3.0


def with_gaps(series: pd.DataFrame) -> pd.DataFrame:
    """``series`` (``ts``, ``value``) with an empty point inside every gap, so that plotly
    breaks the line there instead of drawing across the time a collector missed.

    >>> ts = pd.to_datetime(["2026-12-01 10:00:00", "2026-12-01 10:00:01",
    ...                      "2026-12-01 10:00:02", "2026-12-01 10:00:09"])
    >>> with_gaps(pd.DataFrame({"ts": ts, "value": [1.0, 2.0, 3.0, 4.0]}))["value"].tolist()
    [1.0, 2.0, 3.0, nan, 4.0]
    """
    if len(series) < 3:
        return series
    step = series["ts"].diff()
    usual = pd.Timedelta(step.median())
    if pd.isna(usual) or usual <= pd.Timedelta(0):
        return series
    breaks = series.loc[step > usual * GAP_FACTOR, "ts"] - usual
    if breaks.empty:
        return series
    holes = pd.DataFrame({"ts": breaks.to_numpy(), "value": float("nan")})
    merged: pd.DataFrame = pd.concat([series, holes]).sort_values("ts", kind="stable")
    return merged.reset_index(drop=True)
