"""Statistics from a load tool's own figures (load_stats.parquet), for load results imported
without one row per request (Locust's ``--csv`` files).

Nothing here computes a percentile: each one is the tool's own, and every block says whose
(``percentiles_from``). What is derived is arithmetic on the tool's counts:

- the whole test and each transaction: the tool's whole-test rows (``ts`` null); ``ok_rps``
  is the tool's rate times the share of successful requests;
- a step: its count and failures are the difference of the cumulative counts at the end of
  the step and at the end of its warm-up, its rate that difference over the seconds between
  the two rows, its mean the difference of the cumulative sums (mean × count) over the count.
  Its percentiles are those of the tool's last row in the step: over the tool's rolling
  window (``window_s``; about the last 10 s for Locust) when it has one. When the tool's
  percentiles run from the start of the test, only the first step has its own (from the
  start *is* that step, warm-up included); the others have none and are not measured;
- intervals: each history row's requests since the row before, in the second before it,
  with the row's windowed percentiles (none when they run from the start).

A transaction is the tool's name, or ``TYPE name`` where one name comes with several types
(``GET /x`` and ``POST /x``); all belong to the group ``other``.

>>> _labels(pd.DataFrame({"type": ["GET", "POST", "GET", ""], "name": ["/x", "/x", "/y", "*"]}))
{('GET', '/x'): 'GET /x', ('POST', '/x'): 'POST /x', ('GET', '/y'): '/y'}
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from erpcap.analysis.errors import causes, counted_groups, top_errors
from erpcap.analysis.latency import PERCENTILES
from erpcap.analysis.measured import Measured, judge_step, step_frame
from erpcap.analysis.rules import MIN_SAMPLES, Slo
from erpcap.analysis.steps import Step, make_step, steps_from_events
from erpcap.findings import phrase
from erpcap.types import INTERVALS_SCHEMA, LOAD_STATS_PERCENTILES

#: The name of the tool's total row.
TOTAL = "*"
GROUP = "other"
_ALL_PERCENTILES = [column for column, _ in LOAD_STATS_PERCENTILES]
_STATUS = re.compile(r"\b([1-5]\d\d) (?:Client|Server) Error\b")


def _labels(frame: pd.DataFrame) -> dict[tuple[str, str], str]:
    """The transaction name of each (type, name) pair but the total."""
    pairs = frame.loc[frame["name"] != TOTAL, ["type", "name"]].drop_duplicates()
    types = pairs.groupby("name")["type"].nunique()
    return {
        (kind, name): f"{kind} {name}" if types[name] > 1 and kind else name
        for kind, name in pairs.itertuples(index=False)
    }


def _value(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 3)


def _block(
    count: int,
    failures: int,
    rps: float,
    latency: dict[str, float | None],
    percentiles: dict[str, float | None],
    source: str,
) -> dict[str, Any]:
    """A statistics block in the shape of :func:`erpcap.analysis.latency.latency_stats`."""
    failures = max(0, min(failures, count))
    said: dict[str, float | None] = {
        "mean_ms": latency.get("mean_ms"),
        "min_ms": latency.get("min_ms"),
        **{field: percentiles.get(field) for field, _ in PERCENTILES},
        "max_ms": latency.get("max_ms"),
    }
    return {
        "count": count,
        "errors": failures,
        "error_rate": round(failures / count, 6) if count else 0.0,
        "rps": round(rps, 4),
        "ok_rps": round(rps * (count - failures) / count, 4) if count else 0.0,
        **said,
        # The tool's requests are timed from when they were sent: service time, no queue.
        "service": dict(said),
        "paced_share": None,
        "queue": {"p95_ms": None, "max_ms": None, "late_share": None},
        **{f: percentiles.get(f) for f in _ALL_PERCENTILES if f not in said},
        "percentiles_from": source,
    }


def _whole(row: pd.Series, duration_s: float, source: str) -> dict[str, Any]:
    count = int(row["count"])
    rps = _value(row["rps"])
    if rps is None:
        rps = count / duration_s if duration_s > 0 else 0.0
    latency = {k: _value(row[k]) for k in ("mean_ms", "min_ms", "max_ms")}
    percentiles = {c: _value(row[c]) for c in _ALL_PERCENTILES}
    return _block(count, int(row["failures"]), rps, latency, percentiles, source)


def _window(
    rows: pd.DataFrame, since: pd.Timestamp, until: pd.Timestamp, source: str, *, first: bool
) -> dict[str, Any]:
    """The block of the history ``rows`` (one transaction, by time) between two moments."""
    before = rows.loc[rows["ts"] <= since]
    upto = rows.loc[rows["ts"] <= until]
    if upto.empty:
        return _block(0, 0, 0.0, {}, {}, source)
    last = upto.iloc[-1]
    start = before.iloc[-1] if not before.empty else None
    count0 = int(start["count"]) if start is not None else 0
    failures0 = int(start["failures"]) if start is not None else 0
    sum0 = 0.0
    if start is not None and count0 and not pd.isna(start["mean_ms"]):
        sum0 = float(start["mean_ms"]) * count0
    count = max(int(last["count"]) - count0, 0)
    seconds = (last["ts"] - (start["ts"] if start is not None else since)).total_seconds()
    mean = None
    if count and not pd.isna(last["mean_ms"]):
        mean = round((float(last["mean_ms"]) * int(last["count"]) - sum0) / count, 3)
    windowed = not pd.isna(last["window_s"])
    own = windowed or first  # from the start of the test is the whole first step
    percentiles = {c: _value(last[c]) for c in _ALL_PERCENTILES} if own and count else {}
    latency: dict[str, float | None] = {"mean_ms": mean}
    if own and count:
        latency["max_ms"] = percentiles.get("p100_ms") if windowed else _value(last["max_ms"])
        latency["min_ms"] = None if windowed else _value(last["min_ms"])
    rps = count / seconds if seconds > 0 else 0.0
    block = _block(count, int(last["failures"]) - failures0, rps, latency, percentiles, source)
    block["percentiles_window_s"] = _value(last["window_s"]) if own else None
    return block


def _step_block(
    step: Step,
    history: pd.DataFrame,
    labels: dict[tuple[str, str], str],
    source: str,
    slo: Slo,
    *,
    first: bool,
) -> dict[str, Any]:
    since, until = pd.Timestamp(step.measured_from), pd.Timestamp(step.end)
    total = history.loc[history["name"] == TOTAL]
    block: dict[str, Any] = {
        **step_frame(step),
        **_window(total, since, until, source, first=first),
    }
    transactions = []
    for (kind, name), rows in history.loc[history["name"] != TOTAL].groupby(
        ["type", "name"], sort=False
    ):
        tx = _window(rows, since, until, source, first=first)
        if tx["count"]:
            transactions.append({"name": labels[(str(kind), str(name))], "group": GROUP, **tx})
    transactions.sort(key=lambda t: (-t["count"], t["name"]))
    block["transactions"] = transactions
    measured = block["count"] >= MIN_SAMPLES and block["p95_ms"] is not None
    return judge_step(block, slo, measured=measured)


def _intervals(history: pd.DataFrame, labels: dict[tuple[str, str], str]) -> pd.DataFrame:
    """intervals.parquet from the history: requests per second and the windowed percentiles."""
    columns = [f.name for f in INTERVALS_SCHEMA]
    if history.empty:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in columns})
    pieces = []
    for (kind, name), rows in history.groupby(["type", "name"], sort=False):
        windowed = rows["window_s"].notna()
        pieces.append(
            pd.DataFrame(
                {
                    "ts": rows["ts"] - pd.Timedelta(seconds=1),
                    "name": TOTAL if name == TOTAL else labels[(str(kind), str(name))],
                    "count": rows["count"].diff().fillna(rows["count"]).clip(lower=0),
                    "errors": rows["failures"].diff().fillna(rows["failures"]).clip(lower=0),
                    "p50_ms": rows["p50_ms"].where(windowed),
                    "p95_ms": rows["p95_ms"].where(windowed),
                    "p99_ms": rows["p99_ms"].where(windowed),
                    "max_ms": rows["p100_ms"].where(windowed),
                    "users": rows["users"].fillna(0),
                }
            )
        )
    table = pd.concat(pieces, ignore_index=True)
    table["count"] = table["count"].astype("int64")
    table["errors"] = table["errors"].astype("int64")
    table["users"] = table["users"].astype("int32")
    return table[columns].sort_values(["ts", "name"], kind="stable").reset_index(drop=True)


def _errors(frame: pd.DataFrame, labels: dict[tuple[str, str], str]) -> pd.DataFrame:
    """The tool's failure counts as :func:`erpcap.analysis.errors.counted_groups`."""
    if frame.empty:
        return counted_groups(frame)
    raw = pd.DataFrame(
        {
            "name": [
                labels.get((kind, name), name)
                for kind, name in zip(frame["type"], frame["name"], strict=True)
            ],
            "status_code": [
                int(m[1]) if (m := _STATUS.search(str(e))) else 0 for e in frame["error"]
            ],
            "error": frame["error"].astype(str),
            "count": frame["count"].astype("int64"),
        }
    )
    return counted_groups(raw)


