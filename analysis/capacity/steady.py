"""Steady state of a load step, and the utilisation of each resource in it.

A step's figures stand for a capacity only when the system held still while they were
measured: throughput neither drifting (a queue filling, a cache warming, a leak) nor jumping
around (a stall, garbage collection, a neighbour). Over the measured part of the step
(warm-up already left out, analysis/steps.py) erpcap counts the successful requests in each
second and derives

- ``x_cv``: the coefficient of variation of those counts, and
- ``x_trend``: the change of the mean rate from the first half of the seconds to the
  second, relative to the mean.

Per-second counts of independent requests vary by themselves (a Poisson count of mean m has
a coefficient of variation 1/√m), so the limits allow for that: a step is **noisy** when
``x_cv`` exceeds both :data:`MAX_CV` and :data:`NOISE_FACTOR` times the Poisson figure, and
it **drifts** when ``|x_trend|`` exceeds both :data:`MAX_TREND` and three standard errors
of the difference of the halves (2/√count).

>>> counts = [10, 10, 10, 10, 20, 20, 20, 20]
>>> figures = rate_figures(counts)
>>> figures["x_cv"], figures["x_trend"]
(0.3563, 0.6667)
>>> judge(figures | {"ok_count": 120, "seconds": 8})
['throughput drifted +67% from the first to the second half of the step']
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from erpcap.analysis.windows import BUSY_STATES, between

#: A step is noisy only above this coefficient of variation of per-second throughput …
MAX_CV = 0.3
#: … and above this multiple of the coefficient a Poisson count of the same mean has.
NOISE_FACTOR = 2.0
#: A step drifts only when its halves differ by more than this share of the mean rate …
MAX_TREND = 0.15
#: … and by more than this many standard errors of that difference.
TREND_SIGMAS = 3.0
#: Fewer whole seconds than this: no per-second figures.
MIN_SECONDS = 3
#: Wait events that count as I/O (PostgreSQL ``IO:…``, MySQL ``wait/io/…``).
_IO_WAIT = re.compile(r"^(io[:/ ]|wait/io/)", re.IGNORECASE)


def per_second_ok(starts: pd.Series, ok: pd.Series, since: datetime, seconds: float) -> list[int]:
    """Successful requests started in each whole second from ``since`` (empty seconds
    count as 0); the last partial second is left out."""
    whole = int(math.floor(seconds))
    if whole <= 0:
        return []
    offsets = (starts[ok.astype(bool)] - pd.Timestamp(since)).dt.total_seconds().to_numpy()
    offsets = offsets[(offsets >= 0) & (offsets < whole)]
    return [int(c) for c in np.bincount(offsets.astype(np.int64), minlength=whole)[:whole]]


def rate_figures(counts: Sequence[int]) -> dict[str, float | None]:
    """``x_cv`` and ``x_trend`` of per-second counts (None when too few seconds or none ok)."""
    values = np.asarray(counts, dtype=np.float64)
    if values.size < MIN_SECONDS or values.mean() <= 0:
        return {"x_cv": None, "x_trend": None}
    mean = float(values.mean())
    half = values.size // 2
    first, second = values[:half].mean(), values[values.size - half :].mean()
    return {
        "x_cv": round(float(values.std(ddof=1)) / mean, 4),
        "x_trend": round(float(second - first) / mean, 4),
    }


def stability(requests: pd.DataFrame, since: datetime, seconds: float) -> dict[str, Any]:
    """The per-second figures of a step's measured requests (``start`` and ``ok`` columns)."""
    if requests.empty:
        return {"x_cv": None, "x_trend": None, "ok_count": 0, "seconds": int(seconds)}
    counts = per_second_ok(requests["start"], requests["ok"], since, seconds)
    return {**rate_figures(counts), "ok_count": int(sum(counts)), "seconds": len(counts)}


def judge(figures: dict[str, Any]) -> list[str]:
    """Why a step is not steady (empty when it is), in English, from :func:`stability`."""
    cv, trend = figures.get("x_cv"), figures.get("x_trend")
    count, seconds = figures.get("ok_count") or 0, figures.get("seconds") or 0
    if cv is None or trend is None or count <= 0 or seconds <= 0:
        return []
    poisson = 1 / math.sqrt(count / seconds)
    reasons = []
    if cv > MAX_CV and cv > NOISE_FACTOR * poisson:
        reasons.append(
            f"per-second throughput too noisy (coefficient of variation {cv:.2f}, "
            f"more than {max(MAX_CV, NOISE_FACTOR * poisson):.2f})"
        )
    if abs(trend) > MAX_TREND and abs(trend) > TREND_SIGMAS * 2 / math.sqrt(count):
        reasons.append(
            f"throughput drifted {trend:+.0%} from the first to the second half of the step"
        )
    return reasons


