"""From the analysed document to candidate recommendations, each with its evidence.

Every mapping reads what the analysis measured — findings (``sql.index_missing``,
``sql.n_plus_one``, ``bottleneck.*``), the slow-SQL ranking (``sql.top``) and operations,
the capacity block's demands and bottleneck, the databases' connections — and never a name
of a particular ERP. A mapping that finds no evidence proposes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from erpcap.analysis.plan.gain import Relief, app_side, db_side
from erpcap.analysis.plan.reads import cache_reads, heavy_reads, in_operations, short
from erpcap.findings import Quantity, phrase

#: Connections at or above this share of max_connections call for a pool.
CONNECTIONS_NEAR = 0.8
#: A resource this busy at the bottleneck's step is saturating (the sizing ceiling).
BUSY = 0.7
#: Shortening the lock-holding transactions is assumed to halve their lock time.
LOCK_FIX_SHARE = 0.5

_WRITE = re.compile(r"\s*(insert|update|delete|merge|select\b.*\bfor\s+update)", re.I | re.S)


@dataclass
class Candidate:
    """A recommendation before ranking: its category, template values and evidence."""

    id: str
    values: dict[str, Quantity]
    evidence: dict[str, Any]
    subject: dict[str, str]
    relief: Relief = field(default_factory=Relief)


def candidates(doc: dict[str, Any]) -> list[Candidate]:
    """Every recommendation the document's evidence supports."""
    out: list[Candidate] = []
    for mapping in (_indexes, _n_plus_one, _cache, _locks, _pool, _scale, _replica, _again):
        out += mapping(doc)
    return out


