"""Bottleneck attribution: which resource saturates first, with its evidence.

:func:`attribute` reads the capacity block (the knee, when the knee stage found one), the
steps, the metrics, the statement statistics and the collectors' lock-wait events, and
returns ``capacity["bottleneck"]`` (docs/capacity.md, "Bottleneck attribution"):

1. **The step** whose evidence counts: the knee's step; else the first measured step that
   missed the targets; else the peak step (most successful requests per second) — or, when
   throughput levelled off into the peak, the plateau's first step if its evidence is
   stronger (``method`` says which).
2. **The candidates** at that step and at the first measured step
   (analysis/capacity/bottleneck_candidates.py): CPU per role, the database's CPU, the host,
   locks, I/O, connections, the pool, a broker queue, the load generator — each with its
   utilisation, its growth since the first step and its share of database wait time, scored
   and ranked.
3. **The confidence**: ``strong`` when the run saturated (the step missed the targets,
   throughput stopped following the users, or a knee was found), the top candidate scores at
   least 0.65 and leads the next by 0.1; ``likely`` when it scores 0.45 and either the run
   saturated, the resource was at 90 % or more, or at least half the busy database sessions
   waited on it (a lock then serialises the work); ``thin`` otherwise — then ``kind`` is
   ``unknown`` and the sentence says what is missing rather than guessing.
4. **The statements**: for locks, those in the lock-wait events (waiters and blockers); for
   a database resource, the top SQL by database time at the step (over the whole run from
   the slow-SQL block when only a log was read) — each with its operation tag and tables.
5. **The warnings**: a saturated load generator, a noisy neighbour
   (analysis/capacity/bottleneck_warnings.py), at any measured step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from erpcap.analysis.capacity.bottleneck_candidates import Candidate, candidates, rank
from erpcap.analysis.capacity.bottleneck_data import StepView, step_view
from erpcap.analysis.capacity.bottleneck_sql import (
    from_sql_block,
    lock_events,
    lock_statements,
    top_at_step,
)
from erpcap.analysis.capacity.bottleneck_texts import say, thin
from erpcap.analysis.capacity.bottleneck_warnings import generator, neighbour
from erpcap.analysis.sql.run import dialect_of
from erpcap.findings import Phrase, phrase

#: Scores and utilisation behind the confidence (see the module docstring).
STRONG_SCORE = 0.65
STRONG_LEAD = 0.1
LIKELY_SCORE = 0.45
LIKELY_VALUE = 0.9
#: A lock most busy sessions wait on (with at least one session waiting) serialises the work:
#: near its limit even before throughput levels off.
WAITING_SHARE = 0.5
#: Candidates listed in the block.
LISTED = 6
#: Kinds whose statements are the database's top SQL at the step.
_DATABASE_KINDS = ("io", "connections", "pool")


def _choose(
    capacity: Mapping[str, Any], measured: list[dict[str, Any]]
) -> tuple[dict[str, Any], str]:
    knee = capacity.get("knee")
    if isinstance(knee, Mapping):
        found = next((s for s in measured if s.get("step") == knee.get("step")), None)
        if found is not None:
            return found, "knee"
    over = next((s for s in measured if s.get("within_slo") is False), None)
    if over is not None:
        return over, "first_over_slo"
    return max(measured, key=lambda s: s.get("ok_rps") or 0.0), "peak"


def _saturation(
    capacity: Mapping[str, Any], chosen: dict[str, Any], measured: list[dict[str, Any]]
) -> list[str]:
    """Why the run counts as saturated at ``chosen`` (empty: it does not)."""
    reasons = []
    if isinstance(capacity.get("knee"), Mapping):
        reasons.append("knee")
    if chosen.get("within_slo") is False:
        reasons.append("over_slo")
    index = measured.index(chosen)
    later = measured[index : index + 2]
    for prev, cur in zip(measured[max(0, index - 1) : index + 1], later, strict=False):
        if prev is cur or not prev.get("ok_rps") or prev.get("users", 0) <= 0:
            continue
        expected = prev["ok_rps"] * cur["users"] / prev["users"]
        if cur["users"] >= 1.3 * prev["users"] and cur.get("ok_rps", 0) < 0.8 * expected:
            reasons.append("throughput_levelled")
            break
    return reasons


def _confidence(ranked: list[Candidate], saturated: bool) -> str:
    if not ranked:
        return "thin"
    top = ranked[0]
    lead = top.score - (ranked[1].score if len(ranked) > 1 else 0.0)
    if saturated and top.score >= STRONG_SCORE and lead >= STRONG_LEAD:
        return "strong"
    queued = top.wait_share >= WAITING_SHARE and top.evidence.get("waiting_sessions", 0) >= 1
    if top.score >= LIKELY_SCORE and (saturated or top.value >= LIKELY_VALUE or queued):
        return "likely"
    return "thin"


def _statements(
    top: Candidate,
    view: StepView,
    sql_stats: pd.DataFrame,
    events: list[Mapping[str, Any]],
    sql: Mapping[str, Any] | None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The statements and tables behind ``top``."""
    step_sql = top_at_step(sql_stats, view.step) or from_sql_block(sql)
    if top.kind == "lock":
        found = lock_events(events, view.start, view.end) or lock_events(events, None, None)
        dialect = dialect_of(str(e.get("collector") or "") for e in found)
        listed, relations = lock_statements(found, dialect)
        tables = list(relations) or list(top.evidence.get("relations") or {})
        if not listed and "lock_ms" in sql_stats and sql_stats["lock_ms"].notna().any():
            listed = top_at_step(sql_stats.assign(total_ms=sql_stats["lock_ms"]), view.step)
        top.evidence["lock_waits_seen"] = len(found)
        listed = listed or step_sql
        tables = [t for t in tables if t and t != "?"]
        if not tables:  # no relation recorded (MySQL): the tables of the statements in the waits
            tables = list(dict.fromkeys(t for s in listed for t in s["tables"]))
        return listed, tables
    if top.resource == "cpu:db" or top.resource == "cpu:host" or top.kind in _DATABASE_KINDS:
        tables = list(dict.fromkeys(t for s in step_sql for t in s["tables"]))
        return step_sql, tables
    return [], []


