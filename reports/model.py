"""What a report shows, read from a run directory and shaped for the renderers.

:func:`load_report_data` reads ``run.json``, ``findings.json`` and, when present, the
``intervals`` and ``metrics`` tables; it never recomputes analysis. The helpers below pick
and label the numbers that every format (HTML, Markdown, JSON) shows the same way: the
verdict, the run facts, the key numbers and what is missing.

Everything here is tolerant of a findings document with fewer blocks than
docs/findings.md lists (an older analysis, an imported run): a missing block renders as
"not measured" rather than failing the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from erpcap.errors import RunDirError
from erpcap.rundir import FINDINGS, GATE, RunDir

#: Verdict statuses a report knows how to colour; anything else shows as "unknown".
VERDICTS = ("pass", "warn", "fail")

#: Severities in display order, most severe first.
SEVERITY_ORDER = ("critical", "warning", "info")


@dataclass(frozen=True)
class ReportData:
    """The inputs of one report: run.json, findings.json and the optional time series."""

    run_id: str
    meta: dict[str, Any]
    findings: dict[str, Any]
    intervals: pd.DataFrame | None = None
    metrics: pd.DataFrame | None = None
    missing_tables: tuple[str, ...] = field(default=())
    #: gate.json when ``erpcap gate`` judged these very findings (None otherwise).
    gate: dict[str, Any] | None = None


def load_report_data(run: RunDir, *, tables: bool = True) -> ReportData:
    """Read what a report needs from ``run``.

    ``tables=False`` skips the Parquet time series (the Markdown and JSON summaries do not
    chart). A missing findings.json is bad input: the report does not analyse.
    """
    meta = run.read_meta()
    if not run.file(FINDINGS).exists():
        raise RunDirError(
            f"{run.path}: no {FINDINGS} yet",
            hint=f"run `erpcap analyze {run.path}` first",
        )
    findings = run.read_findings()
    intervals = metrics = None
    missing: list[str] = []
    if tables:
        for name in ("intervals", "metrics"):
            frame = run.read_table(name) if run.has_table(name) else None
            if frame is None or frame.empty:
                missing.append(name)
                frame = None
            if name == "intervals":
                intervals = frame
            else:
                metrics = frame
    run_id = str(findings.get("run_id") or meta.get("id") or run.path.name)
    gate = _current_gate(run, findings)
    return ReportData(
        gate=gate,
        run_id=run_id,
        meta=meta,
        findings=findings,
        intervals=intervals,
        metrics=metrics,
        missing_tables=tuple(missing),
    )


def _current_gate(run: RunDir, findings: dict[str, Any]) -> dict[str, Any] | None:
    """gate.json, when it judged the findings the report shows (the same ``generated_at``);
    a gate of an earlier analysis, or a damaged file, is left out."""
    if not run.file(GATE).exists():
        return None
    try:
        gate = run.read_json(GATE)
    except RunDirError:
        return None
    if not isinstance(gate, dict) or gate.get("findings_generated_at") != findings.get(
        "generated_at"
    ):
        return None
    return gate


def gate_results(data: ReportData) -> list[dict[str, Any]]:
    """The budgets of the current gate (empty without one)."""
    return [r for r in _list((data.gate or {}).get("results")) if isinstance(r, dict)]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def overall(data: ReportData) -> dict[str, Any]:
    """The ``overall`` statistics block (empty when absent)."""
    return _dict(data.findings.get("overall"))


def run_block(data: ReportData) -> dict[str, Any]:
    """The ``run`` block of findings, completed from run.json where it lacks a field."""
    block = dict(_dict(data.findings.get("run")))
    meta = data.meta
    target = meta.get("target")
    fallbacks = {
        "status": meta.get("status"),
        "scenario": meta.get("scenario"),
        "started_at": meta.get("started_at"),
        "ended_at": meta.get("ended_at"),
        "shape": meta.get("shape"),
        "target": target.get("url") if isinstance(target, dict) else target,
        "profile": target.get("profile") if isinstance(target, dict) else meta.get("profile"),
    }
    for key, value in fallbacks.items():
        if block.get(key) in (None, "") and value not in (None, ""):
            block[key] = value
    return block


def verdict_status(data: ReportData) -> str:
    """``pass``, ``warn``, ``fail`` or ``unknown``."""
    status = str(_dict(data.findings.get("verdict")).get("status") or "").lower()
    return status if status in VERDICTS else "unknown"


def headline(data: ReportData) -> str:
    """The analysis's one-sentence headline (may be empty)."""
    return str(_dict(data.findings.get("verdict")).get("headline") or "")


def run_status(data: ReportData) -> str:
    """The run's exit status (``completed`` when nothing says otherwise)."""
    return str(run_block(data).get("status") or "completed")


def is_incomplete(data: ReportData) -> bool:
    """True when the run did not finish normally."""
    return run_status(data) != "completed"


def peak(data: ReportData) -> dict[str, Any]:
    """``{"ok_rps", "rps", "users", "step"}`` of the busiest step (``ok_rps``: successful
    requests per second; absent in an analysis before 1.1); the overall rates when no steps."""
    block = _dict(data.findings.get("peak"))
    if block.get("rps") is not None:
        return block
    whole = overall(data)
    if whole.get("rps") is None:
        return {}
    rates = {k: whole[k] for k in ("ok_rps", "rps") if whole.get(k) is not None}
    return {**rates, "users": None, "step": None}


