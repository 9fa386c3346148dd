"""What one SQL statement does, read from its syntax tree (sqlglot): the facts the anti-pattern
rules and the index advice look at.

:func:`statement_facts` parses ONE statement and returns its :class:`Facts` — the kind of
statement, its tables (aliases resolved), the columns it uses, its filter predicates, joins,
ordering, grouping, paging and subqueries — or a :class:`ParseFailure` when sqlglot cannot read
it. Placeholders of every source parse: ``?`` (fingerprints, MySQL), ``$1`` (PostgreSQL) and
``%s`` (Python drivers). Parsing costs about a millisecond a statement (pure Python), so callers
parse each distinct fingerprint once (:func:`facts_for`), never each execution.

>>> f = statement_facts("SELECT o.id FROM orders o JOIN lines l ON l.order_id = o.id "
...                     "WHERE lower(o.ref) = ? ORDER BY o.id", "postgres")
>>> f.kind, [t.name for t in f.tables], f.joins[0].predicates
('select', ['orders', 'lines'], (('lines.order_id', 'orders.id'),))
>>> p = f.predicates[0]
>>> p.table, p.column, p.operator, p.wrapped, p.value
('orders', 'ref', '=', 'lower', 'param')
>>> statement_facts("SELECT (a FROM t", None).error
'Expecting ). Line 1, Col: 14.'
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import traverse_scope

#: Statements longer than this (characters) are not parsed (a megabyte of VALUES would take
#: seconds): they count as unparseable.
MAX_CHARS = 100_000
#: Characters of an unparseable statement kept in its :class:`ParseFailure` (the list shown).
FAILURE_CHARS = 200

#: Comparison node → the operator it is written with.
_OPERATORS: dict[type[exp.Expr], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.Like: "like",
    exp.ILike: "ilike",
    exp.In: "in",
    exp.Between: "between",
    exp.Is: "is",
}

_KINDS: dict[type[exp.Expr], str] = {
    exp.Select: "select",
    exp.Union: "select",
    exp.Intersect: "select",
    exp.Except: "select",
    exp.Insert: "insert",
    exp.Update: "update",
    exp.Delete: "delete",
}

#: sqlglot's dialect names for the ones erpcap knows (MariaDB reads as MySQL).
_DIALECTS = {"postgres": "postgres", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}

#: The key of a query level's alias map that holds its only table (no SQL name is empty).
_ONLY_TABLE = ""

_PYFORMAT = re.compile(r"%(?:\([A-Za-z_]\w*\))?s")
_DOLLAR_PARAM = re.compile(r"\$\d+")


@dataclass(frozen=True)
class TableRef:
    """A table a statement reads or writes: its name (lower case unless quoted), the alias it
    goes by, and its schema when written."""

    name: str
    alias: str | None = None
    schema: str | None = None


@dataclass(frozen=True)
class Predicate:
    """One filter condition on a column (``WHERE`` or ``ON``).

    ``wrapped`` names the function around the column (``lower``, ``cast``), or is None when the
    column stands bare (sargable). ``value`` says what it is compared with: ``literal``,
    ``param``, ``column``, ``subquery``, ``list`` (``IN (…)``), ``null`` or ``expression``.
    ``pattern`` is a LIKE pattern's literal start (``'%'`` for ``'%' || ?``); ``items`` the
    length of an ``IN`` list. ``negated`` is true under ``NOT``.
    """

    table: str | None
    column: str
    operator: str
    wrapped: str | None
    value: str
    negated: bool = False
    pattern: str | None = None
    items: int | None = None
    in_join: bool = False


@dataclass(frozen=True)
class Join:
    """A table joined to the ones before it: how (``inner``, ``left``, ``cross``, ``comma``
    for ``FROM a, b``, ``derived`` for ``FROM a, (SELECT …) s``, ``function`` for
    ``FROM a, unnest(a.x) u``) and the column pairs that link it, from its ``ON`` or ``USING`` or,
    for a comma join, from the ``WHERE`` clause. No pairs and no other condition: a cross
    product."""

    table: str
    kind: str
    predicates: tuple[tuple[str, str], ...]
    #: An ON/USING clause exists (even one without a column pair, e.g. ``ON true``).
    has_condition: bool


@dataclass(frozen=True)
class Subquery:
    """A nested SELECT: where it stands (``select`` list, ``where``, ``from``, ``exists``, …)
    and whether it reads a column of the outer query (evaluated once per outer row)."""

    place: str
    correlated: bool


@dataclass(frozen=True)
class Facts:
    """What one statement does. Column names are ``table.column`` when the table is known."""

    kind: str  # select, insert, update, delete, other
    tables: tuple[TableRef, ...]
    columns: tuple[str, ...]
    predicates: tuple[Predicate, ...]
    joins: tuple[Join, ...]
    order_by: tuple[str, ...]
    group_by: tuple[str, ...]
    #: ORDER BY RAND()/RANDOM().
    order_random: bool
    has_where: bool
    has_limit: bool
    #: The OFFSET when it is a literal number (MySQL ``LIMIT o, n`` too), else None.
    offset: int | None
    has_offset: bool
    #: ``*`` or ``t.*`` in what the statement returns (the outer SELECT, UNION arms, INSERT …
    #: SELECT); not ``EXISTS (SELECT * …)`` nor a subquery's or CTE's.
    select_star: bool
    distinct: bool
    aggregate: bool
    subqueries: tuple[Subquery, ...]
    #: Each OR whose branches test different columns: the columns it spans.
    or_columns: tuple[tuple[str, ...], ...]
    not_in_subquery: bool
    #: The most tables one query level joins (its FROM and JOINs; CTEs and subqueries count
    #: on their own level): what the planner orders at once.
    widest_join: int
    #: Lengths of the IN lists (fingerprints collapse them to one: read a sample).
    in_lists: tuple[int, ...]

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.name for t in self.tables))


@dataclass(frozen=True)
class ParseFailure:
    """A statement sqlglot could not read: its start (:data:`FAILURE_CHARS`) and why."""

    text: str
    error: str


def statement_facts(text: str, dialect: str | None) -> Facts | ParseFailure:
    """The :class:`Facts` of one statement, or a :class:`ParseFailure` (never an exception)."""
    if len(text) > MAX_CHARS:
        return ParseFailure(text[:FAILURE_CHARS], f"{len(text):,} characters: too long to parse")
    read = _DIALECTS.get((dialect or "").lower())
    try:
        tree = _parse(text, read)
    except (SqlglotError, RecursionError, ValueError, TypeError, KeyError) as exc:
        return ParseFailure(text[:FAILURE_CHARS], _first_line(exc))
    try:
        return _Reader(tree, read).facts()
    except (SqlglotError, RecursionError, ValueError, TypeError, KeyError, AttributeError) as exc:
        # A tree of a shape the reader does not know (sqlglot parses far more than it reads).
        return ParseFailure(text[:FAILURE_CHARS], f"parsed, but not read: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return (text.splitlines()[0] if text else type(exc).__name__)[:FAILURE_CHARS]


def facts_for(
    cache: MutableMapping[str, Facts | ParseFailure],
    fingerprint: str,
    text: str,
    dialect: str | None,
) -> Facts | ParseFailure:
    """The facts of ``fingerprint`` (parsing ``text``, a sample of it) from ``cache``, parsed
    once. ``cache`` is the SQL context's ``shared["facts"]``."""
    found = cache.get(fingerprint)
    if found is None:
        found = statement_facts(text, dialect)
        if isinstance(found, ParseFailure) and text != fingerprint:
            retry = statement_facts(fingerprint, dialect)
            found = retry if isinstance(retry, Facts) else found
        cache[fingerprint] = found
    return found


