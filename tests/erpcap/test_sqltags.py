"""Reading sqlcommenter-style tags (erpcap.sqltext.tags): edge cases."""

from __future__ import annotations

import pytest

from erpcap.reference_erp.sqltags import sql_comment
from erpcap.sqltext import fingerprint, tags


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1", {}),
        ("SELECT 1 /* just a comment */", {}),
        ("SELECT 1 -- op='x'", {}),  # a line comment is not a tag
        ("SELECT * FROM t WHERE op='x'", {}),  # outside a comment: a predicate
        ("SELECT 1 /*op='x'", {}),  # never closed
        ("/*op='lead'*/ SELECT 1", {"op": "lead"}),  # a leading comment
        ("SELECT 1 /*op='a'*/ /*rid='r'*/", {"op": "a", "rid": "r"}),  # two comments
        ("SELECT 1 /*op='a',op='b'*/", {"op": "b"}),  # the last wins
        ("SELECT 1 /*op = 'spaced' , rid='r 1'*/", {"op": "spaced", "rid": "r 1"}),
        ("SELECT 1 /*op='it\\'s'*/", {"op": "it's"}),  # escaped quote
        ("SELECT 1 /*route='%2Forders%2F%7Bid%7D'*/", {"route": "/orders/{id}"}),
        ("SELECT 1 /*op='',rid='r'*/", {"op": "", "rid": "r"}),
        (
            "SELECT 1 /*db_driver='psycopg',framework='flask%3A3.0'*/",
            {"db_driver": "psycopg", "framework": "flask:3.0"},
        ),  # fmt: skip
        ("SELECT 1\n/*op='multi\nline'*/", {"op": "multi\nline"}),
    ],
)
def test_tags(sql: str, expected: dict[str, str]) -> None:
    assert tags(sql) == expected


@pytest.mark.parametrize("value", ["plain", "it's", "a/b c", "50%", "中文", "x\\y", "*/"])
def test_what_the_erp_writes_reads_back(value: str) -> None:
    sql = "SELECT 1 " + sql_comment({"op": value, "rid": "r"})
    assert tags(sql) == {"op": value, "rid": "r"}
    assert fingerprint(sql) == "select ?"  # the tag never splits a fingerprint
