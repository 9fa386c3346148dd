"""Named reads worth moving: frequent, cheap, repeated ones to a cache; heavy ones to a
replica. From the slow-SQL ranking (``sql.top``, else ``statements.top``) and the
operations block (which operation runs a statement, and how often per request).

Both are proposed only when the database matters to capacity (:func:`db_pressure`): the
database side is the bottleneck, or a step missed the targets. A healthy system whose
database has time to spare gets no cache or replica advice.
"""

from __future__ import annotations

import re
from typing import Any

from erpcap.analysis.plan.gain import db_side
from erpcap.findings import Quantity, phrase

#: A read this fast or faster is cheap (ms per execution).
CHEAP_MS = 10.0
#: A read this slow or slower is heavy (ms per execution).
HEAVY_MS = 100.0
#: A read run at least this often per successful request is frequent.
FREQUENT_PER_REQUEST = 0.5
#: Runs of one statement per request of an operation from which it is repeated.
REPEATED_IN_OPERATION = 2.0
#: A statement below this share of database time is not worth naming.
MIN_STATEMENT_SHARE = 0.01
#: Together the named reads must take at least this share of database time.
MIN_TOTAL_SHARE = 0.05
#: Share of cached reads assumed served from the cache.
HIT_RATIO = 0.8
#: Statements named per recommendation.
SHOWN = 5

_READ = re.compile(r"\s*\(?\s*(select|with)\b", re.I)
_WRITES = re.compile(r"\b(insert|update|delete|merge)\b|\bfor\s+(update|share)\b", re.I)


def short(text: str, limit: int = 80) -> str:
    """A statement on one line, cut to ``limit`` characters.

    >>> short("select  a\\n from t", 20), short("x" * 30, 10)
    ('select a from t', 'xxxxxxxxx…')
    """
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def in_operations(operations: list[str]) -> dict[str, str]:
    """ " (in a, b)" in each language, or nothing without operations.

    >>> in_operations(["a", "b"])["en"], in_operations([])["zh-CN"]
    (' (in a, b)', '')
    """
    if not operations:
        return {"en": "", "zh-CN": ""}
    shown = operations[:SHOWN]
    return phrase(en=f" (in {', '.join(shown)})", zh_CN=f"（见 {'、'.join(shown)}）")


def read_only(fingerprint: str) -> bool:
    """A SELECT (or WITH) that writes nothing and locks no row.

    >>> read_only("select * from t where id = ?"), read_only("select * from t for update")
    (True, False)
    >>> read_only("with x as (update t set a = ? returning *) select * from x")
    False
    """
    return bool(_READ.match(fingerprint)) and not _WRITES.search(fingerprint)


def db_pressure(doc: dict[str, Any]) -> bool:
    """The database matters to capacity: it is the bottleneck, or a step missed the targets."""
    cap = doc.get("capacity") or {}
    b = cap.get("bottleneck") or {}
    if b.get("resource") and b.get("kind") not in ("generator", "unknown"):
        rows = {
            str(r.get("resource")): r for r in (cap.get("demands") or {}).get("resources") or []
        }
        row = rows.get(str(b["resource"]), {"resource": b["resource"], "kind": b.get("kind")})
        if db_side(row):
            return True
    return bool(cap.get("first_step_over_slo"))


def _rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    sql = doc.get("sql") or {}
    rows = sql.get("top") or (doc.get("statements") or {}).get("top") or []
    return [r for r in rows if r.get("fingerprint") and read_only(str(r["fingerprint"]))]


def _ok_requests(doc: dict[str, Any]) -> int:
    overall = doc.get("overall") or {}
    return int(overall.get("count") or 0) - int(overall.get("errors") or 0)


def _operations(doc: dict[str, Any]) -> dict[str, list[tuple[str, float | None]]]:
    """fingerprint → [(operation, runs per request)] from the operations block."""
    out: dict[str, list[tuple[str, float | None]]] = {}
    for op in ((doc.get("sql") or {}).get("operations") or {}).get("operations") or []:
        for top in op.get("top") or []:
            out.setdefault(str(top.get("fingerprint")), []).append(
                (str(op.get("operation")), top.get("calls_per_request"))
            )
    return out


def _fixed_elsewhere(doc: dict[str, Any]) -> set[str]:
    """Fingerprint ids another recommendation fixes better: an N+1 (batch it) and the
    statements a missing index helps (index it)."""
    ids = set()
    for f in doc.get("findings") or []:
        evidence = f.get("evidence") or {}
        if f.get("id") == "sql.n_plus_one":
            ids.add(str(evidence.get("fingerprint_id")))
        elif f.get("id") == "sql.index_missing":
            ids |= {str(s.get("fingerprint_id")) for s in evidence.get("statements") or []}
    return ids


