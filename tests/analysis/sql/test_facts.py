"""Facts read from statements with sqlglot: tables and aliases, predicates, joins, ordering,
paging, subqueries — with the placeholders of every source — and statements it cannot read."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erpcap.analysis.sql.facts import (
    FAILURE_CHARS,
    Facts,
    ParseFailure,
    facts_for,
    statement_facts,
)


def _facts(text: str, dialect: str | None = "postgres") -> Facts:
    found = statement_facts(text, dialect)
    assert isinstance(found, Facts), found
    return found


@pytest.mark.parametrize(
    ("dialect", "text"),
    [
        ("postgres", "SELECT a FROM t WHERE b = $1 AND c = $2"),
        ("postgres", "select a from t where b = ? and c = ?"),  # a fingerprint
        ("mysql", "SELECT a FROM `t` WHERE `b` = ? AND c = ?"),
        ("mysql", "SELECT a FROM t WHERE b = %s AND c = %(name)s"),
        ("mysql", "SELECT a FROM t WHERE b = $1 AND c = $2"),  # pg_stat_statements text
        (None, "SELECT a FROM t WHERE b = ? AND c = :name"),
    ],
)
def test_placeholders_of_every_source_parse(dialect: str | None, text: str) -> None:
    f = _facts(text, dialect)
    assert [(p.table, p.column, p.value) for p in f.predicates] == [
        ("t", "b", "param"),
        ("t", "c", "param"),
    ]


def test_aliases_resolve_to_tables_in_joins_and_predicates() -> None:
    f = _facts(
        "SELECT o.id, c.name FROM shop.orders AS o "
        "JOIN customers c ON c.id = o.customer_id "
        "LEFT JOIN notes n USING (order_id) "
        "WHERE o.state = 'open' AND c.region IN (1, 2, 3) ORDER BY c.name, o.id DESC"
    )
    assert f.kind == "select"
    assert f.tables[0].name == "orders" and f.tables[0].alias == "o"
    assert f.tables[0].schema == "shop"
    assert f.table_names == ("orders", "customers", "notes")
    assert [(j.table, j.kind) for j in f.joins] == [("customers", "inner"), ("notes", "left")]
    assert f.widest_join == 3
    assert f.joins[0].predicates == (("customers.id", "orders.customer_id"),)
    assert f.joins[1].predicates == (("notes.order_id", "orders.order_id"),)
    where = [p for p in f.predicates if not p.in_join]
    assert [(p.table, p.column, p.operator, p.value) for p in where] == [
        ("orders", "state", "=", "literal"),
        ("customers", "region", "in", "list"),
    ]
    assert where[1].items == 3 and f.in_lists == (3,)
    assert f.order_by == ("customers.name", "orders.id")
    assert "orders.customer_id" in f.columns and not f.select_star


def test_unqualified_columns_of_one_table_are_its_own() -> None:
    f = _facts("SELECT id FROM items WHERE lower(code) = $1 GROUP BY kind")
    assert f.columns == ("items.id", "items.code", "items.kind")
    (p,) = f.predicates
    assert (p.table, p.column, p.wrapped) == ("items", "code", "lower")
    assert f.group_by == ("items.kind",) and f.aggregate


def test_functions_and_casts_around_a_column_are_named_as_written() -> None:
    f = _facts("SELECT 1 FROM t WHERE date(created) >= %s AND CAST(code AS INT) = 7", "mysql")
    assert [(p.column, p.wrapped) for p in f.predicates] == [("created", "date"), ("code", "cast")]
    pg = _facts("SELECT 1 FROM t WHERE created::date = $1 AND $2 = upper(name)")
    assert [(p.column, p.wrapped, p.value) for p in pg.predicates] == [
        ("created", "cast", "param"),
        ("name", "upper", "param"),  # the column on the right is found too
    ]


def test_like_patterns_keep_their_literal_start() -> None:
    f = _facts(
        "SELECT 1 FROM t WHERE a LIKE '%x' AND b ILIKE '%' || $1 AND c LIKE $2 AND d NOT LIKE 'y%'"
    )
    assert [(p.column, p.pattern, p.negated) for p in f.predicates] == [
        ("a", "%x", False),
        ("b", "%", False),
        ("c", None, False),
        ("d", "y%", True),
    ]


def test_comma_joins_take_their_predicates_from_where() -> None:
    linked = _facts("SELECT * FROM a, b WHERE a.x = b.y AND a.z = 1")
    assert linked.joins[0].kind == "comma" and linked.joins[0].predicates == (("a.x", "b.y"),)
    cross = _facts("SELECT * FROM a, b WHERE a.z = 1")
    assert cross.joins[0].predicates == () and not cross.joins[0].has_condition
    assert cross.select_star


def test_paging_ordering_distinct() -> None:
    mysql = _facts("SELECT DISTINCT a FROM t ORDER BY RAND() LIMIT 5000, 20", "mysql")
    assert mysql.has_limit and mysql.has_offset and mysql.offset == 5000
    assert mysql.order_random and mysql.distinct
    pg = _facts("SELECT a FROM t ORDER BY random() LIMIT $1 OFFSET $2")
    assert pg.order_random and pg.has_offset and pg.offset is None  # a parameter: unknown
    plain = _facts("SELECT a FROM t")
    assert not (plain.has_limit or plain.has_offset or plain.order_random or plain.distinct)


def test_subqueries_correlated_or_not() -> None:
    f = _facts(
        "SELECT a, (SELECT max(x) FROM y WHERE y.k = t.k) FROM t "
        "WHERE t.b NOT IN (SELECT z FROM w) "
        "AND EXISTS (SELECT 1 FROM v WHERE v.r = t.r)"
    )
    assert sorted((s.place, s.correlated) for s in f.subqueries) == [
        ("exists", True),
        ("select", True),
        ("where", False),
    ]
    assert f.not_in_subquery
    assert not f.aggregate  # max() belongs to the subquery
    assert set(f.table_names) == {"t", "y", "w", "v"}
    plain_in = _facts("SELECT a FROM t WHERE b IN (SELECT z FROM w)")
    assert not plain_in.not_in_subquery and plain_in.predicates[0].value == "subquery"


def test_or_across_columns_and_not_within_one() -> None:
    across = _facts("SELECT 1 FROM t WHERE a = 1 OR b = 2 OR a = 3")
    assert across.or_columns == (("t.a", "t.b"),)
    same = _facts("SELECT 1 FROM t WHERE (a = 1 OR a = 2) AND b = 3")
    assert same.or_columns == ()


@pytest.mark.parametrize(
    ("text", "kind", "where"),
    [
        ("UPDATE t SET a = 1", "update", False),
        ("UPDATE t SET a = 1 WHERE id = $1", "update", True),
        ("DELETE FROM t", "delete", False),
        ("INSERT INTO t (a, b) VALUES (1, 2)", "insert", False),
        ("SELECT a FROM t UNION SELECT b FROM u", "select", False),
        ("VACUUM t", "other", False),
    ],
)
def test_statement_kinds(text: str, kind: str, where: bool) -> None:
    f = _facts(text)
    assert (f.kind, f.has_where) == (kind, where)


def test_unparseable_statements_are_failures_not_exceptions() -> None:
    long_broken = "SELECT (a FROM t WHERE " + "x = 1 AND " * 100
    found = statement_facts(long_broken, "postgres")
    assert isinstance(found, ParseFailure)
    assert found.text == long_broken[:FAILURE_CHARS] and found.error
    two = statement_facts("SELECT 1; SELECT 2", "mysql")
    assert isinstance(two, ParseFailure) and "2" in two.error


def test_each_fingerprint_is_parsed_once_and_falls_back_to_the_fingerprint() -> None:
    cache: dict[str, Facts | ParseFailure] = {}
    first = facts_for(cache, "select a from t where b = ?", "SELECT a FROM t WHERE b = 1", None)
    # A second call with another text returns the cached facts: no second parse.
    again = facts_for(cache, "select a from t where b = ?", "garbage (", None)
    assert again is first and list(cache) == ["select a from t where b = ?"]
    # A sample that does not parse (here: truncated) falls back to its fingerprint.
    fallback = facts_for(cache, "select c from u", "SELECT c FROM u WHERE (", None)
    assert isinstance(fallback, Facts) and fallback.table_names == ("u",)


def test_a_statement_of_a_megabyte_is_a_failure_at_once() -> None:
    huge = "INSERT INTO t (a) VALUES " + ", ".join(["(1)"] * 300_000)
    found = statement_facts(huge, "postgres")
    assert isinstance(found, ParseFailure) and "too long" in found.error


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from(
                ["SELECT", "*", "FROM", "t", "WHERE", "a", "=", "?", "$1", "(", ")", ",", "JOIN",
                 "ON", "NOT", "IN", "LIKE", "'%x'", "OR", "AND", "LIMIT", "OFFSET", "1", "--",
                 "/*", "*/", "UPDATE", "SET", "DELETE", "t.a", "u", "EXISTS", ";", "::", "%s"]
            ),
            max_size=40,
        ).map(" ".join),
    ),
    dialect=st.sampled_from(["postgres", "mysql", None]),
)  # fmt: skip
def test_no_text_makes_the_reader_raise(text: str, dialect: str | None) -> None:
    found = statement_facts(text, dialect)
    assert isinstance(found, Facts | ParseFailure)
    if isinstance(found, ParseFailure):
        assert found.text == text[:FAILURE_CHARS] and found.error


def test_a_correlated_subquery_names_the_outer_tables_by_their_alias() -> None:
    f = _facts(
        "SELECT c.id FROM customers c WHERE c.credit < "
        "(SELECT sum(o.total) FROM orders o WHERE o.customer_id = c.id) "
        "AND EXISTS (SELECT 1 FROM notes WHERE ref = c.id)"
    )
    assert ("orders", "customer_id", "column") in [
        (p.table, p.column, p.value) for p in f.predicates
    ]
    assert "c.id" not in f.columns and "customers.id" in f.columns
    # An unqualified column belongs to its own level's only table, not to the outer one.
    assert ("notes", "ref") in [(p.table, p.column) for p in f.predicates]