def steady_fields(step: dict[str, Any]) -> dict[str, Any]:
    """``steady`` and ``unsteady_reasons`` of a step that carries ``stability`` figures.

    Not measured: ``steady`` is None. Measured without per-second figures (a load tool's
    statistics, a step shorter than three seconds): None too, with no reason.
    """
    if not step.get("measured"):
        return {"steady": None, "unsteady_reasons": []}
    if not step.get("ok_rps"):
        return {"steady": False, "unsteady_reasons": ["no successful requests in the step"]}
    if step.get("x_cv") is None:
        return {"steady": None, "unsteady_reasons": []}
    figures = {
        "x_cv": step["x_cv"],
        "x_trend": step.get("x_trend"),
        "ok_count": step.get("ok_count"),
        "seconds": step.get("seconds"),
    }
    reasons = judge(figures)
    return {"steady": not reasons, "unsteady_reasons": reasons}


def with_texts(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` with ``unsteady_texts``: the reasons in every language, for the reports."""
    reasons = fields.get("unsteady_reasons") or []
    return {
        **fields,
        "unsteady_texts": {"en": list(reasons), "zh-CN": [zh_reason(r) for r in reasons]},
    }


def zh_reason(reason: str) -> str:
    """The Chinese of a steadiness reason (this module's English)."""
    if reason.startswith("per-second throughput too noisy"):
        detail = reason[reason.index("(") :] if "(" in reason else ""
        return "每秒吞吐量波动过大" + detail.replace(
            "coefficient of variation", "变异系数"
        ).replace("more than", "超过")
    if reason.startswith("throughput drifted"):
        return "吞吐量在阶梯前后两半之间漂移 " + reason.split()[2]
    if reason.startswith("no successful requests"):
        return "阶梯内没有成功的请求"
    return reason


def _entry(
    resource: str, kind: str, source: str, busy: float | None, units: float | None
) -> dict[str, Any]:
    value = busy / units if busy is not None and units else None
    return {
        "resource": resource,
        "kind": kind,
        "source": source,
        "value": None if value is None else round(value, 4),
        "busy": None if busy is None else round(busy, 4),
        "units": units,
    }


def _wait_shares(
    metrics: pd.DataFrame, source: str, instance: str
) -> tuple[float | None, float | None]:
    """Mean sessions per sample waiting on I/O, and all busy sessions, from wait_sessions."""
    rows = metrics[(metrics["source"] == source) & (metrics["metric"] == "wait_sessions")]
    rows = rows.dropna(subset=["value"])
    if rows.empty:
        return None, None
    labels = rows["labels"].map(_json_labels)
    rows = rows[labels.map(lambda d: d.get("instance", "")) == instance]
    if rows.empty:
        return None, None
    waits = rows["labels"].map(lambda text: _json_labels(text).get("wait", ""))
    samples = rows["ts"].nunique()
    io = float(rows.loc[waits.map(lambda w: bool(_IO_WAIT.match(w))), "value"].sum())
    return io / samples, float(rows["value"].sum()) / samples


def _json_labels(text: str) -> dict[str, str]:
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def utilisation(
    step: dict[str, Any], metrics: pd.DataFrame, cores: float | None
) -> list[dict[str, Any]]:
    """Each resource's share of its capacity over the step's measured part.

    CPU of every watched role and of the host as a share of the host's ``cores``; per
    database instance: connections (the most seen) against ``max_connections``, and the
    share of busy sessions waiting on a lock (state ``waiting``) and on I/O (wait events).
    """
    resources = step.get("resources") or {}
    out: list[dict[str, Any]] = []
    for role, percent in sorted((resources.get("cpu_by_role") or {}).items()):
        out.append(_entry(f"cpu:{role}", "cpu", "process", percent / 100.0, cores))
    host = resources.get("host_cpu")
    if host is not None:
        busy = host / 100.0 * cores if cores else None
        entry = _entry("cpu:host", "cpu", "host", busy, cores)
        entry["value"] = round(host / 100.0, 4)
        out.append(entry)
    start, end = step.get("measured_from") or step.get("start"), step.get("end")
    part = (
        between(metrics, pd.Timestamp(start).to_pydatetime(), pd.Timestamp(end).to_pydatetime())
        if start and end and not metrics.empty
        else metrics.iloc[0:0]
    )
    for db in resources.get("databases") or []:
        name = f"{db['source']}/{db['instance']}" if db.get("instance") else db["source"]
        if db.get("max_connections"):
            out.append(
                _entry(
                    f"connections:{name}",
                    "connections",
                    db["source"],
                    db.get("connections_max"),
                    db["max_connections"],
                )
            )
        sessions = db.get("sessions") or {}
        busy = sum(float(sessions.get(s) or 0.0) for s in BUSY_STATES)
        if busy > 0:
            waiting = float(sessions.get("waiting") or 0.0)
            out.append(_entry(f"lock:{name}", "lock", db["source"], waiting, busy))
        io, all_busy = _wait_shares(part, db["source"], db.get("instance", ""))
        if io is not None and all_busy:
            out.append(_entry(f"io:{name}", "io", db["source"], io, all_busy))
    return out