def _parse(text: str, read: str | None) -> exp.Expr:
    text = _PYFORMAT.sub("?", text)
    if read != "postgres":
        text = _DOLLAR_PARAM.sub("?", text)
    sql_logger = logging.getLogger("sqlglot")
    level = sql_logger.level
    sql_logger.setLevel(logging.ERROR)  # "falling back to a Command" is not news here
    try:
        trees = [t for t in sqlglot.parse(text, read=read) if t is not None]
    finally:
        sql_logger.setLevel(level)
    if len(trees) != 1:
        raise ValueError(f"expected one statement, found {len(trees)}")
    return trees[0]


def _name(ident: exp.Expr | str | None) -> str:
    if ident is None:
        return ""
    if isinstance(ident, str):
        return ident.lower()
    if isinstance(ident, exp.Identifier):
        return str(ident.this) if ident.quoted else str(ident.this).lower()
    return ident.name.lower()


def _own_nodes(node: exp.Expr) -> Iterator[exp.Expr]:
    """``node`` and what it holds, without descending into nested queries."""
    yield node
    for child in node.iter_expressions():
        if isinstance(child, exp.Subquery | exp.Query):
            continue
        yield from _own_nodes(child)


class _Reader:
    """Collects the facts of one tree, one SELECT (scope) at a time."""

    def __init__(self, tree: exp.Expr, read: str | None) -> None:
        self.tree = tree
        self.read = read
        self.tables: list[TableRef] = []
        self.columns: dict[str, None] = {}
        self.predicates: list[Predicate] = []
        self.joins: list[Join] = []
        self.or_columns: list[tuple[str, ...]] = []
        self.in_lists: list[int] = []
        self.not_in_subquery = False
        self.widest_join = 0
        self._alias_cache: dict[int, dict[str, str]] = {}

    def facts(self) -> Facts:
        tree = self.tree
        kind = next((k for t, k in _KINDS.items() if isinstance(tree, t)), "other")
        correlated = self._correlated()
        for table in tree.find_all(exp.Table):
            if table.name:
                self.tables.append(
                    TableRef(_name(table.this), _name(table.alias) or None, _name(table.db) or None)
                )
        queries: list[exp.Expr] = list(tree.find_all(exp.Select))
        if not isinstance(tree, exp.Select):
            queries.insert(0, tree)  # UPDATE / DELETE: their own WHERE and joins
        for query in queries:
            self._read_query(query)
        top = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
        order = tree.args.get("order") or (top.args.get("order") if top is not None else None)
        order_by: list[str] = []
        order_random = False
        if isinstance(order, exp.Order):
            for item in order.expressions:
                inner = item.this if isinstance(item, exp.Ordered) else item
                order_random |= isinstance(inner, exp.Rand)
                order_by.extend(self._resolve_all(inner, self._aliases(top)))
        group = top.args.get("group") if top is not None else None
        group_by = (
            [c for e in group.expressions for c in self._resolve_all(e, self._aliases(top))]
            if isinstance(group, exp.Group)
            else []
        )
        offset_node = tree.args.get("offset") or (top.args.get("offset") if top else None)
        limit_node = tree.args.get("limit") or (top.args.get("limit") if top else None)
        return Facts(
            kind=kind,
            tables=tuple(dict.fromkeys(self.tables)),
            columns=tuple(self.columns),
            predicates=tuple(self.predicates),
            joins=tuple(self.joins),
            order_by=tuple(order_by),
            group_by=tuple(group_by),
            order_random=order_random,
            has_where=tree.args.get("where") is not None,
            has_limit=limit_node is not None or isinstance(tree.args.get("fetch"), exp.Fetch),
            offset=_int(offset_node.expression) if isinstance(offset_node, exp.Offset) else None,
            has_offset=offset_node is not None,
            select_star=any(
                isinstance(e, exp.Star) or (isinstance(e, exp.Column) and e.is_star)
                for s in _outer_selects(tree)
                for e in s.expressions
            ),
            distinct=top is not None and top.args.get("distinct") is not None,
            aggregate=top is not None
            and (
                top.args.get("group") is not None
                or any(isinstance(n, exp.AggFunc) for e in top.expressions for n in _own_nodes(e))
            ),
            subqueries=tuple(self._subqueries(correlated)),
            or_columns=tuple(self.or_columns),
            not_in_subquery=self.not_in_subquery,
            widest_join=self.widest_join,
            in_lists=tuple(self.in_lists),
        )

    # -- one query level ---------------------------------------------------------------

    def _aliases(self, query: exp.Expr | None) -> dict[str, str]:
        """Alias (or name) → table name for what this query level can name: its own tables
        and derived tables, and those of the queries around it (a correlated subquery names
        the outer query's). Under :data:`_ONLY_TABLE`, its own table when it has just one
        (the table of its unqualified columns)."""
        if query is None:
            return {}
        known = self._alias_cache.get(id(query))
        if known is not None:
            return known
        own: dict[str, str] = {}
        for node in _own_nodes(query):
            if isinstance(node, exp.Table) and node.name:
                name = _name(node.this)
                own[_name(node.alias) or name] = name
                own.setdefault(name, name)
        for sub in query.iter_expressions():  # derived tables in FROM/JOIN hide under From/Join
            for derived in (
                sub.find_all(exp.Subquery) if isinstance(sub, exp.From | exp.Join) else ()
            ):
                if derived.alias:
                    own[_name(derived.alias)] = _name(derived.alias)
        outer = (
            query.parent.find_ancestor(exp.Select, exp.Update, exp.Delete) if query.parent else None
        )
        found = {k: v for k, v in self._aliases(outer).items() if k != _ONLY_TABLE}
        found.update(own)
        tables = set(own.values())
        if len(tables) == 1:
            found[_ONLY_TABLE] = tables.pop()
        self._alias_cache[id(query)] = found
        return found

    def _read_query(self, query: exp.Expr) -> None:
        aliases = self._aliases(query)
        for node in _own_nodes(query):
            if isinstance(node, exp.Column) and not node.is_star:
                self.columns.update(dict.fromkeys(self._resolve_all(node, aliases)))
        where = query.args.get("where")
        if isinstance(where, exp.Where):
            self._read_condition(where.this, aliases, in_join=False)
        joins = query.args.get("joins") or []
        where_pairs = (
            self._column_pairs(where.this, aliases) if isinstance(where, exp.Where) else []
        )
        seen = self._from_tables(query, aliases)
        has_from = isinstance(query.args.get("from_") or query.args.get("from"), exp.From)
        self.widest_join = max(self.widest_join, int(has_from) + len(joins))
        for join in joins:
            target = join.this
            name = _name(target.alias) or (
                _name(target.this) if isinstance(target, exp.Table) else ""
            )
            table = aliases.get(name, name)
            on, using = join.args.get("on"), join.args.get("using")
            pairs: list[tuple[str, str]] = []
            if on is not None:
                self._read_condition(on, aliases, in_join=True)
                pairs = self._column_pairs(on, aliases)
            elif using:
                for ident in using:
                    col = _name(ident)
                    pairs.extend((f"{table}.{col}", f"{other}.{col}") for other in seen[:1])
            kind = (join.args.get("kind") or join.args.get("side") or "").lower()
            if not kind and on is None and not using:
                kind = "comma"
                pairs = [p for p in where_pairs if _links(p, table, seen)]
                if isinstance(target, exp.Subquery):
                    kind = "derived"  # FROM t, (SELECT max(x) …) s: often one row, meant
                elif not (
                    isinstance(target, exp.Table) and isinstance(target.this, exp.Identifier)
                ):
                    kind = "function"  # FROM t, unnest(t.a) u: rows of each t row
            self.joins.append(
                Join(table, kind or "inner", tuple(pairs), on is not None or bool(using))
            )
            seen.append(table)

    def _from_tables(self, query: exp.Expr, aliases: dict[str, str]) -> list[str]:
        source = query.args.get("from_") or query.args.get("from")
        if not isinstance(source, exp.From):
            return [t.name for t in self.tables[:1]]
        target = source.this
        name = _name(target.alias) or (_name(target.this) if isinstance(target, exp.Table) else "")
        return [aliases.get(name, name)]

    def _resolve_all(self, node: exp.Expr, aliases: dict[str, str]) -> list[str]:
        cols = [node] if isinstance(node, exp.Column) else list(node.find_all(exp.Column))
        return [self._resolve(c, aliases) for c in cols if not c.is_star]

    @staticmethod
    def _resolve(column: exp.Column, aliases: dict[str, str]) -> str:
        qualifier = _name(column.args.get("table"))
        col = _name(column.this)
        if qualifier:
            return f"{aliases.get(qualifier, qualifier)}.{col}"
        only = aliases.get(_ONLY_TABLE)
        return f"{only}.{col}" if only else col

    def _column_pairs(self, condition: exp.Expr, aliases: dict[str, str]) -> list[tuple[str, str]]:
        pairs = []
        for node in _own_nodes(condition):
            if isinstance(node, exp.EQ | exp.NEQ | exp.GT | exp.GTE | exp.LT | exp.LTE):
                left, right = node.this, node.expression
                lcols, rcols = self._resolve_all(left, aliases), self._resolve_all(right, aliases)
                if lcols and rcols:
                    pairs.append((lcols[0], rcols[0]))
        return pairs

    def _read_condition(self, condition: exp.Expr, aliases: dict[str, str], in_join: bool) -> None:
        for node in _own_nodes(condition):
            if isinstance(node, exp.Or) and not isinstance(node.parent, exp.Or):
                self._read_or(node, aliases)
            if type(node) in _OPERATORS:
                predicate = self._predicate(node, aliases, in_join)
                if predicate is not None:
                    self.predicates.append(predicate)
            if isinstance(node, exp.In):
                items = node.expressions
                if items:
                    self.in_lists.append(len(items))
                negated = isinstance(node.parent, exp.Not) or node.args.get("negate")
                if negated and node.args.get("query") is not None:
                    self.not_in_subquery = True

    def _read_or(self, node: exp.Or, aliases: dict[str, str]) -> None:
        branches = list(node.flatten())
        sets = [frozenset(self._resolve_all(b, aliases)) for b in branches]
        spanned = sorted(set().union(*sets))
        if len(spanned) > 1 and len(set(sets)) > 1:
            self.or_columns.append(tuple(spanned))

    def _predicate(
        self, node: exp.Expr, aliases: dict[str, str], in_join: bool
    ) -> Predicate | None:
        left, right = node.this, node.args.get("expression")
        side = _column_side(left, self.read)
        if side is None and right is not None and _column_side(right, self.read) is not None:
            left, right = right, left
            side = _column_side(left, self.read)
        if side is None:
            return None
        column, wrapped = side
        table_col = self._resolve(column, aliases)
        table, _, col = table_col.rpartition(".")
        value, pattern, items = "expression", None, None
        if isinstance(node, exp.In):
            if node.args.get("query") is not None:
                value = "subquery"
            else:
                value, items = "list", len(node.expressions)
        elif isinstance(node, exp.Between):
            value = _value_kind(node.args.get("low"))
        else:
            value = _value_kind(right)
            if isinstance(node, exp.Like | exp.ILike):
                pattern = _pattern_start(right)
        return Predicate(
            table=table or None,
            column=col,
            operator=_OPERATORS[type(node)],
            wrapped=wrapped,
            value=value,
            negated=isinstance(node.parent, exp.Not) or bool(node.args.get("negate")),
            pattern=pattern,
            items=items,
            in_join=in_join,
        )

    # -- subqueries --------------------------------------------------------------------

    def _correlated(self) -> set[int]:
        if len(list(self.tree.find_all(exp.Select))) < 2:
            return set()  # no nested query: skip the (costly) scope walk
        # A subquery is correlated when it names a table it does not read itself (an outer
        # one); unqualified columns are ambiguous without the schema and do not count.
        try:
            return {
                id(scope.expression)
                for scope in traverse_scope(self.tree)
                if scope.is_subquery
                and any(c.table and c.table not in scope.sources for c in scope.external_columns)
            }
        except (SqlglotError, RecursionError, KeyError, ValueError, AttributeError):
            return set()

    def _subqueries(self, correlated: set[int]) -> Iterator[Subquery]:
        for select in self.tree.find_all(exp.Select):
            if select is self.tree:
                continue
            holder = select.parent
            if isinstance(holder, exp.Subquery):
                holder = holder.parent
            if holder is None or isinstance(holder, exp.SetOperation | exp.With | exp.CTE):
                continue
            place = _place(holder)
            yield Subquery(place, id(select) in correlated)