def cache_reads(
    doc: dict[str, Any],
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Quantity], float]:
    """The reads to cache, the evidence, the template values and the DB share removed."""
    requests = _ok_requests(doc)
    if requests <= 0 or not db_pressure(doc):
        return [], {}, {}, 0.0
    ops = _operations(doc)
    elsewhere = _fixed_elsewhere(doc)
    picked = []
    for row in _rows(doc):
        calls, mean, share = int(row.get("calls") or 0), row.get("mean_ms"), row.get("share")
        if mean is None or share is None or mean > CHEAP_MS or share < MIN_STATEMENT_SHARE:
            continue
        if str(row.get("fingerprint_id")) in elsewhere:
            continue  # batching or an index is the fix
        per_request = calls / requests
        repeated = any(
            (n or 0) >= REPEATED_IN_OPERATION for _, n in ops.get(row["fingerprint"], [])
        )
        if per_request >= FREQUENT_PER_REQUEST or repeated:
            picked.append({**row, "per_request": per_request})
    total = sum(float(r["share"]) for r in picked)
    if not picked or total < MIN_TOTAL_SHARE:
        return [], {}, {}, 0.0
    picked.sort(key=lambda r: -float(r["share"]))
    calls = sum(int(r.get("calls") or 0) for r in picked)
    mean = sum(float(r["mean_ms"]) * int(r.get("calls") or 0) for r in picked) / max(calls, 1)
    operations = sorted({op for r in picked for op, _ in ops.get(r["fingerprint"], [])})
    values = {
        "count": Quantity(len(picked), "count"),
        "per_request": Quantity(round(sum(r["per_request"] for r in picked), 1)),
        "mean": Quantity(mean, "ms"),
        "share": Quantity(total, "ratio", 1),
        "fingerprints": Quantity([short(r["fingerprint"], 60) for r in picked[:SHOWN]], "list"),
        "operations": Quantity(in_operations(operations)),
    }
    evidence = {
        "finding_ids": [],
        "statements": [
            {k: r.get(k) for k in ("fingerprint_id", "fingerprint", "calls", "mean_ms", "share")}
            for r in picked
        ],
        "share": round(total, 4),
        "calls_per_request": round(calls / requests, 3),
        "operations": operations,
    }
    return picked, evidence, values, total * HIT_RATIO


def heavy_reads(
    doc: dict[str, Any],
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Quantity]]:
    """The heavy read-only statements a replica could take, evidence and template values."""
    if not db_pressure(doc):
        return [], {}, {}
    picked = [
        r
        for r in _rows(doc)
        if (r.get("mean_ms") or 0) >= HEAVY_MS and (r.get("share") or 0) >= MIN_TOTAL_SHARE
    ]
    if not picked:
        return [], {}, {}
    ops = _operations(doc)
    groups = {str(t.get("name")): str(t.get("group")) for t in doc.get("transactions") or []}
    operations = sorted({op for r in picked for op, _ in ops.get(r["fingerprint"], [])})
    close = [op for op in operations if groups.get(op) == "close"]
    where = {"en": "", "zh-CN": ""}
    if close:
        where = phrase(
            en=f", run by {', '.join(close)} (period close)",
            zh_CN=f"，由期末结账的 {'、'.join(close)} 执行",
        )
    elif operations:
        where = phrase(
            en=f", run by {', '.join(operations)}", zh_CN=f"，由 {'、'.join(operations)} 执行"
        )
    total = sum(float(r["share"]) for r in picked)
    calls = sum(int(r.get("calls") or 0) for r in picked)
    mean = sum(float(r["mean_ms"]) * int(r.get("calls") or 0) for r in picked) / max(calls, 1)
    values = {
        "count": Quantity(len(picked), "count"),
        "mean": Quantity(mean, "ms"),
        "share": Quantity(total, "ratio", 1),
        "fingerprints": Quantity([short(r["fingerprint"], 60) for r in picked[:SHOWN]], "list"),
        "where": Quantity(where),
    }
    evidence = {
        "finding_ids": [],
        "statements": [
            {k: r.get(k) for k in ("fingerprint_id", "fingerprint", "calls", "mean_ms", "share")}
            for r in picked
        ],
        "share": round(total, 4),
        "operations": operations,
        "close_operations": close,
    }
    return picked, evidence, values