def _findings(doc: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [f for f in doc.get("findings") or [] if str(f.get("id", "")).startswith(prefix)]


def _bottleneck(doc: dict[str, Any]) -> dict[str, Any]:
    return ((doc.get("capacity") or {}).get("bottleneck")) or {}


def _bottleneck_ids(doc: dict[str, Any], kinds: tuple[str, ...]) -> list[str]:
    """Ids of the ``bottleneck.*`` findings about one of ``kinds``."""
    ids = []
    for f in _findings(doc, "bottleneck."):
        kind = str((f.get("evidence") or {}).get("kind") or f.get("id", ""))
        if any(k in kind for k in kinds):
            ids.append(str(f["id"]))
    return sorted(set(ids))


def _indexes(doc: dict[str, Any]) -> list[Candidate]:
    out = []
    for f in _findings(doc, "sql.index_missing"):
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
    for f in _findings(doc, "sql.n_plus_one"):
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


def _cache(doc: dict[str, Any]) -> list[Candidate]:
    reads, evidence, values, removed = cache_reads(doc)
    if not reads:
        return []
    return [
        Candidate(
            "cache",
            values,
            evidence,
            {"kind": "statements", "name": ", ".join(r["fingerprint_id"] or "" for r in reads)},
            Relief(
                db_share=removed,
                basis=phrase(
                    en="80% of these reads served from the cache",
                    zh_CN="假定 80% 的读取由缓存提供",
                ),
            ),
        )
    ]


def _locks(doc: dict[str, Any]) -> list[Candidate]:
    """Lock waits as the bottleneck: shorter transactions, and side work moved to a queue."""
    b = _bottleneck(doc)
    if b.get("kind") != "lock":
        return []
    statements = b.get("statements") or []
    writes = [s for s in statements if _WRITE.match(str(s.get("fingerprint") or ""))] or statements
    share = min(sum(float(s.get("share") or 0.0) for s in writes), 1.0)
    ids = _bottleneck_ids(doc, ("lock",))
    ops = sorted({str(s["operation"]) for s in writes if s.get("operation")})
    values = {
        "resource": Quantity(b.get("resource")),
        "share": Quantity(share, "ratio", 0),
        "fingerprints": Quantity(
            [short(str(s.get("fingerprint")), 60) for s in writes[:3]], "list"
        ),
        "operations": Quantity(in_operations(ops)),
    }
    evidence = {
        "finding_ids": ids,
        "bottleneck": b.get("resource"),
        "confidence": b.get("confidence"),
        "statements": [s.get("fingerprint_id") for s in writes],
        "share": share,
    }
    subject = {"kind": "resource", "name": str(b.get("resource"))}
    resource = str(b.get("resource"))
    return [
        Candidate(
            "fix_locking",
            values,
            evidence,
            subject,
            Relief(
                resource_share=(resource, share * LOCK_FIX_SHARE),
                basis=phrase(
                    en="shorter transactions halve the lock time of these statements",
                    zh_CN="假定缩短事务使这些语句的持锁时间减半",
                ),
            ),
        ),
        Candidate(
            "queue",
            values,
            evidence,
            subject,
            Relief(
                resource_share=(resource, share),
                basis=phrase(
                    en="these statements no longer wait for locks on the user's path",
                    zh_CN="这些语句不再在用户请求路径上等待锁",
                ),
            ),
        ),
    ]


def _pool(doc: dict[str, Any]) -> list[Candidate]:
    near = None
    for step in doc.get("steps") or []:
        for db in (step.get("resources") or {}).get("databases") or []:
            used, limit = db.get("connections_max"), db.get("max_connections")
            ratio = used / limit if used and limit else 0.0
            if ratio >= CONNECTIONS_NEAR and (near is None or ratio > near[0]):
                near = (ratio, used, limit, step.get("users"), db)
    b = _bottleneck(doc)
    by_kind = b.get("kind") in ("connections", "pool")
    if near is None and not by_kind:
        return []
    rows = ((doc.get("capacity") or {}).get("demands") or {}).get("resources") or []
    lifted = tuple(str(r["resource"]) for r in rows if r.get("kind") in ("connections", "pool"))
    ratio, used, limit, users, db = near or (None, None, None, None, {})
    return [
        Candidate(
            "pool",
            {
                "connections": Quantity(used, "count") if used else Quantity("n/a"),
                "max": Quantity(limit, "count") if limit else Quantity("n/a"),
                "ratio": Quantity(ratio, "ratio", 0),
                "users": Quantity(users, "count") if users else Quantity("n/a"),
            },
            {
                "finding_ids": _bottleneck_ids(doc, ("connection", "pool")),
                "connections_max": used,
                "max_connections": limit,
                "database": db.get("instance"),
                "bottleneck": b.get("resource") if by_kind else None,
            },
            {"kind": "resource", "name": str(b.get("resource") or db.get("instance") or "")},
            Relief(
                lift=lifted,
                basis=phrase(
                    en="the connection limit no longer caps; the next resource does",
                    zh_CN="连接数上限不再是瓶颈，由下一个资源限制",
                ),
            ),
        )
    ]


def _saturated(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The demands row of the saturating resource: the bottleneck block's, else the
    demands' own bottleneck when it was at least :data:`BUSY` utilised."""
    demands = (doc.get("capacity") or {}).get("demands") or {}
    rows: dict[str, dict[str, Any]] = {
        str(r.get("resource")): r for r in demands.get("resources") or []
    }
    b = _bottleneck(doc)
    if b.get("kind") in ("cpu", "io") and str(b.get("resource")) in rows:
        return rows[str(b["resource"])]
    if b:
        return None  # attributed elsewhere (locks, pool, the generator)
    row = rows.get(str(demands.get("bottleneck")))
    if row and (row.get("utilisation") or 0) >= BUSY and row.get("kind") in ("cpu", "io"):
        return row
    return None


def _scale(doc: dict[str, Any]) -> list[Candidate]:
    row = _saturated(doc)
    if row is None:
        return []
    demands = (doc.get("capacity") or {}).get("demands") or {}
    users = next(
        (s.get("users") for s in doc.get("steps") or [] if s.get("step") == demands.get("step")),
        None,
    )
    values = {
        "resource": Quantity(row.get("resource")),
        "utilisation": Quantity(row.get("utilisation"), "ratio", 0),
        "users": Quantity(users, "count") if users else Quantity("n/a"),
        "demand": Quantity(float(row.get("demand_s") or 0) * 1000, "ms"),
    }
    evidence = {
        "finding_ids": _bottleneck_ids(doc, (str(row.get("kind")),))
        + [f["id"] for f in _findings(doc, "resources.host_cpu_high")],
        "resource": row.get("resource"),
        "utilisation": row.get("utilisation"),
        "demand_s": row.get("demand_s"),
        "step": demands.get("step"),
    }
    subject = {"kind": "resource", "name": str(row.get("resource"))}
    if db_side(row):
        io = row.get("kind") == "io"
        values["what"] = Quantity(
            phrase(en="I/O (faster storage, more memory)", zh_CN="I/O（更快的存储、更多内存）")
            if io
            else phrase(en="CPU cores", zh_CN="CPU 核")
        )
        return [
            Candidate(
                "database_scale_up",
                values,
                evidence,
                subject,
                Relief(
                    scale=("db", (str(row.get("kind")),), 2.0),
                    basis=phrase(en="twice today's database units", zh_CN="数据库资源加倍"),
                ),
            )
        ]
    if app_side(row):
        return [
            Candidate(
                "app_scale_out",
                values,
                evidence,
                subject,
                Relief(
                    scale=("app", ("cpu",), 2.0),
                    basis=phrase(en="one more node like today's", zh_CN="再加一个同规格节点"),
                ),
            )
        ]
    return []


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
            {"kind": "statements", "name": ", ".join(r["fingerprint_id"] or "" for r in reads)},
            Relief(
                db_share=share,
                basis=phrase(
                    en="these statements' time moves off the primary",
                    zh_CN="这些语句的时间从主库移走",
                ),
            ),
        )
    ]


def _again(doc: dict[str, Any]) -> list[Candidate]:
    """The load generator (or a noisy neighbour) was the limit: the figures need a new run."""
    b = _bottleneck(doc)
    generator = _findings(doc, "generator.saturated")
    if b.get("kind") != "generator" and not generator:
        return []
    why = phrase(en="the load generator was the limit", zh_CN="压测机本身成为瓶颈")
    said: dict[str, str] = {}
    if b.get("kind") == "generator":
        said = dict(b.get("texts") or {})
    elif generator:
        said = {k: v.get("title", "") for k, v in (generator[0].get("texts") or {}).items()}
    detail = {
        "en": said.get("en", "").rstrip(". ") + ". " if said.get("en") else "",
        "zh-CN": said.get("zh-CN", "").rstrip("。") + "。" if said.get("zh-CN") else "",
    }
    return [
        Candidate(
            "measure_again",
            {"why": Quantity(why), "detail": Quantity(detail)},
            {"finding_ids": [f["id"] for f in generator] + _bottleneck_ids(doc, ("generator",))},
            {"kind": "run", "name": str(doc.get("run_id") or "")},
        )
    ]
