"""The PostgreSQL collector's queries, and how their rows become metrics.

Every query starts with :data:`MARK`, so the collector can leave its own statements out of
pg_stat_statements. All of them work as a non-superuser with ``pg_monitor`` (which holds
``pg_read_all_stats``); without it, other users' query texts read
``<insufficient privilege>`` and the collector says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from erpcap.collectors.base import metric_row
from erpcap.sqltext import operation, tags

SOURCE = "postgres"
MARK = "/* erpcap-collector */"

#: Characters of a query text kept in a label or an event.
TEXT_CHARS = 200

ACTIVITY = f"""{MARK}
SELECT a.pid, a.datname = current_database() AS here, a.state, a.wait_event_type,
       a.wait_event, extract(epoch FROM now() - a.query_start)::float8 AS query_s,
       extract(epoch FROM now() - a.xact_start)::float8 AS xact_s, left(a.query, {TEXT_CHARS}),
       (regexp_match(a.query, '/\\*[^*]*=''[^*]*\\*/'))[1] AS tag
FROM pg_stat_activity a
WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()"""

DATABASE = f"""{MARK}
SELECT xact_commit, xact_rollback, blks_read, blks_hit, temp_files, temp_bytes, deadlocks,
       tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted
FROM pg_stat_database WHERE datname = current_database()"""

#: Waiting lock requests, each with the relation it is about (a row lock waits on the
#: holder's transaction id, so its relation is that of the tuple lock the waiter holds) and
#: the sessions that block it.
LOCK_WAITS = f"""{MARK}
SELECT w.pid, coalesce(n.nspname || '.' || c.relname, tn.nspname || '.' || tc.relname,
                       w.locktype) AS relation,
       w.mode, pg_blocking_pids(w.pid) AS blockers,
       extract(epoch FROM now() - a.query_start)::float8 AS wait_s,
       left(a.query, {TEXT_CHARS}) AS query
FROM pg_locks w
JOIN pg_stat_activity a ON a.pid = w.pid
LEFT JOIN pg_class c ON c.oid = w.relation
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
    SELECT t.relation FROM pg_locks t
    WHERE t.pid = w.pid AND t.locktype = 'tuple' AND t.granted LIMIT 1
) tl ON w.relation IS NULL
LEFT JOIN pg_class tc ON tc.oid = tl.relation
LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace
WHERE NOT w.granted AND w.pid <> pg_backend_pid() AND a.datname = current_database()"""

QUERY_OF = f"{MARK} SELECT pid, left(query, {TEXT_CHARS}) FROM pg_stat_activity WHERE pid = ANY(%s)"

STATEMENTS = f"""{MARK}
SELECT s.queryid::text, s.userid, s.toplevel, s.query, d.datname, r.rolname, s.calls,
       s.total_exec_time + s.total_plan_time, s.max_exec_time, s.rows, s.shared_blks_hit,
       s.shared_blks_read, s.temp_blks_written, s.wal_bytes
FROM pg_stat_statements s
LEFT JOIN pg_database d ON d.oid = s.dbid
LEFT JOIN pg_roles r ON r.oid = s.userid
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND s.query NOT LIKE '{MARK}%'"""

STATEMENTS_INFO = f"{MARK} SELECT dealloc, stats_reset FROM pg_stat_statements_info"

#: pg_stat_database counters turned into rates per second, by metric name.
DATABASE_RATES = (
    "commits_per_s",
    "rollbacks_per_s",
    "blks_read_per_s",
    "blks_hit_per_s",
    "temp_files_per_s",
    "temp_bytes_per_s",
    "deadlocks_per_s",
    "tup_returned_per_s",
    "tup_fetched_per_s",
    "tup_inserted_per_s",
    "tup_updated_per_s",
    "tup_deleted_per_s",
)


def session_state(state: str | None, wait_type: str | None) -> str:
    """The state a session is counted under: ``active``, ``waiting`` (on a lock), ``idle``,
    ``idle_in_transaction`` (also aborted) or ``other``.

    >>> session_state("active", "Lock"), session_state("active", "IO")
    ('waiting', 'active')
    >>> session_state("idle in transaction (aborted)", None)
    'idle_in_transaction'
    """
    if state == "active":
        return "waiting" if wait_type == "Lock" else "active"
    if state == "idle":
        return "idle"
    if state and state.startswith("idle in transaction"):
        return "idle_in_transaction"
    return "other"


def activity_rows(
    now: datetime, rows: Sequence[Sequence[Any]], labels: Mapping[str, str], cluster: bool
) -> list[dict[str, Any]]:
    """Sessions by state, active sessions by wait event (``CPU`` when on none) and by the
    operation their statement's sqlcommenter tag names (``/*op='…'*/``: the whole text's
    tag comment, read by the query, so a long statement's trailing tag is not cut off),
    connections, and the longest statement and transaction — from one pg_stat_activity
    sample."""
    out = [metric_row(now, SOURCE, "connections", float(len(rows) + 1), labels)]
    states: Counter[str] = Counter({"active": 0, "waiting": 0, "idle": 0})
    waits: Counter[str] = Counter()
    operations: Counter[str] = Counter()
    longest_query = 0.0
    longest_xact = 0.0
    for _pid, here, state, wait_type, wait_event, query_s, xact_s, _text, tag in rows:
        if not (here or cluster):
            continue
        kind = session_state(state, wait_type)
        states[kind] += 1
        if kind in ("active", "waiting"):
            waits[f"{wait_type}:{wait_event}" if wait_type else "CPU"] += 1
            op = operation(tags(tag)) if tag else None
            if op:
                operations[op] += 1
            if query_s is not None:
                longest_query = max(longest_query, float(query_s))
        if xact_s is not None:
            longest_xact = max(longest_xact, float(xact_s))
    for kind, count in sorted(states.items()):
        out.append(metric_row(now, SOURCE, "sessions", float(count), {**labels, "state": kind}))
    for wait, count in sorted(waits.items()):
        out.append(metric_row(now, SOURCE, "wait_sessions", float(count), {**labels, "wait": wait}))
    for op, count in sorted(operations.items()):
        tagged = {**labels, "operation": op}
        out.append(metric_row(now, SOURCE, "active_by_operation", float(count), tagged))
    out.append(metric_row(now, SOURCE, "longest_query_s", longest_query, labels))
    out.append(metric_row(now, SOURCE, "longest_xact_s", longest_xact, labels))
    return out


def lock_rows(
    now: datetime, waits: Iterable[Sequence[Any]], labels: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Waiting lock requests per relation and the longest wait, from :data:`LOCK_WAITS`."""
    count: Counter[str] = Counter()
    longest: dict[str, float] = {}
    for _pid, relation, _mode, _blockers, wait_s, _query in waits:
        count[relation] += 1
        longest[relation] = max(longest.get(relation, 0.0), float(wait_s or 0.0))
    out = [metric_row(now, SOURCE, "lock_waits", float(sum(count.values())), labels)]
    for relation, n in sorted(count.items()):
        tagged = {**labels, "relation": relation}
        out.append(metric_row(now, SOURCE, "lock_waits_by_relation", float(n), tagged))
        out.append(metric_row(now, SOURCE, "lock_wait_s", longest[relation], tagged))
    return out
