"""Resources over a window of the run (a load step, or the whole run), from any collector.

For each window: the CPU of every watched role (the target's processes, the database
server's, the load generator's — % of one core, summed over the role's processes), the
host's CPU, and per database source (any source that reports ``sessions`` by state: the
``postgres`` and ``mysql`` collectors, or a plug-in that speaks the same vocabulary,
docs/collectors.md) its sessions by state, the share of active sessions per wait event, lock
waits, connections against the limit and the cache hit ratio.

Wait-event shares count session samples, as an active-session history does: a session
seen active on ``Lock:transactionid`` in 3 samples and on the CPU in 1 gives 75 % and 25 %.

>>> import json, pandas as pd
>>> ts = pd.to_datetime(["2026-12-01T10:00:00Z", "2026-12-01T10:00:01Z"])
>>> rows = [(t, "postgres", "wait_sessions", json.dumps({"instance": "db", "wait": w}), v)
...         for t in ts for w, v in (("CPU", 1.0), ("Lock:tuple", 3.0))]
>>> frame = pd.DataFrame(rows, columns=["ts", "source", "metric", "labels", "value"])
>>> databases(frame)[0]["top_waits"]
[{'wait': 'Lock:tuple', 'share': 0.75}, {'wait': 'CPU', 'share': 0.25}]
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

import pandas as pd

#: Wait events listed per database source, at most.
TOP_WAITS = 3
#: Session states that count as busy (inside a statement).
BUSY_STATES = ("active", "waiting")


@cache
def _labels(text: str) -> tuple[tuple[str, str], ...]:
    try:
        value = json.loads(text or "{}")
    except (TypeError, json.JSONDecodeError):
        return ()
    if not isinstance(value, dict):
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in value.items()))


def label(frame: pd.DataFrame, key: str) -> pd.Series:
    """The label ``key`` of each row of a metrics frame ("" when absent)."""
    return frame["labels"].map(lambda text: dict(_labels(text)).get(key, ""))


def _mean_per_ts(frame: pd.DataFrame) -> float | None:
    """The mean over samples of the value summed at each sample time."""
    if frame.empty:
        return None
    return round(float(frame.groupby("ts")["value"].sum().mean()), 3)


def between(metrics: pd.DataFrame, start: datetime, end: datetime) -> pd.DataFrame:
    """The samples taken in ``[start, end)``."""
    if metrics.empty:
        return metrics
    ts = metrics["ts"]
    return metrics[(ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end))]


def cpu_by_role(metrics: pd.DataFrame) -> dict[str, float]:
    """Mean CPU (% of one core) of each watched role's processes."""
    procs = metrics[(metrics["source"] == "process") & (metrics["metric"] == "cpu_percent")]
    procs = procs.dropna(subset=["value"])
    out: dict[str, float] = {}
    if procs.empty:
        return out
    roles = label(procs, "role").replace("", "other")
    for role, part in procs.groupby(roles, sort=True):
        value = _mean_per_ts(part)
        if value is not None:
            out[str(role)] = value
    return out


def databases(metrics: pd.DataFrame) -> list[dict[str, Any]]:
    """Per database source and instance: sessions, waits, locks, connections, cache."""
    frame = metrics.dropna(subset=["value"])
    sources = frame.loc[frame["metric"].isin(["sessions", "wait_sessions"]), "source"].unique()
    out = []
    for source in sorted(map(str, sources)):
        part = frame[frame["source"] == source]
        instances = label(part, "instance")
        for instance, rows in part.groupby(instances, sort=True):
            out.append({"source": source, "instance": str(instance), **_database(rows)})
    return out


def _database(rows: pd.DataFrame) -> dict[str, Any]:
    def metric(name: str) -> pd.DataFrame:
        return rows[rows["metric"] == name]

    sessions = metric("sessions")
    states = label(sessions, "state")
    by_state = {
        str(state): _mean_per_ts(part) for state, part in sessions.groupby(states, sort=True)
    }
    busy = sessions[states.isin(BUSY_STATES)]
    waits = metric("wait_sessions")
    shares: list[dict[str, Any]] = []
    if not waits.empty:
        totals = waits.groupby(label(waits, "wait"))["value"].sum()
        grand = float(totals.sum())
        if grand > 0:
            top = totals.sort_values(ascending=False, kind="stable").head(TOP_WAITS)
            shares = [{"wait": str(w), "share": round(float(v) / grand, 4)} for w, v in top.items()]
    locks = metric("lock_waits")
    connections = metric("connections")
    limit = metric("max_connections")
    hit = metric("cache_hit_ratio")
    return {
        "sessions": by_state,
        "busy_sessions": _mean_per_ts(busy),
        "top_waits": shares,
        "lock_waits": None if locks.empty else {
            "mean": _mean_per_ts(locks),
            "max": round(float(locks.groupby("ts")["value"].sum().max()), 3),
        },
        "connections_max": None if connections.empty else float(connections["value"].max()),
        "max_connections": None if limit.empty else float(limit["value"].iloc[-1]),
        "cache_hit_ratio": None if hit.empty else round(float(hit["value"].mean()), 4),
    }  # fmt: skip


def window(metrics: pd.DataFrame, start: datetime, end: datetime) -> dict[str, Any]:
    """The resources of one window: CPU by role, host CPU, databases."""
    part = between(metrics, start, end)
    host = part[(part["source"] == "host") & (part["metric"] == "cpu_percent")]
    host = host[host["labels"] == "{}"]
    return {
        "cpu_by_role": cpu_by_role(part),
        "host_cpu": _mean_per_ts(host.dropna(subset=["value"])),
        "databases": databases(part),
    }
