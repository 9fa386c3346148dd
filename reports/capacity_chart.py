"""The capacity charts: throughput and p95 by users, with the USL curve, the knee and the SLO.

Unlike the page's time charts, their x axis is the number of concurrent users. The first
draws the measured steps (successful requests per second), the Universal Scalability Law
curve that analysis fitted (``capacity.usl.curve``: solid over the measured range, dotted
beyond it, where it is a prediction) with its 95 % band, the knee and the largest load that
met every target. The second draws each step's p95 against the strictest p95 target.
Both read findings.json only; a missing block leaves its trace out, and the caption says
what a reader sees.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from erpcap.reports import capacity_data as cd
from erpcap.reports import model
from erpcap.reports.chart_base import COLORS, FONT, Chart, plain, to_json
from erpcap.reports.i18n import Translator

#: Element ids of the two charts (the page's script draws every chart by its id).
THROUGHPUT_ID = "chart-capacity"
LATENCY_ID = "chart-capacity-p95"

#: Colours: the model, its band, the knee and the limit lines.
_MODEL = "#4f46e5"
_BAND = "rgba(79, 70, 229, 0.15)"
_KNEE = "#ea580c"
_LIMIT = "#16a34a"
_TARGET = "#dc2626"

#: A p95 range wider than this factor is drawn on a log axis (a saturated step's seconds
#: would flatten the others' milliseconds).
_LOG_RANGE = 20.0

_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "Throughput by users: measured, modelled, and the knee",
        "title_measured": "Throughput by users",
        "title_p95": "p95 response time by users",
        "axis.users": "concurrent users",
        "measured": "measured (successful req/s)",
        "measured_p95": "measured p95",
        "model": "USL model",
        "prediction": "USL prediction",
        "band": "95% band",
        "knee": "knee: {users} users",
        "limit": "within targets up to {users} users",
        "model_limit": "model: {users} users at the p95 target",
        "target": "p95 target {ms}",
        "hover": "step {step}: {users} users",
        "caption": "Each dot is a measured step: its successful requests per second at that "
        "many users.",
        "caption.model": " The line is the Universal Scalability Law fitted to the dots, solid "
        "where it was measured and dotted where it predicts, up to twice the largest load "
        "tried; the shaded band is its 95% interval, and it widens as the prediction moves "
        "away from the measurements.",
        "caption.knee": " The orange diamond marks the knee ({users} users): beyond it, more "
        "users bring little more throughput and mostly longer waits.",
        "caption.limit": " The green line is the largest load that met every response target "
        "({users} users).",
        "caption.p95": "Each dot is a step's p95 response time (all transactions); the red "
        "line is the strictest p95 target ({target}). Steps above the line missed it.",
        "caption.log": " The axis is logarithmic: each grid line is ten times the one below.",
        "none": "No capacity chart: the run has fewer than two measured load steps.",
    },
    "zh-CN": {
        "title": "各用户数下的吞吐量：实测、模型与拐点",
        "title_measured": "各用户数下的吞吐量",
        "title_p95": "各用户数下的 p95 响应时间",
        "axis.users": "并发用户数",
        "measured": "实测（成功请求/秒）",
        "measured_p95": "实测 p95",
        "model": "USL 模型",
        "prediction": "USL 预测",
        "band": "95% 区间",
        "knee": "拐点：{users} 个用户",
        "limit": "目标内最多 {users} 个用户",
        "model_limit": "模型：p95 目标下 {users} 个用户",
        "target": "p95 目标 {ms}",
        "hover": "第 {step} 阶：{users} 个用户",
        "caption": "每个点是一个实测阶梯：在该用户数下每秒成功处理的请求数。",
        "caption.model": "曲线是按这些点拟合的通用可扩展性定律（USL）模型：实测范围内为实线，"
        "之外为预测（虚线），延伸到实测最大负载的两倍；阴影为其 95% 区间，离实测越远越宽。",
        "caption.knee": "橙色菱形为拐点（{users} 个用户）：超过此点，增加用户几乎不再提升吞吐量，"
        "只会延长等待。",
        "caption.limit": "绿线为满足全部响应目标的最大负载（{users} 个用户）。",
        "caption.p95": "每个点是一个阶梯的 p95 响应时间（全部事务）；红线为最严格的 p95 目标"
        "（{target}）。高于红线的阶梯未达标。",
        "caption.log": "纵轴为对数刻度：每条网格线是下一条的十倍。",
        "none": "无容量图：本次运行的已测阶梯少于两个。",
    },
}


def say(t: Translator, key: str, **values: Any) -> str:
    return cd.say(_TEXT, t, key, **values)


def _layout(t: Translator, y_title: str, *, log: bool = False) -> dict[str, Any]:
    return {
        "template": "plotly_white",
        "height": 320,
        "margin": {"l": 60, "r": 20, "t": 10, "b": 45},
        "font": {"family": FONT, "size": 12, "color": "#1f2937"},
        "hovermode": "closest",
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "xanchor": "left"},
        "xaxis": {"title": {"text": say(t, "axis.users")}, "rangemode": "tozero"},
        "yaxis": {"title": {"text": y_title}, "type": "log" if log else "linear"}
        | ({} if log else {"rangemode": "tozero"}),
        "shapes": [],
        "annotations": [],
    }


def _vertical(
    layout: dict[str, Any], x: float, text: str, color: str, dash: str, *, left: bool
) -> None:
    """A vertical line across the plot at ``x`` users, labelled at its top: to its left
    (``left``) or right, so that two close lines keep their labels apart."""
    layout["shapes"].append(
        {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
         "line": {"color": color, "width": 1.5, "dash": dash}}
    )  # fmt: skip
    layout["annotations"].append(
        {"x": x, "y": 1, "xref": "x", "yref": "paper", "text": plain(text), "showarrow": False,
         "xanchor": "right" if left else "left", "yanchor": "top",
         "font": {"color": color, "size": 11}}
    )  # fmt: skip


def _limit_users(data: model.ReportData) -> float | None:
    return cd.number(model.capacity(data).get("max_users_within_slo"))


def _throughput(data: model.ReportData, t: Translator, steps: list[dict[str, Any]]) -> go.Figure:
    layout = _layout(t, t("axis.rps"))
    fig = go.Figure(layout=layout)
    curve = cd.usl_curve(data)
    top_n = max(float(s["users"]) for s in steps)
    if curve:
        n = [p[0] for p in curve]
        # the band where the fit bounds it (an unbounded point is null in the document)
        band = [p for p in curve if p[2] is not None and p[3] is not None]
        if len(band) >= 2:
            n = [p[0] for p in band]
            fig.add_trace(go.Scatter(x=n, y=[p[3] for p in band], meta="usl-high", mode="lines",
                                     line={"width": 0}, hoverinfo="skip", showlegend=False,
                                     legendgroup="band"))  # fmt: skip
            fig.add_trace(go.Scatter(x=n, y=[p[2] for p in band], meta="usl-low", mode="lines",
                                     line={"width": 0}, fill="tonexty", fillcolor=_BAND,
                                     name=say(t, "band"), legendgroup="band",
                                     hoverinfo="skip"))  # fmt: skip
        inside = [p for p in curve if p[0] <= top_n]
        beyond = [p for p in curve if p[0] >= top_n]
        for uid, part, dash, label in (
            ("usl", inside, "solid", "model"),
            ("usl-prediction", beyond, "dot", "prediction"),
        ):
            if part:
                fig.add_trace(go.Scatter(x=[p[0] for p in part], y=[p[1] for p in part], meta=uid,
                                         mode="lines", name=say(t, label),
                                         line={"color": _MODEL, "width": 2, "dash": dash}))  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=[s["users"] for s in steps],
            y=[s.get("ok_rps", s.get("rps")) for s in steps],
            meta="measured",
            mode="markers+lines",
            name=say(t, "measured"),
            text=[plain(say(t, "hover", step=s.get("step"), users=s["users"])) for s in steps],
            marker={"color": COLORS["rps"], "size": 9},
            line={"color": COLORS["rps"], "width": 1, "dash": "dash"},
        )
    )
    knee = cd.knee(data)
    y = _at_knee(knee, steps, "ok_rps")
    if y is not None:
        fig.add_trace(_knee_marker(knee, y, t))
    _limits(data, t, layout)
    fig.update_layout(shapes=layout["shapes"], annotations=layout["annotations"])
    return fig


def _at_knee(knee: dict[str, Any], steps: list[dict[str, Any]], key: str) -> float | None:
    """The knee's value of ``key``: its own, else the measured step at the knee's users
    (a knee found on the latency curve may not carry the throughput)."""
    if not knee:
        return None
    own = cd.number(knee.get(key))
    if own is not None:
        return own
    at = [s for s in steps if cd.number(s.get("users")) == cd.number(knee.get("users"))]
    return cd.number(at[0].get(key)) if at else None


def _knee_marker(knee: dict[str, Any], y: Any, t: Translator) -> go.Scatter:
    return go.Scatter(
        x=[knee["users"]],
        y=[y],
        meta="knee",
        mode="markers",
        name=say(t, "knee", users=t.count(knee["users"])),
        marker={
            "color": _KNEE,
            "size": 15,
            "symbol": "diamond",
            "line": {"color": "#fff", "width": 1},
        },
    )


def _limits(data: model.ReportData, t: Translator, layout: dict[str, Any]) -> None:
    limit = _limit_users(data)
    if limit is not None:
        _vertical(layout, limit, say(t, "limit", users=t.count(limit)), _LIMIT, "dash", left=True)
    slo_users = cd.number(cd.usl(data).get("slo_users")) if cd.usl_fitted(data) else None
    if slo_users is not None and slo_users != limit:
        text = say(t, "model_limit", users=t.count(slo_users))
        _vertical(
            layout, slo_users, text, _MODEL, "dot", left=limit is not None and slo_users < limit
        )


def _latency(
    data: model.ReportData, t: Translator, steps: list[dict[str, Any]]
) -> tuple[go.Figure, bool] | None:
    rows = [s for s in steps if cd.number(s.get("p95_ms")) is not None]
    if len(rows) < 2:
        return None
    values = [float(s["p95_ms"]) for s in rows]
    target = cd.slo_target_ms(data)
    low, high = min([*values, target or values[0]]), max([*values, target or values[0]])
    log = low > 0 and high / low > _LOG_RANGE
    layout = _layout(t, t("axis.ms"), log=log)
    fig = go.Figure(layout=layout)
    fig.add_trace(
        go.Scatter(
            x=[s["users"] for s in rows],
            y=values,
            meta="measured-p95",
            mode="markers+lines",
            name=say(t, "measured_p95"),
            text=[plain(say(t, "hover", step=s.get("step"), users=s["users"])) for s in rows],
            marker={"color": COLORS["p95"], "size": 9},
            line={"color": COLORS["p95"], "width": 1, "dash": "dash"},
        )
    )
    knee = cd.knee(data)
    y = _at_knee(knee, rows, "p95_ms")
    if y is not None:
        fig.add_trace(_knee_marker(knee, y, t))
    if target is not None:
        layout["shapes"].append(
            {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": target,
             "y1": target, "line": {"color": _TARGET, "width": 1.5}}
        )  # fmt: skip
        layout["annotations"].append(
            # an annotation on a log axis is placed in powers of ten (a shape is not)
            {"x": 0, "y": math.log10(target) if log else target, "xref": "paper", "yref": "y",
             "showarrow": False,
             "text": plain(say(t, "target", ms=t.ms(target))), "xanchor": "left",
             "yanchor": "bottom", "font": {"color": _TARGET, "size": 11}}
        )  # fmt: skip
    _limits(data, t, layout)
    fig.update_layout(shapes=layout["shapes"], annotations=layout["annotations"])
    return fig, log


def capacity_charts(data: model.ReportData, t: Translator) -> tuple[list[Chart], list[str]]:
    """The two capacity charts with their captions, or a note when there is nothing to draw."""
    steps = cd.measured_steps(data)
    if len(steps) < 2:
        return [], [say(t, "none")] if model.steps(data) else []
    caption = say(t, "caption")
    if cd.usl_curve(data):
        caption += say(t, "caption.model")
    knee = cd.knee(data)
    if knee:
        caption += say(t, "caption.knee", users=t.count(knee["users"]))
    limit = _limit_users(data)
    if limit is not None:
        caption += say(t, "caption.limit", users=t.count(limit))
    title = say(t, "title") if cd.usl_curve(data) or knee else say(t, "title_measured")
    charts = [Chart(THROUGHPUT_ID, title, to_json(_throughput(data, t, steps)), caption)]
    latency = _latency(data, t, steps)
    if latency is not None:
        fig, log = latency
        target = cd.slo_target_ms(data)
        note = say(t, "caption.p95", target=t.ms(target)) if target is not None else ""
        note += say(t, "caption.log") if log else ""
        charts.append(Chart(LATENCY_ID, say(t, "title_p95"), to_json(fig), note.strip()))
    return charts, []
