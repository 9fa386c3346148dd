"""Rules: each turns the computed statistics into findings with evidence and a fix.

A rule is a plain function ``rule(ctx: Context) -> Iterable[Finding]``. The defaults are
listed in :data:`DEFAULT_RULES`; a caller (or a plug-in) passes its own tuple to
:func:`erpcap.analysis.analyze_run` the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from erpcap.types import Finding
from erpcap.words import format_change, format_ms, format_percent, plural

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
    #: Failed requests per cause (analysis/errors.py): connection, timeout, auth, …
    error_causes: dict[str, int] = field(default_factory=dict)


Rule = Callable[[Context], Iterable[Finding]]


#: What to do about failures, by the cause most of them point to (analysis/errors.py).
ERROR_FIXES: dict[str, str] = {
    "connection": "The target stopped answering (connection refused or reset): it crashed, "
    "restarted or ran out of sockets or file handles. Check that its processes survived "
    "the load and read its log for the minute the errors began.",
    "timeout": "Requests waited longer than the client's time-out: the ERP queued them (an "
    "exhausted connection pool, too few workers, a lock held by a long transaction). Look "
    "at pool and lock waits at the same time; more time-out only hides the queue.",
    "auth": "The ERP refused the credentials (401/403): check the scenario's password "
    "(--password) and the users' rights, and whether tokens expire during the run.",
    "server": "The ERP failed internally (5xx) under load: read its log for the same minutes; "
    "the usual causes are an exhausted connection pool, statement or lock time-outs and "
    "deadlocks.",
    "client": "The ERP refused what the scenario sent (4xx): most often test data that ran "
    "out under load (stock, open orders) or an endpoint the target does not have. Read the "
    "messages; refresh the data or fix the scenario.",
    "other": "Read the top error messages; failures under load usually mean exhausted "
    "connections, lock timeouts or worker time-outs — check the ERP's logs for the same "
    "minutes.",
}


def main_cause(causes: dict[str, int]) -> str:
    """The cause behind at least 60 % of the failures, else ``other`` (a mix).

    >>> main_cause({"server": 90, "timeout": 10}), main_cause({"server": 5, "client": 5})
    ('server', 'other')
    """
    total = sum(causes.values())
    if not total:
        return "other"
    cause, count = max(causes.items(), key=lambda kv: kv[1])
    return cause if count >= 0.6 * total else "other"


def error_rate(ctx: Context) -> Iterable[Finding]:
    rate = ctx.overall.get("error_rate") or 0.0
    if rate <= ctx.slo.error_rate:
        return
    worst = sorted(ctx.transactions, key=lambda t: -t["errors"])[:3]
    samples = [e for e in ctx.errors if e["count"] > 0][:5]
    cause = main_cause(ctx.error_causes)
    yield Finding(
        id="errors.rate_high",
        severity="critical" if rate > 5 * ctx.slo.error_rate else "warning",
        title=f"{rate:.1%} of requests failed (limit {format_percent(ctx.slo.error_rate)})",
        detail="Failing most: "
        + ", ".join(f"{t['name']} ({t['errors']} of {t['count']})" for t in worst if t["errors"]),
        evidence={
            "error_rate": rate,
            "errors": ctx.overall.get("errors"),
            "cause": cause,
            "causes": dict(ctx.error_causes),
            "top_errors": samples,
        },
        fix=ERROR_FIXES[cause],
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
    """Offered load rose, throughput did not, and latency did: the knee of the curve.

    In a closed system each user cycles through a request and a think time, so with the
    response time of step A the users of step B would deliver ``X_A · N_B / N_A`` (Little's
    law: ``X = N / (R + Z)``). The rule fires only when both steps are measured, users grew
    by at least 30 %, the successful throughput of B stayed below 80 % of that expectation
    (and grew less than a quarter as fast as the users), and p95 grew by half. A run whose
    throughput simply follows its users (think-time bound) never fires it.
    """
    steps = [s for s in ctx.steps if s.get("measured") and s.get("ok_rps")]
    for prev, cur in zip(steps, steps[1:], strict=False):
        if prev["users"] <= 0 or cur["users"] <= prev["users"]:
            continue
        user_gain = cur["users"] / prev["users"] - 1
        rps_gain = cur["ok_rps"] / prev["ok_rps"] - 1
        expected = prev["ok_rps"] * cur["users"] / prev["users"]
        delivered = cur["ok_rps"] / expected
        p95_prev, p95_cur = prev.get("p95_ms") or 0.0, cur.get("p95_ms") or 0.0
        if (
            user_gain >= 0.3
            and delivered < 0.8
            and rps_gain < 0.25 * user_gain
            and p95_cur > 1.5 * p95_prev
        ):
            yield Finding(
                id="capacity.saturated",
                severity="warning",
                title=f"Throughput levels off at about {prev['ok_rps']:.1f} successful req/s "
                f"({prev['users']} users)",
                detail=f"From {prev['users']} to {cur['users']} users the offered load rose "
                f"{user_gain:.0%}, so at the same response time throughput would have reached "
                f"{expected:.1f} req/s; it {format_change(rps_gain)} to {cur['ok_rps']:.1f} "
                f"req/s ({delivered:.0%} of that) while p95 went from {format_ms(p95_prev)} to "
                f"{format_ms(p95_cur)}: extra users queue instead of getting work done.",
                evidence={
                    "from_step": prev["step"],
                    "to_step": cur["step"],
                    "users": [prev["users"], cur["users"]],
                    "rps": [prev["ok_rps"], cur["ok_rps"]],
                    "expected_rps": round(expected, 3),
                    "delivered_share": round(delivered, 4),
                    "busy_share": [prev.get("busy_share"), cur.get("busy_share")],
                    "p95_ms": [p95_prev, p95_cur],
                },
                fix="Find the saturated resource (CPU, database, connection pool, a lock) in "
                "the resource charts; that is where the upgrade must start.",
            )
            return


def light_load(ctx: Context) -> Iterable[Finding]:
    """The top step kept users thinking nearly all the time: the run measured think time.

    With ``busy_share`` (X · R / N, Little's law) under 5 % at the highest measured step,
    throughput is set by the think times, not by the ERP; no capacity was found.
    """
    measured = [s for s in ctx.steps if s.get("measured") and s.get("busy_share") is not None]
    if not measured:
        return
    top = max(measured, key=lambda s: s["users"])
    if top["busy_share"] >= 0.05 or top.get("within_slo") is False:
        return
    yield Finding(
        id="load.light",
        severity="info",
        title=f"A light load: at {top['users']} users only {top['busy_share']:.1%} of the "
        "users were waiting for the ERP at any moment",
        detail=f"Users thought {top['think_s']:.1f} s per request on average, so "
        f"{top['users']} users sent {top['rps']:.1f} req/s; throughput followed the think "
        "times, and the ERP's limit was not reached.",
        evidence={
            "step": top["step"],
            "users": top["users"],
            "rps": top["rps"],
            "busy_share": top["busy_share"],
            "think_s": top["think_s"],
        },
        fix="To find the capacity, run more users (--users) or shorter think times "
        "(--think-scale 0.1); realistic think times need many users for little throughput.",
    )


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
            title=f"{plural(len(thin), 'transaction')} had fewer than {MIN_SAMPLES} requests each",
            detail="Their percentiles rest on too few samples to judge: " + ", ".join(thin),
            evidence={"transactions": thin, "min_samples": MIN_SAMPLES},
            fix="Run longer or with more users for these transactions.",
        )


DEFAULT_RULES: tuple[Rule, ...] = (
    incomplete_run,
    error_rate,
    slow_transactions,
    saturation,
    light_load,
    host_cpu,
    generator_busy,
    thin_samples,
)
