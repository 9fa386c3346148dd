"""``analyze_run``: from a run directory's tables to ``findings.json`` and ``intervals.parquet``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from erpcap.analysis.intervals import per_second
from erpcap.analysis.latency import grouped_stats, latency_stats
from erpcap.analysis.resources import summarize
from erpcap.analysis.rules import DEFAULT_RULES, Context, Rule, Slo
from erpcap.analysis.steps import Step, requests_in, single_step, steps_from_events
from erpcap.analysis.verdict import verdict
from erpcap.rundir import FINDINGS, RunDir, iso
from erpcap.types import FINDINGS_VERSION, SEVERITIES


def _span_s(requests: pd.DataFrame) -> float:
    if requests.empty:
        return 0.0
    first = requests["start"].min()
    last = (requests["start"] + pd.to_timedelta(requests["service_us"], unit="us")).max()
    return max((last - first).total_seconds(), 1e-6)


def _step_block(requests: pd.DataFrame, step: Step, slo: Slo) -> dict[str, Any]:
    part = requests_in(requests, step)
    seconds = step.measured_s
    block: dict[str, Any] = {
        "step": step.number,
        "users": step.users,
        "start": iso(step.start),
        "end": iso(step.end),
        "duration_s": round(step.duration_s, 3),
        "measured_from": iso(step.measured_from),
        **latency_stats(part, seconds),
        "transactions": grouped_stats(part, "name", seconds, extra=("group",)),
    }
    block["within_slo"] = _within_slo(block, slo)
    return block


def _within_slo(block: dict[str, Any], slo: Slo) -> bool:
    """A step is within the SLO when its error rate is, and every transaction with enough
    samples keeps its group's p95 target."""
    if block["count"] == 0 or block["error_rate"] > slo.error_rate:
        return False
    for tx in block["transactions"]:
        if tx["count"] >= 20 and tx["p95_ms"] > slo.target_ms(tx["group"]):
            return False
    return True


def _capacity(steps: list[dict[str, Any]]) -> dict[str, Any]:
    measured = [s for s in steps if s["count"] > 0]
    if not measured:
        return {}
    peak = max(measured, key=lambda s: s["rps"])
    ok = [s for s in measured if s["within_slo"]]
    best = max(ok, key=lambda s: s["users"]) if ok else None
    first_over = next((s for s in measured if not s["within_slo"]), None)
    return {
        "peak": {"rps": peak["rps"], "step": peak["step"], "users": peak["users"]},
        "max_users_within_slo": best["users"] if best else 0,
        "rps_within_slo": best["rps"] if best else 0.0,
        "first_step_over_slo": (
            {"step": first_over["step"], "users": first_over["users"]} if first_over else None
        ),
    }


def _top_errors(requests: pd.DataFrame, limit: int = 10) -> list[dict[str, Any]]:
    failed = requests.loc[~requests["ok"]]
    if failed.empty:
        return []
    keys = ["name", "status_code", "error"]
    counts = (
        failed.assign(error=failed["error"].fillna("").str.slice(0, 300))
        .groupby(keys, sort=False, observed=True, dropna=False)
        .size()
        .sort_values(ascending=False)
        .head(limit)
    )
    return [
        {"transaction": str(n), "status_code": int(c), "error": str(e), "count": int(k)}
        for (n, c, e), k in counts.items()
    ]


def _run_block(meta: dict[str, Any], requests: pd.DataFrame) -> dict[str, Any]:
    target = meta.get("target") or {}
    return {
        "scenario": meta.get("scenario"),
        "target": target.get("url") if isinstance(target, dict) else target,
        "profile": (target.get("profile") if isinstance(target, dict) else None),
        "status": meta.get("status"),
        "started_at": meta.get("started_at"),
        "ended_at": meta.get("ended_at"),
        "duration_s": round(_span_s(requests), 3),
        "shape": meta.get("shape"),
    }


def analyze_run(
    run: RunDir, *, slo: Slo | None = None, rules: tuple[Rule, ...] = DEFAULT_RULES
) -> dict[str, Any]:
    """Analyse ``run``: write ``intervals.parquet`` and ``findings.json``; return the findings."""
    slo = slo or Slo()
    meta = run.read_meta()
    requests = run.read_table("requests").sort_values("start", kind="stable")
    metrics = run.read_table("metrics")
    events = run.read_events()
    seconds = _span_s(requests)

    overall = latency_stats(requests, seconds)
    transactions = grouped_stats(requests, "name", seconds, extra=("group",))
    groups = grouped_stats(requests, "group", seconds)

    run_end: datetime | None = None
    if not requests.empty:
        run_end = requests["start"].max().to_pydatetime()
    step_list = steps_from_events(events, run_end) or single_step(requests)
    steps = [_step_block(requests, step, slo) for step in step_list]
    resources = summarize(metrics)
    errors = _top_errors(requests)

    ctx = Context(
        meta=meta,
        overall=overall,
        transactions=transactions,
        steps=steps,
        resources=resources,
        errors=errors,
        slo=slo,
    )
    findings = [f for rule in rules for f in rule(ctx)]
    findings.sort(key=lambda f: -SEVERITIES.index(f.severity))

    missing = []
    if requests.empty:
        missing.append("no requests were recorded")
    if metrics.empty:
        missing.append("no resource metrics were collected")
    if meta.get("status") not in (None, "completed"):
        missing.append(f"the run ended early ({meta.get('status')})")
    quality = {
        "requests": len(requests),
        "metrics": len(metrics),
        "missing": missing,
        "warnings": list(meta.get("warnings") or []),
    }

    capacity = _capacity(steps)
    doc: dict[str, Any] = {
        "schema_version": FINDINGS_VERSION,
        "run_id": meta.get("id", run.path.name),
        "generated_at": iso(),
        "run": _run_block(meta, requests),
        "slo": slo.to_dict(),
        "verdict": verdict(overall, capacity, findings, quality, slo),
        "overall": overall,
        "transactions": transactions,
        "groups": groups,
        "steps": steps,
        "peak": capacity.get("peak"),
        "capacity": capacity,
        "resources": resources,
        "errors": errors,
        "findings": [f.to_dict() for f in findings],
        "data_quality": quality,
    }
    run.write_table("intervals", per_second(requests))
    run.write_json(FINDINGS, doc)
    return doc
