"""The anti-pattern analysis on a hand-made ranking: every rule fires on its bad shape and stays
quiet on a healthy statement, severity follows the share of database time, unparseable
statements are listed, the facts are shared, and a user's rule plugs in like erpcap's own."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from erpcap import plugins
from erpcap.analysis.sql.antipatterns import analyze
from erpcap.analysis.sql.context import RANKED_COLUMNS, SqlBlock, SqlContext
from erpcap.analysis.sql.facts import Facts, ParseFailure
from erpcap.progress import Progress
from erpcap.sqltext import fingerprint, fingerprint_id


def _ranked(rows: list[dict[str, Any]]) -> pd.DataFrame:
    records = []
    for row in rows:
        sample = row["sample"]
        fp = fingerprint(sample)
        record: dict[str, Any] = {c: None for c in RANKED_COLUMNS}
        calls = row.get("calls", 100)
        record.update(
            fingerprint=fp,
            fingerprint_id=fingerprint_id(fp),
            calls=calls,
            total_ms=row.get("total_ms", 1000.0),
            share=row.get("share", 0.5),
            mean_ms=row.get("total_ms", 1000.0) / calls,
            rows=row.get("rows", float(calls)),
            sample=sample,
            sources="pg-log",
        )
        records.append(record)
    return pd.DataFrame(records, columns=list(RANKED_COLUMNS))


def _run(dialect: str | None, *rows: dict[str, Any]) -> tuple[SqlBlock, SqlContext]:
    ctx = SqlContext(
        statements=pd.DataFrame(),
        sql_stats=pd.DataFrame(),
        ranked=_ranked(list(rows)),
        dialect=dialect,
    )
    return analyze(ctx), ctx


def _ids(sample: str, dialect: str | None = "postgres", **row: Any) -> set[str]:
    block, _ = _run(dialect, {"sample": sample, **row})
    return {f.id for f in block.findings}


# (rule id, bad statement, healthy statement doing the same job, dialect)
CASES = [
    ("sql.select_star", "SELECT * FROM orders WHERE id = 1", "SELECT id, total FROM orders WHERE id = 1", "postgres"),
    ("sql.select_star", "SELECT o.* FROM orders o WHERE o.id = 1", "SELECT count(*) FROM orders", "mysql"),
    ("sql.select_star", "SELECT a FROM t UNION SELECT * FROM u", "SELECT id FROM customers c WHERE EXISTS (SELECT * FROM orders o WHERE o.customer_id = c.id)", "postgres"),
    ("sql.select_star", "INSERT INTO archive SELECT * FROM orders WHERE id = 1", "WITH recent AS (SELECT * FROM orders WHERE id > 10) SELECT id FROM recent", "postgres"),
    ("sql.leading_wildcard", "SELECT id FROM items WHERE name LIKE '%bolt'", "SELECT id FROM items WHERE name LIKE 'bolt%'", "postgres"),
    ("sql.leading_wildcard", "SELECT id FROM items WHERE name LIKE CONCAT('%', ?)", "SELECT id FROM items WHERE name LIKE CONCAT(?, '%')", "mysql"),
    ("sql.function_on_column", "SELECT id FROM orders WHERE date(created) = '2024-01-01'", "SELECT id FROM orders WHERE created >= '2024-01-01' AND created < '2024-01-02'", "mysql"),
    ("sql.function_on_column", "SELECT id FROM users WHERE lower(email) = $1", "SELECT id FROM users WHERE email = lower($1)", "postgres"),
    ("sql.function_on_column", "SELECT id FROM orders WHERE created::date = $1", "SELECT id FROM orders WHERE created = $1::date", "postgres"),
    ("sql.cross_join", "SELECT o.id FROM orders o, customers c WHERE o.total > 10", "SELECT o.id FROM orders o, customers c WHERE o.customer_id = c.id", "postgres"),
    ("sql.cross_join", "SELECT o.id FROM orders o, customers c", "SELECT o.id, e.value FROM orders o, jsonb_array_elements(o.items) e", "postgres"),
    ("sql.cross_join", "SELECT o.id FROM orders o, customers c", "SELECT o.id, m.top FROM orders o, (SELECT max(total) AS top FROM orders) m", "postgres"),
    ("sql.cross_join", "SELECT o.id FROM orders o, customers c", "SELECT o.id, u.x FROM orders o, unnest(o.tags) u(x)", "postgres"),
    ("sql.cross_join", "SELECT o.id FROM orders o JOIN customers c WHERE o.total > 10", "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id", "mysql"),
    ("sql.or_across_columns", "SELECT id FROM parts WHERE code = $1 OR name = $2", "SELECT id FROM parts WHERE code = $1 OR code = $2", "postgres"),
    ("sql.not_in_subquery", "SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)", "SELECT id FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)", "postgres"),
    ("sql.not_in_subquery", "SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)", "SELECT id FROM customers WHERE id NOT IN (1, 2, 3)", "mysql"),
    ("sql.order_random", "SELECT id FROM items ORDER BY RANDOM() LIMIT 5", "SELECT id FROM items ORDER BY id LIMIT 5", "postgres"),
    ("sql.order_random", "SELECT id FROM items ORDER BY RAND() LIMIT 5", "SELECT id FROM items ORDER BY name LIMIT 5", "mysql"),
    ("sql.deep_offset", "SELECT id FROM items ORDER BY id LIMIT 20 OFFSET 50000", "SELECT id FROM items ORDER BY id LIMIT 20 OFFSET 40", "postgres"),
    ("sql.deep_offset", "SELECT id FROM items ORDER BY id LIMIT 50000, 20", "SELECT id FROM items WHERE id > 50000 ORDER BY id LIMIT 20", "mysql"),
    ("sql.write_without_where", "UPDATE stock SET reserved = 0", "UPDATE stock SET reserved = 0 WHERE item_id = $1", "postgres"),
    ("sql.write_without_where", "DELETE FROM sessions", "DELETE FROM sessions WHERE expires < NOW()", "mysql"),
    ("sql.long_in_list", "SELECT id FROM items WHERE id IN (" + ", ".join(map(str, range(500))) + ")", "SELECT id FROM items WHERE id IN (1, 2, 3)", "postgres"),
    ("sql.distinct_join", "SELECT DISTINCT c.name FROM customers c JOIN orders o ON o.customer_id = c.id", "SELECT DISTINCT name FROM customers", "postgres"),
    ("sql.correlated_subquery", "SELECT c.id, (SELECT max(o.total) FROM orders o WHERE o.customer_id = c.id) FROM customers c", "SELECT c.id, m.top FROM customers c JOIN (SELECT customer_id, max(total) AS top FROM orders GROUP BY customer_id) m ON m.customer_id = c.id", "postgres"),
    ("sql.too_many_joins", "SELECT 1 FROM t1 " + " ".join(f"JOIN t{i} ON t{i}.k = t{i - 1}.k" for i in range(2, 11)), "WITH a AS (SELECT 1 FROM t1 " + " ".join(f"JOIN t{i} ON t{i}.k = t{i - 1}.k" for i in range(2, 6)) + ") SELECT 1 FROM a JOIN t6 ON t6.k = a.k JOIN t7 ON t7.k = t6.k JOIN t8 ON t8.k = t7.k JOIN t9 ON t9.k = t8.k JOIN t10 ON t10.k = t9.k", "postgres"),
    ("sql.correlated_subquery", "SELECT c.id FROM customers c WHERE c.credit < (SELECT sum(o.total) FROM orders o WHERE o.customer_id = c.id)", "SELECT c.id, l.total FROM customers c LEFT JOIN LATERAL (SELECT o.total FROM orders o WHERE o.customer_id = c.id ORDER BY o.id DESC LIMIT 1) l ON true", "postgres"),
    ("sql.too_many_joins", "SELECT 1 FROM t1 " + " ".join(f"JOIN t{i} ON t{i}.k = t{i - 1}.k" for i in range(2, 11)), "SELECT 1 FROM t1 " + " ".join(f"JOIN t{i} ON t{i}.k = t{i - 1}.k" for i in range(2, 6)), "postgres"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "bad", "good", "dialect"), CASES)
def test_each_rule_fires_on_its_shape_and_not_on_the_healthy_one(
    rule: str, bad: str, good: str, dialect: str
) -> None:
    assert rule in _ids(bad, dialect)
    assert rule not in _ids(good, dialect)


def test_every_builtin_rule_has_a_case() -> None:
    declared = {name.split("-", 1)[1] for name, _ in plugins.load("sql_rules")}
    assert declared <= {case[0] for case in CASES} | {"sql.unbounded_result"}


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_a_healthy_statement_gets_no_finding(dialect: str) -> None:
    block, _ = _run(
        dialect,
        {"sample": "SELECT o.id, o.total FROM orders o JOIN customers c ON c.id = o.customer_id "
                   "WHERE c.region = 'north' AND o.created >= '2024-01-01' ORDER BY o.id LIMIT 50"},
        {"sample": "UPDATE stock SET qty = qty - 1 WHERE item_id = 7"},
        {"sample": "INSERT INTO audit (who, what) VALUES ('a', 'b')"},
        {"sample": "SELECT count(*) FROM orders WHERE state = 'open'", "rows": 1e6},
    )  # fmt: skip
    assert block.findings == []
    assert block.data["parsed"] == 4 and block.data["unparseable_count"] == 0


def test_unbounded_result_needs_the_rows_as_evidence() -> None:
    query = "SELECT id, name FROM items WHERE kind = 'x'"
    assert "sql.unbounded_result" in _ids(query, calls=10, rows=50_000.0)
    assert "sql.unbounded_result" not in _ids(query, calls=10, rows=30.0)
    assert "sql.unbounded_result" not in _ids(query, calls=10, rows=float("nan"))
    assert "sql.unbounded_result" not in _ids(query + " LIMIT 100", calls=10, rows=50_000.0)


def test_severity_follows_the_share_of_database_time() -> None:
    bad = "UPDATE stock SET reserved = 0"
    severities = {}
    for share in (0.3, 0.02, 0.0001):
        block, _ = _run("postgres", {"sample": bad, "share": share})
        (f,) = block.findings
        severities[share] = f.severity
    assert severities == {0.3: "critical", 0.02: "warning", 0.0001: "info"}


def test_a_finding_carries_evidence_and_both_languages() -> None:
    block, _ = _run(
        "postgres",
        {"sample": "SELECT id FROM items WHERE name LIKE '%bolt'", "calls": 400,
         "total_ms": 12_000.0, "share": 0.25},
    )  # fmt: skip
    (f,) = block.findings
    assert f.id == "sql.leading_wildcard" and f.stage == "sql" and f.severity == "warning"
    assert f.subject.kind == "statement" and f.subject.name == fingerprint_id(
        "select id from items where name like ?"
    )
    assert f.evidence["calls"] == 400 and f.evidence["share"] == 0.25
    assert f.evidence["fingerprint"] == "select id from items where name like ?"
    assert f.title == "LIKE pattern starting with a wildcard on items.name"
    assert "400 times, 12.00 s in all (25.00% of database time)" in f.detail
    zh = f.texts["zh-CN"]
    assert "items.name" in zh.title and "执行 400 次" in zh.detail and "pg_trgm" in zh.fix


def test_unparseable_statements_are_counted_listed_and_the_rest_analysed() -> None:
    broken = "SELECT (a FROM t WHERE x = 1"
    block, ctx = _run(
        "postgres",
        {"sample": broken},
        {"sample": "SELECT * FROM orders WHERE id = 1"},
    )
    assert block.data["unparseable_count"] == 1
    (listed,) = block.data["unparseable"]
    assert listed["text"] == fingerprint(broken)[:200] and listed["error"]
    assert any("could not be parsed" in note for note in block.notes)
    assert [f.id for f in block.findings] == ["sql.select_star"]
    # The facts (and the failure) are shared with the analyses that run after this one.
    facts = ctx.shared["facts"]
    assert isinstance(facts["select * from orders where id = ?"], Facts)
    assert isinstance(facts[fingerprint(broken)], ParseFailure)


def test_unknown_times_are_null_in_strict_json() -> None:
    nan = float("nan")
    block, _ = _run(
        "postgres",
        {"sample": "DELETE FROM sessions", "share": nan, "total_ms": nan},
        {"sample": "SELECT (broken", "share": nan},
    )
    (f,) = block.findings
    assert f.severity == "warning"  # unknown share: at most a warning
    assert f.evidence["share"] is None and "n/a of database time" in f.detail
    text = json.dumps({"findings": [f.to_dict()], "data": block.data}, allow_nan=False)
    assert json.loads(text)["data"]["unparseable"][0]["share"] is None


def test_data_lists_tables_and_rules_per_statement() -> None:
    block, _ = _run(
        "mysql",
        {"sample": "SELECT * FROM orders o JOIN lines l ON l.order_id = o.id WHERE o.id = 1"},
        {"sample": "DELETE FROM sessions"},
        {"sample": "SELECT * FROM lines WHERE id = 1", "share": None},
    )
    assert block.id == "antipatterns"
    by_kind = {s["kind"]: s for s in block.data["statements"][:2]}
    assert by_kind["select"]["tables"] == ["orders", "lines"]
    assert by_kind["select"]["rules"] == ["sql.select_star"]
    assert by_kind["delete"]["rules"] == ["sql.write_without_where"]
    assert block.data["by_rule"] == {
        "sql.select_star": {"statements": 2, "share": 0.5},  # one share unknown
        "sql.write_without_where": {"statements": 1, "share": 0.5},
    }


def test_progress_says_what_it_reads() -> None:
    out = io.StringIO()
    ctx = SqlContext(
        statements=pd.DataFrame(),
        sql_stats=pd.DataFrame(),
        ranked=_ranked([{"sample": "SELECT a FROM t"}, {"sample": "SELECT b FROM u"}]),
        progress=Progress(out),
    )
    analyze(ctx)
    assert "SQL anti-patterns: reading 2 statements with sqlglot" in out.getvalue()
    assert "0/2 statements read" in out.getvalue()


def test_the_analysis_is_registered_as_an_sql_analysis() -> None:
    analyses = dict(plugins.load("sql_analyses"))
    assert analyses["10-antipatterns"] is analyze


# The example of docs/sql-rules.md, word for word.
USER_RULE = """
from erpcap.analysis.sql.rules.base import Hit
from erpcap.progress import Progress
from erpcap.findings import FindingKind, Quantity, Texts

