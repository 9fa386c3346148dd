"""Rules about filter conditions an index cannot serve: a leading-wildcard LIKE, a function or
cast around a filtered column, OR across columns, NOT IN (subquery), very long IN lists."""

from __future__ import annotations

from collections.abc import Iterable

from erpcap.analysis.sql.rules.base import Hit, Statement
from erpcap.findings import FindingKind, Quantity, Texts

#: IN lists longer than this (values, from a sample with real values) are flagged.
LONG_IN_LIST = 200

_RAN = "It ran {calls} times, {total} in all ({share} of database time): {statement}"
_RAN_ZH = "该语句执行 {calls} 次，共 {total}（占数据库时间 {share}）：{statement}"

LEADING_WILDCARD = FindingKind(
    id="sql.leading_wildcard",
    stage="sql",
    texts={
        "en": Texts(
            "LIKE pattern starting with a wildcard on {column}",
            "The pattern {pattern} starts with a wildcard, so no ordinary index on {column} "
            "helps: every row is read and compared. " + _RAN,
            "Search by prefix ('abc%') if the business allows it; otherwise use a trigram index "
            "(PostgreSQL pg_trgm, GIN) or a full-text index (MySQL FULLTEXT).",
        ),
        "zh-CN": Texts(
            "{column} 上的 LIKE 模式以通配符开头",
            "模式 {pattern} 以通配符开头，{column} 上的普通索引无法使用，每一行都要读取比较。"
            + _RAN_ZH,
            "如业务允许，改为前缀匹配（'abc%'）；否则使用三元组索引（PostgreSQL pg_trgm，GIN）"
            "或全文索引（MySQL FULLTEXT）。",
        ),
    },
)

FUNCTION_ON_COLUMN = FindingKind(
    id="sql.function_on_column",
    stage="sql",
    texts={
        "en": Texts(
            "{function}() around the filtered column {column}",
            "The condition applies {function}() to {column} before comparing, so an index on "
            "{column} cannot be used (not sargable). " + _RAN,
            "Compare the bare column with a transformed value instead (e.g. a date range "
            "instead of date(col) = ?), or create an expression index on {function}({column}).",
        ),
        "zh-CN": Texts(
            "过滤列 {column} 外包了 {function}()",
            "条件先对 {column} 执行 {function}() 再比较，{column} 上的索引无法使用。" + _RAN_ZH,
            "改为直接比较原列、转换比较值（例如用日期范围代替 date(col) = ?），"
            "或在 {function}({column}) 上建表达式索引。",
        ),
    },
)

OR_ACROSS_COLUMNS = FindingKind(
    id="sql.or_across_columns",
    stage="sql",
    texts={
        "en": Texts(
            "OR across different columns ({columns})",
            "An OR between conditions on different columns ({columns}) usually stops the "
            "planner from using one index; it scans or merges bitmaps. " + _RAN,
            "Rewrite as UNION ALL of one query per column (each with its index), or make sure "
            "every column has an index so a bitmap OR is possible.",
        ),
        "zh-CN": Texts(
            "跨不同列的 OR（{columns}）",
            "不同列（{columns}）条件之间的 OR 通常使优化器无法使用单个索引，只能全表扫描或"
            "合并位图。" + _RAN_ZH,
            "改写为每列一个查询的 UNION ALL（各自走索引），或确保每列都有索引以便位图 OR。",
        ),
    },
)

NOT_IN_SUBQUERY = FindingKind(
    id="sql.not_in_subquery",
    stage="sql",
    texts={
        "en": Texts(
            "NOT IN (subquery)",
            "NOT IN with a subquery returns no row at all when the subquery yields a NULL, "
            "and is often planned as a repeated scan instead of an anti-join. " + _RAN,
            "Write NOT EXISTS (SELECT 1 … WHERE inner.key = outer.key) or a LEFT JOIN … "
            "WHERE inner.key IS NULL.",
        ),
        "zh-CN": Texts(
            "NOT IN（子查询）",
            "子查询返回 NULL 时 NOT IN 不返回任何行，而且常被执行为反复扫描而不是反连接。"
            + _RAN_ZH,
            "改写为 NOT EXISTS (SELECT 1 … WHERE inner.key = outer.key) 或 LEFT JOIN … "
            "WHERE inner.key IS NULL。",
        ),
    },
)

LONG_IN = FindingKind(
    id="sql.long_in_list",
    stage="sql",
    texts={
        "en": Texts(
            "IN list of {items} values",
            "An IN list of {items} values costs parsing and planning on every call and can "
            "exceed the planner's limits. " + _RAN,
            "Pass the values as one array parameter (= ANY($1) in PostgreSQL), join a "
            "temporary table, or fetch by the condition that produced the list.",
        ),
        "zh-CN": Texts(
            "包含 {items} 个值的 IN 列表",
            "包含 {items} 个值的 IN 列表每次调用都要解析和规划，还可能超出优化器的限制。" + _RAN_ZH,
            "改用一个数组参数（PostgreSQL 的 = ANY($1)）、连接临时表，或直接按产生该列表的"
            "条件查询。",
        ),
    },
)


def leading_wildcard(stmt: Statement) -> Iterable[Hit]:
    for p in stmt.facts.predicates:
        pattern = p.pattern or ""
        if p.operator in ("like", "ilike") and not p.negated and pattern[:1] in ("%", "_"):
            yield Hit(LEADING_WILDCARD, "warning", _column_values(p.table, p.column, p.pattern))


def function_on_column(stmt: Statement) -> Iterable[Hit]:
    seen: set[tuple[str | None, str, str]] = set()
    for p in stmt.facts.predicates:
        if p.wrapped is None or p.in_join or p.value in ("column", "subquery"):
            continue
        key = (p.table, p.column, p.wrapped)
        if key not in seen:
            seen.add(key)
            values = _column_values(p.table, p.column, None)
            yield Hit(FUNCTION_ON_COLUMN, "warning", {**values, "function": Quantity(p.wrapped)})


def or_across_columns(stmt: Statement) -> Iterable[Hit]:
    for columns in stmt.facts.or_columns:
        yield Hit(OR_ACROSS_COLUMNS, "warning", {"columns": Quantity(list(columns), "list")})


def not_in_subquery(stmt: Statement) -> Iterable[Hit]:
    if stmt.facts.not_in_subquery:
        yield Hit(NOT_IN_SUBQUERY, "warning")


def long_in_list(stmt: Statement) -> Iterable[Hit]:
    longest = max(stmt.facts.in_lists, default=0)
    if longest > LONG_IN_LIST:
        yield Hit(LONG_IN, "warning", {"items": Quantity(longest, "count")})


def _column_values(table: str | None, column: str, pattern: str | None) -> dict[str, Quantity]:
    values = {"column": Quantity(f"{table}.{column}" if table else column)}
    if pattern is not None:
        values["pattern"] = Quantity(repr(pattern))
    return values
