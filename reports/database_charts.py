"""The database's charts: sessions by state, active sessions by wait event, and lock waits.

They read any source that reports the database vocabulary (docs/collectors.md: ``sessions``
by ``state``, ``wait_sessions`` by ``wait``, ``lock_waits``), from the ``postgres`` and
``mysql`` collectors or a plug-in's, and sit under the latency chart on the same time axis.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from erpcap.reports import model
from erpcap.reports.chart_base import (
    ROLE_COLORS,
    Chart,
    base_layout,
    bucket_seconds,
    plain,
    series_of,
    step_shapes,
    to_json,
)
from erpcap.reports.i18n import Translator

#: Wait events drawn apart; the rest are summed as "other".
TOP_WAITS = 6
#: Session states drawn (idle sessions hold a connection but no work).
STATES = ("active", "waiting", "idle_in_transaction")
_STATE_COLORS = {"active": "#2563eb", "waiting": "#dc2626", "idle_in_transaction": "#ca8a04"}

_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "sessions": "Database sessions by state",
        "waits": "Busy database sessions by wait event",
        "locks": "Lock waits",
        "axis.sessions": "sessions",
        "axis.locks": "waiting lock requests",
        "state.active": "active",
        "state.waiting": "waiting on a lock",
        "state.idle_in_transaction": "idle in transaction",
        "other": "other",
        "waits_note": "Each sample counts the sessions inside a statement by what they wait "
        "on; CPU means on none. A gap is time the collector could not sample.",
    },
    "zh-CN": {
        "sessions": "数据库会话（按状态）",
        "waits": "忙碌数据库会话（按等待事件）",
        "locks": "锁等待",
        "axis.sessions": "会话数",
        "axis.locks": "等待中的锁请求",
        "state.active": "活动",
        "state.waiting": "等待锁",
        "state.idle_in_transaction": "事务中空闲",
        "other": "其他",
        "waits_note": "每次采样按等待对象统计正在执行语句的会话；CPU 表示未等待。"
        "曲线中断处为采集器未能采样的时间。",
    },
}


def _say(t: Translator, key: str) -> str:
    return _TEXT.get(t.lang, _TEXT["en"]).get(key) or _TEXT["en"][key]


def _labelled(frame: pd.DataFrame, key: str) -> pd.Series:
    def pick(text: str) -> str:
        try:
            value = json.loads(text or "{}")
        except (TypeError, json.JSONDecodeError):
            return ""
        return str(value.get(key, "")) if isinstance(value, dict) else ""

    return frame["labels"].map(pick)


def _figure(data: model.ReportData, t: Translator, y_title: str) -> go.Figure:
    layout = base_layout(t, y_title=y_title)
    layout["shapes"] = step_shapes(data, t)
    return go.Figure(layout=layout)


def _line(x: Any, y: Any, name: str, color: str) -> go.Scatter:
    """One series as a plain line: not stacked, since a stack fills a collector's gap with
    zero, and a gap must show as one."""
    return go.Scatter(x=x, y=y, name=plain(name), mode="lines", line={"color": color, "width": 1.5})


def database_charts(data: model.ReportData, t: Translator) -> tuple[list[Chart], list[str]]:
    """Sessions, waits and lock charts for every database source in the metrics."""
    metrics = data.metrics
    if metrics is None or metrics.empty:
        return [], []
    frame = metrics.dropna(subset=["value"])
    frame = frame[frame["metric"].isin(["sessions", "wait_sessions", "lock_waits"])]
    if frame.empty:
        return [], []
    size = bucket_seconds(pd.Timestamp(frame["ts"].min()), pd.Timestamp(frame["ts"].max()))
    several = frame["source"].nunique() > 1
    charts = []
    sessions = _sessions(data, t, frame, size, several)
    if sessions is not None:
        charts.append(Chart("chart-db-sessions", _say(t, "sessions"), to_json(sessions)))
    waits = _waits(data, t, frame, size)
    if waits is not None:
        note = _say(t, "waits_note")
        charts.append(Chart("chart-db-waits", _say(t, "waits"), to_json(waits), note))
    locks = _locks(data, t, frame, size)
    if locks is not None:
        charts.append(Chart("chart-db-locks", _say(t, "locks"), to_json(locks)))
    return charts, []


def _sessions(
    data: model.ReportData, t: Translator, frame: pd.DataFrame, size: int, several: bool
) -> go.Figure | None:
    rows = frame[frame["metric"] == "sessions"]
    if rows.empty:
        return None
    fig = _figure(data, t, _say(t, "axis.sessions"))
    states = _labelled(rows, "state")
    for source, by_source in rows.groupby("source", sort=True):
        for state in STATES:
            part = by_source[states.loc[by_source.index] == state]
            if part.empty:
                continue
            line = series_of(part, size)
            name = _say(t, f"state.{state}") + (f" ({source})" if several else "")
            fig.add_trace(_line(line["ts"], line["value"], name, _STATE_COLORS[state]))
    return fig


def _waits(
    data: model.ReportData, t: Translator, frame: pd.DataFrame, size: int
) -> go.Figure | None:
    rows = frame[frame["metric"] == "wait_sessions"]
    if rows.empty:
        return None
    waits = _labelled(rows, "wait")
    totals = rows.groupby(waits)["value"].sum().sort_values(ascending=False, kind="stable")
    top = list(totals.index[:TOP_WAITS])
    named = waits.where(waits.isin(top), _say(t, "other"))
    fig = _figure(data, t, _say(t, "axis.sessions"))
    order = [*top, _say(t, "other")]
    for i, wait in enumerate(order):
        part = rows[named == wait]
        if part.empty:
            continue
        line = series_of(part, size)
        color = ROLE_COLORS[i % len(ROLE_COLORS)] if wait != "CPU" else "#16a34a"
        fig.add_trace(_line(line["ts"], line["value"], str(wait), color))
    return fig


def _locks(
    data: model.ReportData, t: Translator, frame: pd.DataFrame, size: int
) -> go.Figure | None:
    rows = frame[frame["metric"] == "lock_waits"]
    if rows.empty or not rows["value"].gt(0).any():
        return None  # nothing ever waited: no empty chart
    fig = _figure(data, t, _say(t, "axis.locks"))
    for i, (source, part) in enumerate(rows.groupby("source", sort=True)):
        line = series_of(part, size, how="max")
        fig.add_trace(
            _line(line["ts"], line["value"], str(source), ROLE_COLORS[i % len(ROLE_COLORS)])
        )
    return fig