def _outer_selects(node: exp.Expr | None) -> list[exp.Select]:
    """The SELECTs whose rows the statement returns or writes."""
    if isinstance(node, exp.Select):
        return [node]
    if isinstance(node, exp.SetOperation):
        return _outer_selects(node.this) + _outer_selects(node.expression)
    if isinstance(node, exp.Insert | exp.Subquery):
        return _outer_selects(node.expression if isinstance(node, exp.Insert) else node.this)
    return []


def _links(pair: tuple[str, str], table: str, earlier: list[str]) -> bool:
    """Whether a WHERE column pair links ``table`` to a table before it."""
    tables = {c.rpartition(".")[0] for c in pair}
    return table in tables and len(tables) == 2


def _column_side(node: exp.Expr | None, read: str | None) -> tuple[exp.Column, str | None] | None:
    """The column a predicate's side tests, and the function or cast around it, if any."""
    if isinstance(node, exp.Column) and not node.is_star:
        return node, None
    if isinstance(node, exp.Paren):
        return _column_side(node.this, read)
    if isinstance(node, exp.Cast | exp.TryCast | exp.Func) and not isinstance(node, exp.AggFunc):
        columns = list(node.find_all(exp.Column))
        if len(columns) == 1 and node.find(exp.Query) is None:
            name = "cast" if isinstance(node, exp.Cast | exp.TryCast) else _func_name(node, read)
            return columns[0], name
    return None