def service_p95(stats: dict[str, Any]) -> float | None:
    """The p95 service time (sent to answered) of a statistics block, when it has one."""
    value = _dict(stats.get("service")).get("p95_ms")
    return float(value) if isinstance(value, int | float) else None


def queue_p95(stats: dict[str, Any]) -> float | None:
    """The p95 wait of paced requests for their turn (0 in the closed model), if measured."""
    value = _dict(stats.get("queue")).get("p95_ms")
    return float(value) if isinstance(value, int | float) else None


#: A wait for a late schedule is worth a word from this many milliseconds, and from this
#: share of the service time: below, it is the scheduler's jitter, not a stall.
QUEUE_SHOWN_MS = 10.0
QUEUE_SHOWN_SHARE = 0.1


def worth_showing_queue(queue_ms: float | None, service_ms: float | None) -> bool:
    """Whether the p95 wait of paced requests is large enough to show beside service time.

    >>> worth_showing_queue(1.0, 20.0), worth_showing_queue(26_600.0, 1_250.0)
    (False, True)
    """
    if not queue_ms:
        return False
    return queue_ms >= max(QUEUE_SHOWN_MS, QUEUE_SHOWN_SHARE * (service_ms or 0.0))


def arrivals(data: ReportData) -> dict[str, Any] | None:
    """The open model's arrivals block (intended, sent, dropped, pool, steps), or None for a
    closed-model run."""
    block = data.findings.get("arrivals")
    return block if isinstance(block, dict) else None


def capacity(data: ReportData) -> dict[str, Any]:
    """The capacity block (users and throughput within the SLO), when analysis wrote one."""
    return _dict(data.findings.get("capacity"))


def steps(data: ReportData) -> list[dict[str, Any]]:
    """Load steps in order."""
    return [s for s in _list(data.findings.get("steps")) if isinstance(s, dict)]


def transactions(data: ReportData) -> list[dict[str, Any]]:
    """Transactions, busiest first."""
    rows = [t for t in _list(data.findings.get("transactions")) if isinstance(t, dict)]
    return sorted(rows, key=lambda t: (-(t.get("count") or 0), str(t.get("name"))))


def groups(data: ReportData) -> list[dict[str, Any]]:
    """Transaction groups, busiest first."""
    rows = [g for g in _list(data.findings.get("groups")) if isinstance(g, dict)]
    return sorted(rows, key=lambda g: (-(g.get("count") or 0), str(g.get("name"))))


def top_errors(data: ReportData) -> list[dict[str, Any]]:
    """The most frequent errors (transaction, status code, message, count)."""
    return [e for e in _list(data.findings.get("errors")) if isinstance(e, dict)]


def findings_list(data: ReportData) -> list[dict[str, Any]]:
    """Findings, most severe first (stable within a severity)."""
    rows = [f for f in _list(data.findings.get("findings")) if isinstance(f, dict)]

    def rank(finding: dict[str, Any]) -> int:
        severity = str(finding.get("severity"))
        return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else 0

    return sorted(rows, key=rank)


def resources(data: ReportData) -> dict[str, Any]:
    """The resource summary: ``{"host": {metric: {mean, max}}, "processes": [...],
    "sources": [{source, metric, mean, max}]}`` (other collectors' series)."""
    block = _dict(data.findings.get("resources"))
    return {
        "host": _dict(block.get("host")),
        "processes": _list(block.get("processes")),
        "sources": _list(block.get("sources")),
    }


def data_quality(data: ReportData) -> dict[str, Any]:
    """Counts, what is missing and warnings, merged from findings and run.json."""
    block = _dict(data.findings.get("data_quality"))
    missing = [str(m) for m in _list(block.get("missing"))]
    warnings = [str(w) for w in _list(block.get("warnings"))]
    for warning in _list(data.meta.get("warnings")):
        if str(warning) not in warnings:
            warnings.append(str(warning))
    texts = block.get("missing_texts")
    source = block.get("percentiles_from")
    return {
        "requests": block.get("requests"),
        "metrics": block.get("metrics"),
        "percentiles_from": str(source) if source else None,
        "missing": missing,
        "missing_texts": texts if isinstance(texts, dict) else {},
        "warnings": warnings,
    }


def percentiles_from(data: ReportData) -> str | None:
    """The load tool whose own percentiles the findings hold (an import without per-request
    rows), or None when erpcap computed them from every request."""
    source = _dict(data.findings.get("data_quality")).get("percentiles_from")
    return str(source) if source else None


def host_facts(data: ReportData) -> dict[str, Any]:
    """Cores and memory (GB) of the load host, from run.json's ``host`` block, if any."""
    host = _dict(data.meta.get("host"))
    cores = host.get("cores") or host.get("cpu_count") or host.get("logical_cores")
    memory = host.get("memory_gb")
    if memory is None:
        total = host.get("memory_bytes") or host.get("memory_total_bytes")
        memory = round(float(total) / 2**30, 1) if isinstance(total, int | float) else None
    return {"cores": cores, "memory_gb": memory}