def _missing(view: StepView, sql_stats: pd.DataFrame) -> list[Phrase]:
    out: list[Phrase] = []
    if not view.cpu:
        out.append(phrase(en="process CPU (watch the ERP's and the database's processes: "
                          "--watch ROLE=PID)", zh_CN="进程 CPU（用 --watch ROLE=PID 监视 ERP 和数据库进程）"))  # fmt: skip
    if not view.databases:
        out.append(phrase(en="database sessions and waits (--collect postgres=URL or mysql=URL)",
                          zh_CN="数据库会话与等待事件（--collect postgres=URL 或 mysql=URL）"))  # fmt: skip
    if sql_stats.empty:
        out.append(phrase(en="statement statistics (pg_stat_statements or performance_schema)",
                          zh_CN="语句统计（pg_stat_statements 或 performance_schema）"))  # fmt: skip
    return out


def _series(measured: list[dict[str, Any]], views: list[StepView], resource: str,
            cores: int | None, workers: int) -> list[dict[str, Any]]:  # fmt: skip
    out, prev = [], None
    for block, view in zip(measured, views, strict=True):
        found = {c.resource: c.value for c in candidates(view, prev, cores, workers,
                                                         block.get("busy_share"),
                                                         _reported(block))}  # fmt: skip
        out.append({"step": view.step, "users": view.users, "ok_rps": view.ok_rps,
                    "p95_ms": view.p95_ms, "utilisation": round(found.get(resource, 0.0), 4)})  # fmt: skip
        prev = view
    return out


def _evidence(view: StepView, block: dict[str, Any]) -> dict[str, Any]:
    transactions = sorted(
        block.get("transactions") or [],
        key=lambda t: -(t.get("count") or 0) * (t.get("mean_ms") or 0.0),
    )
    return {
        "host_cpu_percent": view.host_cpu,
        "cpu_by_role": view.cpu,
        "processes_by_role": view.processes,
        "databases": [
            {"source": d.source, "instance": d.instance, "busy_sessions": round(d.busy_sessions, 3),
             "wait_classes": d.classes, "top_waits": dict(list(d.waits.items())[:5]),
             "lock_relations": d.lock_relations, "connections": d.connections,
             "max_connections": d.max_connections}
            for d in view.databases
        ],
        "transactions": [
            {"name": t.get("name"), "count": t.get("count"), "p95_ms": t.get("p95_ms"),
             "mean_ms": t.get("mean_ms")}
            for t in transactions[:3]
        ],
    }  # fmt: skip


