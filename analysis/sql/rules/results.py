"""Rules about what a statement returns or touches: SELECT *, ORDER BY RAND(), deep OFFSET
paging, an unbounded result, UPDATE or DELETE without WHERE."""

from __future__ import annotations

import math
from collections.abc import Iterable

from erpcap.analysis.sql.rules.base import Hit, Statement
from erpcap.findings import FindingKind, Quantity, Texts

#: An OFFSET from this many rows on is deep paging (each page reads and drops them all).
DEEP_OFFSET = 1000
#: A SELECT without LIMIT or aggregate returning this many rows per call, on average, is
#: unbounded (the ranking's rows / calls: evidence, not a guess from the text).
UNBOUNDED_ROWS = 1000

_RAN = "It ran {calls} times, {total} in all ({share} of database time): {statement}"
_RAN_ZH = "该语句执行 {calls} 次，共 {total}（占数据库时间 {share}）：{statement}"

SELECT_STAR = FindingKind(
    id="sql.select_star",
    stage="sql",
    texts={
        "en": Texts(
            "SELECT * reads every column",
            "SELECT * fetches every column, including ones the caller may not use, and "
            "prevents index-only scans. " + _RAN,
            "Name the columns the code uses.",
        ),
        "zh-CN": Texts(
            "SELECT * 读取了所有列",
            "SELECT * 取回所有列，包括调用方可能用不到的列，并使仅索引扫描无法进行。" + _RAN_ZH,
            "只列出代码实际使用的列。",
        ),
    },
)

ORDER_RANDOM = FindingKind(
    id="sql.order_random",
    stage="sql",
    texts={
        "en": Texts(
            "ORDER BY a random value",
            "ORDER BY RAND()/RANDOM() computes a random value for every row and sorts them "
            "all, however few rows are wanted. " + _RAN,
            "Pick random keys in the application (or TABLESAMPLE in PostgreSQL) and fetch "
            "those rows by key.",
        ),
        "zh-CN": Texts(
            "按随机值排序",
            "ORDER BY RAND()/RANDOM() 为每一行计算随机值并全部排序，无论只需要多少行。" + _RAN_ZH,
            "在应用中选取随机键（或在 PostgreSQL 中用 TABLESAMPLE），再按键取行。",
        ),
    },
)

DEEP_PAGING = FindingKind(
    id="sql.deep_offset",
    stage="sql",
    texts={
        "en": Texts(
            "OFFSET {offset} paging",
            "OFFSET {offset} makes the database read and throw away {offset} rows for each "
            "page; later pages get slower and slower. " + _RAN,
            "Page by key instead (keyset pagination: WHERE key > last seen key ORDER BY key "
            "LIMIT n).",
        ),
        "zh-CN": Texts(
            "OFFSET {offset} 分页",
            "OFFSET {offset} 使数据库每翻一页都要读取并丢弃 {offset} 行，越往后越慢。" + _RAN_ZH,
            "改为按键分页（WHERE key > 上一页最后的键 ORDER BY key LIMIT n）。",
        ),
    },
)

UNBOUNDED = FindingKind(
    id="sql.unbounded_result",
    stage="sql",
    texts={
        "en": Texts(
            "{rows} rows per call without LIMIT",
            "The SELECT has no LIMIT and no aggregate and returned {rows} rows per call on "
            "average; the result grows with the table. " + _RAN,
            "Page the result (LIMIT with keyset pagination), filter it further, or aggregate "
            "in the database.",
        ),
        "zh-CN": Texts(
            "每次调用返回 {rows} 行且没有 LIMIT",
            "该 SELECT 没有 LIMIT 也没有聚合，平均每次调用返回 {rows} 行，结果随表增长。" + _RAN_ZH,
            "对结果分页（LIMIT 加按键分页）、进一步过滤，或在数据库中聚合。",
        ),
    },
)

WRITE_WITHOUT_WHERE = FindingKind(
    id="sql.write_without_where",
    stage="sql",
    texts={
        "en": Texts(
            "{verb} without WHERE",
            "The {verb} has no WHERE clause: it touches every row of the table and locks "
            "them all. " + _RAN,
            "Add the condition that selects the rows meant; for emptying a table use TRUNCATE.",
        ),
        "zh-CN": Texts(
            "没有 WHERE 的 {verb}",
            "该 {verb} 没有 WHERE 子句：会修改并锁定表中的每一行。" + _RAN_ZH,
            "加上选定目标行的条件；若要清空表请用 TRUNCATE。",
        ),
    },
)


def select_star(stmt: Statement) -> Iterable[Hit]:
    if stmt.facts.select_star:
        yield Hit(SELECT_STAR, "warning")


def order_random(stmt: Statement) -> Iterable[Hit]:
    if stmt.facts.order_random:
        yield Hit(ORDER_RANDOM, "warning")


def deep_offset(stmt: Statement) -> Iterable[Hit]:
    offset = stmt.facts.offset
    if offset is not None and offset >= DEEP_OFFSET:
        yield Hit(DEEP_PAGING, "warning", {"offset": Quantity(offset, "count")})


def unbounded_result(stmt: Statement) -> Iterable[Hit]:
    f = stmt.facts
    per_call = stmt.rows_per_call
    if f.kind != "select" or f.has_limit or f.aggregate or math.isnan(per_call):
        return
    if per_call >= UNBOUNDED_ROWS:
        yield Hit(UNBOUNDED, "warning", {"rows": Quantity(round(per_call), "count")})


def write_without_where(stmt: Statement) -> Iterable[Hit]:
    f = stmt.facts
    if f.kind in ("update", "delete") and not f.has_where:
        yield Hit(WRITE_WITHOUT_WHERE, "critical", {"verb": Quantity(f.kind.upper())})
