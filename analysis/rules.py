"""Rules: each turns the computed statistics into findings with evidence and a fix.

A rule is a plain function ``rule(ctx: Context) -> Iterable[Finding]``. The defaults are
listed in :data:`DEFAULT_RULES`; a caller (or a plug-in) passes its own tuple to
:func:`erpcap.analysis.analyze_run` the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from erpcap.analysis.latency import format_ms
from erpcap.types import Finding

#: Transactions with fewer requests than this get no latency verdict of their own.
MIN_SAMPLES = 20


@dataclass(frozen=True)
class Slo:
    """Service-level objectives the analysis judges against.

    Defaults: p95 within 1 s for online work (order entry, queries), 2 s for a login, and
    20 s for period-close batch and reports (TPC-C allows its heavy Stock-Level 20 s);
    at most 1 % errors.
    """

    p95_ms: dict[str, float] = field(
        default_factory=lambda: {
            "order": 1000.0,
            "query": 1000.0,
            "auth": 2000.0,
            "close": 20000.0,
            "other": 1000.0,
        }
    )
    error_rate: float = 0.01

    def target_ms(self, group: str) -> float:
        return self.p95_ms.get(group, self.p95_ms["other"])

    def to_dict(self) -> dict[str, Any]:
        return {"p95_ms": dict(self.p95_ms), "error_rate": self.error_rate}


@dataclass(frozen=True)
class Context:
    """What the rules see: the statistics already computed for the run."""

    meta: dict[str, Any]
    overall: dict[str, Any]
    transactions: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    resources: dict[str, Any]
    errors: list[dict[str, Any]]
    slo: Slo


Rule = Callable[[Context], Iterable[Finding]]


def error_rate(ctx: Context) -> Iterable[Finding]:
    rate = ctx.overall.get("error_rate") or 0.0
    if rate <= ctx.slo.error_rate:
        return
    worst = sorted(ctx.transactions, key=lambda t: -t["errors"])[:3]
    samples = [e for e in ctx.errors if e["count"] > 0][:5]
    yield Finding(
        id="errors.rate_high",
        severity="critical" if rate > 5 * ctx.slo.error_rate else "warning",
        title=f"{rate:.1%} of requests failed (limit {ctx.slo.error_rate:.1%})",
        detail="Failing most: "
        + ", ".join(f"{t['name']} ({t['errors']} of {t['count']})" for t in worst if t["errors"]),
        evidence={
            "error_rate": rate,
            "errors": ctx.overall.get("errors"),
            "top_errors": samples,
        },
        fix="Read the top error messages; failures under load usually mean exhausted "
        "connections, lock timeouts or worker time-outs — check the ERP's logs for the "
        "same minutes.",
    )


def slow_transactions(ctx: Context) -> Iterable[Finding]:
    for tx in ctx.transactions:
        p95 = tx.get("p95_ms")
        if tx["count"] < MIN_SAMPLES or p95 is None:
            continue
        target = ctx.slo.target_ms(tx.get("group", "other"))
        if p95 <= target:
            continue
        yield Finding(
            id="latency.p95_over_target",
            severity="critical" if p95 > 3 * target else "warning",
            title=f"{tx['name']}: p95 {format_ms(p95)} exceeds the {format_ms(target)} target",
            detail=f"Over the whole run, 5 % of {tx['count']} {tx['name']} requests took "
            f"longer than {format_ms(p95)} (p99 {format_ms(tx.get('p99_ms'))}, max {format_ms(tx.get('max_ms'))}).",
            evidence={
                "transaction": tx["name"],
                "group": tx.get("group"),
                "p95_ms": p95,
                "p99_ms": tx.get("p99_ms"),
                "target_ms": target,
                "count": tx["count"],
            },
            fix="Look at this transaction's SQL and locks first (slow SQL analysis); if "
            "latency grows with users while CPU is low, it is queueing on a lock or pool.",
        )


def saturation(ctx: Context) -> Iterable[Finding]:
    """Throughput stops growing while users grow and latency rises: the knee of the curve."""
    steps = [s for s in ctx.steps if s["count"] > 0 and s.get("rps")]
    for prev, cur in zip(steps, steps[1:], strict=False):
        if prev["users"] <= 0 or cur["users"] <= prev["users"]:
            continue
        user_gain = cur["users"] / prev["users"] - 1
        rps_gain = cur["rps"] / prev["rps"] - 1
        p95_prev, p95_cur = prev.get("p95_ms") or 0.0, cur.get("p95_ms") or 0.0
        if user_gain >= 0.3 and rps_gain < 0.25 * user_gain and p95_cur > 1.5 * p95_prev:
            yield Finding(
                id="capacity.saturated",
                severity="warning",
                title=f"Throughput levels off at about {prev['rps']:.1f} req/s "
                f"({prev['users']} users)",
                detail=f"From {prev['users']} to {cur['users']} users throughput rose only "
                f"{rps_gain:+.0%} while p95 went from {format_ms(p95_prev)} to {format_ms(p95_cur)}: "
                "extra users queue instead of getting work done.",
                evidence={
                    "from_step": prev["step"],
                    "to_step": cur["step"],
                    "users": [prev["users"], cur["users"]],
                    "rps": [prev["rps"], cur["rps"]],
                    "p95_ms": [p95_prev, p95_cur],
                },
                fix="Find the saturated resource (CPU, database, connection pool, a lock) in "
                "the resource charts; that is where the upgrade must start.",
            )
            return


def host_cpu(ctx: Context) -> Iterable[Finding]:
    cpu = ctx.resources.get("host", {}).get("cpu_percent")
    if not cpu or cpu["max"] < 90:
        return
    yield Finding(
        id="resources.host_cpu_high",
        severity="warning",
        title=f"Host CPU reached {cpu['max']:.0f} % (mean {cpu['mean']:.0f} %)",
        detail="The machine ran out of CPU during the run; latency beyond this point "
        "measures CPU queueing.",
        evidence={"cpu_percent": cpu},
        fix="See which process used it (per-process CPU); when the load generator shares "
        "the host with the ERP, run it elsewhere for the capacity figures.",
    )


def generator_busy(ctx: Context) -> Iterable[Finding]:
    """Locust runs greenlets on one core per process; near 100 % it delays requests."""
    for proc in ctx.resources.get("processes", []):
        cpu = proc.get("cpu_percent")
        if proc.get("role") != "locust" or not cpu:
            continue
        workers = max(1, int(ctx.meta.get("parameters", {}).get("workers") or 1))
        per_process = cpu["mean"] / workers
        if per_process < 80:
            return
        yield Finding(
            id="generator.saturated",
            severity="warning",
            title=f"The load generator was busy ({per_process:.0f} % of a core per process)",
            detail="A saturated Locust process sends requests late; latencies and throughput "
            "then describe the generator, not the ERP.",
            evidence={"locust_cpu_percent": cpu, "workers": workers},
            fix="Run with more Locust worker processes (--workers) or on another machine.",
        )


def incomplete_run(ctx: Context) -> Iterable[Finding]:
    status = ctx.meta.get("status")
    if status in (None, "completed"):
        return
    yield Finding(
        id="run.incomplete",
        severity="warning",
        title=f"The run did not complete (status: {status})",
        detail=str(
            ctx.meta.get("exit_reason")
            or "The run ended early; figures cover the part that was recorded."
        ),
        evidence={"status": status},
        fix="Re-run to completion before drawing capacity conclusions.",
    )


def thin_samples(ctx: Context) -> Iterable[Finding]:
    thin = [t["name"] for t in ctx.transactions if 0 < t["count"] < MIN_SAMPLES]
    if thin:
        yield Finding(
            id="data.few_samples",
            severity="info",
            title=f"{len(thin)} transaction(s) had fewer than {MIN_SAMPLES} requests",
            detail="Their percentiles rest on too few samples to judge: " + ", ".join(thin),
            evidence={"transactions": thin, "min_samples": MIN_SAMPLES},
            fix="Run longer or with more users for these transactions.",
        )


DEFAULT_RULES: tuple[Rule, ...] = (
    incomplete_run,
    error_rate,
    slow_transactions,
    saturation,
    host_cpu,
    generator_busy,
    thin_samples,
)
