"""What a run measured: the statistics blocks of findings.json, before any rule judges them.

:class:`Measured` is built either from every request (:func:`from_requests`: exact
percentiles over requests.parquet) or, for load results imported without per-request rows,
from the load tool's own statistics (:func:`erpcap.analysis.load_stats.from_load_stats`).
Both give the same blocks, so that rules, capacity, the verdict, reports and the gate read
one shape; a block built from a tool's statistics says so (``percentiles_from``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from erpcap.analysis.capacity.steady import stability, steady_fields, with_texts
from erpcap.analysis.errors import causes, error_groups, top_errors
from erpcap.analysis.intervals import per_second
from erpcap.analysis.latency import grouped_stats, latency_stats
from erpcap.analysis.rules import MIN_SAMPLES, Slo
from erpcap.analysis.steps import Step, requests_in, single_step, steps_from_events
from erpcap.rundir import iso

#: The columns of requests.parquet the statistics read (the others stay on disk).
REQUEST_COLUMNS = (
    "start", "name", "group", "status_code", "ok", "latency_us", "service_us", "users",
    "error", "paced",
)  # fmt: skip


@dataclass(frozen=True)
class Measured:
    """The statistics of a run: overall, per transaction, group and step, errors, intervals."""

    overall: dict[str, Any]
    transactions: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    error_causes: dict[str, int]
    intervals: pd.DataFrame
    duration_s: float
    #: None when computed from every request; else the source whose own statistics they are.
    percentiles_from: str | None = None
    #: What this basis cannot tell, each note in every language (``phrase``).
    notes: list[dict[str, str]] = field(default_factory=list)


def span_s(requests: pd.DataFrame) -> float:
    """Seconds from the first request's start to the last one's end."""
    if requests.empty:
        return 0.0
    first = requests["start"].min()
    last = (requests["start"] + pd.to_timedelta(requests["service_us"], unit="us")).max()
    seconds: float = (last - first).total_seconds()
    return max(seconds, 1e-6)


def littles_law(block: dict[str, Any]) -> dict[str, Any]:
    """What Little's law says of a closed step: of ``N`` users, ``X · R`` are inside a request
    on average (X throughput, R mean response time) and the rest think, so the think time
    per request is ``Z = N / X − R``. ``busy_share`` = X · R / N: near 0, throughput is set by
    think time (a light load); near 1, users spend their time waiting for the ERP.

    >>> littles_law({"users": 20, "rps": 10.0, "mean_ms": 100.0, "measured": True})
    {'think_s': 1.9, 'busy_share': 0.05}
    """
    users, rps, mean_ms = block.get("users"), block.get("rps"), block.get("mean_ms")
    if not block.get("measured") or not users or not rps or mean_ms is None:
        return {"think_s": None, "busy_share": None}
    response_s = mean_ms / 1000.0
    return {
        "think_s": round(max(users / rps - response_s, 0.0), 3),
        "busy_share": round(min(rps * response_s / users, 1.0), 4),
    }


def within_slo(block: dict[str, Any], slo: Slo) -> bool:
    """A step is within the SLO when its error rate is, and every transaction with enough
    samples keeps its group's p95 target (on response time: see latency.with_response)."""
    if block["error_rate"] > slo.error_rate:
        return False
    for tx in block["transactions"]:
        target = slo.p95_target_ms(tx["name"], tx["group"])
        if tx["count"] >= MIN_SAMPLES and (tx.get("p95_ms") or 0.0) > target:
            return False
    return True


def judge_step(block: dict[str, Any], slo: Slo, *, measured: bool) -> dict[str, Any]:
    """``block`` with ``measured``, ``within_slo`` (null when not measured) and Little's law."""
    block["measured"] = measured
    block["within_slo"] = within_slo(block, slo) if measured else None
    block.update(littles_law(block))
    return block


def step_frame(step: Step) -> dict[str, Any]:
    """The fields every step block starts with."""
    return {
        "step": step.number,
        "users": step.users,
        "start": iso(step.start),
        "end": iso(step.end),
        "duration_s": round(step.duration_s, 3),
        "measured_from": iso(step.measured_from),
    }


def _step_block(requests: pd.DataFrame, step: Step, slo: Slo) -> dict[str, Any]:
    part = requests_in(requests, step)
    seconds = step.measured_s
    block: dict[str, Any] = {
        **step_frame(step),
        **latency_stats(part, seconds),
        "transactions": grouped_stats(part, "name", seconds, extra=("group",)),
    }
    judge_step(block, slo, measured=block["count"] >= MIN_SAMPLES)
    return with_steadiness(block, stability(part, step.measured_from, seconds))


def with_steadiness(block: dict[str, Any], figures: dict[str, Any]) -> dict[str, Any]:
    """``block`` with ``x_cv``, ``x_trend``, ``steady`` and ``unsteady_reasons`` (1.4), from
    the per-second figures of :func:`erpcap.analysis.capacity.steady.stability`."""
    block["x_cv"], block["x_trend"] = figures.get("x_cv"), figures.get("x_trend")
    block.update(with_texts(steady_fields({**block, **figures})))
    return block


def from_requests(requests: pd.DataFrame, events: list[dict[str, Any]], slo: Slo) -> Measured:
    """Exact statistics over every request (``requests`` carries ``response_us``)."""
    seconds = span_s(requests)
    run_end: datetime | None = None
    if not requests.empty:
        run_end = requests["start"].max().to_pydatetime()
    step_list = steps_from_events(events, run_end) or single_step(requests)
    failures = error_groups(requests)
    return Measured(
        overall=latency_stats(requests, seconds),
        transactions=grouped_stats(requests, "name", seconds, extra=("group",)),
        groups=grouped_stats(requests, "group", seconds),
        steps=[_step_block(requests, step, slo) for step in step_list],
        errors=top_errors(failures),
        error_causes=causes(failures),
        intervals=per_second(requests),
        duration_s=seconds,
    )
