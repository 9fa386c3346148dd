"""Rules about the open model: a rate run whose schedule could not be kept.

Arrivals were dropped (no user of the pool was free to send them in time) or sent late;
the finding says whether the target stalled or the pool was too small, where the data
allows (:func:`erpcap.analysis.arrivals.schedule_cause`), so that the fix is the right one.
"""

from __future__ import annotations

from collections.abc import Iterable

from erpcap.analysis.arrivals import arrivals_block, pool_needed
from erpcap.analysis.rules.base import Context
from erpcap.findings import Finding, FindingKind, Quantity, Texts, phrase

_TITLE_EN = "The rate schedule was not kept: {dropped} of {intended} arrivals dropped ({share})"
_TITLE_ZH = "未能按到达率计划执行：{intended} 个到达中有 {dropped} 个被丢弃（{share}）"
_DETAIL_EN = (
    "Requests waited up to {queue_max} (p95 {queue_p95}) between their intended and actual "
    "start; service time p50 {service_p50}, max {service_max}; pool {pool} users at up to "
    "{rate}. Latency is measured from the intended start, so the wait is in the percentiles; "
    "dropped arrivals are in none."
)
_DETAIL_ZH = (
    "请求从计划开始到实际发出最多等待 {queue_max}（p95 {queue_p95}）；服务时间 p50 {service_p50}，"
    "最大 {service_max}；用户池 {pool} 个用户，到达率最高 {rate}。延迟从计划开始时间算起，"
    "因此等待时间已计入百分位数；被丢弃的到达不计入任何统计。"
)

SCHEDULE_MISSED = FindingKind(
    id="load.schedule_missed",
    stage="load",
    texts={
        "en": Texts(_TITLE_EN, "{why} " + _DETAIL_EN, "{fix}"),
        "zh-CN": Texts(_TITLE_ZH, "{why}" + _DETAIL_ZH, "{fix}"),
    },
)


def _why_and_fix(cause: str, slowest: Quantity, needed: int | None) -> dict[str, dict[str, str]]:
    """The cause in words, and its fix, in every language."""
    if cause == "stall":
        return {
            "why": phrase(
                en=f"The target stalled: its slowest answer took {slowest.say('en')} while the "
                "pool's users waited for it.",
                zh_CN=f"目标系统出现停顿：最慢的响应耗时 {slowest.say('zh-CN')}，"
                "用户池中的用户都在等待它。",
            ),
            "fix": phrase(
                en="Find what held the target up at that time (locks, a pause, a full "
                "connection pool: the resource and SQL sections); a real user would have "
                "waited as long.",
                zh_CN="查明当时是什么拖住了目标系统（锁、停顿或已满的连接池：见资源和 SQL 部分）；"
                "真实用户也会等待同样长的时间。",
            ),
        }
    if cause == "pool":
        users = "more" if needed is None else f"{needed} or more"
        return {
            "why": phrase(
                en=f"The pool was too small: at the p95 service time the rate keeps about "
                f"{needed} users busy.",
                zh_CN=f"用户池太小：按 p95 服务时间，该到达率需要约 {needed} 个用户同时忙碌。",
            ),
            "fix": phrase(
                en=f"Run again with --users {users}; if response times then grow with the "
                "rate, the target is at its capacity at this rate.",
                zh_CN=f"使用 --users {needed or ''} 或更多用户重新运行；如果响应时间随之增长，"
                "说明目标系统在该到达率下已达到容量上限。",
            ),
        }
    return {
        "why": phrase(
            en="Neither a stall of the target nor a small pool explains it; the load "
            "generator itself may not have kept up.",
            zh_CN="既不是目标系统停顿，也不是用户池太小；可能是负载生成器本身跟不上。",
        ),
        "fix": phrase(
            en="Check the load generator's CPU (the generator findings), or spread the load "
            "with --workers.",
            zh_CN="检查负载生成器的 CPU（见生成器相关发现），或用 --workers 分散负载。",
        ),
    }


def schedule_missed(ctx: Context) -> Iterable[Finding]:
    """A rate run that dropped more than 1 % of its arrivals, or sent them late (p95 of the
    wait above 100 ms; :func:`erpcap.analysis.arrivals.missed`): one finding, its words by
    the cause."""
    block = arrivals_block(ctx.meta, ctx.overall)
    if block is None or not block["counted"] or not block["missed"]:
        return
    share = block["dropped_share"] or 0.0
    queue = ctx.overall.get("queue") or {}
    service = ctx.overall.get("service") or {}
    cause = block["cause"]
    needed = pool_needed(block, ctx.overall)
    phrases = _why_and_fix(cause, Quantity(service.get("max_ms"), "ms"), needed)
    yield SCHEDULE_MISSED.make(
        "critical" if share > 0.1 else "warning",
        values={
            "dropped": Quantity(block["dropped"], "count"),
            "intended": Quantity(block["intended"], "count"),
            "share": Quantity(share, "ratio", 1),
            "queue_max": Quantity(queue.get("max_ms"), "ms"),
            "queue_p95": Quantity(queue.get("p95_ms"), "ms"),
            "service_p50": Quantity(service.get("p50_ms"), "ms"),
            "service_max": Quantity(service.get("max_ms"), "ms"),
            "pool": Quantity(block["pool"], "count"),
            "rate": Quantity(block["peak_rate"], "rps"),
        },
        phrases=phrases,
        evidence={
            "cause": cause,
            "intended": block["intended"],
            "sent": block["sent"],
            "dropped": block["dropped"],
            "dropped_share": share,
            "pool": block["pool"],
            "peak_rate": block["peak_rate"],
            "pool_needed": needed,
            "queue_p95_ms": queue.get("p95_ms"),
            "service_p50_ms": service.get("p50_ms"),
            "service_max_ms": service.get("max_ms"),
            "steps": [
                {"step": s["step"], "rate": s["rate"], "dropped": s["dropped"]}
                for s in block["steps"]
            ],
        },
    )
