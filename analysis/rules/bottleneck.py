"""Rules on the bottleneck attribution (``capacity.bottleneck``, analysis/capacity/bottleneck.py).

- ``bottleneck.<kind>`` (warning): the resource that saturated first, when the attribution is
  ``strong`` or ``likely`` — its evidence, its statements and tables, and a fix in plain words.
  ``kind`` is one of cpu, lock, connections, pool, io, queue, generator.
- ``bottleneck.unknown`` (info): the run saturated but no measured resource stands out; it
  says what was missing instead of guessing.
- ``host.noisy_neighbour`` (warning): processes outside the watched roles took the CPU.

The load generator's own warning is ``generator.saturated`` (analysis/rules/resources.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from erpcap.analysis.rules.base import Context
from erpcap.findings import Finding, FindingKind, Phrase, Quantity, Subject, Texts, phrase

_TITLE_EN = "Bottleneck: {resource} at step {step} ({users} users)"
_TITLE_ZH = "瓶颈：第 {step} 阶（{users} 个用户）的 {resource}"
_DETAIL_EN = "{sentence}"
_DETAIL_ZH = "{sentence}"

#: The fix of each kind, in plain words (en, zh-CN); :func:`advice` sharpens it.
_FIXES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "cpu": (
        "Lower the CPU each request costs where it is spent (for the database: an index for the "
        "top statements, batching repeated reads, caching hot reads; for the application: "
        "profile the busiest operations), then add cores, application processes or nodes — a "
        "single Python process uses one core at most.",
        "先在消耗 CPU 的地方降低每个请求的开销（数据库：为最耗时的语句建索引、合并重复读取、缓存"
        "热点读取；应用：分析最繁忙的操作），再增加核心、应用进程或节点——单个 Python 进程最多只能"
        "用满一个核心。",
    ),
    "lock": (
        "Shorten the transactions that hold these locks: take the lock as late as possible, "
        "move slow work (reports, notifications, recomputations) after the commit or onto a "
        "queue, and spread a hot row (per-key counters, SKIP LOCKED for work queues).",
        "缩短持有这些锁的事务：尽量晚地加锁，把慢操作（报表、通知、重算）移到提交之后或放入队列，"
        "并分散热点行（按键拆分计数器，工作队列使用 SKIP LOCKED）。",
    ),
    "connections": (
        "Put a connection pooler (pgbouncer, ProxySQL) in front of the database or raise "
        "max_connections with the memory it needs; a pool in the application caps the "
        "connections each process opens.",
        "在数据库前加连接池（pgbouncer、ProxySQL），或在内存允许时调高 max_connections；"
        "应用内的连接池可限制每个进程打开的连接数。",
    ),
    "pool": (
        "Raise the connection pool's size (within max_connections), or shorten the time each "
        "request holds a connection (no slow work inside a transaction).",
        "在 max_connections 允许的范围内调大连接池，或缩短每个请求占用连接的时间（不要在事务中做慢操作）。",
    ),
    "io": (
        "Give the database more memory for its cache (shared_buffers, innodb_buffer_pool_size), "
        "add indexes that avoid large scans, and use faster storage.",
        "为数据库缓存分配更多内存（shared_buffers、innodb_buffer_pool_size），增加可避免大范围扫描的"
        "索引，并使用更快的存储。",
    ),
    "queue": (
        "Add consumers to the queue or make each message cheaper to process; watch the depth "
        "as an alert.",
        "为队列增加消费者或降低每条消息的处理开销；把队列深度设为告警指标。",
    ),
    "generator": (
        "The load generator was the limit: run more Locust processes (--workers) or generate "
        "the load from another machine, then measure again.",
        "负载生成器本身成了瓶颈：增加 Locust 进程（--workers）或在另一台机器上施压，然后重新测量。",
    ),
})  # fmt: skip


def _kind(kind: str) -> FindingKind:
    return FindingKind(
        id=f"bottleneck.{kind}",
        stage="capacity",
        texts={
            "en": Texts(_TITLE_EN, _DETAIL_EN, "{advice}"),
            "zh-CN": Texts(_TITLE_ZH, _DETAIL_ZH, "{advice}"),
        },
    )


def _names(items: Iterable[Any], limit: int = 3) -> str:
    return ", ".join(str(i) for i in list(items)[:limit])


def advice(block: Mapping[str, Any]) -> Phrase:
    """The fix for ``block``'s bottleneck, in plain words: the kind's, sharpened for the
    resource (the database's CPU, the host's, an application role's) and its tables."""
    kind, resource = str(block.get("kind")), str(block.get("resource") or "")
    evidence = block.get("evidence") or {}
    tables = _names(block.get("tables") or [])
    fix_en, fix_zh = _FIXES[kind]
    if kind == "cpu" and resource == "cpu:db":
        on = f" (on {tables})" if tables else ""
        on_zh = f"（涉及 {tables}）" if tables else ""
        return phrase(
            en=f"Make the database's top statements cheaper{on}: an index where they scan, "
            "batched reads instead of one query per row, a cache for hot reads; then give the "
            "database more cores or move reports to a read replica.",
            zh_CN=f"降低数据库中最耗时语句的开销{on_zh}：在扫描处建索引，用批量读取代替逐行查询，"
            "为热点读取加缓存；然后为数据库增加核心，或把报表移到只读副本。",
        )
    if kind == "cpu" and resource == "cpu:host":
        who = _names(evidence.get("consumers") or [])
        return phrase(
            en=f"The host's cores are shared by {who}: put the database (or the load generator) "
            "on its own machine, or give the host more cores.",
            zh_CN=f"主机的核心由 {who} 共用：把数据库（或负载生成器）放到单独的机器上，或为主机增加核心。",
        )
    if kind == "cpu":
        role = evidence.get("role", resource)
        busiest = _names(t.get("name") for t in evidence.get("transactions") or [])
        ops = f" ({busiest})" if busiest else ""
        return phrase(
            en=f"The '{role}' processes ran out of CPU: run more worker processes (about one per "
            f"core) or more nodes, and profile the busiest operations{ops}; one Python process "
            "uses one core at most.",
            zh_CN=f"{role} 进程的 CPU 已用尽：增加工作进程（约每个核心一个）或节点，并分析最繁忙的"
            f"操作{ops}；一个 Python 进程最多只能用满一个核心。",
        )
    if kind == "lock" and tables:
        return phrase(en=f"On {tables}: {fix_en}", zh_CN=f"针对 {tables}：{fix_zh}")
    return phrase(en=fix_en, zh_CN=fix_zh)


#: The finding kind per bottleneck kind.
KINDS: Mapping[str, FindingKind] = MappingProxyType({k: _kind(k) for k in _FIXES})

UNKNOWN = FindingKind(
    id="bottleneck.unknown",
    stage="capacity",
    texts={
        "en": Texts(
            "No clear bottleneck at step {step} ({users} users)",
            "{sentence}",
            "Collect what is missing (process CPU of the application and the database, the "
            "database's sessions and statement statistics) and run the ladder again.",
        ),
        "zh-CN": Texts(
            "第 {step} 阶（{users} 个用户）没有明确的瓶颈",
            "{sentence}",
            "补充缺少的数据（应用和数据库进程的 CPU、数据库会话和语句统计），然后重新运行阶梯负载。",
        ),
    },
)

NEIGHBOUR = FindingKind(
    id="host.noisy_neighbour",
    stage="resources",
    texts={
        "en": Texts(
            "Processes outside the watched roles took {cores} cores of the host",
            "{sentence} Latencies and capacity then measure a contest for the CPU, not the "
            "system alone.",
            "Stop the other work on this host during the test, or watch every process of the "
            "system ({watch} for a local database) so that its CPU is counted.",
        ),
        "zh-CN": Texts(
            "被监视角色之外的进程占用了主机 {cores} 个核心",
            "{sentence}此时的延迟和容量反映的是对 CPU 的争抢，而不仅是被测系统本身。",
            "测试期间停止这台主机上的其他工作，或监视系统的全部进程（本机数据库用 {watch}），"
            "使其 CPU 被计入。",
        ),
    },
)


def _block(ctx: Context) -> Mapping[str, Any] | None:
    found = ctx.capacity.get("bottleneck")
    return found if isinstance(found, Mapping) else None


def _values(block: Mapping[str, Any]) -> dict[str, Quantity]:
    return {
        "resource": Quantity(block.get("resource") or "?"),
        "step": Quantity(block.get("step"), "count"),
        "users": Quantity(block.get("users"), "count"),
    }


def bottleneck(ctx: Context) -> Iterable[Finding]:
    """The attributed bottleneck as a finding (see the module docstring)."""
    block = _block(ctx)
    if block is None:
        return
    texts = block.get("texts") or {}
    phrases = {"sentence": dict(texts)}
    kind = KINDS.get(str(block.get("kind")))
    evidence = {
        "resource": block.get("resource"), "kind": block.get("kind"),
        "confidence": block.get("confidence"), "step": block.get("step"),
        "users": block.get("users"), "statements": block.get("statements"),
        "tables": block.get("tables"), "evidence": block.get("evidence"),
    }  # fmt: skip
    if kind is not None and block.get("confidence") in ("strong", "likely"):
        phrases["advice"] = dict(advice(block))
        yield kind.make(
            "warning",
            subject=Subject("resource", str(block.get("resource"))),
            values=_values(block),
            phrases=phrases,
            evidence=evidence,
        )
    elif block.get("saturation"):
        yield UNKNOWN.make(
            "info", subject=Subject("step", str(block.get("step"))), values=_values(block),
            phrases=phrases, evidence=evidence,
        )  # fmt: skip


def noisy_neighbour(ctx: Context) -> Iterable[Finding]:
    """The noisy-neighbour warning of the attribution, as a finding."""
    block = _block(ctx)
    for warning in (block or {}).get("warnings") or []:
        if warning.get("id") != NEIGHBOUR.id:
            continue
        ev = warning.get("evidence") or {}
        yield NEIGHBOUR.make(
            "warning",
            subject=Subject("resource", "host cpu"),
            values={
                "cores": Quantity(f"{ev.get('unexplained_cores', 0):.2f}"),
                "watch": Quantity("--watch db=~postgres"),
            },
            phrases={"sentence": dict(warning.get("texts") or {})},
            evidence=dict(ev),
        )