def _func_name(node: exp.Expr, read: str | None) -> str:
    """The function's name as the dialect writes it (``date``, not sqlglot's own name)."""
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    written = node.sql(dialect=read)
    return written.split("(", 1)[0].strip().lower() or type(node).__name__.lower()


def _value_kind(node: exp.Expr | None) -> str:
    if node is None:
        return "expression"
    if isinstance(node, exp.Paren):
        return _value_kind(node.this)
    if isinstance(node, exp.Null):
        return "null"
    if isinstance(node, exp.Placeholder | exp.Parameter):
        return "param"
    if isinstance(node, exp.Literal | exp.Boolean) or (
        isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal)
    ):
        return "literal"
    if isinstance(node, exp.Column):
        return "column"
    if isinstance(node, exp.Subquery | exp.Query):
        return "subquery"
    if isinstance(node, exp.Cast) and _value_kind(node.this) in ("literal", "param"):
        return _value_kind(node.this)
    return "expression"


def _pattern_start(node: exp.Expr | None) -> str | None:
    """A LIKE pattern's literal start: the pattern itself, or the first literal of a
    concatenation (``'%' || ?``, ``CONCAT('%', ?)``); None when it starts with a parameter."""
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    if isinstance(node, exp.DPipe):
        return _pattern_start(node.this)
    if isinstance(node, exp.Concat) and node.expressions:
        return _pattern_start(node.expressions[0])
    if isinstance(node, exp.Paren):
        return _pattern_start(node.this)
    return None


def _place(holder: exp.Expr) -> str:
    node: exp.Expr | None = holder
    while node is not None:
        if isinstance(node, exp.Exists):
            return "exists"
        if isinstance(node, exp.Where):
            return "where"
        if isinstance(node, exp.From | exp.Join):
            return "from"
        if isinstance(node, exp.Having):
            return "having"
        if isinstance(node, exp.Select | exp.Update | exp.Delete | exp.Insert):
            return "select" if isinstance(node, exp.Select) else "statement"
        node = node.parent
    return "statement"


def _int(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(str(node.this))
        except ValueError:
            return None
    return None
