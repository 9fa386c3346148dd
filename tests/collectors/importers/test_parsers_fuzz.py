"""The log parsers on anything: rows or counted skips, or one BadInput line — never another
exception. Fed by hypothesis with raw bytes and with lines built from each format's own
vocabulary (prefixes, duration lines, csvlog rows, JSON objects, slow-log headers), cut,
interleaved and mixed with garbage.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erpcap.collectors.importers import mysql_slow, pg_log
from erpcap.collectors.importers.base import ImportReport
from erpcap.errors import BadInput

FUZZ = settings(
    max_examples=int(os.environ.get("ERPCAP_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

PG_PIECES = [
    "2026-12-01 10:00:00.123 UTC [4242] ", "2026-12-01 10:00:00 CST [7] ", "erp@shop ",
    "LOG:  duration: 12.5 ms  statement: SELECT 1", "LOG:  duration: 0.1 ms",
    "LOG:  statement: UPDATE t SET a = 1", "LOG:  duration: 3 ms  execute S_1: SELECT $1",
    "DETAIL:  parameters: $1 = '5'", "\tFROM t WHERE a = 'x", "ERROR:  syntax error",
    '2026-12-01 10:00:00.123 UTC,"erp","shop",42,"127.0.0.1:5",1,2,"SELECT","2026-12-01",'
    '"3/4",0,LOG,00000,"duration: 1.0 ms  statement: SELECT 2",,,,,,,,,"psql","client backend",,0',
    '{"timestamp":"2026-12-01 10:00:00.123 UTC","user":"erp","dbname":"shop","pid":42,'
    '"message":"duration: 2.0 ms  statement: SELECT 3"}',
    '{"timestamp": 5, "message": null}', "", "\x00\xff", "%", "五", "'", '"',
]  # fmt: skip
MYSQL_PIECES = [
    "# Time: 2026-12-01T10:00:00.123456Z", "# Time: 261201 10:00:00",
    "# User@Host: erp[erp] @ localhost [127.0.0.1]  Id:    42",
    "# Thread_id: 42  Schema: shop  QC_hit: No",
    "# Query_time: 0.003464  Lock_time: 0.000324 Rows_sent: 1000  Rows_examined: 2000",
    "# Query_time: x  Lock_time: -1", "use shop;", "SET timestamp=1764583200;",
    "SELECT * FROM t WHERE a = 1;", "SELECT 'unterminated", "/usr/sbin/mariadbd, Version: 10.11",
    "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock", "Time Id Command Argument",
    "# administrator command: Ping;", "", "\x00\xff", ";", "五",
]  # fmt: skip


def _lines(pieces: list[str]) -> st.SearchStrategy[bytes]:
    line = st.lists(st.sampled_from(pieces) | st.text(max_size=30), min_size=1, max_size=4)
    return st.lists(line.map("".join), max_size=25).map(lambda ls: "\n".join(ls).encode())


def _run(parse: object, path: Path, **options: object) -> None:
    report = ImportReport("fuzz")
    try:
        rows = list(parse([path], report, **options))  # type: ignore[operator]
    except BadInput as exc:
        assert "\n" not in exc.one_line()
        return
    for row in rows:  # every row a real statement with a duration
        assert isinstance(row["statement"], str) and row["duration_ms"] >= 0
    assert report.records <= report.lines or report.records == 0


def _write(folder: Path, data: bytes, compressed: bool) -> Path:
    path = folder / ("log.gz" if compressed else "log")
    path.write_bytes(gzip.compress(data)[: len(data) // 2 + 10] if compressed else data)
    return path


@FUZZ
@given(data=_lines(PG_PIECES) | st.binary(max_size=400), compressed=st.booleans(),
       form=st.sampled_from([None, "stderr", "csvlog", "jsonlog"]))  # fmt: skip
def test_pg_log_parser_never_crashes(
    tmp_path: Path, data: bytes, compressed: bool, form: str | None
) -> None:
    _run(pg_log.parse, _write(tmp_path, data, compressed), format=form)


@FUZZ
@given(data=_lines(MYSQL_PIECES) | st.binary(max_size=400), compressed=st.booleans())
def test_mysql_slow_parser_never_crashes(tmp_path: Path, data: bytes, compressed: bool) -> None:
    _run(mysql_slow.parse, _write(tmp_path, data, compressed))


def test_the_vocabulary_makes_rows(tmp_path: Path) -> None:
    # The pieces the fuzz combines are real entries: put together properly they parse.
    pg = tmp_path / "pg.log"
    pg.write_text(PG_PIECES[0] + PG_PIECES[3] + "\n", encoding="utf-8")
    rows = list(pg_log.parse([pg], ImportReport("pg-log")))
    assert [(r["statement"], r["duration_ms"]) for r in rows] == [("SELECT 1", 12.5)]
    slow = tmp_path / "slow.log"
    slow.write_text("\n".join(MYSQL_PIECES[i] for i in (0, 2, 3, 4, 7, 8)) + "\n", encoding="utf-8")
    rows = list(mysql_slow.parse([slow], ImportReport("mysql-slow")))
    assert [r["statement"] for r in rows] == ["SELECT * FROM t WHERE a = 1"]
