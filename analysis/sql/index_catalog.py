"""What PostgreSQL's catalog says about tables and indexes: read-only queries any user may run.

Tables are looked up by the name a statement uses (``to_regclass``, so the connection's
``search_path`` applies); indexes come from ``pg_index`` with their key columns in order
(an expression position ends the usable prefix), access method, uniqueness and predicate;
usage from ``pg_stat_user_indexes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg


@dataclass(frozen=True)
class Table:
    """A table as the catalog knows it."""

    oid: int
    schema: str
    name: str
    columns: frozenset[str]
    bytes: int

    @property
    def display(self) -> str:
        """The name to write in advice: ``schema.name`` unless the schema is ``public``.

        >>> Table(1, "public", "Orders", frozenset(), 0).display
        '"Orders"'
        >>> Table(1, "erp", "orders", frozenset(), 0).display
        'erp.orders'
        """
        name = quote_ident(self.name)
        return name if self.schema == "public" else f"{quote_ident(self.schema)}.{name}"


@dataclass(frozen=True)
class Index:
    """One index of a table: its leading plain columns (``keys``) and what else matters."""

    name: str
    schema: str
    table: str
    table_oid: int
    method: str  # btree, hash, gin, …
    keys: tuple[str, ...]  # key columns up to the first expression
    all_plain: bool  # every key is a plain column (no expression)
    unique: bool
    primary: bool
    partial: bool
    valid: bool
    bytes: int
    definition: str
    #: Operator classes of ``keys`` (``int4_ops``, ``text_pattern_ops``, …); () if unknown.
    operators: tuple[str, ...] = ()


_IDENT = re.compile(r"[a-z_][a-z0-9_$]*")


def quote_ident(name: str) -> str:
    """``name`` quoted when PostgreSQL needs it to keep its case or characters.

    >>> quote_ident("customer_id"), quote_ident("Customer"), quote_ident('a"b')
    ('customer_id', '"Customer"', '"a""b"')
    """
    if _IDENT.fullmatch(name):
        return name
    return '"' + name.replace('"', '""') + '"'


def find_table(conn: psycopg.Connection[Any], name: str) -> Table | None:
    """The table a statement calls ``name`` (``schema.table`` or ``table``), or None."""
    parts = name.split(".")
    regname = ".".join(quote_ident(p) for p in parts)
    row = conn.execute(
        "SELECT c.oid, n.nspname, c.relname, pg_relation_size(c.oid) FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.oid = to_regclass(%s) AND c.relkind IN ('r', 'p', 'm')",
        (regname,),
    ).fetchone()
    if row is None:
        return None
    columns = conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped",
        (row[0],),
    ).fetchall()
    return Table(int(row[0]), row[1], row[2], frozenset(c[0] for c in columns), int(row[3] or 0))


_INDEXES = """
SELECT i.indexrelid::regclass::text, n.nspname, t.relname, t.oid, am.amname,
       ARRAY(SELECT a.attname FROM unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY k(attnum, pos)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             ORDER BY k.pos),
       i.indisunique, i.indisprimary, i.indpred IS NOT NULL, i.indisvalid,
       pg_relation_size(i.indexrelid), pg_get_indexdef(i.indexrelid),
       ARRAY(SELECT o.opcname FROM unnest(i.indclass) WITH ORDINALITY k(oid, pos)
             JOIN pg_opclass o ON o.oid = k.oid ORDER BY k.pos)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_am am ON am.oid = c.relam
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
  {only}