NO_FOR_UPDATE = FindingKind(
    id="acme.for_update_missing",
    stage="sql",
    texts={
        "en": Texts(
            "{table} read without a lock",
            "{statement} ran {calls} times ({share} of database time).",
            "Add FOR UPDATE.",
        ),
        "zh-CN": Texts(
            "读取 {table} 时未加锁",
            "{statement} 执行 {calls} 次（占数据库时间 {share}）。",
            "加上 FOR UPDATE。",
        ),
    },
)


def stock_reads(stmt):  # stmt: erpcap.analysis.sql.rules.base.Statement
    if "stock" in stmt.facts.table_names and stmt.facts.kind == "select":
        yield Hit(NO_FOR_UPDATE, "warning", {"table": Quantity("stock")})
"""

SCRIPT = """
import json, pandas as pd
from erpcap.analysis.sql.antipatterns import analyze
from erpcap.analysis.sql.context import RANKED_COLUMNS, SqlContext
row = {c: None for c in RANKED_COLUMNS}
row.update(fingerprint="select qty from stock where id = ?", fingerprint_id="f1", calls=9,
           total_ms=90.0, share=0.4, rows=9.0, sample="SELECT qty FROM stock WHERE id = 3")
ctx = SqlContext(pd.DataFrame(), pd.DataFrame(), pd.DataFrame([row], columns=list(RANKED_COLUMNS)))
print(json.dumps([f.to_dict() for f in analyze(ctx).findings]))
"""


def test_a_user_rule_registered_as_an_entry_point_runs(tmp_path: Path) -> None:
    site = tmp_path / "site"
    info = site / "acme_sqlrules-0.1.dist-info"
    info.mkdir(parents=True)
    (site / "acme_sqlrules.py").write_text(textwrap.dedent(USER_RULE), encoding="utf-8")
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-sqlrules\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[erpcap.sql_rules]\n90-acme.for_update = acme_sqlrules:stock_reads\n", encoding="utf-8"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    (finding,) = json.loads(result.stdout)
    assert finding["id"] == "acme.for_update_missing" and finding["severity"] == "warning"
    assert finding["title"] == "stock read without a lock"
    assert finding["texts"]["zh-CN"]["detail"] == (
        "select qty from stock where id = ? 执行 9 次（占数据库时间 40.00%）。"
    )
    assert finding["evidence"]["share"] == 0.4
