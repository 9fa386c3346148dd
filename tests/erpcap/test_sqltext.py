"""Fingerprint equivalence tables: the same statement from every source (a PostgreSQL log,
pg_stat_statements, a MySQL slow log, performance_schema, a Python driver, an instrumented
application) meets in one fingerprint; statements that differ in shape do not."""

from __future__ import annotations

import pytest

from erpcap.collectors.mysql_metrics import digest_fingerprint
from erpcap.sqltext import fingerprint

SAME_POSTGRES = [
    ("SELECT * FROM t WHERE id = 42", "select * from t where id = $1"),  # pg_stat_statements
    ("SELECT * FROM t WHERE id = 42", "/*op='x',rid='y'*/ SELECT *\n  FROM t\n WHERE id = 42;"),
    ("SELECT * FROM t WHERE id = 42", "SELECT * FROM t WHERE id = 42 -- trailing comment"),
    ("SELECT a FROM t WHERE s = 'it''s'", "SELECT a FROM t WHERE s = E'x\\'y'"),
    ("SELECT a FROM t WHERE s = 'x'", "SELECT a FROM t WHERE s = $$x$$"),
    ("SELECT a FROM t WHERE s = 'x'", "SELECT a FROM t WHERE s = $q$it's$q$"),
    ("SELECT a FROM t WHERE id IN (1,2,3)", "select a from t where id in ($1, $2)"),
    ("INSERT INTO t (a,b) VALUES (1,'x'),(2,'y')", "INSERT INTO t (a, b) VALUES ($1, $2)"),
    ("SELECT a FROM t ORDER BY a ASC LIMIT 10", "SELECT a FROM t ORDER BY a LIMIT $1"),
    ("SELECT a FROM t WHERE x > -5", "SELECT a FROM t WHERE x > $1"),
    ("SELECT a FROM t WHERE x = 1.5e3", "SELECT a FROM t WHERE x = $1"),
    ("SELECT x::numeric(10,2) FROM t", "select x::numeric(10, 2) from t"),
    ("SELECT a,b FROM t", "SELECT a, b FROM t"),
    ("SELECT a FROM t WHERE d > :since", "SELECT a FROM t WHERE d > %(since)s"),
    ("SELECT a FROM t WHERE id = $1", "SELECT a FROM t WHERE id = $12"),
    ("SELECT 'a -- b' FROM t WHERE id = 1", "SELECT ? FROM t WHERE id = ?"),  # no comment
    ("SELECT '/* x */' FROM t WHERE id = 1", "SELECT ? FROM t WHERE id = ?"),
    ('SELECT "a--b" FROM t', 'select "a--b" from t'),  # a quoted name keeps its dashes
]

SAME_MYSQL = [
    ("SELECT * FROM t WHERE id = 42", "SELECT * FROM `t` WHERE `id` = ?"),
    ("SELECT * FROM t WHERE id = 42", "select * from t where id = %s"),  # a Python driver
    ("SELECT a FROM t LIMIT 10, 20", "SELECT a FROM t LIMIT ?"),
    ("SELECT a FROM t WHERE x = 0xFF", "SELECT a FROM t WHERE x = ?"),
    ("SELECT a FROM t WHERE s = N'x'", "SELECT a FROM t WHERE s = ?"),
    ("SELECT a FROM t WHERE s = 'a\\'b'", "SELECT a FROM t WHERE s = ?"),
    ("SELECT a FROM t WHERE a IN (1,2) AND b IN ('x')", "select a from t where a in (?) and b in (?)"),
]  # fmt: skip

# performance_schema's DIGEST_TEXT (MariaDB 10.11, as the server wrote it) against the
# statement the application sent.
SAME_DIGEST = [
    (
        "SELECT COUNT(*) FROM s.t WHERE id IN (1,2,3) AND name = 'x'",
        "SELECT COUNT ( * ) FROM `s` . `t` WHERE ID IN (...) AND NAME = ? ",
    ),
    (
        "select id, name from t where lower(name) like '%ab' order by id asc limit 5, 10",
        "SELECT ID , NAME FROM `t` WHERE `lower` ( NAME ) LIKE ? ORDER BY ID ASC LIMIT ?, ... ",
    ),
    (
        "insert into t (id, name) values (1,'a'),(2,'b')",
        "INSERT INTO `t` ( ID , NAME ) VALUES (...) /* , ... */ ",
    ),
    (
        "SELECT t.id FROM s.t AS t WHERE t.qty > -5 AND t.id = 3.5",
        "SELECT `t` . `id` FROM `s` . `t` AS `t` WHERE `t` . `qty` > - ? AND `t` . `id` = ? ",
    ),
]

DIFFERENT = [
    ("SELECT a FROM t1 WHERE b = 1", "SELECT a FROM t2 WHERE b = 1"),
    ("SELECT a FROM t WHERE id IN (1, 2)", "SELECT a FROM t WHERE id IN (SELECT id FROM u)"),
    ('SELECT "Name" FROM t', "SELECT name FROM t"),  # a quoted name keeps its case
    ("SELECT a FROM t WHERE x IS NULL", "SELECT a FROM t WHERE x IS NOT NULL"),
    ("SELECT a FROM t UNION ALL SELECT a FROM u", "SELECT a FROM t UNION SELECT a FROM u"),
    ("SELECT a FROM t WHERE x = TRUE", "SELECT a FROM t WHERE x = 1"),  # a keyword stays
    ("SELECT a FROM t ORDER BY a", "SELECT a FROM t ORDER BY a DESC"),
    ("SELECT a FROM t WHERE b = 1 AND c = 2", "SELECT a FROM t WHERE b = 1 OR c = 2"),
]


@pytest.mark.parametrize(("one", "other"), SAME_POSTGRES + SAME_MYSQL)
def test_the_same_statement_from_every_source_meets(one: str, other: str) -> None:
    assert fingerprint(one) == fingerprint(other)


@pytest.mark.parametrize(("sent", "digest"), SAME_DIGEST)
def test_a_performance_schema_digest_meets_the_statement_sent(sent: str, digest: str) -> None:
    assert digest_fingerprint(digest) == fingerprint(sent)


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_statements_of_another_shape_stay_apart(one: str, other: str) -> None:
    assert fingerprint(one) != fingerprint(other)


def test_a_string_hides_comment_markers_and_a_comment_hides_quotes() -> None:
    assert fingerprint("SELECT 'x -- y' AS a, b FROM t") == "select ? as a, b from t"
    assert fingerprint("SELECT a /* it's */ FROM t WHERE s = 'v'") == "select a from t where s = ?"