ORDER BY n.nspname, t.relname, c.relname
"""


def indexes(conn: psycopg.Connection[Any], table_oid: int | None = None) -> list[Index]:
    """The indexes of one table, or of every user table."""
    only = "AND t.oid = %s" if table_oid is not None else ""
    params = (table_oid,) if table_oid is not None else ()
    found = []
    for row in conn.execute(_INDEXES.format(only=only), params).fetchall():
        names: list[str | None] = list(row[5])
        keys: list[str] = []
        for column in names:
            if column is None:  # an expression: the plain prefix ends here
                break
            keys.append(column)
        found.append(
            Index(
                name=row[0],
                schema=row[1],
                table=row[2],
                table_oid=int(row[3]),
                method=row[4],
                keys=tuple(keys),
                all_plain=len(keys) == len(names),
                unique=bool(row[6]),
                primary=bool(row[7]),
                partial=bool(row[8]),
                valid=bool(row[9]),
                bytes=int(row[10] or 0),
                definition=row[11],
                operators=tuple(row[12][: len(keys)]),
            )
        )
    return found


def covered(columns: tuple[str, ...], existing: list[Index]) -> Index | None:
    """The valid, whole-table btree index whose leading columns are ``columns``, if any.

    >>> ix = Index("t_ab", "public", "t", 1, "btree", ("a", "b"), True, False, False, False,
    ...            True, 0, "")
    >>> covered(("a",), [ix]).name, covered(("b",), [ix])
    ('t_ab', None)
    """
    for index in existing:
        if (
            index.method == "btree"
            and index.valid
            and not index.partial
            and index.keys[: len(columns)] == columns
        ):
            return index
    return None


@dataclass(frozen=True)
class UnusedIndex:
    index: Index
    table_bytes: int
    scans: int


def unused_indexes(conn: psycopg.Connection[Any], existing: list[Index]) -> list[UnusedIndex]:
    """Indexes never scanned since the statistics were reset, other than unique and primary
    keys and indexes behind a constraint (they enforce something even when no query reads
    them)."""
    rows = conn.execute(
        "SELECT s.indexrelid::regclass::text, s.idx_scan, pg_relation_size(s.relid)"
        " FROM pg_stat_user_indexes s WHERE s.idx_scan = 0"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = s.indexrelid)"
    ).fetchall()
    by_name = {i.name: i for i in existing}
    found = []
    for name, scans, table_bytes in rows:
        index = by_name.get(name)
        if index is None or index.unique or index.primary:
            continue
        found.append(UnusedIndex(index, int(table_bytes or 0), int(scans)))
    return found


def stats_reset(conn: psycopg.Connection[Any]) -> datetime | None:
    """When this database's statistics (idx_scan among them) were last reset, if ever."""
    row = conn.execute(
        "SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()"
    ).fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class Duplicate:
    """``redundant`` is served by ``kept``: same table, access method, operator classes and
    predicate, and its key columns are the leading columns of ``kept``'s."""

    redundant: Index
    kept: Index


def duplicate_indexes(existing: list[Index]) -> list[Duplicate]:
    """Indexes another index of the same table makes redundant.

    A unique index is kept unless its twin has exactly its columns and is unique too (it
    enforces something the longer one does not); expression and partial indexes are left out.

    >>> def ix(name, keys, unique=False):
    ...     return Index(name, "public", "t", 1, "btree", keys, True, unique, False, False,
    ...                  True, 8192, "")
    >>> [(d.redundant.name, d.kept.name) for d in duplicate_indexes(
    ...     [ix("t_a", ("a",)), ix("t_ab", ("a", "b")), ix("t_b", ("b",)), ix("t_a2", ("a",))])]
    [('t_a', 't_ab'), ('t_a2', 't_ab')]
    """
    by_table: dict[int, list[Index]] = {}
    for index in existing:
        if index.all_plain and not index.partial and index.valid and index.keys:
            by_table.setdefault(index.table_oid, []).append(index)
    found: list[Duplicate] = []
    for same_table in by_table.values():
        found.extend(_duplicates_of_table(same_table))
    return found


def _duplicates_of_table(plain: list[Index]) -> list[Duplicate]:
    found: list[Duplicate] = []
    taken: set[str] = set()
    for index in plain:
        for other in plain:
            if (
                other.name == index.name
                or other.name in taken
                or other.method != index.method
                or other.keys[: len(index.keys)] != index.keys
                or other.operators[: len(index.operators)] != index.operators
            ):
                continue
            same = other.keys == index.keys
            if index.primary or (index.unique and not (same and other.unique)):
                continue
            if same and (other.primary or other.unique) < (index.primary or index.unique):
                continue
            if same and not (other.primary or other.unique) and other.name > index.name:
                continue  # of two equal twins, report the later name once
            found.append(Duplicate(index, other))
            taken.add(index.name)
            break
    return found
