"""Operations and N+1 (analysis/sql/operations.py) on an HTTP + SQLite application this test
writes and runs itself: a planted N+1 endpoint and its batched twin, each statement tagged
sqlcommenter-style by the app and recorded with its duration as the app ran it."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pandas as pd
import pytest

from erpcap.analysis.sql.context import SqlContext
from erpcap.analysis.sql.operations import MIN_REPEATS, analyze
from erpcap.findings import LANGUAGES
from erpcap.sqltext import fingerprint

PLANTED_CHILD = "SELECT count(*), sum(qty) FROM line WHERE order_id = ?"


class _App:
    """A tiny shop: customers with 1–20 orders, each with a few lines."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.rows: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        rng = random.Random(5)
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER)")
            db.execute("CREATE TABLE line (id INTEGER PRIMARY KEY, order_id INTEGER, qty INT)")
            order = 0
            for customer in range(1, 31):
                for _ in range(customer % 20 + 1):  # 1 to 20 orders: the N grows with the data
                    order += 1
                    db.execute("INSERT INTO orders VALUES (?, ?)", (order, customer))
                    for _ in range(rng.randint(1, 4)):
                        db.execute(
                            "INSERT INTO line (order_id, qty) VALUES (?, ?)",
                            (order, rng.randint(1, 9)),
                        )

    def run(self, db: sqlite3.Connection, op: str, rid: str, sql: str, args: tuple) -> list[Any]:
        tagged = f"{sql} /*op='{op}',rid='{rid}'*/"
        start = time.perf_counter()
        found = db.execute(tagged, args).fetchall()
        ms = (time.perf_counter() - start) * 1000
        with self.lock:
            self.rows.append(
                {
                    "ts": datetime.now(UTC),
                    "source": "app",
                    "duration_ms": ms,
                    "statement": tagged,
                    "fingerprint": fingerprint(tagged),
                    "session": str(threading.get_ident()),
                }
            )
        return found

    def planted(self, db: sqlite3.Connection, rid: str, customer: int) -> list[Any]:
        op = "customer_orders_planted"
        ids = self.run(db, op, rid, "SELECT id FROM orders WHERE customer = ?", (customer,))
        return [self.run(db, op, rid, PLANTED_CHILD, (i,))[0] for (i,) in ids]

    def batched(self, db: sqlite3.Connection, rid: str, customer: int) -> list[Any]:
        return self.run(
            db,
            "customer_orders_batched",
            rid,
            "SELECT o.id, count(l.id), sum(l.qty) FROM orders o JOIN line l ON l.order_id = o.id "
            "WHERE o.customer = ? GROUP BY o.id",
            (customer,),
        )


@pytest.fixture
def shop(tmp_path) -> Iterator[tuple[_App, str]]:
    app = _App(str(tmp_path / "shop.sqlite"))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            _, kind, customer = self.path.split("/")
            rid = uuid.uuid4().hex[:12]
            with sqlite3.connect(app.path) as db:
                found = getattr(app, kind)(db, rid, int(customer))
            body = str(len(found)).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
    assert not thread.is_alive()


def _context(rows: list[dict[str, Any]]) -> SqlContext:
    return SqlContext(pd.DataFrame(rows), pd.DataFrame(), pd.DataFrame())


def test_the_planted_n_plus_1_is_found_and_its_batched_twin_is_not(shop) -> None:
    app, base = shop
    with httpx.Client(base_url=base, timeout=30) as client:
        for customer in range(1, 31):  # 60 requests, bounded
            for kind in ("planted", "batched"):
                assert client.get(f"/{kind}/{customer}").status_code == 200
    block = analyze(_context(app.rows))
    assert block is not None and block.data["basis"] == "tags"
    [finding] = block.findings
    ev = finding.evidence
    assert ev["operation"] == "customer_orders_planted"
    assert ev["fingerprint"] == fingerprint(PLANTED_CHILD)
    assert (ev["requests"], ev["max_per_request"], ev["min_per_request"]) == (30, 20, 1)
    assert ev["why"] == "counts" and ev["calls"] == sum(c % 20 + 1 for c in range(1, 31))
    assert 0 < ev["share"] <= 1 and ev["op_share"] > 0.5
    assert finding.stage == "sql" and set(finding.texts) == set(LANGUAGES)
    assert "customer_orders_planted" in finding.title and "20" in finding.title
    assert "IN (...)" in finding.fix
    ops = {o["operation"]: o for o in block.data["operations"]}
    assert ops["customer_orders_batched"]["statements_per_request_max"] == 1
    assert ops["customer_orders_planted"]["statements_per_request_max"] == 21
    assert ops["customer_orders_planted"]["requests"] == 30


