"""Plan costs with and without hypothetical indexes (HypoPG), in one read-only transaction.

Nothing is executed but ``EXPLAIN`` (never ``ANALYZE``): the session opens one transaction,
marks it read-only, and rolls it back at the end. A statement with parameters (``$1``, or
``?``/``%s`` renumbered to ``$n``) is planned generically: ``EXPLAIN (GENERIC_PLAN)`` from
PostgreSQL 16, before that ``PREPARE`` with ``plan_cache_mode = force_generic_plan`` and
``EXPLAIN EXECUTE`` with NULLs (the values do not matter to a generic plan). Each statement
runs in a savepoint, so that one that fails to plan (a missing table, a missing privilege)
costs nothing but its own result. Hypothetical indexes are reset after every candidate:
HypoPG runs out of object ids past a few hundred in one session.
"""

from __future__ import annotations

import json
import re
from typing import Any

import psycopg

#: Seconds one EXPLAIN may take (planning only), and one lock wait.
STATEMENT_TIMEOUT_S = 10
LOCK_TIMEOUT_S = 2

_TOKENS = re.compile(
    r"(?P<skip>'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|/\*.*?\*/|--[^\n]*|"
    r"\$(?P<tag>[A-Za-z_]\w*)?\$.*?\$(?P=tag)?\$)"
    r"|(?P<num>\$\d+)|(?P<anon>\?|%s)",
    re.S,
)


def numbered(sql: str) -> tuple[str, int]:
    """``sql`` with ``?`` and ``%s`` placeholders as ``$n``, and how many parameters it has.

    >>> numbered("select * from t where a = ? and b = '?' and c = %s")
    ("select * from t where a = $1 and b = '?' and c = $2", 2)
    >>> numbered("select $2, $1"), numbered("select 1")
    (('select $2, $1', 2), ('select 1', 0))
    """
    count = 0
    highest = 0

    def swap(match: re.Match[str]) -> str:
        nonlocal count, highest
        if match["skip"] is not None:
            return match.group(0)
        if match["num"] is not None:
            highest = max(highest, int(match["num"][1:]))
            return match.group(0)
        count += 1
        return f"${count}"

    text = _TOKENS.sub(swap, sql)
    return text, max(count, highest)


class ExplainError(Exception):
    """A statement PostgreSQL would not plan: the first line of its error."""


class HypoSession:
    """One connection's read-only transaction for EXPLAIN and hypothetical indexes.

    ``hypopg`` is the schema of HypoPG's functions, or None when the database lacks it.
    """

    def __init__(self, conn: psycopg.Connection[Any], hypopg: str | None) -> None:
        self.conn = conn
        self.hypopg = hypopg
        self.generic_plan = conn.info.server_version >= 160000
        self._names = 0
        self._prepared: str | None = None
        conn.prepare_threshold = None  # no statements of psycopg's own to DEALLOCATE ALL
        conn.execute("SET TRANSACTION READ ONLY")
        conn.execute(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT_S}s'")
        conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_S}s'")

    def cost(self, sql: str, index: str | None = None) -> float:
        """The planner's total cost of ``sql``, with the hypothetical ``index`` (a
        ``CREATE INDEX`` statement) when given."""
        text, params = numbered(sql)
        try:
            with self.conn.transaction():
                if index is not None:
                    self.conn.execute(
                        f"SELECT indexrelid FROM {self.hypopg}.hypopg_create_index(%s)", (index,)
                    )
                plan = self._explain(text, params)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ExplainError(first) from exc
        finally:
            if self._prepared is not None:
                self.conn.execute(f"DEALLOCATE {self._prepared}")
                self._prepared = None
            if index is not None:
                self.reset()
        return float(plan[0]["Plan"]["Total Cost"])

    def reset(self) -> None:
        if self.hypopg is not None:
            self.conn.execute(f"SELECT {self.hypopg}.hypopg_reset()")

    def _explain(self, text: str, params: int) -> Any:
        if params == 0:
            return self._json(f"EXPLAIN (FORMAT JSON) {text}")
        if self.generic_plan:
            return self._json(f"EXPLAIN (FORMAT JSON, GENERIC_PLAN) {text}")
        self._names += 1
        name = f"erpcap_idx_{self._names}"
        # binary: the extended protocol, which refuses a second statement smuggled in the text
        self.conn.execute(f"PREPARE {name} AS {text}".encode(), binary=True)
        self._prepared = name  # deallocated by cost(), outside the savepoint that may fail
        self.conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        nulls = ", ".join(["NULL"] * params)
        return self._json(f"EXPLAIN (FORMAT JSON) EXECUTE {name}({nulls})")

    def _json(self, query: str) -> Any:
        # bytes: no %-placeholders; binary: the extended protocol, one statement only
        row = self.conn.execute(query.encode(), binary=True).fetchone()
        assert row is not None
        value = row[0]
        return json.loads(value) if isinstance(value, str) else value


def hypopg_schema(conn: psycopg.Connection[Any]) -> tuple[str | None, str]:
    """(schema of HypoPG's functions or None, how: ``installed``, ``temporary`` or why not).

    When the extension is available but not created, it is created inside the session's
    transaction (rolled back at the end, so the database keeps no trace); that needs the
    right to create it, which a monitoring user usually lacks.
    """
    row = conn.execute(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE e.extname = 'hypopg'"
    ).fetchone()
    if row is not None:
        return str(row[0]), "installed"
    available = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'"
    ).fetchone()
    if available is None:
        return None, "the hypopg extension is not available on the server"
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION hypopg")
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, f"the hypopg extension is not created in this database and cannot be: {first}"
    return hypopg_schema(conn)[0], "temporary"
