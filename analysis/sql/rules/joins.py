"""Rules about joins: a cross product (no join predicate), too many joins, DISTINCT hiding a
join's fan-out, correlated subqueries evaluated per row."""

from __future__ import annotations

from collections.abc import Iterable

from erpcap.analysis.sql.rules.base import Hit, Statement
from erpcap.findings import FindingKind, Quantity, Texts

#: More tables than this joined at one query level: PostgreSQL's join_collapse_limit and
#: from_collapse_limit (8) — past it the planner stops searching every join order.
TOO_MANY_TABLES = 8

_RAN = "It ran {calls} times, {total} in all ({share} of database time): {statement}"
_RAN_ZH = "该语句执行 {calls} 次，共 {total}（占数据库时间 {share}）：{statement}"

CROSS_JOIN = FindingKind(
    id="sql.cross_join",
    stage="sql",
    texts={
        "en": Texts(
            "Join of {table} without a join condition",
            "{table} is joined without any condition linking it to the other tables, so every "
            "row pairs with every row (a cross product). " + _RAN,
            "Add the missing join condition (JOIN {table} ON …), or write CROSS JOIN if the "
            "product is really intended.",
        ),
        "zh-CN": Texts(
            "连接 {table} 时没有连接条件",
            "{table} 在连接时没有任何与其他表关联的条件，每一行都与每一行配对（笛卡尔积）。"
            + _RAN_ZH,
            "补上缺失的连接条件（JOIN {table} ON …）；若确需笛卡尔积，请明确写 CROSS JOIN。",
        ),
    },
)

TOO_MANY_JOINS = FindingKind(
    id="sql.too_many_joins",
    stage="sql",
    texts={
        "en": Texts(
            "{tables} tables joined in one query",
            "One query level joins {tables} tables; past 8 the planner no longer tries every "
            "join order (PostgreSQL join_collapse_limit), and plans become unstable. " + _RAN,
            "Fetch only the tables this screen needs, split the statement, or precompute the "
            "joined data (a materialised view or summary table).",
        ),
        "zh-CN": Texts(
            "一个查询连接了 {tables} 张表",
            "同一查询层级连接了 {tables} 张表；超过 8 张时优化器不再穷举连接顺序"
            "（PostgreSQL join_collapse_limit），执行计划不稳定。" + _RAN_ZH,
            "只取界面需要的表、拆分语句，或预先计算连接结果（物化视图或汇总表）。",
        ),
    },
)

DISTINCT_JOIN = FindingKind(
    id="sql.distinct_join",
    stage="sql",
    texts={
        "en": Texts(
            "DISTINCT over a join",
            "SELECT DISTINCT on a join often hides a fan-out: the join multiplies rows and "
            "DISTINCT sorts or hashes them away again. " + _RAN,
            "Use EXISTS for the table that only filters, or join on a unique key so no "
            "duplicates arise.",
        ),
        "zh-CN": Texts(
            "在连接上使用 DISTINCT",
            "在连接上使用 SELECT DISTINCT 往往掩盖了行数膨胀：连接使行数成倍增加，DISTINCT "
            "再通过排序或哈希去重。" + _RAN_ZH,
            "对只用于过滤的表改用 EXISTS，或按唯一键连接，避免产生重复行。",
        ),
    },
)

CORRELATED = FindingKind(
    id="sql.correlated_subquery",
    stage="sql",
    texts={
        "en": Texts(
            "Correlated subquery in the {place} clause",
            "A subquery reads a column of the outer query, so it may run once per outer row. "
            + _RAN,
            "Rewrite it as a JOIN (with GROUP BY for an aggregate) or a lateral join, so it "
            "is computed once for all rows.",
        ),
        "zh-CN": Texts(
            "{place} 子句中的相关子查询",
            "子查询引用了外层查询的列，可能对外层的每一行执行一次。" + _RAN_ZH,
            "改写为 JOIN（聚合时加 GROUP BY）或 LATERAL 连接，使其对所有行只计算一次。",
        ),
    },
)


def cross_join(stmt: Statement) -> Iterable[Hit]:
    for join in stmt.facts.joins:
        if join.kind in ("comma", "inner") and not join.predicates and not join.has_condition:
            yield Hit(CROSS_JOIN, "critical", {"table": Quantity(join.table)})


def too_many_joins(stmt: Statement) -> Iterable[Hit]:
    tables = stmt.facts.widest_join
    if tables > TOO_MANY_TABLES:
        yield Hit(TOO_MANY_JOINS, "warning", {"tables": Quantity(tables, "count")})


def distinct_join(stmt: Statement) -> Iterable[Hit]:
    if stmt.facts.distinct and stmt.facts.joins:
        yield Hit(DISTINCT_JOIN, "warning")


def correlated_subquery(stmt: Statement) -> Iterable[Hit]:
    # EXISTS is a semi-join and LATERAL (place "from") is correlated on purpose.
    places = {
        s.place for s in stmt.facts.subqueries if s.correlated and s.place not in ("exists", "from")
    }
    for place in sorted(places):
        yield Hit(CORRELATED, "warning", {"place": Quantity(place.upper())})