T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _row(n: int, sql: str, session: str = "7", ms: float = 1.0) -> dict[str, Any]:
    return {
        "ts": T0 + timedelta(milliseconds=10 * n),
        "duration_ms": ms,
        "statement": sql,
        "fingerprint": fingerprint(sql),
        "session": session,
    }


def test_a_constant_count_is_n_plus_1_only_when_the_values_differ() -> None:
    rows, n = [], 0
    for rid in ("a", "b", "c"):
        for k in range(MIN_REPEATS + 1):  # the same count in every request
            n += 1
            rows.append(_row(n, f"SELECT * FROM item WHERE id = {k} /*op='loop',rid='{rid}'*/"))
            rows.append(_row(n, f"SELECT now() /*op='fixed',rid='{rid}'*/"))
    block = analyze(_context(rows))
    assert block is not None
    assert [(f.evidence["operation"], f.evidence["why"]) for f in block.findings] == [
        ("loop", "values")
    ]


def test_fewer_repeats_than_the_threshold_is_not_n_plus_1() -> None:
    rows = [
        _row(k, f"SELECT * FROM item WHERE id = {k} /*op='few',rid='r{k % 3}'*/")
        for k in range(3 * (MIN_REPEATS - 1))
    ]
    block = analyze(_context(rows))
    assert block is not None and block.findings == []


def test_without_tags_requests_are_inferred_from_session_transactions() -> None:
    rows, n = [], 0
    for session, lines in (("11", 8), ("12", 3), ("11", 6)):
        rows.append(_row(n := n + 1, "BEGIN", session))
        rows.append(_row(n := n + 1, "SELECT id FROM orders WHERE customer = 4", session))
        for k in range(lines):
            rows.append(_row(n := n + 1, f"SELECT * FROM line WHERE order_id = {k}", session))
        rows.append(_row(n := n + 1, "COMMIT", session))
    block = analyze(_context(rows))
    assert block is not None and block.data["basis"] == "sessions"
    [finding] = block.findings
    assert finding.evidence["operation"] == "(untagged)"
    assert (finding.evidence["requests"], finding.evidence["max_per_request"]) == (3, 8)
    assert "inferred" in finding.detail and any("inferred" in note for note in block.notes)


def test_without_tags_or_sessions_it_says_why() -> None:
    frame = pd.DataFrame([_row(1, "SELECT 1")]).drop(columns=["session"])
    block = analyze(SqlContext(frame, pd.DataFrame(), pd.DataFrame()))
    assert block is not None and block.findings == [] and "sqlcommenter" in block.notes[0]
    assert analyze(SqlContext(pd.DataFrame(), pd.DataFrame(), pd.DataFrame())) is None


def test_untagged_statements_beside_tagged_ones_are_counted_apart() -> None:
    rows = [_row(k, f"SELECT * FROM t WHERE id = {k}") for k in range(12)]
    rows += [_row(20, "SELECT 1 /*op='ping',rid='z'*/")]
    block = analyze(_context(rows))
    assert block is not None and block.findings == []
    ops = {o["operation"]: o["statements"] for o in block.data["operations"]}
    assert ops == {"(untagged)": 12, "ping": 1} and block.data["untagged_statements"] == 12


def test_odd_rows_do_not_break_it() -> None:
    rows = [_row(k, f"SELECT * FROM t WHERE id = {k} /*op='x',rid='r'*/") for k in range(6)]
    rows[0]["duration_ms"] = float("nan")
    rows[1]["statement"] = "SELECT 1 /*op='x',rid='r'"  # a tag cut short
    rows.append({**_row(9, "garbage \x00 /* */"), "session": None})
    block = analyze(_context(rows))
    assert block is not None and block.data["basis"] == "tags"
    [finding] = block.findings  # four loop rows plus the one without a duration
    assert finding.evidence["calls"] == 5 and finding.evidence["why"] == "values"
    no_times = pd.DataFrame(rows).drop(columns=["ts"])
    no_times["statement"] = no_times["statement"].str.replace(r"/\*.*\*/", "", regex=True)
    assert "sqlcommenter" in analyze(SqlContext(no_times, pd.DataFrame(), pd.DataFrame())).notes[0]
