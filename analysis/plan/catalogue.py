"""The recommendations the plan can make: generic categories, each with its phase, effort,
risk and words in English and Chinese.

A category names a kind of change (an index, a cache, a queue, more nodes), never a table or
an operation of a particular ERP; the mapping (analysis/plan/mapping.py) fills the templates
with the evidence of the run at hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from erpcap.findings import Quantity

#: Effort words and the weight the ranking divides the expected gain by.
EFFORT_WEIGHT = MappingProxyType({"low": 1.0, "medium": 2.0, "high": 4.0})


@dataclass(frozen=True)
class Kind:
    """One category of recommendation: ``texts`` maps a language to (title, detail)."""

    id: str
    phase: int
    effort: str
    risk: str
    texts: dict[str, tuple[str, str]]

    def render(self, values: dict[str, Quantity]) -> dict[str, dict[str, str]]:
        """Title and detail in every language, the values said in that language."""
        out = {}
        for lang, (title, detail) in self.texts.items():
            said = {name: _say(q, lang) for name, q in values.items()}
            out[lang] = {"title": title.format(**said), "detail": detail.format(**said)}
        return out


def _say(q: Quantity, lang: str) -> str:
    """A value in ``lang``; a phrase (a mapping language → text) picks its language."""
    if isinstance(q.value, dict):
        return str(q.value.get(lang, q.value.get("en", "")))
    return q.say(lang)


def _kind(id: str, phase: int, effort: str, risk: str, en: Any, zh: Any) -> Kind:
    return Kind(id, phase, effort, risk, {"en": en, "zh-CN": zh})


KINDS: dict[str, Kind] = {
    k.id: k
    for k in (
        _kind(
            "index", 1, "low", "low",
            ("Create the index on {table} ({columns})",
             "{create}: with it (HypoPG) the plan cost of {statements} statement(s) taking "
             "{share} of database time falls by {reduction}. Create it CONCURRENTLY on a busy "
             "table and check the plans with EXPLAIN ANALYZE."),
            ("在 {table}（{columns}）上创建索引",
             "{create}：使用该索引（HypoPG 验证）后，占数据库时间 {share} 的 {statements} "
             "条语句计划成本降低 {reduction}。繁忙的表请用 CONCURRENTLY 创建，并用 "
             "EXPLAIN ANALYZE 检查执行计划。"),
        ),
        _kind(
            "batch_queries", 1, "medium", "low",
            ("Fix the N+1 in {operation}",
             "{statement} runs up to {max} times per request of {operation} (median {median}) "
             "and takes {share} of database time. Read the rows with one statement (an IN "
             "list or a join) or let the ORM load the relation eagerly."),
            ("修复 {operation} 中的 N+1",
             "{statement} 在 {operation} 的每个请求中最多执行 {max} 次（中位数 {median}），"
             "占数据库时间的 {share}。请用一条语句（IN 列表或连接）读取这些行，"
             "或让 ORM 预先加载关联。"),
        ),
        _kind(
            "fix_locking", 1, "medium", "medium",
            ("Shorten the transactions that hold the locks ({resource})",
             "Lock waits are the limit; the statements behind them take {share} of it: "
             "{fingerprints}{operations}. Take row locks late and commit early, update "
             "rows in one order, and let workers skip locked rows (SKIP LOCKED) where order "
             "does not matter."),
            ("缩短持有锁的事务（{resource}）",
             "锁等待是瓶颈；造成等待的语句占其 {share}：{fingerprints}{operations}。"
             "尽量晚加行锁、早提交，按固定顺序更新行，顺序无关时让工作进程跳过已锁定的行"
             "（SKIP LOCKED）。"),
        ),
        _kind(
            "pool", 1, "low", "low",
            ("Put a connection pool (pgbouncer or the driver's pool) before the database",
             "Connections reached {connections} of max_connections {max} ({ratio}) at "
             "{users} users. A transaction-mode pool lets a few server connections serve many "
             "clients and stops connection churn; raise max_connections only with the memory "
             "for it."),
            ("在数据库前加连接池（pgbouncer 或驱动自带的连接池）",
             "在 {users} 个用户时，连接数达到 {connections}，max_connections 为 {max}"
             "（{ratio}）。事务模式的连接池让少量服务器连接服务大量客户端，并避免频繁建连；"
             "只有在内存允许时才提高 max_connections。"),
        ),
        _kind(
            "cache", 2, "medium", "medium",
            ("Cache {count} frequent, cheap reads",
             "These read-only statements run {per_request} times per request together, "
             "{mean} each, and take {share} of database time: {fingerprints}{operations}. "
             "Keep their results in a cache (Redis, the application's own) with an expiry "
             "or invalidation on write."),
            ("为 {count} 条频繁且廉价的读取加缓存",
             "这些只读语句合计每个请求执行 {per_request} 次，每次 {mean}，占数据库时间的 "
             "{share}：{fingerprints}{operations}。请把结果放入缓存（Redis 或应用自身的"
             "缓存），并设置过期或在写入时失效。"),
        ),
        _kind(
            "queue", 2, "high", "medium",
            ("Move side work the user need not wait for to a queue ({resource})",
             "Lock waits limit the capacity and the statements behind them take {share} of "
             "it: {fingerprints}{operations}. Work that need not finish before the answer "
             "(follow-up updates, postings, notifications) can run in a queue worker "
             "(RabbitMQ, Redis, a job table), one at a time per locked row."),
            ("把用户无需等待的附带工作移到队列（{resource}）",
             "锁等待限制了容量，造成等待的语句占其 {share}：{fingerprints}{operations}。"
             "不必在响应前完成的工作（后续更新、过账、通知）可交给队列工作进程"
             "（RabbitMQ、Redis、作业表）处理，每个被锁的行一次只处理一个。"),
        ),
        _kind(
            "app_scale_out", 2, "medium", "low",
            ("Add application workers or nodes",
             "The application's CPU ({resource}) was {utilisation} busy at {users} users and "
             "saturates first ({demand} of CPU per request). Add workers up to "
             "2 × cores + 1, then nodes behind the load balancer."),
            ("增加应用工作进程或节点",
             "应用 CPU（{resource}）在 {users} 个用户时利用率为 {utilisation}，最先饱和"
             "（每个请求消耗 {demand} CPU 时间）。先把工作进程增加到 2 × 核数 + 1，"
             "再在负载均衡后增加节点。"),
        ),
        _kind(
            "read_replica", 2, "high", "medium",
            ("Send the heavy read-only statements to a read replica",
             "{count} read-only statement(s) take {mean} each and {share} of database time: "
             "{fingerprints}{where}. A streaming replica serves them without the primary's "
             "CPU and I/O, if they tolerate a lag of seconds."),
            ("把繁重的只读语句发往只读副本",
             "{count} 条只读语句每次耗时 {mean}，占数据库时间的 {share}：{fingerprints}{where}。"
             "流复制副本可以承担它们而不占用主库的 CPU 和 I/O，前提是能容忍数秒的延迟。"),
        ),
        _kind(
            "database_scale_up", 2, "medium", "low",
            ("Give the database more {what}",
             "The database's {resource} was {utilisation} busy at {users} users and "
             "saturates first ({demand} of it per request). Make the query fixes first (they lower "
             "the demand), then scale it up."),
            ("为数据库增加{what}",
             "数据库的 {resource} 在 {users} 个用户时利用率为 {utilisation}，最先饱和"
             "（每个请求消耗 {demand}）。先完成查询修复（它们降低需求），再扩容。"),
        ),
        _kind(
            "measure_again", 3, "low", "low",
            ("Measure again: {why}",
             "The figures show the test set-up, not the system: {detail} Run the load from "
             "more workers or another host (erpcap run --workers N) and keep other work off "
             "the hosts, then size from the new run."),
            ("重新测量：{why}",
             "这些数字反映的是测试环境而非系统本身：{detail}请用更多工作进程或另一台主机施压"
             "（erpcap run --workers N），并让主机上没有其他工作，再用新的运行结果估算容量。"),
        ),
        _kind(
            "monitoring", 3, "low", "low",
            ("Alert before the measured limit",
             "{rules} alert rule(s) derived from the measured limit ({basis}) are in "
             "alerts.yml: the request rate near it, p95 above the target, the busiest "
             "resource and database connections. They are templates: adapt the metric "
             "names and instances to your exporters, then check them with promtool."),
            ("在达到实测上限前告警",
             "alerts.yml 中有 {rules} 条根据实测上限（{basis}）得出的告警规则：请求速率接近"
             "上限、p95 超过目标、最繁忙的资源以及数据库连接数。它们是模板：请按你的 exporter "
             "调整指标名和实例，再用 promtool 检查。"),
        ),
    )
}  # fmt: skip
