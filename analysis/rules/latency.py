"""Rules about response times: a transaction whose p95 misses its group's target."""

from __future__ import annotations

from collections.abc import Iterable

from erpcap.analysis.rules.base import MIN_SAMPLES, Context
from erpcap.findings import Finding, FindingKind, Quantity, Subject, Texts

SLOW = FindingKind(
    id="latency.p95_over_target",
    stage="load",
    texts={
        "en": Texts(
            "{transaction}: p95 {p95} exceeds the {target} target",
            "Over the whole run, 5 % of {count} {transaction} requests took longer than {p95} "
            "(p99 {p99}, max {max}).",
            "Look at this transaction's SQL and locks first (slow SQL analysis); if latency "
            "grows with users while CPU is low, it is queueing on a lock or pool.",
        ),
        "zh-CN": Texts(
            "{transaction}：p95 为 {p95}，超过目标值 {target}",
            "在整个运行期间，{count} 次 {transaction} 请求中有 5% 耗时超过 {p95}（p99 {p99}，"
            "最大 {max}）。",
            "先检查该事务的 SQL 和锁（慢 SQL 分析）；如果延迟随用户数增加而 CPU 占用不高，"
            "说明请求在锁或连接池上排队。",
        ),
    },
)


def slow_transactions(ctx: Context) -> Iterable[Finding]:
    for tx in ctx.transactions:
        p95 = tx.get("p95_ms")
        if tx["count"] < MIN_SAMPLES or p95 is None:
            continue
        target = ctx.slo.target_ms(tx.get("group", "other"))
        if p95 <= target:
            continue
        yield SLOW.make(
            "critical" if p95 > 3 * target else "warning",
            subject=Subject("transaction", tx["name"]),
            values={
                "transaction": Quantity(tx["name"]),
                "p95": Quantity(p95, "ms"),
                "p99": Quantity(tx.get("p99_ms"), "ms"),
                "max": Quantity(tx.get("max_ms"), "ms"),
                "target": Quantity(target, "ms"),
                "count": Quantity(tx["count"], "count"),
            },
            evidence={
                "transaction": tx["name"],
                "group": tx.get("group"),
                "p95_ms": p95,
                "p99_ms": tx.get("p99_ms"),
                "target_ms": target,
                "count": tx["count"],
            },
        )
