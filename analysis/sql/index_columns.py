"""The columns a statement filters, joins and orders by, per table: what an index could serve.

Parsed with sqlglot, aliases resolved to their tables. Per table: equality columns (``=``,
``IN``, ``IS NULL``) in the order they appear, then range columns (``<``, ``>``, ``BETWEEN``),
join columns (``a.x = b.y``) and ``ORDER BY`` columns. Conditions under ``OR`` or ``NOT`` are
left out (one index cannot serve them), and so are columns behind a function or a cast (not
sargable). An unqualified column in a statement of several tables is given to the table that
has it when ``columns_of`` (the catalog) says so, else skipped.

>>> uses = column_uses(
...     "SELECT * FROM orders o JOIN lines l ON l.order_id = o.id "
...     "WHERE o.customer = $1 AND o.placed > $2 ORDER BY o.placed LIMIT 10")
>>> [(u.table, u.equality, u.ranges, u.joins, u.order) for u in uses]
[('lines', (), (), ('order_id',), ()), ('orders', ('customer',), ('placed',), ('id',), ('placed',))]
>>> column_uses("DELETE FROM t WHERE a = 1 AND (b = 2 OR c = 3)")[0].equality
('a',)
>>> column_uses("SELECT 1 FROM emp e JOIN emp m ON m.id = e.manager WHERE e.id = 3")[0].joins
('id', 'manager')
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import traverse_scope

#: Statement kinds an index can serve and that EXPLAIN shows without running them.
EXPLAINABLE = (exp.Select, exp.Update, exp.Delete, exp.Union)

_EQUALITY = (exp.EQ, exp.In, exp.Is)
_RANGE = (exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between)


@dataclass(frozen=True)
class TableUse:
    """What one statement asks of one table (column names as written, lower case unless
    quoted; ``table`` is ``schema.name`` when the statement names the schema)."""

    table: str
    equality: tuple[str, ...] = ()
    ranges: tuple[str, ...] = ()
    joins: tuple[str, ...] = ()
    order: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column, each once, equality first."""
        return tuple(dict.fromkeys(self.equality + self.joins + self.ranges + self.order))


@dataclass
class _Acc:
    equality: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    joins: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)


class UnsupportedStatement(ValueError):
    """A text that is not one SELECT, UPDATE or DELETE sqlglot can parse."""


def parse_statement(sql: str, dialect: str | None = "postgres") -> exp.Expr:
    """The one statement of ``sql``; :class:`UnsupportedStatement` for anything else.

    >>> type(parse_statement("select 1")).__name__
    'Select'
    >>> try:
    ...     parse_statement("select 1; drop table t")
    ... except UnsupportedStatement as exc:
    ...     print(exc)
    2 statements in one text
    """
    try:
        parsed = [e for e in sqlglot.parse(sql, dialect=dialect) if e is not None]
    except SqlglotError as exc:
        raise UnsupportedStatement(f"sqlglot cannot parse it ({str(exc).splitlines()[0]})") from exc
    if len(parsed) != 1:
        raise UnsupportedStatement(f"{len(parsed)} statements in one text")
    tree = parsed[0]
    if not isinstance(tree, EXPLAINABLE):
        raise UnsupportedStatement(f"a {tree.key.upper()} statement, not a SELECT/UPDATE/DELETE")
    return tree


