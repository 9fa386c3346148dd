"""What every SQL analysis reads, and what it returns.

An SQL analysis is a function ``analysis(ctx: SqlContext) -> SqlBlock | None``, declared as
an entry point of the ``erpcap.sql_analyses`` group (erpcap/plugins.py); erpcap's own
(anti-patterns, operations and N+1, index advice) are declared in its pyproject.toml the same
way. They run in the order of their entry-point names, each on the same context; one that
raises is reported as a warning of the SQL analysis, never a crash.

The ranking table (``SqlContext.ranked``) has one row per statement fingerprint, sorted by
total time, most first, with the columns of :data:`RANKED_COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from erpcap.findings import Finding
from erpcap.progress import Progress

#: Columns of the ranking table, one row per fingerprint (times in milliseconds; a value the
#: sources lack is NaN or None).
RANKED_COLUMNS = (
    "fingerprint",  # erpcap/sqltext.py
    "fingerprint_id",  # 16 hex digits, stable: for links and file names
    "calls",
    "total_ms",
    "share",  # of all statement time, 0..1
    "mean_ms",
    "p95_ms",  # from the per-fingerprint histogram of single executions (logs); NaN for sums
    "max_ms",
    "rows",
    "rows_examined",
    "lock_ms",
    "shared_blks_read",
    "sample",  # one execution's text with its real values (logs), else the normalised text
    "sources",  # the sources it came from, comma-separated (pg-log, postgres, mysql-slow, …)
    "databases",  # comma-separated
    "users",  # comma-separated
    "applications",  # comma-separated
)


@dataclass
class SqlContext:
    """The inputs of the SQL analyses."""

    #: Single executions (the columns of STATEMENTS_SCHEMA, erpcap/types.py); may be empty.
    statements: pd.DataFrame
    #: Statement statistics (the columns of SQL_STATS_SCHEMA); may be empty.
    sql_stats: pd.DataFrame
    #: One row per fingerprint (:data:`RANKED_COLUMNS`), most total time first.
    ranked: pd.DataFrame
    #: ``postgres`` or ``mysql`` when known (for parsing and advice), else None.
    dialect: str | None = None
    #: A database URL for catalog reads and HypoPG (``--dsn``), else None.
    dsn: str | None = None
    #: How many statements the report lists (``--top``).
    top: int = 20
    progress: Progress | None = None
    #: Things an analysis learned that another may use (e.g. parsed facts per fingerprint).
    shared: dict[str, Any] = field(default_factory=dict)


@dataclass
class SqlBlock:
    """What one SQL analysis found: findings (shown with the run's findings, in findings.json
    and both report languages) and its own data, kept in findings.json under ``sql.<id>``."""

    id: str  # e.g. "antipatterns", "operations", "indexes"
    findings: list[Finding] = field(default_factory=list)
    data: Mapping[str, Any] = field(default_factory=dict)
    #: Notes on what it could not do (a statement sqlglot cannot parse, no HypoPG), in words.
    notes: list[str] = field(default_factory=list)


SqlAnalysis = Callable[[SqlContext], "SqlBlock | None"]
