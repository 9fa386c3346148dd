"""Rules about response times: a transaction whose p95 misses its target (its own, from the
scenario's ``slo:``, else its group's), and a transaction that misses another target of its
own (p50, p90, p99 or error rate)."""

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
        target = ctx.slo.p95_target_ms(tx["name"], tx.get("group", "other"))
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
                "target_of": "transaction"
                if "p95_ms" in ctx.slo.transactions.get(tx["name"], {})
                else "group",
                "count": tx["count"],
            },
        )
    yield from missed_targets(ctx)


MISSED = FindingKind(
    id="slo.transaction_missed",
    stage="load",
    texts={
        "en": Texts(
            "{transaction}: {measure} {actual} misses its {target} target",
            "The scenario sets {transaction} a {measure} target of {target}; over the whole run "
            "its {count} requests had {actual}.",
            "Compare this transaction's SQL, locks and response size with the others; a tail "
            "(p99) that misses while the median meets its target points at queueing or at "
            "rare expensive requests.",
        ),
        "zh-CN": Texts(
            "{transaction}：{measure} 为 {actual}，未达到目标值 {target}",
            "场景为 {transaction} 设定的 {measure} 目标值为 {target}；在整个运行期间，"
            "其 {count} 次请求的实际值为 {actual}。",
            "将该事务的 SQL、锁和响应大小与其他事务比较；如果中位数达标而尾部（p99）"
            "未达标，说明存在排队或少量代价高昂的请求。",
        ),
    },
)

_MEASURES = {
    "p50_ms": {"en": "p50", "zh-CN": "p50"},
    "p90_ms": {"en": "p90", "zh-CN": "p90"},
    "p99_ms": {"en": "p99", "zh-CN": "p99"},
    "error_rate": {"en": "error rate", "zh-CN": "错误率"},
}


def missed_targets(ctx: Context) -> Iterable[Finding]:
    """A transaction's own p50/p90/p99 or error-rate target (its p95 is :func:`slow_transactions`')."""
    for tx in ctx.transactions:
        targets = ctx.slo.transactions.get(tx["name"], {})
        if tx["count"] < MIN_SAMPLES or not targets:
            continue
        for key, phrase in _MEASURES.items():
            target, actual = targets.get(key), tx.get(key)
            if target is None or actual is None or actual <= target:
                continue
            unit = "ratio" if key == "error_rate" else "ms"
            yield MISSED.make(
                "warning",
                subject=Subject("transaction", tx["name"]),
                values={
                    "transaction": Quantity(tx["name"]),
                    "actual": Quantity(actual, unit),
                    "target": Quantity(target, unit),
                    "count": Quantity(tx["count"], "count"),
                },
                phrases={"measure": phrase},
                evidence={
                    "transaction": tx["name"],
                    "group": tx.get("group"),
                    "measure": key,
                    "actual": actual,
                    "target": target,
                    "count": tx["count"],
                },  # fmt: skip
            )
