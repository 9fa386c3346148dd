"""Rules about failed requests: the error rate over the limit, with advice by cause."""

from __future__ import annotations

from collections.abc import Iterable

from erpcap.analysis.rules.base import Context
from erpcap.findings import Finding, FindingKind, Quantity, Texts, phrase

ERRORS = FindingKind(
    id="errors.rate_high",
    stage="load",
    texts={
        "en": Texts(
            "{rate} of requests failed (limit {limit})", "Failing most: {worst}", "{advice}"
        ),
        "zh-CN": Texts("请求失败率 {rate}（上限 {limit}）", "失败最多的事务：{worst}", "{advice}"),
    },
)

#: What to do about failures, by the cause most of them point to (analysis/errors.py).
ADVICE: dict[str, dict[str, str]] = {
    "connection": phrase(
        en="The target stopped answering (connection refused or reset): it crashed, "
        "restarted or ran out of sockets or file handles. Check that its processes survived "
        "the load and read its log for the minute the errors began.",
        zh_CN="目标系统不再应答（连接被拒绝或重置）：它崩溃、重启，或耗尽了套接字或文件句柄。"
        "请确认其进程在负载下仍然存活，并查看错误开始那一分钟的日志。",
    ),
    "timeout": phrase(
        en="Requests waited longer than the client's time-out: the ERP queued them (an "
        "exhausted connection pool, too few workers, a lock held by a long transaction). Look "
        "at pool and lock waits at the same time; more time-out only hides the queue.",
        zh_CN="请求等待超过了客户端的超时时间：ERP 让它们排队（连接池耗尽、工作进程太少、长事务"
        "持有锁）。请查看同一时段的连接池和锁等待；加大超时只会掩盖排队。",
    ),
    "auth": phrase(
        en="The ERP refused the credentials (401/403): check the scenario's password "
        "(--password) and the users' rights, and whether tokens expire during the run.",
        zh_CN="ERP 拒绝了凭据（401/403）：请检查场景使用的密码（--password）和用户权限，以及"
        "令牌是否会在运行期间过期。",
    ),
    "server": phrase(
        en="The ERP failed internally (5xx) under load: read its log for the same minutes; "
        "the usual causes are an exhausted connection pool, statement or lock time-outs and "
        "deadlocks.",
        zh_CN="ERP 在负载下内部出错（5xx）：请查看同一时段的日志；常见原因是连接池耗尽、语句或"
        "锁超时以及死锁。",
    ),
    "client": phrase(
        en="The ERP refused what the scenario sent (4xx): most often test data that ran "
        "out under load (stock, open orders) or an endpoint the target does not have. Read the "
        "messages; refresh the data or fix the scenario.",
        zh_CN="ERP 拒绝了场景发送的请求（4xx）：最常见的是测试数据在负载下耗尽（库存、未结订单），"
        "或目标系统没有该接口。请阅读错误信息，补充数据或修正场景。",
    ),
    "other": phrase(
        en="Read the top error messages; failures under load usually mean exhausted "
        "connections, lock timeouts or worker time-outs — check the ERP's logs for the same "
        "minutes.",
        zh_CN="先查看最常见的错误信息；负载下的失败通常意味着连接耗尽、锁等待超时或工作进程"
        "超时——请检查 ERP 在同一时段的日志。",
    ),
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
    worst = [t for t in sorted(ctx.transactions, key=lambda t: -t["errors"])[:3] if t["errors"]]
    cause = main_cause(ctx.error_causes)
    yield ERRORS.make(
        "critical" if rate > 5 * ctx.slo.error_rate else "warning",
        values={"rate": Quantity(rate, "ratio", 1), "limit": Quantity(ctx.slo.error_rate, "ratio")},
        phrases={
            "worst": {
                "en": ", ".join(f"{t['name']} ({t['errors']} of {t['count']})" for t in worst),
                "zh-CN": "、".join(
                    f"{t['name']}（{t['count']} 次中 {t['errors']} 次失败）" for t in worst
                )
                or "无",
            },
            "advice": ADVICE[cause],
        },
        evidence={
            "error_rate": rate,
            "errors": ctx.overall.get("errors"),
            "cause": cause,
            "causes": dict(ctx.error_causes),
            "top_errors": [e for e in ctx.errors if e["count"] > 0][:5],
        },
    )
