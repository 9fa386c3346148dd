"""Statements per business operation, and N+1: one statement repeated per row of a request.

Reads the single executions (``SqlContext.statements``: a server log, or the application's
own record) and ties each to the operation and request that issued it:

- **by tags** (exact): a sqlcommenter-style comment in the statement's text,
  ``/*op='create_sales_order',rid='5f0c…'*/`` (erpcap.sqltext.tags). The operation is the
  first of the keys ``op``, ``operation``, ``route``, ``action``, ``controller``; the request
  the first of ``rid``, ``request_id`` and ``traceparent`` (its trace id). When some
  statements carry a request, the untagged ones (background work, other applications) are
  counted under ``(untagged)`` and not searched for N+1.
- **by sessions** (inferred, when no statement names its request): statements of one
  database session (``session``: a backend pid, a thread id) form one unit of work from a
  ``BEGIN`` to its ``COMMIT``/``ROLLBACK``, or, outside explicit transactions, while each
  statement starts less than :data:`GAP_MS` after the previous one ended. Exact when the
  application opens a connection or a transaction per request; with a busy connection pool,
  back-to-back requests merge into one unit (counts too high, operations mixed) and a request
  with several transactions splits (counts too low). The block says which basis it used.

**N+1** (Chen et al., ICSE 2014): a read (``SELECT``/``WITH``) fingerprint ``f`` of
operation ``o`` is reported when

1. in some request of ``o`` it runs at least :data:`MIN_REPEATS` times, and
2. its count follows the data, not the code: the number of executions per request differs
   between requests of ``o`` (it grows with the rows a request handles), or, within one
   request, the repeats carry different values (a loop over a previous result). A statement
   run the same fixed number of times with the same text is a fixed sequence, not N+1.

The finding names the operation, the statement, its executions per request (median and
max over the requests that ran it) and the database time they took.

>>> import pandas as pd
>>> from datetime import datetime, timedelta, UTC
>>> t0 = datetime(2026, 12, 1, tzinfo=UTC)
>>> def row(n, sql):
...     return {"ts": t0 + timedelta(milliseconds=n), "duration_ms": 1.0, "statement": sql,
...             "fingerprint": fingerprint(sql), "session": "1"}
>>> rows, n = [], 0
>>> for rid, lines in (("a", 6), ("b", 9)):
...     rows.append(row(n := n + 1, f"SELECT id FROM line WHERE o = 1 /*op='get',rid='{rid}'*/"))
...     rows += [row(n := n + 1, f"SELECT name FROM item WHERE id = {k} /*op='get',rid='{rid}'*/")
...              for k in range(lines)]
>>> from erpcap.analysis.sql.context import SqlContext
>>> block = analyze(SqlContext(pd.DataFrame(rows), pd.DataFrame(), pd.DataFrame()))
>>> [(f.id, f.evidence["operation"], f.evidence["max_per_request"]) for f in block.findings]
[('sql.n_plus_one', 'get', 9)]
>>> block.data["operations"][0]["statements_per_request_max"]
10
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from erpcap.analysis.sql.context import SqlBlock, SqlContext
from erpcap.findings import Finding, FindingKind, Quantity, Subject, Texts
from erpcap.sqltext import REQUEST_KEYS, fingerprint, fingerprint_id, operation, tags

#: Executions of one statement in one request from which a repeat can be N+1.
MIN_REPEATS = 5
#: A statement ending more than this before the next starts ends an inferred unit of work.
GAP_MS = 50.0
#: Statement time of all statements from which an N+1 is critical, 0..1.
CRITICAL_SHARE = 0.10
#: Fingerprints listed per operation.
TOP_PER_OPERATION = 5
#: Characters of a statement shown in a finding's title.
SHOWN_CHARS = 120

UNTAGGED = "(untagged)"

_READ = re.compile(r"\s*\(?\s*(select|with)\b")
_BEGIN = re.compile(r"\s*(begin|start transaction)\b")
_END = re.compile(r"\s*(commit|rollback|end)\b")

N_PLUS_ONE = FindingKind(
    id="sql.n_plus_one",
    stage="sql",
    texts={
        "en": Texts(
            "N+1 in {operation}: one statement runs up to {max} times per request",
            "{statement} runs {median} times per request in the median and up to {max} "
            "({requests} requests of {operation}, {calls} executions); it took {time} of "
            "database time, {share} of all statement time and {op_share} of the operation's. "
            "{why}",
            "Read the rows with one statement instead of one per row: collect the keys of the "
            "first result and fetch them together with one IN (...) list or a join, or let the "
            "ORM load the relation eagerly (selectinload/joinedload, prefetch_related/"
            "select_related, includes).",
        ),
        "zh-CN": Texts(
            "{operation} 存在 N+1：同一条语句每个请求最多执行 {max} 次",
            "{statement} 每个请求的执行次数中位数为 {median}，最多 {max}（{operation} 的 "
            "{requests} 个请求，共执行 {calls} 次）；耗用数据库时间 {time}，占全部语句时间的 "
            "{share}，占该操作的 {op_share}。{why}",
            "用一条语句读取这些行，而不是每行一条：先收集第一个结果的键，再用一个 IN (...) 列表"
            "或连接一次取回，或让 ORM 预先加载关联（selectinload/joinedload、prefetch_related/"
            "select_related、includes）。",
        ),
    },
)

_WHY = {
    "counts": {
        "en": "The count differs between requests ({low} to {high}): it follows the rows.",
        "zh-CN": "不同请求的执行次数不同（{low} 到 {high}）：它随数据行数增长。",
    },
    "values": {
        "en": "Within one request the repeats carry different values: a loop over a result.",
        "zh-CN": "同一请求内的重复执行带有不同的值：这是对一个结果逐行循环查询。",
    },
}
_BASIS = {
    "tags": {"en": "", "zh-CN": ""},
    "sessions": {
        "en": " (requests inferred from database sessions and transactions: no request tags)",
        "zh-CN": "（无请求标签：请求由数据库会话和事务推断）",
    },
}


def analyze(ctx: SqlContext) -> SqlBlock | None:
    """Statements and time per operation, and the N+1 findings (see the module's doc)."""
    frame = ctx.statements
    if frame is None or frame.empty or not {"statement", "duration_ms"} <= set(frame.columns):
        return None
    work, basis = _assign(frame)
    block = SqlBlock(id="operations")
    if basis is None:
        block.notes.append(
            "No statement carries an operation or request tag (/*op='…',rid='…'*/) and the "
            "source names no session, so statements cannot be tied to operations or requests; "
            "tag the application's SQL (sqlcommenter) or log the session (%p in log_line_prefix)."
        )
        return block
    total_ms = float(work["duration_ms"].sum())
    untagged = int((work["op"] == UNTAGGED).sum())
    if basis == "sessions":
        block.notes.append(
            "No statement names its request: requests were inferred from database sessions "
            f"(a transaction, or statements less than {GAP_MS:g} ms apart), exact with a "
            "connection or transaction per request, approximate behind a busy pool."
        )
    elif untagged:
        block.notes.append(
            f"{untagged} statements carry no request tag (background work, other "
            "applications); they are counted under (untagged) and not searched for N+1."
        )
    block.data = {
        "basis": basis,
        "total_ms": round(total_ms, 3),
        "untagged_statements": untagged,
        "operations": _operations(work, total_ms),
        "n_plus_one": [],
    }
    found = _n_plus_one(work)
    op_time = work.groupby("op")["duration_ms"].sum()
    for item in found:
        item["share"] = item["total_ms"] / total_ms if total_ms > 0 else 0.0
        spent = float(op_time.get(item["operation"], 0.0))
        item["op_share"] = item["total_ms"] / spent if spent > 0 else 0.0
        block.findings.append(_finding(item, basis))
    block.data = {**block.data, "n_plus_one": [_plain(i) for i in found]}
    return block


# -- requests --------------------------------------------------------------------------


def _assign(frame: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """The statements with ``op`` and ``unit`` (request) columns, and the basis used."""
    work = frame.copy()
    parsed = [tags(s) if "/*" in s else {} for s in work["statement"].astype(str)]
    work["op"] = [operation(t) for t in parsed]
    work["unit"] = [_request(t) for t in parsed]
    if "fingerprint" not in work.columns:
        work["fingerprint"] = [fingerprint(str(s)) for s in work["statement"]]
    if work["unit"].notna().any():
        work["op"] = work["op"].fillna(UNTAGGED)
        return work, "tags"
    if not {"session", "ts"} <= set(work.columns) or work["session"].isna().all():
        return work, None
    work = work[work["session"].notna()].copy()
    work["op"] = work["op"].fillna(UNTAGGED)
    work["unit"] = _session_units(work)
    return work, "sessions"


def _first(found: Mapping[str, str], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if found.get(key):
            return found[key]
    return None


def _request(found: Mapping[str, str]) -> str | None:
    """The request a statement's tags name (a traceparent's trace id: ``00-TRACE-SPAN-01``).

    >>> _request({"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    '4bf92f3577b34da6a3ce929d0e0e4736'
    """
    value = _first(found, REQUEST_KEYS)
    if value and "rid" not in found and "request_id" not in found:
        parts = value.split("-")
        return parts[1] if len(parts) == 4 else value
    return value


def _session_units(work: pd.DataFrame) -> pd.Series:
    """A unit-of-work id per statement, inferred per session (see the module's doc)."""
    ordered = work.assign(_end=work["ts"], _start=work["ts"] - pd.to_timedelta(
        work["duration_ms"], unit="ms"))  # fmt: skip
    ordered = ordered.sort_values(["session", "_end"], kind="stable")
    units: dict[Any, str] = {}
    counter = 0
    session_before: Any = None
    end_before: Any = None
    in_txn = False
    for index, session, start, end, fp in zip(
        ordered.index, ordered["session"], ordered["_start"], ordered["_end"],
        ordered["fingerprint"], strict=True,
    ):  # fmt: skip
        text = str(fp)
        begins = bool(_BEGIN.match(text))
        new = session != session_before or begins
        if not new and not in_txn and end_before is not None:
            new = (start - end_before).total_seconds() * 1000 > GAP_MS
        if new:
            counter += 1
        units[index] = f"{session}#{counter}"
        in_txn = (in_txn or begins) and not _END.match(text)
        session_before, end_before = session, end
    return pd.Series(units).reindex(work.index)


# -- operations ------------------------------------------------------------------------


def _operations(work: pd.DataFrame, total_ms: float) -> list[dict[str, Any]]:
    """Per operation: requests, statements, DB time and share, statements per request, and
    its top fingerprints by time."""
    out: list[dict[str, Any]] = []
    for op, part in work.groupby("op", sort=False):
        spent = float(part["duration_ms"].sum())
        per_request = part.groupby("unit").size() if part["unit"].notna().any() else None
        top = (
            part.groupby("fingerprint")
            .agg(calls=("duration_ms", "size"), total_ms=("duration_ms", "sum"))
            .sort_values("total_ms", ascending=False)
            .head(TOP_PER_OPERATION)
        )
        requests = int(part["unit"].nunique()) if per_request is not None else 0
        out.append(
            {
                "operation": str(op),
                "requests": requests,
                "statements": len(part),
                "total_ms": round(spent, 3),
                "share": round(spent / total_ms, 4) if total_ms > 0 else None,
                "statements_per_request_median": (
                    float(per_request.median()) if per_request is not None else None
                ),
                "statements_per_request_max": (
                    int(per_request.max()) if per_request is not None else None
                ),
                "ms_per_request": round(spent / requests, 3) if requests else None,
                "top": [
                    {
                        "fingerprint": str(fp),
                        "fingerprint_id": fingerprint_id(str(fp)),
                        "calls": int(row["calls"]),
                        "calls_per_request": round(row["calls"] / requests, 2)
                        if requests
                        else None,
                        "total_ms": round(float(row["total_ms"]), 3),
                    }
                    for fp, row in top.iterrows()
                ],
            }
        )
    out.sort(key=lambda o: o["total_ms"], reverse=True)
    return out


# -- N+1 -------------------------------------------------------------------------------


def _n_plus_one(work: pd.DataFrame) -> list[dict[str, Any]]:
    reads = work[work["unit"].notna() & work["fingerprint"].astype(str).str.match(_READ)]
    if reads.empty:
        return []
    per_unit = reads.groupby(["op", "fingerprint", "unit"], sort=False).agg(
        calls=("duration_ms", "size"),
        texts=("statement", "nunique"),
        total_ms=("duration_ms", "sum"),
    )
    found: list[dict[str, Any]] = []
    for (op, fp), units in per_unit.groupby(level=[0, 1], sort=False):
        calls = units["calls"]
        if int(calls.max()) < MIN_REPEATS:
            continue
        low, high = int(calls.min()), int(calls.max())
        repeated = units[units["calls"] > 1]
        if low != high:
            why = "counts"
        elif len(repeated) and bool((repeated["texts"] > 1).any()):
            why = "values"
        else:
            continue
        sample = reads.loc[(reads["op"] == op) & (reads["fingerprint"] == fp), "statement"]
        found.append(
            {
                "operation": str(op),
                "fingerprint": str(fp),
                "fingerprint_id": fingerprint_id(str(fp)),
                "sample": str(sample.iloc[0]),
                "requests": len(units),
                "calls": int(calls.sum()),
                "median_per_request": float(calls.median()),
                "max_per_request": high,
                "min_per_request": low,
                "total_ms": float(units["total_ms"].sum()),
                "why": why,
            }
        )
    found.sort(key=lambda f: f["total_ms"], reverse=True)
    return found


def _finding(item: Mapping[str, Any], basis: str) -> Finding:
    statement = item["fingerprint"]
    if len(statement) > SHOWN_CHARS:
        statement = statement[: SHOWN_CHARS - 1] + "…"
    low, high = item["min_per_request"], item["max_per_request"]
    why = {
        lang: text.format(low=low, high=high) + _BASIS[basis][lang]
        for lang, text in _WHY[item["why"]].items()
    }
    severity = "critical" if item["share"] >= CRITICAL_SHARE else "warning"
    return N_PLUS_ONE.make(
        severity,
        values={
            "operation": Quantity(item["operation"]),
            "statement": Quantity(statement),
            "median": Quantity(round(item["median_per_request"], 1)),
            "max": Quantity(high, "count"),
            "requests": Quantity(item["requests"], "count"),
            "calls": Quantity(item["calls"], "count"),
            "time": Quantity(item["total_ms"], "ms"),
            "share": Quantity(item["share"], "ratio", 1),
            "op_share": Quantity(item["op_share"], "ratio", 0),
        },
        evidence=_plain(item) | {"basis": basis},
        subject=Subject("statement", item["fingerprint"]),
        phrases={"why": why},
    )


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(item)
    for key in ("total_ms", "share", "op_share"):
        if key in out:
            out[key] = round(float(out[key]), 4)
    return out
