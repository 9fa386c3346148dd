"""The shared record types of the run directory: table schemas and constants.

Every stage that reads or writes a run directory takes its column names from here, so a
renamed column is one change. Times are UTC timestamps with microsecond precision; latencies
are integers in microseconds (µs) so that percentiles stay exact.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

#: Version of the run-directory layout. A reader accepts any minor version of its major
#: version (new files and columns are additive) and refuses a newer major version.
SCHEMA_VERSION = "1.2"

#: Version of the findings.json document.
FINDINGS_VERSION = "1.5"

#: Version of gate.json, the outcome of ``erpcap gate`` (docs/budgets.md).
GATE_VERSION = "1.0"

#: Outcomes of one budget in gate.json: it held, it was breached, or it could not be measured.
PASS, FAIL, MISSING = "pass", "fail", "missing"

_TS = pa.timestamp("us", tz="UTC")

#: One row per request (requests.parquet, and requests/part-*.parquet while a run is live).
REQUESTS_SCHEMA = pa.schema(
    [
        pa.field("intended_start", _TS, nullable=False),  # when the request was due
        pa.field("start", _TS, nullable=False),  # when it was actually sent
        pa.field("name", pa.string(), nullable=False),  # transaction = operationId
        pa.field("group", pa.string(), nullable=False),  # order / query / close / auth
        pa.field("user_class", pa.string(), nullable=False),
        pa.field("method", pa.string(), nullable=False),
        pa.field("status_code", pa.int32(), nullable=False),  # 0 = no response
        pa.field("ok", pa.bool_(), nullable=False),
        pa.field("latency_us", pa.int64(), nullable=False),  # from intended start
        pa.field("service_us", pa.int64(), nullable=False),  # from actual start
        pa.field("bytes", pa.int64(), nullable=False),
        pa.field("users", pa.int32(), nullable=False),  # active users when sent
        pa.field("worker", pa.string(), nullable=False),
        pa.field("error", pa.string(), nullable=True),
        # 1.1: sent on an arrival schedule (open model): judged by latency_us, not service_us
        pa.field("paced", pa.bool_(), nullable=False),
    ]
)

#: Columns added in a minor version, and the value a row written without them implies. Rows of
#: runs made before 1.1 have no ``paced``: a request is taken as paced when it was sent after
#: it was due (``latency_us > service_us``), which judges it exactly as 1.0 did; for a row
#: that was on time the two latencies are equal, so the choice does not matter.
COLUMN_DEFAULTS: dict[str, dict[str, Any]] = {"requests": {"paced": False}}
#: For tables read from disk, a column missing in a file is derived from its other columns.
DERIVED_DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    "requests": {"paced": ("latency_us", "service_us")}  # paced = first > second
}

#: Long-format samples (metrics.parquet, metrics/part-*.parquet).
METRICS_SCHEMA = pa.schema(
    [
        pa.field("ts", _TS, nullable=False),
        pa.field("source", pa.string(), nullable=False),  # host, process, postgres, ...
        pa.field("metric", pa.string(), nullable=False),  # e.g. cpu_percent
        pa.field("labels", pa.string(), nullable=False),  # JSON object, "{}" for none
        pa.field("value", pa.float64(), nullable=True),
    ]
)

#: Per-second aggregates per transaction (intervals.parquet), written by analysis.
INTERVALS_SCHEMA = pa.schema(
    [
        pa.field("ts", _TS, nullable=False),  # start of the one-second bucket
        pa.field("name", pa.string(), nullable=False),  # transaction, or "*" for all
        pa.field("count", pa.int64(), nullable=False),
        pa.field("errors", pa.int64(), nullable=False),
        pa.field("p50_ms", pa.float64(), nullable=True),
        pa.field("p95_ms", pa.float64(), nullable=True),
        pa.field("p99_ms", pa.float64(), nullable=True),
        pa.field("max_ms", pa.float64(), nullable=True),
        pa.field("users", pa.int32(), nullable=True),  # highest active users in the bucket
    ]
)

#: 1.2: statement statistics per statement and window (sql_stats.parquet), from a database's
#: cumulative counters (pg_stat_statements, performance_schema digests) as the difference of
#: two snapshots. One row per statement for the whole run (``step`` null) and, where
#: snapshots allow, one per ladder step. Times in milliseconds; a counter the source lacks
#: is null, never 0.
SQL_STATS_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),  # postgres, mysql, pg-log, ...
        pa.field("instance", pa.string(), nullable=False),  # host:port/database (no secret)
        pa.field("start", _TS, nullable=False),  # the window: first snapshot
        pa.field("end", _TS, nullable=False),  # the window: last snapshot
        pa.field("step", pa.int32(), nullable=True),  # ladder step (from 1); null = whole run
        pa.field("queryid", pa.string(), nullable=True),  # the source's id (queryid, digest)
        pa.field("fingerprint", pa.string(), nullable=False),  # erpcap/sqltext.py
        pa.field("query", pa.string(), nullable=False),  # normalised text as the source gives it
        pa.field("database", pa.string(), nullable=True),
        pa.field("user", pa.string(), nullable=True),
        pa.field("calls", pa.int64(), nullable=False),
        pa.field("total_ms", pa.float64(), nullable=False),
        pa.field("mean_ms", pa.float64(), nullable=True),
        pa.field("max_ms", pa.float64(), nullable=True),  # the source's max since its reset
        pa.field("rows", pa.int64(), nullable=True),
        pa.field("rows_examined", pa.int64(), nullable=True),  # MySQL
        pa.field("lock_ms", pa.float64(), nullable=True),  # MySQL
        pa.field("shared_blks_hit", pa.int64(), nullable=True),  # PostgreSQL
        pa.field("shared_blks_read", pa.int64(), nullable=True),
        pa.field("temp_blks_written", pa.int64(), nullable=True),
        pa.field("wal_bytes", pa.int64(), nullable=True),
        pa.field("no_index_used", pa.int64(), nullable=True),  # MySQL
        pa.field("tmp_disk_tables", pa.int64(), nullable=True),  # MySQL
    ]
)

#: 1.2: single statement executions from a server log (statements.parquet), written by the
#: log importers (pg-log, mysql-slow) for the slow-SQL analysis. One row per logged statement.
STATEMENTS_SCHEMA = pa.schema(
    [
        pa.field("ts", _TS, nullable=False),  # when the statement ended (as the log says)
        pa.field("source", pa.string(), nullable=False),  # pg-log, pg-csvlog, mysql-slow, ...
        pa.field("duration_ms", pa.float64(), nullable=False),
        pa.field("statement", pa.string(), nullable=False),  # the text with its real values
        pa.field("fingerprint", pa.string(), nullable=False),  # erpcap/sqltext.py
        pa.field("database", pa.string(), nullable=True),
        pa.field("user", pa.string(), nullable=True),
        pa.field("application", pa.string(), nullable=True),
        pa.field("session", pa.string(), nullable=True),  # backend pid / thread id
        pa.field("lock_ms", pa.float64(), nullable=True),  # MySQL Lock_time
        pa.field("rows", pa.int64(), nullable=True),  # rows sent
        pa.field("rows_examined", pa.int64(), nullable=True),
        pa.field("file", pa.string(), nullable=False),  # the log file it came from
        pa.field("line", pa.int64(), nullable=False),  # the line its entry starts on
    ]
)

#: 1.2: a load tool's own statistics (load_stats.parquet), for load results imported without
#: one row per request (Locust's --csv files: ``erpcap import locust-csv``). Rows with a null
#: ``ts`` cover the whole run (PREFIX_stats.csv); the others are the tool's history, one row
#: per second and transaction (PREFIX_stats_history.csv). Counts and the ``total_*`` figures
#: are cumulative from the start of the test; the percentiles are the tool's own, over the
#: span ``window_s`` names (null: since the start). Times in milliseconds; a figure the
#: source lacks is null, never 0.
LOAD_STATS_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),  # locust-csv
        pa.field("ts", _TS, nullable=True),  # the history row's second; null = whole run
        pa.field("type", pa.string(), nullable=False),  # the tool's request type (GET), or ""
        pa.field("name", pa.string(), nullable=False),  # transaction; "*" = the tool's total
        pa.field("users", pa.int32(), nullable=True),  # active users (history only)
        pa.field("count", pa.int64(), nullable=False),  # requests since the start
        pa.field("failures", pa.int64(), nullable=False),  # failed requests since the start
        pa.field("rps", pa.float64(), nullable=True),  # the tool's own request rate
        pa.field("failures_per_s", pa.float64(), nullable=True),
        pa.field("mean_ms", pa.float64(), nullable=True),  # since the start
        pa.field("min_ms", pa.float64(), nullable=True),
        pa.field("max_ms", pa.float64(), nullable=True),
        pa.field("median_ms", pa.float64(), nullable=True),
        pa.field("bytes_mean", pa.float64(), nullable=True),  # average response size
        pa.field("window_s", pa.float64(), nullable=True),  # what the percentiles span
        pa.field("p50_ms", pa.float64(), nullable=True),
        pa.field("p66_ms", pa.float64(), nullable=True),
        pa.field("p75_ms", pa.float64(), nullable=True),
        pa.field("p80_ms", pa.float64(), nullable=True),
        pa.field("p90_ms", pa.float64(), nullable=True),
        pa.field("p95_ms", pa.float64(), nullable=True),
        pa.field("p98_ms", pa.float64(), nullable=True),
        pa.field("p99_ms", pa.float64(), nullable=True),
        pa.field("p99_9_ms", pa.float64(), nullable=True),
        pa.field("p99_99_ms", pa.float64(), nullable=True),
        pa.field("p100_ms", pa.float64(), nullable=True),
    ]
)

#: The percentile columns of LOAD_STATS_SCHEMA, as (column, percentile 0–100).
LOAD_STATS_PERCENTILES: tuple[tuple[str, float], ...] = (
    ("p50_ms", 50.0),
    ("p66_ms", 66.0),
    ("p75_ms", 75.0),
    ("p80_ms", 80.0),
    ("p90_ms", 90.0),
    ("p95_ms", 95.0),
    ("p98_ms", 98.0),
    ("p99_ms", 99.0),
    ("p99_9_ms", 99.9),
    ("p99_99_ms", 99.99),
    ("p100_ms", 100.0),
)

#: 1.2: a load tool's own failure counts (load_errors.parquet), beside load_stats: one row per
#: transaction and error message, as the tool grouped them (Locust's PREFIX_failures.csv).
LOAD_ERRORS_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("type", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("error", pa.string(), nullable=False),
        pa.field("count", pa.int64(), nullable=False),
    ]
)

TABLE_SCHEMAS: dict[str, pa.Schema] = {
    "requests": REQUESTS_SCHEMA,
    "metrics": METRICS_SCHEMA,
    "intervals": INTERVALS_SCHEMA,
    "sql_stats": SQL_STATS_SCHEMA,
    "statements": STATEMENTS_SCHEMA,
    "load_stats": LOAD_STATS_SCHEMA,
    "load_errors": LOAD_ERRORS_SCHEMA,
}

#: Transaction groups, in report order.
GROUPS = ("order", "query", "close", "auth", "other")

#: Run statuses recorded in run.json.
STATUSES = ("running", "completed", "interrupted", "failed")


# The findings model (Finding, FindingKind, Quantity, Texts, SEVERITIES): erpcap/findings.py.
