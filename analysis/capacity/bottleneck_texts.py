"""The bottleneck block's sentence, in every language: what saturated, where, how sure.

>>> from erpcap.analysis.capacity.bottleneck_candidates import Candidate
>>> c = Candidate("lock:public.stock", "lock", 0.82, 0.82, 0.9, {"relations": {"public.stock": 3.1}})
>>> say(c, {"step": 3, "users": 20, "ok_rps": 41.5}, "strong", [{"fingerprint": "update stock"}])["en"]
'At step 3 (20 users, 41.5 successful req/s) 82% of the busy database sessions waited on locks, on public.stock, up from 8% at the first step; the waits involve update stock. Confidence: strong.'
"""

from __future__ import annotations

from typing import Any

from erpcap.analysis.capacity.bottleneck_candidates import Candidate
from erpcap.findings import Phrase, phrase

CONFIDENCE_ZH = {"strong": "强", "likely": "较可能", "thin": "证据不足"}


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _what(c: Candidate) -> tuple[str, str]:
    """What was at ``c.value`` of its capacity, in English and Chinese."""
    u = _pct(c.value)
    ev = c.evidence
    if c.kind == "cpu" and c.resource == "cpu:host":
        who = ", ".join(ev.get("consumers") or []) or "?"
        return (f"the host's CPU was at {u} of its cores (used by {who})",
                f"主机 CPU 达到全部核心的 {u}（主要由 {who} 使用）")  # fmt: skip
    if c.kind == "cpu" and c.resource == "cpu:db" and ev.get("cpu_percent") is not None:
        sessions = ev.get("cpu_sessions")
        on_cpu = "" if sessions is None else f"; {sessions:.1f} sessions on the CPU"
        on_cpu_zh = "" if sessions is None else f"；{sessions:.1f} 个会话在 CPU 上"
        return (f"the database's processes used {u} of the host's cores{on_cpu}",
                f"数据库进程占用了主机核心的 {u}{on_cpu_zh}")  # fmt: skip
    if c.kind == "cpu" and c.resource == "cpu:db" and ev.get("cpu_sessions") is not None:
        return (f"the database's CPU was at {u} of the host's cores "
                f"({ev['cpu_sessions']:.1f} sessions on the CPU)",
                f"数据库 CPU 达到主机核心的 {u}（{ev['cpu_sessions']:.1f} 个会话在 CPU 上）")  # fmt: skip
    if c.kind == "cpu" and ev.get("ceiling_cores"):
        role, ceiling = ev.get("role", c.resource), ev.get("ceiling_cores")
        return (f"the CPU of role '{role}' was at {u} of its {ceiling} core(s)",
                f"角色 {role} 的 CPU 达到其 {ceiling} 个核心的 {u}")  # fmt: skip
    if c.kind == "lock":
        where = ", ".join(list(ev.get("relations") or {})[:3])
        on = f", on {where}" if where else ""
        return (f"{u} of the busy database sessions waited on locks{on}",
                f"{u} 的忙碌数据库会话在等待锁{('（' + where + '）') if where else ''}")  # fmt: skip
    if c.kind == "io":
        return (f"{u} of the busy database sessions waited on disk I/O",
                f"{u} 的忙碌数据库会话在等待磁盘 I/O")  # fmt: skip
    if c.kind == "connections":
        return (f"connections were at {u} of max_connections ({ev.get('connections'):.0f} "
                f"of {ev.get('max_connections'):.0f})",
                f"连接数达到 max_connections 的 {u}")  # fmt: skip
    if c.kind == "pool":
        return (f"the database connections stayed at {ev['connections'][1]:.0f} while "
                f"{ev['users_inside']:.0f} users were inside the system",
                f"数据库连接数保持在 {ev['connections'][1]:.0f}，而系统内有 {ev['users_inside']:.0f} 个用户")  # fmt: skip
    if c.kind == "queue" and "depth" in ev:
        return (f"the queue {ev.get('metric')} grew to {ev['depth'][1]:.0f} messages",
                f"队列 {ev.get('metric')} 增长到 {ev['depth'][1]:.0f} 条消息")  # fmt: skip
    if c.kind == "generator":
        return (f"the load generator used {ev.get('per_process_percent', 0):.0f}% of a core per process",
                f"负载生成器每个进程占用一个核心的 {ev.get('per_process_percent', 0):.0f}%")  # fmt: skip
    return (f"{c.resource} was at {u} of its capacity", f"{c.resource} 达到其容量的 {u}")


def say(
    c: Candidate, step: dict[str, Any], confidence: str, statements: list[dict[str, Any]]
) -> Phrase:
    """The sentence naming ``c`` as the bottleneck at ``step``."""
    en, zh = _what(c)
    where_en = (f"At step {step['step']} ({step['users']} users, {step['ok_rps']:.1f} "
                "successful req/s)")  # fmt: skip
    where_zh = (
        f"第 {step['step']} 阶（{step['users']} 个用户，每秒 {step['ok_rps']:.1f} 个成功请求）"
    )
    growth_en = growth_zh = ""
    if c.growth is not None and c.growth > 0:
        first = c.value * (1 - c.growth)
        growth_en = f", up from {_pct(first)} at the first step"
        growth_zh = f"，第一阶时为 {_pct(first)}"
    sql_en = sql_zh = ""
    if statements:
        top = statements[0]["fingerprint"][:120]
        verb = "the waits involve" if c.kind == "lock" else "the most database time went to"
        sql_en = f"; {verb} {top}"
        sql_zh = f"；{'涉及的语句' if c.kind == 'lock' else '占用数据库时间最多的语句'}：{top}"
    return phrase(
        en=f"{where_en} {en}{growth_en}{sql_en}. Confidence: {confidence}.",
        zh_CN=f"{where_zh}{zh}{growth_zh}{sql_zh}。可信度：{CONFIDENCE_ZH[confidence]}。",
    )


def thin(step: dict[str, Any], busiest: Candidate | None, missing: list[Phrase]) -> Phrase:
    """The sentence when no resource stands out."""
    most_en = most_zh = ""
    if busiest is not None:
        most_en = f" (the busiest: {busiest.resource} at {_pct(busiest.value)})"
        most_zh = f"（最忙的是 {busiest.resource}，{_pct(busiest.value)}）"
    lack = "; ".join(m["en"] for m in missing)
    lack_zh = "；".join(m.get("zh-CN", m["en"]) for m in missing)
    return phrase(
        en=f"The evidence is thin: at step {step['step']} ({step['users']} users) no measured "
        f"resource was near its limit{most_en}." + (f" Missing: {lack}." if lack else ""),
        zh_CN=f"证据不足：第 {step['step']} 阶（{step['users']} 个用户）没有任何已测资源接近其上限"
        f"{most_zh}。" + (f"缺少：{lack_zh}。" if lack_zh else ""),
    )