def _notes(source: str, history: pd.DataFrame) -> list[dict[str, str]]:
    notes = [
        phrase(
            en=f"no per-request data: the load results were imported from {source}, so the "
            "percentiles are the tool's own (not computed by erpcap from every request), and "
            "what needs every request is not available (other percentiles, budgets by tag, "
            "queueing)",
            zh_CN=f"没有逐请求数据：负载结果由 {source} 导入，百分位数是该工具自身的统计"
            "（并非 erpcap 根据每个请求计算），需要逐请求数据的分析（其他百分位数、按标签的"
            "预算、排队时间）不可用",
        )
    ]
    if history.empty:
        notes.append(
            phrase(
                en="no per-second history: no time series and no load steps",
                zh_CN="没有逐秒历史数据：没有时间序列，也没有负载阶梯",
            )
        )
    elif history["window_s"].isna().all():
        notes.append(
            phrase(
                en="no per-second or per-step percentiles: the tool's history gives them from "
                "the start of the test only (Locust: run with --csv-full-history)",
                zh_CN="没有逐秒或逐阶梯的百分位数：该工具的历史数据只给出自测试开始以来的"
                "百分位数（Locust：请使用 --csv-full-history 运行）",
            )
        )
    return notes


def from_load_stats(
    stats: pd.DataFrame, errors: pd.DataFrame, events: list[dict[str, Any]], slo: Slo
) -> Measured:
    """The run's statistics from a load tool's own (``stats``: load_stats, ``errors``:
    load_errors), with steps from the ``step`` events (or one over the history)."""
    source = str(stats["source"].iloc[0]) if not stats.empty else "the load tool"
    labels = _labels(stats)
    whole = stats.loc[stats["ts"].isna()]
    history = stats.loc[stats["ts"].notna()].sort_values("ts", kind="stable")
    total_rows = whole.loc[whole["name"] == TOTAL]
    duration = 0.0
    if not history.empty:
        duration = (history["ts"].max() - history["ts"].min()).total_seconds()
    if duration <= 0 and not total_rows.empty:
        row = total_rows.iloc[0]
        rate = _value(row["rps"])
        duration = int(row["count"]) / rate if rate else 0.0
    if not total_rows.empty:
        overall = _whole(total_rows.iloc[0], duration, source)
    else:
        count = int(whole["count"].sum())
        overall = _block(
            count, int(whole["failures"].sum()), count / max(duration, 1e-6), {}, {}, source
        )
    transactions = [
        {
            "name": labels[(row["type"], row["name"])],
            "group": GROUP,
            **_whole(row, duration, source),
        }
        for _, row in whole.loc[whole["name"] != TOTAL].iterrows()
    ]
    transactions.sort(key=lambda t: (-t["count"], t["name"]))

    step_list: list[Step] = []
    if not history.empty:
        first, last = history["ts"].min().to_pydatetime(), history["ts"].max().to_pydatetime()
        step_list = steps_from_events(events, last)
        if not step_list and last > first:
            users = history["users"].max()
            step_list = [make_step(1, 0 if pd.isna(users) else int(users), first, last)]
    steps = [
        _step_block(step, history, labels, source, slo, first=i == 0)
        for i, step in enumerate(step_list)
    ]
    failures = _errors(errors, labels)
    return Measured(
        overall=overall,
        transactions=transactions,
        groups=[{"name": GROUP, **overall}] if transactions else [],
        steps=steps,
        errors=top_errors(failures),
        error_causes=causes(failures),
        intervals=_intervals(history, labels),
        duration_s=max(duration, 0.0),
        percentiles_from=source,
        notes=_notes(source, history),
    )
