"""The plan's three phases, in English and Chinese: quick wins, architecture, then a pilot
and a staged roll-out measured with ``erpcap compare``."""

from __future__ import annotations

from typing import Any

from erpcap.findings import phrase

_PHASES = {
    1: (
        phrase(en="Quick wins", zh_CN="速赢"),
        phrase(
            en="Indexes, query fixes and a connection pool: small changes, low risk, each "
            "checked on a copy of the database before production.",
            zh_CN="索引、查询修复和连接池：改动小、风险低，上线前先在数据库副本上验证。",
        ),
    ),
    2: (
        phrase(en="Architecture", zh_CN="架构调整"),
        phrase(
            en="Caching, queues, more application nodes, a read replica or a bigger "
            "database: larger changes, planned after the quick wins have lowered the demands.",
            zh_CN="缓存、队列、更多应用节点、只读副本或更大的数据库：改动较大，"
            "在速赢项降低资源需求之后再规划。",
        ),
    ),
    3: (
        phrase(en="Pilot and staged roll-out", zh_CN="试点与分阶段上线"),
        phrase(
            en="Before each change, keep this run as the baseline; after it, run the same "
            "ladder and compare (erpcap compare BASELINE_RUN NEW_RUN): throughput at the "
            "targets, p95 per transaction, the bottleneck's utilisation and the database "
            "time per request. Roll out to a pilot group first, watch the alert rules, then "
            "widen it step by step.",
            zh_CN="每次改动前保留本次运行作为基线；改动后用同样的阶梯负载再测并对比"
            "（erpcap compare 基线运行 新运行）：目标内吞吐量、各交易的 p95、瓶颈资源的"
            "利用率以及每个请求的数据库时间。先在试点用户组上线，关注告警规则，再逐步扩大。",
        ),
    ),
}


def phases(recommendations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each phase with its words and the ids of its recommendations, in rank order."""
    out = []
    for number, (title, detail) in _PHASES.items():
        out.append(
            {
                "phase": number,
                "texts": {lang: {"title": title[lang], "detail": detail[lang]} for lang in title},
                "recommendations": [r["id"] for r in recommendations if r["phase"] == number],
            }
        )
    return out
