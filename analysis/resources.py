"""Summaries of resource metrics (host and per-process CPU and memory).

Reads the long-format metrics table and reduces each series to mean and maximum. Series are
keyed by source, metric and the ``role`` label (``erp``, ``locust``, ...), so a new collector
adds series without any change here.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

#: Label sets of one metric summarized apart; past this, summed (``series`` says how many).
MAX_LABEL_SETS = 6

#: Metrics in bytes that are reported in MiB instead.
_BYTES_TO_MB = {"rss_bytes": "rss_mb", "memory_used_bytes": "memory_used_mb"}


def _role(labels: str) -> str:
    try:
        value = json.loads(labels or "{}")
    except json.JSONDecodeError:
        return ""
    return str(value.get("role", "")) if isinstance(value, dict) else ""


def _summary(values: pd.Series, scale: float = 1.0) -> dict[str, float]:
    clean = values.dropna().astype("float64") * scale
    return {"mean": round(float(clean.mean()), 3), "max": round(float(clean.max()), 3)}


def summarize(metrics: pd.DataFrame) -> dict[str, Any]:
    """``{"host": {metric: {mean, max}}, "processes": [{"role", metric: {mean, max}}]}``.

    Process series are summed over the processes of a role at each sample time first (a
    server with four workers uses the CPU of all four), then summarized.
    """
    result: dict[str, Any] = {"host": {}, "processes": [], "sources": []}
    if metrics.empty:
        return result
    frame = metrics.dropna(subset=["value"])
    host = frame[frame["source"] == "host"]
    for metric, part in host.groupby("metric", sort=True):
        name = _BYTES_TO_MB.get(str(metric), str(metric))
        scale = 1 / 2**20 if str(metric) in _BYTES_TO_MB else 1.0
        if part["value"].notna().any():
            result["host"][name] = _summary(part["value"], scale)
    procs = frame[frame["source"] == "process"].copy()
    if not procs.empty:
        procs["role"] = procs["labels"].map(_role)
        for role, part in procs.groupby("role", sort=True):
            entry: dict[str, Any] = {"role": str(role) or "other"}
            for metric, series in part.groupby("metric", sort=True):
                per_time = series.groupby("ts")["value"].sum()
                name = _BYTES_TO_MB.get(str(metric), str(metric))
                scale = 1 / 2**20 if str(metric) in _BYTES_TO_MB else 1.0
                entry[name] = _summary(per_time, scale)
            result["processes"].append(entry)
    # Any other source (a database, Prometheus, a plug-in's collector): per metric, each label
    # set apart (sessions per state, CPU per mode and instance) while there are few; a metric
    # with many (requests per route and status) is summed over them at each sample time, and
    # says over how many.
    others = frame[~frame["source"].isin(["host", "process"])]
    for key, part in others.groupby(["source", "metric"], sort=True):
        source_name, metric_name = (str(k) for k in key)
        label_sets = part["labels"].unique()
        if len(label_sets) <= MAX_LABEL_SETS:
            for labels in sorted(label_sets):
                per_time = part[part["labels"] == labels].groupby("ts")["value"].sum()
                named: dict[str, Any] = {"source": source_name, "metric": metric_name}
                if _plain(labels):
                    named["labels"] = _plain(labels)
                result["sources"].append({**named, **_summary(per_time)})
            continue
        per_time = part.groupby("ts")["value"].sum()
        result["sources"].append(
            {"source": source_name, "metric": metric_name, "series": len(label_sets),
             **_summary(per_time)}
        )  # fmt: skip
    return result


def _plain(labels: str) -> dict[str, str]:
    try:
        value = json.loads(labels or "{}")
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
