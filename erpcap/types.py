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
SCHEMA_VERSION = "1.1"

#: Version of the findings.json document.
FINDINGS_VERSION = "1.2"

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

TABLE_SCHEMAS: dict[str, pa.Schema] = {
    "requests": REQUESTS_SCHEMA,
    "metrics": METRICS_SCHEMA,
    "intervals": INTERVALS_SCHEMA,
}

#: Transaction groups, in report order.
GROUPS = ("order", "query", "close", "auth", "other")

#: Run statuses recorded in run.json.
STATUSES = ("running", "completed", "interrupted", "failed")


# The findings model (Finding, FindingKind, Quantity, Texts, SEVERITIES): erpcap/findings.py.
