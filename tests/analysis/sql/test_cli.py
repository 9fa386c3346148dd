"""``erpcap sql analyze`` on logs a real PostgreSQL and a real MariaDB wrote during the test,
a pg_stat_statements export from the shared server, bad input, and both report languages."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import psycopg
import pytest

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _one_line(result: Any) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [t for t in result.stderr.splitlines() if t.strip() and not t.startswith("erpcap: ")]
    assert len(lines) == 1, result.stderr
    return str(lines[0])


def test_pg_log_ranked_with_json_and_html(pg_log: Path, tmp_path: Path, sql_cli: Any) -> None:
    zipped = tmp_path / "postgresql.log.1.gz"
    zipped.write_bytes(gzip.compress(pg_log.read_bytes()))
    out = tmp_path / "slow.json"
    result = sql_cli("analyze", str(zipped), "--log-line-prefix", "%m [%p] %q%u@%d ",
                     "--top", "20", "--json", str(out), "--html", str(tmp_path / "en.html"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    by = {t["fingerprint"]: t for t in doc["top"]}
    like = by["select count(*) from items where note like ?"]
    assert like["calls"] == 40 and like["users"] == "clerk" and like["databases"] == "shop"
    assert like["sources"] == "pg-log" and sum(b[2] for b in like["histogram"]) == 40
    assert by["update items set note = note where id = ?"]["calls"] == 25
    totals = [t["total_ms"] for t in doc["top"]]
    assert totals == sorted(totals, reverse=True)
    slowest = by["select pg_sleep(?), ? as marker"]
    assert slowest["calls"] == 2 and slowest["rank"] < like["rank"]
    assert slowest["total_ms"] >= 400.0 and slowest["max_ms"] >= 200.0  # sleeps cannot be shorter
    assert slowest["p95_ms"] <= slowest["max_ms"] and "'slowest'" in slowest["sample"]
    assert len(doc["top"]) == min(20, doc["counts"]["fingerprints"])
    assert sum(t["share"] for t in doc["top"]) <= 1.0 + 1e-9
    assert doc["dialect"] == "postgres" and doc["inputs"]["pg-log"]["skipped"] == {}
    # the terminal table: the slowest statement first
    table = result.stdout.splitlines()
    assert table[1].split()[:2] == ["#", "total"]
    assert any("pg_sleep" in line for line in table[2:])
    html = (tmp_path / "en.html").read_text(encoding="utf-8")
    assert "<script" not in html and "Slow SQL" in html and "latency histogram" in html
    assert "select count(*) from items where note like ?" in html


def test_mysql_slow_auto_detected_in_chinese(
    maria_slow_log: Path, tmp_path: Path, sql_cli: Any
) -> None:
    out, page = tmp_path / "slow.json", tmp_path / "zh.html"
    result = sql_cli("analyze", str(maria_slow_log), "--json", str(out), "--html", str(page),
                     "--lang", "zh-CN")  # fmt: skip
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    assert doc["dialect"] == "mysql" and "mysql-slow" in doc["inputs"]
    by = {t["fingerprint"]: t for t in doc["top"]}
    like = by["select count(*) from shop.items where note like ?"]
    assert like["calls"] == 30 and like["rows_examined"] == 30 * 300
    assert like["lock_ms"] is not None
    assert by["select sleep(?) as slowest"]["total_ms"] >= 400.0
    html = page.read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in html and "慢 SQL" in html and "调用次数" in html


def test_pgss_export(tmp_path: Path, sql_cli: Any) -> None:
    export = tmp_path / "pgss.csv"
    with (
        psycopg.connect(PG_ADMIN, autocommit=True) as conn,
        conn.cursor().copy(
            "COPY (SELECT * FROM pg_stat_statements) TO STDOUT WITH (FORMAT csv, HEADER)"
        ) as copy,
    ):
        export.write_bytes(b"".join(bytes(block) for block in copy))
    with export.open(newline="") as f:  # the shared server is busy: count what was exported
        exported = [r for r in csv.DictReader(f) if r["toplevel"] == "t" and int(r["calls"])]
    assert exported
    out = tmp_path / "pgss.json"
    result = sql_cli("analyze", str(export), "--json", str(out), "--top", "3")
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    assert doc["counts"]["stats_rows"] == len(exported) and doc["counts"]["statements"] == 0
    assert doc["calls"] == sum(int(r["calls"]) for r in exported)
    assert all(t["p95_ms"] is None and t["sources"] == "pgss" for t in doc["top"])
    assert len(doc["top"]) == min(3, doc["counts"]["fingerprints"])


@pytest.mark.parametrize(
    "content, words",
    [
        (b"\x00\x01\x02 garbage\n" * 20, "no statement line reads as a PostgreSQL stderr log"),
        (b"2026-12-05 10:00:00 UTC LOG:  checkpoint starting\n", "no statement line"),
        (b"query,calls\n", "not a pg_stat_statements export"),
    ],
)
def test_bad_input_is_one_line(
    tmp_path: Path, sql_cli: Any, content: bytes, words: str, pg_log: Path
) -> None:
    bad = tmp_path / "bad.log"
    bad.write_bytes(content)
    args = ["--format", "pgss"] if content.startswith(b"query") else []
    result = sql_cli("analyze", str(bad), *args)
    assert result.returncode == 2
    line = _one_line(result)
    assert words in line and str(bad) in line, line


def test_usage_errors_are_one_line(tmp_path: Path, sql_cli: Any) -> None:
    for args, words in (
        (["analyze", str(tmp_path / "missing.log")], "no such file"),
        (["analyze", str(tmp_path), "--top", "0"], "--top must be 1 or more"),
        (["analyze", str(tmp_path), "--option", "color=red"], "unknown option"),
        (["analyze", str(tmp_path), "--option", "tz=Mars/Base"], "is not a time zone"),
    ):
        result = sql_cli(*args)
        assert result.returncode == 2 and words in _one_line(result), (args, result.stderr)
    help_text = sql_cli("analyze", "--help").stdout
    assert "examples:" in help_text and "pgss" in help_text


def test_damaged_lines_are_counted_not_fatal(pg_log: Path, tmp_path: Path, sql_cli: Any) -> None:
    damaged = tmp_path / "damaged.log"
    shutil.copy(pg_log, damaged)
    with damaged.open("ab") as f:
        f.write(b"\xff\xfe not a log line\n2026-12-05 10:00:00.1 UTC [9] LOG:  duration: 1")
    out = tmp_path / "d.json"
    result = sql_cli("analyze", str(damaged), "--json", str(out), "--log-line-prefix",
                     "%m [%p] %q%u@%d ")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())["counts"]["skipped"] >= 1
