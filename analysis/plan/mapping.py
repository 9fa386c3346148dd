"""From the analysed document to candidate recommendations, each with its evidence.

Every mapping reads what the analysis measured — findings (``sql.index_missing``,
``sql.n_plus_one``, ``bottleneck.*``), the slow-SQL ranking (``sql.top``) and operations,
the capacity block's demands and bottleneck, the databases' connections — and never a name
of a particular ERP. A mapping that finds no evidence proposes nothing.
"""

from __future__ import annotations

from typing import Any

from erpcap.analysis.plan.gain import Relief
from erpcap.analysis.plan.limits import again, locks, pool, scale
from erpcap.analysis.plan.model import Candidate, findings_with
from erpcap.analysis.plan.reads import cache_reads, heavy_reads, short
from erpcap.findings import Quantity, phrase


def candidates(doc: dict[str, Any]) -> list[Candidate]:
    """Every recommendation the document's evidence supports."""
    out: list[Candidate] = []
    for mapping in (_indexes, _n_plus_one, _cache, locks, pool, scale, _replica, again):
        out += mapping(doc)
    return out


def _indexes(doc: dict[str, Any]) -> list[Candidate]:
    out = []
    for f in findings_with(doc, "sql.index_missing"):
        ev = f.get("evidence") or {}
        share, reduction = float(ev.get("share") or 0.0), ev.get("reduction")
        removed = share * float(reduction if reduction is not None else 0.5)
        out.append(
            Candidate(
                "index",
                {
                    "table": Quantity(ev.get("table")),
                    "columns": Quantity(list(ev.get("columns") or []), "list"),
                    "create": Quantity(ev.get("create")),
                    "statements": Quantity(len(ev.get("statements") or []), "count"),
                    "share": Quantity(share, "ratio", 1),
                    "reduction": Quantity(reduction, "ratio", 0),
                },
                {
                    "finding_ids": [f["id"]],
                    "create": ev.get("create"),
                    "share": share,
                    "reduction": reduction,
                    "statements": [s.get("fingerprint") for s in ev.get("statements") or []],
                },
                {"kind": "table", "name": str(ev.get("table"))},
                Relief(
                    db_share=removed,
                    basis=phrase(
                        en="the statements' database time falls as their plan cost does",
                        zh_CN="假定语句的数据库时间与计划成本同比例下降",
                    ),
                ),
            )
        )
    return out


def _n_plus_one(doc: dict[str, Any]) -> list[Candidate]:
    out = []
    for f in findings_with(doc, "sql.n_plus_one"):
        ev = f.get("evidence") or {}
        share = float(ev.get("share") or 0.0)
        median = max(float(ev.get("median_per_request") or 1.0), 1.0)
        out.append(
            Candidate(
                "batch_queries",
                {
                    "operation": Quantity(ev.get("operation")),
                    "statement": Quantity(short(str(ev.get("fingerprint")), 100)),
                    "max": Quantity(ev.get("max_per_request"), "count"),
                    "median": Quantity(round(median, 1)),
                    "share": Quantity(share, "ratio", 1),
                },
                {
                    "finding_ids": [f["id"]],
                    "operation": ev.get("operation"),
                    "fingerprint_id": ev.get("fingerprint_id"),
                    "median_per_request": median,
                    "share": share,
                },
                {"kind": "operation", "name": str(ev.get("operation"))},
                Relief(
                    db_share=share * (1 - 1 / median),
                    basis=phrase(
                        en=f"{median:g} executions per request become one",
                        zh_CN=f"每个请求的 {median:g} 次执行合并为一次",
                    ),
                ),
            )
        )
    return out


def _statements(reads: list[dict[str, Any]]) -> dict[str, str]:
    """The subject of a recommendation about these statements: their fingerprint ids."""
    return {"kind": "statements", "name": ", ".join(r["fingerprint_id"] or "" for r in reads)}


def _cache(doc: dict[str, Any]) -> list[Candidate]:
    reads, evidence, values, removed = cache_reads(doc)
    if not reads:
        return []
    return [
        Candidate(
            "cache",
            values,
            evidence,
            _statements(reads),
            Relief(
                db_share=removed,
                basis=phrase(
                    en="80% of these reads served from the cache",
                    zh_CN="假定 80% 的读取由缓存提供",
                ),
            ),
        )
    ]


def _replica(doc: dict[str, Any]) -> list[Candidate]:
    reads, evidence, values = heavy_reads(doc)
    if not reads:
        return []
    share = float(evidence["share"])
    return [
        Candidate(
            "read_replica",
            values,
            evidence,
            _statements(reads),
            Relief(
                db_share=share,
                basis=phrase(
                    en="these statements' time moves off the primary",
                    zh_CN="这些语句的时间从主库移走",
                ),
            ),
        )
    ]
