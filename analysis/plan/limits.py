"""Recommendations from the limits the run reached: lock waits (shorter transactions, a
queue), connections near ``max_connections`` (a pool), a saturated CPU or disk (more
application nodes, a bigger database), and the load generator as the limit (measure again).
"""

from __future__ import annotations

import re
from typing import Any

from erpcap.analysis.plan.gain import Relief, app_side, db_side
from erpcap.analysis.plan.model import Candidate, bottleneck_ids, bottleneck_of, findings_with
from erpcap.analysis.plan.reads import in_operations, short
from erpcap.findings import Quantity, phrase

#: Connections at or above this share of max_connections call for a pool.
CONNECTIONS_NEAR = 0.8
#: A resource this busy at the demands' step is saturating (the sizing ceiling).
BUSY = 0.7
#: Shortening the lock-holding transactions is assumed to halve their lock time.
LOCK_FIX_SHARE = 0.5

_WRITE = re.compile(r"\s*(insert|update|delete|merge|select\b.*\bfor\s+update)", re.I | re.S)


def locks(doc: dict[str, Any]) -> list[Candidate]:
    """Lock waits as the bottleneck: shorter transactions, and side work moved to a queue."""
    b = bottleneck_of(doc)
    if b.get("kind") != "lock":
        return []
    statements = b.get("statements") or []
    writes = [s for s in statements if _WRITE.match(str(s.get("fingerprint") or ""))] or statements
    share = min(sum(float(s.get("share") or 0.0) for s in writes), 1.0)
    ids = bottleneck_ids(doc, ("lock",))
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


def pool(doc: dict[str, Any]) -> list[Candidate]:
    near = None
    for step in doc.get("steps") or []:
        for db in (step.get("resources") or {}).get("databases") or []:
            used, limit = db.get("connections_max"), db.get("max_connections")
            ratio = used / limit if used and limit else 0.0
            if ratio >= CONNECTIONS_NEAR and (near is None or ratio > near[0]):
                near = (ratio, used, limit, step.get("users"), db)
    b = bottleneck_of(doc)
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
                "finding_ids": bottleneck_ids(doc, ("connection", "pool")),
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
    b = bottleneck_of(doc)
    if b.get("kind") in ("cpu", "io") and str(b.get("resource")) in rows:
        return rows[str(b["resource"])]
    if b:
        return None  # attributed elsewhere (locks, pool, the generator)
    row = rows.get(str(demands.get("bottleneck")))
    if row and (row.get("utilisation") or 0) >= BUSY and row.get("kind") in ("cpu", "io"):
        return row
    return None


def scale(doc: dict[str, Any]) -> list[Candidate]:
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
        "finding_ids": bottleneck_ids(doc, (str(row.get("kind")),))
        + [f["id"] for f in findings_with(doc, "resources.host_cpu_high")],
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


def again(doc: dict[str, Any]) -> list[Candidate]:
    """The load generator (or a noisy neighbour) was the limit: the figures need a new run."""
    b = bottleneck_of(doc)
    generator = findings_with(doc, "generator.saturated")
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
            {"finding_ids": [f["id"] for f in generator] + bottleneck_ids(doc, ("generator",))},
            {"kind": "run", "name": str(doc.get("run_id") or "")},
        )
    ]
