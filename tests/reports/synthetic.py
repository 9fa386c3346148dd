"""Synthetic but realistic run directories for the report and gate tests.

:func:`make_run` writes a capacity-ladder run with the real :class:`RunDir` API: requests
(a few thousand, lognormal latencies that grow as the load saturates the ERP, errors at the
top step), host and per-process metrics, step events and run.json; then the real analysis
(:func:`erpcap.analysis.analyze_run`) writes findings.json and intervals.parquet.

Loaded by path from the conftest of tests/reports and tests/gate.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from erpcap.analysis import analyze_run
from erpcap.rundir import RunDir, iso

START = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)

#: (transaction, group, user class, method, weight, base latency ms)
TRANSACTIONS: tuple[tuple[str, str, str, str, float, float], ...] = (
    ("check_availability", "query", "sales", "GET", 0.26, 22.0),
    ("get_sales_order", "query", "sales", "GET", 0.2, 30.0),
    ("create_sales_order", "order", "sales", "POST", 0.22, 120.0),
    ("ship_order", "order", "warehouse", "POST", 0.12, 90.0),
    ("list_customer_orders", "query", "manager", "GET", 0.1, 60.0),
    ("login", "auth", "sales", "POST", 0.06, 45.0),
    ("trial_balance", "close", "finance", "GET", 0.04, 900.0),
)

#: (users, offered requests/s, latency factor, error share) per step of 30 s.
STEPS: tuple[tuple[int, float, float, float], ...] = (
    (10, 8.0, 1.0, 0.0),
    (20, 16.0, 1.2, 0.002),
    (40, 30.0, 1.9, 0.006),
    (60, 34.0, 4.5, 0.04),
)
STEP_S = 30

XSS_NAME = "<script>alert('tx')</script>"
XSS_ERROR = "<img src=x onerror=alert('err')> & \"quotes\""


def _requests(
    rng: np.random.Generator, steps: Sequence[tuple[int, float, float, float]], hostile: bool
) -> pd.DataFrame:
    names = [t[0] for t in TRANSACTIONS]
    weights = np.array([t[4] for t in TRANSACTIONS])
    weights = weights / weights.sum()
    frames = []
    for i, (users, rps, factor, error_share) in enumerate(steps):
        n = int(rps * STEP_S)
        offsets = np.sort(rng.uniform(0, STEP_S, n)) + i * STEP_S
        idx = rng.choice(len(TRANSACTIONS), size=n, p=weights)
        base = np.array([TRANSACTIONS[j][5] for j in idx])
        service_ms = base * factor * rng.lognormal(0.0, 0.45, n)
        delay_ms = rng.exponential(2.0 * factor**2, n)
        failed = rng.random(n) < error_share
        frames.append(
            pd.DataFrame(
                {
                    "offset_s": offsets,
                    "tx": idx,
                    "service_ms": service_ms,
                    "delay_ms": delay_ms,
                    "failed": failed,
                    "users": users,
                }
            )
        )
    raw = pd.concat(frames, ignore_index=True)
    intended = pd.Timestamp(START) + pd.to_timedelta(raw["offset_s"], unit="s")
    start = intended + pd.to_timedelta(raw["delay_ms"], unit="ms")
    service_us = (raw["service_ms"] * 1000).round().astype("int64")
    latency_us = service_us + (raw["delay_ms"] * 1000).round().astype("int64")
    tx_names = [names[j] for j in raw["tx"]]
    if hostile:  # a target that returns hostile operation names and error texts
        tx_names = [XSS_NAME if n == "ship_order" else n for n in tx_names]
    failed = raw["failed"].to_numpy()
    return pd.DataFrame(
        {
            "intended_start": intended.dt.floor("us"),
            "start": start.dt.floor("us"),
            "name": tx_names,
            "group": [TRANSACTIONS[j][1] for j in raw["tx"]],
            "user_class": [TRANSACTIONS[j][2] for j in raw["tx"]],
            "method": [TRANSACTIONS[j][3] for j in raw["tx"]],
            "status_code": np.where(failed, 500, 200).astype("int32"),
            "ok": ~failed,
            "latency_us": latency_us,
            "service_us": service_us,
            "bytes": rng.integers(300, 5000, len(raw)).astype("int64"),
            "users": raw["users"].astype("int32"),
            "worker": "local-0",
            "error": np.where(
                failed,
                XSS_ERROR if hostile else "HTTP 500: deadlock detected while waiting for lock",
                None,
            ),
        }
    )


def _metrics(rng: np.random.Generator, seconds: int, hostile: bool) -> pd.DataFrame:
    rows = []
    erp_role = "<b>erp</b>" if hostile else "erp"
    for s in range(seconds):
        ts = pd.Timestamp(START) + pd.Timedelta(seconds=s)
        load = min(1.0, 0.15 + s / seconds)
        rows.append((ts, "host", "cpu_percent", "{}", 100 * load * rng.uniform(0.85, 1.0)))
        rows.append((ts, "host", "memory_percent", "{}", 41 + 12 * load + rng.normal(0, 0.3)))
        for pid in (101, 102):
            labels = json.dumps({"role": erp_role, "pid": pid})
            rows.append((ts, "process", "cpu_percent", labels, 90 * load * rng.uniform(0.8, 1)))
            rows.append((ts, "process", "rss_bytes", labels, (180 + 60 * load) * 2**20))
        labels = json.dumps({"role": "locust", "pid": 200})
        rows.append((ts, "process", "cpu_percent", labels, 25 * load * rng.uniform(0.8, 1)))
        rows.append((ts, "process", "rss_bytes", labels, 95 * 2**20))
    return pd.DataFrame(rows, columns=["ts", "source", "metric", "labels", "value"])


def make_run(
    folder: Path,
    *,
    hostile: bool = False,
    status: str = "completed",
    metrics: bool = True,
    steps: Sequence[tuple[int, float, float, float]] = STEPS,
    seed: int = 7,
    analyze: bool = True,
) -> RunDir:
    """A run directory at ``folder`` holding a capacity-ladder run, analysed."""
    rng = np.random.default_rng(seed)
    run = RunDir.create(
        folder,
        scenario="peak-order",
        shape="ladder",
        target={"url": "http://127.0.0.1:8765", "profile": "legacy"},
        host={"cores": 8, "memory_bytes": 16 * 2**30},
        erpcap_version="0.1.0",
    )
    requests = _requests(rng, steps, hostile)
    run.write_table("requests", requests)
    seconds = STEP_S * len(steps)
    if metrics:
        run.write_table("metrics", _metrics(rng, seconds, hostile))
    for i, (users, *_rest) in enumerate(steps):
        with open(run.file("events.jsonl"), "a", encoding="utf-8") as fh:
            ts = iso(START + timedelta(seconds=i * STEP_S))
            fh.write(json.dumps({"ts": ts, "kind": "step", "step": i + 1, "users": users}) + "\n")
    run.update_meta(
        started_at=iso(START),
        ended_at=iso(START + timedelta(seconds=seconds)),
        status=status,
        warnings=["locust worker 2 lost for 3 s"] if status != "completed" else [],
    )
    if analyze:
        analyze_run(run)
    return run


def minimal_findings(**overrides: object) -> dict[str, object]:
    """A hand-written findings.json with only the blocks docs/findings.md requires."""
    doc: dict[str, object] = {
        "schema_version": "1.0",
        "run_id": "hand-made",
        "generated_at": "2026-11-25T10:03:12.000000Z",
        "run": {
            "scenario": "demo-mix",
            "target": "http://127.0.0.1:8765",
            "status": "completed",
            "duration_s": 62.1,
        },
        "verdict": {"status": "pass", "headline": "All good.", "reasons": []},
        "overall": {
            "count": 100,
            "errors": 1,
            "error_rate": 0.01,
            "rps": 10.0,
            "mean_ms": 40.0,
            "min_ms": 2.0,
            "p50_ms": 30.0,
            "p75_ms": 44.0,
            "p90_ms": 70.0,
            "p95_ms": 95.0,
            "p99_ms": 180.0,
            "max_ms": 700.0,
        },
        "transactions": [],
        "groups": [],
        "steps": [],
        "findings": [],
        "data_quality": {"requests": 100, "metrics": 0, "missing": [], "warnings": []},
    }
    doc.update(overrides)
    return doc


def every_finding_doc() -> dict[str, object]:
    """A findings.json whose findings come from the real default rules, each rule firing once.

    The statistics are made up to trip every rule of analysis/rules.py: errors above the
    limit, a slow order transaction, a saturating step, a busy host and load generator, an
    interrupted run and a transaction with few samples. The verdict is the real one too.
    """
    from erpcap.analysis.rules import DEFAULT_RULES, Context, Slo
    from erpcap.analysis.verdict import verdict

    slo = Slo(transactions={"check_availability": {"p99_ms": 300.0}})  # a scenario's own

    def tx(name: str, group: str, count: int, errors: int, p95: float) -> dict[str, object]:
        return {
            "name": name,
            "group": group,
            "count": count,
            "errors": errors,
            "error_rate": errors / count,
            "rps": count / 120,
            "mean_ms": p95 / 3,
            "p50_ms": p95 / 3,
            "p95_ms": p95,
            "p99_ms": p95 * 1.7,
            "max_ms": p95 * 2.6,
        }

    transactions = [
        tx("check_availability", "query", 1200, 10, 210.0),
        tx("create_sales_order", "order", 900, 60, 1520.0),
        tx("trial_balance", "close", 12, 0, 9100.0),
    ]
    count, errors = sum(t["count"] for t in transactions), sum(t["errors"] for t in transactions)
    overall = {
        "count": count,
        "errors": errors,
        "error_rate": errors / count,
        "rps": count / 120,
        "p95_ms": 980.0,
        "p99_ms": 2400.0,
    }

    def step(number: int, users: int, count: int, rps: float, p95: float, ok: bool) -> dict:
        return {
            "step": number, "users": users, "count": count, "rps": rps, "ok_rps": rps,
            "p95_ms": p95, "mean_ms": p95 / 3, "measured": True, "within_slo": ok,
            "busy_share": round(rps * p95 / 3000 / users, 4), "think_s": users / rps - p95 / 3000,
        }  # fmt: skip

    steps = [step(1, 20, 900, 30.2, 104.0, True), step(2, 40, 1212, 31.1, 612.0, False)]
    steps[1].update(
        steady=False,
        x_cv=0.41,
        x_trend=-0.3,
        unsteady_reasons=["throughput drifted -30% from the first to the second half of the step"],
        unsteady_texts={
            "en": ["throughput drifted -30% from the first to the second half of the step"],
            "zh-CN": ["吞吐量在阶梯前后两半之间漂移 -30%"],
        },
    )
    # the capacity stage's blocks, as analysis/capacity writes them, tripping its rules
    model = {
        "knee": {"users": 20, "step": 1, "ok_rps": 30.2, "p95_ms": 104.0,
                 "method": "kneedle", "curve": "throughput"},
        "usl": {"fitted": True, "sigma": 0.02, "kappa": 0.0004, "lambda": 2.1,
                "sigma_ci": [0.01, 0.03], "kappa_ci": [0.0002, 0.0006], "lambda_ci": [2.0, 2.2],
                "r_squared": 0.97, "points": 6, "peak_n": 49.0, "peak_x": 33.4, "amdahl": False,
                "warnings": []},
        "littles_law": [{"step": 2, "users": 40, "x": 31.1, "r_s": 0.204, "z_s": 1.082,
                         "z_configured_s": 0.5, "status": "generator_limit"}],
        "bottleneck": {
            "resource": None, "kind": "unknown", "confidence": "thin", "step": 2, "users": 40,
            "saturation": ["over_slo"],
            "texts": {"en": "At step 2 (40 users) no watched resource was near its limit.",
                      "zh-CN": "第 2 阶（40 个用户）没有被监视的资源接近其极限。"},
            "warnings": [{"id": "host.noisy_neighbour", "step": 2,
                          "evidence": {"unexplained_cores": 0.9, "busy_cores": 1.9,
                                       "watched_cores": 1.0},
                          "texts": {"en": "At step 2 0.90 cores went to processes outside "
                                          "the watched roles.",
                                    "zh-CN": "第 2 阶有 0.90 个核心被监视角色之外的进程占用。"}}],
        },
    }  # fmt: skip
    resources = {
        "host": {"cpu_percent": {"mean": 61.3, "max": 97.4}},
        "processes": [{"role": "locust", "cpu_percent": {"mean": 86.2, "max": 99.0}}],
    }
    # an open-model schedule that dropped 5 % of its arrivals: a pool too small for it
    overall["service"] = {"p50_ms": 600.0, "p95_ms": 950.0, "max_ms": 2600.0}
    overall["queue"] = {"p95_ms": 240.0, "max_ms": 990.0, "late_share": 0.2}
    rate = {"steps": [{"rate": 30.0, "duration_s": 120.0, "start_rate": 30.0}], "max_users": 16}
    arrivals = {"intended": 3600, "sent": 3420, "dropped": 180, "drop_after_s": 1.0,
                "steps": [{"step": 1, "intended": 3600, "sent": 3420, "dropped": 180}]}  # fmt: skip
    ctx = Context(
        meta={
            "status": "interrupted",
            "parameters": {"workers": 1},
            "rate": rate,
            "arrivals": arrivals,
        },  # fmt: skip
        overall=overall,
        transactions=transactions,
        steps=steps,
        resources=resources,
        errors=[
            {
                "transaction": "create_sales_order",
                "status_code": 500,
                "error": "HTTP 500: deadlock detected",
                "sample": "HTTP 500: deadlock detected",
                "cause": "server",
                "count": 60,
            }
        ],
        slo=slo,
        error_causes={"server": 70},
        capacity=model,
    )
    findings = [f for rule in DEFAULT_RULES for f in rule(ctx)]
    # A light load cannot saturate: that rule fires on a second, think-time-bound run.
    light = Context(
        meta={
            "status": "completed",  # and the ladder stopped at its --stop-when ceiling
            "stopped_early": {
                "expr": "p95>2s or errors>5%",
                "step": 3,
                "users": 8,
                "observed": {"requests": 412, "p95_ms": 2300.0, "error_rate": 0.01},
            },
        },
        overall=overall,
        transactions=[],
        steps=[{**step(1, 20, 120, 1.0, 90.0, True), "think_s": 19.97, "busy_share": 0.0015}],
        resources={},
        errors=[],
        slo=slo,
    )
    findings += [
        f
        for rule in DEFAULT_RULES
        for f in rule(light)
        if f.id in ("load.light", "run.stopped_early")
    ]
    capacity = {
        "peak": {"ok_rps": 31.1, "rps": 31.1, "step": 2, "users": 40},
        "max_users_within_slo": 20,
        "rps_within_slo": 30.2,
        "first_step_over_slo": {"step": 2, "users": 40},
    }
    quality = {
        "requests": count,
        "metrics": 0,
        "missing": ["no resource metrics were collected", "the run ended early (interrupted)"],
        "missing_texts": {"zh-CN": ["未采集到资源指标", "运行提前结束（已中断）"]},
        "warnings": [],
    }
    return minimal_findings(
        run={"scenario": "demo-mix", "status": "interrupted", "duration_s": 120.0},
        slo=slo.to_dict(),
        verdict=verdict(overall, capacity, findings, quality, slo),
        overall=overall,
        transactions=transactions,
        steps=steps,
        peak=capacity["peak"],
        capacity=capacity,
        resources=resources,
        findings=[f.to_dict() for f in findings],
        data_quality=quality,
    )
