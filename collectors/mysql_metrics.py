"""What the ``mysql`` collector makes of the server's answers: pure functions, no connection.

- :class:`StatusRates`: ``SHOW GLOBAL STATUS`` counters into gauges and rates per second;
- :func:`session_rows`: ``information_schema.PROCESSLIST`` rows into ``sessions``,
  ``wait_sessions`` and ``longest_query_s``;
- :func:`digest_statements`: ``performance_schema.events_statements_summary_by_digest``
  rows into :class:`~erpcap.collectors.statements.Statement` snapshots, fingerprinted so
  that they meet the same statements from other sources (:func:`digest_fingerprint`).

The metric names are the PostgreSQL collector's where they mean the same (``sessions``,
``wait_sessions``, ``lock_waits``, ``connections``, ``max_connections``, ``cache_hit_ratio``,
``longest_query_s``, ``commits_per_s``, ``rollbacks_per_s``, ``deadlocks_per_s``), so a
report can set the two databases side by side.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from datetime import datetime
from typing import Any

from erpcap.collectors.base import metric_row
from erpcap.collectors.statements import Statement
from erpcap.sqltext import fingerprint

SOURCE = "mysql"

#: Gauges: metric → status variable (as the server spells it; matched case-insensitively).
STATUS_GAUGES: Mapping[str, str] = {
    "threads_running": "Threads_running",
    "threads_connected": "Threads_connected",
    "connections": "Threads_connected",
    "lock_waits": "Innodb_row_lock_current_waits",
}

#: Rates per second between two samples: metric → cumulative status counter.
STATUS_RATES: Mapping[str, str] = {
    "questions_per_s": "Questions",
    "com_commit_per_s": "Com_commit",
    "commits_per_s": "Com_commit",
    "com_rollback_per_s": "Com_rollback",
    "rollbacks_per_s": "Com_rollback",
    "innodb_row_lock_waits_per_s": "Innodb_row_lock_waits",
    "innodb_row_lock_time_ms_per_s": "Innodb_row_lock_time",  # the counter is in ms
    "innodb_buffer_pool_reads_per_s": "Innodb_buffer_pool_reads",
    "innodb_buffer_pool_read_requests_per_s": "Innodb_buffer_pool_read_requests",
    "created_tmp_disk_tables_per_s": "Created_tmp_disk_tables",
    "slow_queries_per_s": "Slow_queries",
    "deadlocks_per_s": "Innodb_deadlocks",  # MariaDB (and Percona) only: absent elsewhere
}

#: The status variables the collector asks for.
STATUS_NAMES = tuple(sorted({*STATUS_GAUGES.values(), *STATUS_RATES.values()}))

#: Processlist users and commands that are the server's own threads, not sessions.
SYSTEM_USERS = frozenset({"system user", "event_scheduler"})
SYSTEM_COMMANDS = frozenset(
    {"daemon", "binlog dump", "binlog dump gtid", "slave_io", "slave_sql", "slave_worker"}
)

#: A thread state that says the statement waits for a lock (metadata, table, user, global
#: read lock). InnoDB row lock waits show no such state ("Updating", "Sending data"): those
#: come from information_schema.INNODB_TRX (``trx_state = 'LOCK WAIT'``).
_LOCK_STATE = re.compile(r"^(?:waiting for .*lock|locked$|user lock)", re.IGNORECASE)

#: The ``wait`` label of a session found waiting in INNODB_TRX.
ROW_LOCK_WAIT = "InnoDB row lock"

#: Characters of the statement kept in ``longest_query_s``'s ``query`` label.
QUERY_LABEL_CHARS = 200

#: Picoseconds (performance_schema timers) in a millisecond.
PS_PER_MS = 1e9


class StatusRates:
    """Gauges and per-second rates from successive ``SHOW GLOBAL STATUS`` answers.

    A rate needs two samples: none on the first, and none after a counter went down (a
    server restart or ``FLUSH STATUS``).

    >>> from datetime import UTC, timedelta
    >>> rates, t0 = StatusRates(), datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    >>> status = {"Questions": "100", "Threads_running": "3", "Innodb_buffer_pool_reads": "5",
    ...           "Innodb_buffer_pool_read_requests": "1000"}
    >>> sorted(r["metric"] for r in rates.rows(status, t0))
    ['threads_running']
    >>> status.update(Questions="300", Innodb_buffer_pool_reads="15",
    ...               Innodb_buffer_pool_read_requests="1200")
    >>> later = {r["metric"]: r["value"] for r in rates.rows(status, t0 + timedelta(seconds=2))}
    >>> later["questions_per_s"], later["cache_hit_ratio"]
    (100.0, 0.95)
    """

    def __init__(self) -> None:
        self._last: dict[str, float] = {}
        self._last_at: float | None = None

    def rows(self, status: Mapping[str, str], now: datetime) -> list[dict[str, Any]]:
        values = {k.lower(): v for k, v in status.items()}
        at = now.timestamp()
        rows = []
        for metric, variable in STATUS_GAUGES.items():
            value = _number(values.get(variable.lower()))
            if value is not None:
                rows.append(metric_row(now, SOURCE, metric, value))
        deltas: dict[str, float] = {}
        current: dict[str, float] = {}
        for variable in {v.lower() for v in STATUS_RATES.values()}:
            value = _number(values.get(variable))
            if value is None:
                continue
            current[variable] = value
            before = self._last.get(variable)
            if before is not None and value >= before:
                deltas[variable] = value - before
        elapsed = None if self._last_at is None else at - self._last_at
        self._last, self._last_at = current, at
        if elapsed is None or elapsed <= 0:
            return rows
        for metric, variable in STATUS_RATES.items():
            if variable.lower() in deltas:
                rows.append(metric_row(now, SOURCE, metric, deltas[variable.lower()] / elapsed))
        requests = deltas.get("innodb_buffer_pool_read_requests")
        reads = deltas.get("innodb_buffer_pool_reads")
        if requests and reads is not None:  # logical reads served without a disk read
            rows.append(metric_row(now, SOURCE, "cache_hit_ratio", _clamp(1 - reads / requests)))
        return rows


def session_rows(
    processlist: Iterable[Mapping[str, Any]],
    lock_waiting: Iterable[int],
    now: datetime,
) -> list[dict[str, Any]]:
    """``sessions{state}``, ``wait_sessions{wait}`` and ``longest_query_s{query}`` from the
    processlist (the collector's own connection already left out) and the thread ids that
    INNODB_TRX shows in ``LOCK WAIT``.

    A session is ``idle`` when its command is ``Sleep``, ``waiting`` when its state says a
    lock wait or InnoDB has it waiting for a row lock, else ``active``.

    >>> from datetime import UTC
    >>> rows = session_rows(
    ...     [{"ID": 7, "USER": "erp", "COMMAND": "Query", "STATE": "Updating",
    ...       "TIME": 3, "TIME_MS": 3200.5, "INFO": "UPDATE t SET v = 1 WHERE id = 1"},
    ...      {"ID": 8, "USER": "erp", "COMMAND": "Sleep", "STATE": "", "TIME": 40, "INFO": None},
    ...      {"ID": 2, "USER": "system user", "COMMAND": "Daemon", "STATE": "", "TIME": 0}],
    ...     [7], datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    >>> [(r["metric"], r["labels"], r["value"]) for r in rows]  # doctest: +NORMALIZE_WHITESPACE
    [('sessions', '{"state":"active"}', 0.0), ('sessions', '{"state":"idle"}', 1.0),
     ('sessions', '{"state":"waiting"}', 1.0), ('wait_sessions', '{"wait":"InnoDB row lock"}', 1.0),
     ('longest_query_s', '{"query":"UPDATE t SET v = 1 WHERE id = 1"}', 3.2005)]
    """
    row_waits = set(lock_waiting)
    states = {"active": 0, "idle": 0, "waiting": 0}
    waits: dict[str, int] = {}
    longest: tuple[float, str] | None = None
    for session in processlist:
        user = str(session.get("USER") or "").lower()
        command = str(session.get("COMMAND") or "")
        if user in SYSTEM_USERS or command.lower() in SYSTEM_COMMANDS:
            continue
        if command == "Sleep":
            states["idle"] += 1
            continue
        state = str(session.get("STATE") or "")
        if session.get("ID") in row_waits:
            states["waiting"] += 1
            wait = ROW_LOCK_WAIT
        else:
            states["waiting" if _LOCK_STATE.match(state) else "active"] += 1
            wait = state or "running"
        waits[wait] = waits.get(wait, 0) + 1
        seconds = _seconds(session)
        if longest is None or seconds > longest[0]:
            longest = (seconds, str(session.get("INFO") or "")[:QUERY_LABEL_CHARS])
    rows = [metric_row(now, SOURCE, "sessions", n, {"state": s}) for s, n in states.items()]
    rows += [metric_row(now, SOURCE, "wait_sessions", n, {"wait": w}) for w, n in waits.items()]
    if longest is None:
        rows.append(metric_row(now, SOURCE, "longest_query_s", 0.0))
    else:
        rows.append(metric_row(now, SOURCE, "longest_query_s", longest[0], {"query": longest[1]}))
    return rows


def digest_statements(
    rows: Iterable[Mapping[str, Any]], own_marker: str, own_texts: Iterable[str] = ()
) -> tuple[dict[Hashable, Statement], int | None]:
    """A snapshot keyed by (schema, digest), and the calls counted in the digest table's
    overflow row (``DIGEST`` null: statements the full table could not tell apart).

    Rows whose ``DIGEST_TEXT`` holds ``own_marker`` or equals one of ``own_texts`` are the
    collector's own statements and are left out.

    >>> snapshot, overflow = digest_statements(
    ...     [{"SCHEMA_NAME": "erp", "DIGEST": "ab12", "DIGEST_TEXT": "SELECT * FROM `t` WHERE `id` = ?",
    ...       "COUNT_STAR": 4, "SUM_TIMER_WAIT": 8_000_000_000, "MAX_TIMER_WAIT": 3_000_000_000,
    ...       "SUM_LOCK_TIME": 1_000_000, "SUM_ROWS_SENT": 4, "SUM_ROWS_EXAMINED": 40,
    ...       "SUM_NO_INDEX_USED": 0, "SUM_CREATED_TMP_DISK_TABLES": 0},
    ...      {"SCHEMA_NAME": None, "DIGEST": "cd34", "DIGEST_TEXT": "SELECT ? FROM `erpcap_collector`",
    ...       "COUNT_STAR": 9}], own_marker="erpcap_collector")
    >>> statement = snapshot[("erp", "ab12")]
    >>> statement.counters["total_ms"], statement.max_ms, statement.counters["lock_ms"], overflow
    (8.0, 3.0, 0.001, None)
    >>> len(snapshot)
    1
    """
    own = {" ".join(t.split()).lower() for t in own_texts}
    marker = own_marker.lower()
    snapshot: dict[Hashable, Statement] = {}
    overflow: int | None = None
    for row in rows:
        if row.get("DIGEST") is None:
            overflow = int(row.get("COUNT_STAR") or 0)
            continue
        text = str(row.get("DIGEST_TEXT") or "")
        folded = " ".join(text.split()).lower()
        if marker in folded or folded in own:
            continue
        counters = {
            "calls": float(row.get("COUNT_STAR") or 0),
            "total_ms": float(row.get("SUM_TIMER_WAIT") or 0) / PS_PER_MS,
            "lock_ms": float(row.get("SUM_LOCK_TIME") or 0) / PS_PER_MS,
            "rows": float(row.get("SUM_ROWS_SENT") or 0),
            "rows_examined": float(row.get("SUM_ROWS_EXAMINED") or 0),
            "no_index_used": float(row.get("SUM_NO_INDEX_USED") or 0),
            "tmp_disk_tables": float(row.get("SUM_CREATED_TMP_DISK_TABLES") or 0),
        }
        schema = row.get("SCHEMA_NAME")
        snapshot[(schema, row["DIGEST"])] = Statement(
            query=text,
            counters=counters,
            queryid=str(row["DIGEST"]),
            database=None if schema is None else str(schema),
            max_ms=float(row.get("MAX_TIMER_WAIT") or 0) / PS_PER_MS,
            since=row.get("FIRST_SEEN"),
            fingerprint=digest_fingerprint(text),
        )
    return snapshot, overflow


#: Words after which performance_schema's `` (`` stays a space (a list or a subquery follows,
#: not a function's arguments).
_KEYWORDS = frozenset({
    "all", "and", "any", "as", "between", "by", "case", "distinct", "else", "exists", "from",
    "having", "if", "in", "index", "into", "is", "join", "key", "like", "limit", "not", "on",
    "or", "over", "partition", "returning", "select", "set", "some", "table", "then", "union",
    "using", "values", "when", "where", "window", "with",
})  # fmt: skip
_LIST = re.compile(r"\(\s*\.\.\.\s*\)")  # IN (...), VALUES (...): a list of values
_MORE = re.compile(r"\?\s*,\s*\.\.\.")  # LIMIT ?, ...: a second value
_SIGNED = re.compile(r"([=<>(,])\s*[-+]\s*\?")  # = - ?: a negative value
_BEFORE = re.compile(r"\s+([,).])")
_AFTER = re.compile(r"([(.])\s+")
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_$]*)\s+\(")
#: A quoted name before `` (``: MariaDB quotes the functions that are not keywords
#: (`` `lower` ( ``); after INTO, TABLE, … it is a table and its column list.
_QUOTED_CALL = re.compile(r"(\b\w+\s+)?`([A-Za-z_][A-Za-z0-9_$]*)`\s+\(")
_TABLE_BEFORE = frozenset({"into", "table", "join", "from", "update", "references"})


def digest_fingerprint(text: str) -> str:
    """The fingerprint (erpcap/sqltext.py) of a performance_schema ``DIGEST_TEXT``, which
    spaces every token (``COUNT ( * ) , `t` . `a```) and writes lists as ``(...)``: laid out
    as people write SQL first, so that it meets the same statement from a log.

    >>> digest = ("SELECT COUNT ( * ) , MAX ( `a` ) FROM `s` . `t` WHERE ID IN (...) "
    ...           "AND `b` = - ? ORDER BY `a` ASC LIMIT ?, ...")
    >>> digest_fingerprint(digest)
    'select count(*), max(a) from s.t where id in (?) and b = ? order by a limit ?'
    >>> digest_fingerprint(digest) == fingerprint(
    ...     "SELECT COUNT(*), MAX(a) FROM s.t WHERE id IN (1, 2) AND b = -5 ORDER BY a LIMIT 5, 10")
    True
    >>> digest_fingerprint("SELECT ID FROM `t` WHERE `lower` ( NAME ) LIKE ?")
    'select id from t where lower(name) like ?'
    >>> digest_fingerprint("INSERT INTO `t` ( ID , `a` ) VALUES (...) /* , ... */")
    'insert into t (id, a) values (?)'
    """
    text = _LIST.sub("(?)", text)
    text = _MORE.sub("?, ?", text)
    text = _SIGNED.sub(r"\1 ?", text)
    text = _BEFORE.sub(r"\1", text)
    text = _AFTER.sub(r"\1", text)
    text = _CALL.sub(lambda m: m[0] if m[1].lower() in _KEYWORDS else f"{m[1]}(", text)
    text = _QUOTED_CALL.sub(_quoted_call, text)
    return fingerprint(text)


def _quoted_call(match: re.Match[str]) -> str:
    before = match[1] or ""
    if before.strip().lower() in _TABLE_BEFORE:
        return match[0]
    return f"{before}{match[2]}("


def _number(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _clamp(ratio: float) -> float:
    return min(1.0, max(0.0, ratio))


def _seconds(session: Mapping[str, Any]) -> float:
    """How long the session's statement has run: MariaDB's TIME_MS (ms), else TIME (s)."""
    millis = _number(session.get("TIME_MS"))
    if millis is not None:
        return millis / 1000
    return _number(session.get("TIME")) or 0.0