def _reported(block: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = block.get("utilisation")
    return [u for u in found if isinstance(u, Mapping)] if isinstance(found, list) else []


def _workers(meta: Mapping[str, Any]) -> int:
    try:
        return max(1, int((meta.get("parameters") or {}).get("workers") or 1))
    except (TypeError, ValueError):
        return 1


def _cores(meta: Mapping[str, Any]) -> int | None:
    host = meta.get("host") or {}
    count = host.get("cpu_count") if isinstance(host, Mapping) else None
    return int(count) if isinstance(count, int | float) and count > 0 else None


def attribute(
    capacity: dict[str, Any],
    steps: list[dict[str, Any]],
    resources: dict[str, Any],
    statements: dict[str, Any] | None,
    sql: dict[str, Any] | None,
    metrics: pd.DataFrame,
    meta: dict[str, Any],
    *,
    events: Iterable[Mapping[str, Any]] = (),
    sql_stats: pd.DataFrame | None = None,
) -> dict[str, Any] | None:
    """``capacity["bottleneck"]``, or None when no step was measured."""
    measured = [s for s in steps if s.get("measured")]
    if not measured:
        return None
    sql_stats = sql_stats if sql_stats is not None else pd.DataFrame()
    events = list(events)
    cores, workers = _cores(meta), _workers(meta)
    views = [step_view(s, metrics, cores) for s in measured]
    chosen, method = _choose(capacity, measured)
    reasons = _saturation(capacity, chosen, measured)
    first = candidates(views[0], None, cores, workers, measured[0].get("busy_share"),
                       _reported(measured[0]))  # fmt: skip

    def ranked_at(index: int) -> list[Candidate]:
        prev = views[index - 1] if index > 0 else None
        block = measured[index]
        now = candidates(views[index], prev, cores, workers, block.get("busy_share"),
                         _reported(block))  # fmt: skip
        return rank(now, first if index > 0 else None)

    index = measured.index(chosen)
    ranked = ranked_at(index)
    if "throughput_levelled" in reasons and method == "peak" and index > 0:
        # The plateau's first step saturated the resource already; a neighbour taking the
        # CPU at the next step can hide it there. Keep the step with the stronger evidence.
        before = ranked_at(index - 1)
        if before and (not ranked or before[0].score > ranked[0].score):
            index, ranked, chosen, method = index - 1, before, measured[index - 1], "plateau"
    view = views[index]
    confidence = _confidence(ranked, bool(reasons))
    top = ranked[0] if ranked else None
    step_word = {"step": view.step, "users": chosen.get("users"), "ok_rps": view.ok_rps}
    warnings = _warnings(views, cores, workers)
    out: dict[str, Any] = {
        "resource": None, "kind": "unknown", "confidence": confidence, "step": view.step,
        "users": chosen.get("users"), "method": method, "saturation": reasons,
        "statements": [], "tables": [],
        "candidates": [c.to_dict() for c in ranked[:LISTED]], "warnings": warnings,
    }  # fmt: skip
    evidence = _evidence(view, chosen)
    if top is None or confidence == "thin":
        out["texts"] = out["note"] = thin(step_word, top, _missing(view, sql_stats))
        out["evidence"] = evidence
        return out
    listed, tables = _statements(top, view, sql_stats, events, sql)
    series = _series(measured, views, top.resource, cores, workers)
    out.update(
        resource=top.resource, kind=top.kind, statements=listed, tables=tables,
        texts=say(top, step_word, confidence, listed),
        evidence={**evidence, **top.evidence, "utilisation": round(top.value, 4),
                  "score": top.score, "series": series},
    )  # fmt: skip
    return out


def _warnings(views: list[StepView], cores: int | None, workers: int) -> list[dict[str, Any]]:
    """Each warning (generator, neighbour) at the first measured step where it holds: from
    there on the figures describe more than the system under test."""
    out: list[dict[str, Any]] = []
    for check in (lambda v: generator(v, workers, cores), lambda v: neighbour(v, cores)):
        found = next((w for w in map(check, views) if w is not None), None)
        if found is not None:
            out.append(found)
    return out