def column_uses(
    sql: str,
    dialect: str | None = "postgres",
    columns_of: Callable[[str], set[str] | None] | None = None,
) -> list[TableUse]:
    """Per table (sorted by name), the columns ``sql`` filters, joins and orders by."""
    tree = parse_statement(sql, dialect)
    acc: dict[str, _Acc] = {}
    for sources, node in _scopes(tree):
        resolve = _resolver(sources, columns_of)
        conditions: list[exp.Expr] = []
        where = node.args.get("where")
        if where is not None:
            conditions.append(where.this)
        for join in node.args.get("joins") or []:
            if join.args.get("on") is not None:
                conditions.append(join.args["on"])
        for condition in conditions:
            for predicate in _conjuncts(condition):
                _classify(predicate, resolve, acc)
        order = node.args.get("order")
        if order is not None:
            for ordered in order.expressions:
                column = ordered.this
                if isinstance(column, exp.Column) and (table := resolve(column)):
                    acc.setdefault(table, _Acc()).order.append(column.name)
    return [
        TableUse(
            table,
            tuple(dict.fromkeys(a.equality)),
            tuple(dict.fromkeys(c for c in a.ranges if c not in a.equality)),
            tuple(dict.fromkeys(a.joins)),
            tuple(dict.fromkeys(a.order)),
        )
        for table, a in sorted(acc.items())
    ]


def _table_name(table: exp.Table) -> str:
    return f"{table.db}.{table.name}" if table.db else table.name


def _scopes(tree: exp.Expr) -> Iterator[tuple[dict[str, str], exp.Expr]]:
    """(alias → table name, the node holding WHERE/JOIN/ORDER) for every query level."""
    if isinstance(tree, exp.Update | exp.Delete):
        sources: dict[str, str] = {}
        tables = [tree.this] + list(tree.args.get("using") or [])
        source = tree.args.get("from_")
        if source is not None:
            tables.append(source.this)
        for table in tables:
            if isinstance(table, exp.Table):
                sources[table.alias_or_name] = _table_name(table)
        yield sources, tree
    for scope in traverse_scope(tree):
        mapping = {
            alias: _table_name(source)
            for alias, source in scope.sources.items()
            if isinstance(source, exp.Table)
        }
        # A scope whose sources are all subqueries or CTEs has mapping {}; still yielded so
        # that a qualified column of a derived table is skipped, not guessed.
        yield mapping, scope.expression


def _resolver(
    sources: dict[str, str], columns_of: Callable[[str], set[str] | None] | None
) -> Callable[[exp.Column], str | None]:
    def resolve(column: exp.Column) -> str | None:
        if column.table:
            return sources.get(column.table)
        if len(sources) == 1:
            return next(iter(sources.values()))
        if columns_of is None:
            return None
        owners = [t for t in set(sources.values()) if column.name in (columns_of(t) or set())]
        return owners[0] if len(owners) == 1 else None

    return resolve


def _conjuncts(condition: exp.Expr) -> Iterator[exp.Expr]:
    """The parts of ``a AND b AND (c)``; an OR or NOT stays whole (and is then skipped)."""
    while isinstance(condition, exp.Paren):
        condition = condition.this
    if isinstance(condition, exp.And):
        yield from _conjuncts(condition.left)
        yield from _conjuncts(condition.right)
    else:
        yield condition


def _classify(
    predicate: exp.Expr,
    resolve: Callable[[exp.Column], str | None],
    acc: dict[str, _Acc],
) -> None:
    if not isinstance(predicate, _EQUALITY + _RANGE):
        return
    left, right = predicate.this, predicate.args.get("expression")
    if isinstance(predicate, exp.EQ | exp.GT | exp.GTE | exp.LT | exp.LTE):
        if isinstance(left, exp.Column) and isinstance(right, exp.Column):
            first, second = resolve(left), resolve(right)
            other = first != second or left.table != right.table  # a self-join counts
            if first and second and other and isinstance(predicate, exp.EQ):
                acc.setdefault(first, _Acc()).joins.append(left.name)
                acc.setdefault(second, _Acc()).joins.append(right.name)
            return
        if not isinstance(left, exp.Column) and isinstance(right, exp.Column):
            left, right = right, left
    if not isinstance(left, exp.Column) or (right is not None and right.find(exp.Column)):
        return
    table = resolve(left)
    if table is None:
        return
    target = acc.setdefault(table, _Acc())
    if isinstance(predicate, _EQUALITY):
        target.equality.append(left.name)
    else:
        target.ranges.append(left.name)
