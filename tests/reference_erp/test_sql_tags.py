"""SQL tags of the reference ERP: each statement carries ``/*op='…',rid='…'*/`` on SQLite and
PostgreSQL (what the server itself sees), the request id is the response's ``X-Request-Id``,
and ``--sql-tags off`` leaves statements untouched."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text

from erpcap.reference_erp.db import Database
from erpcap.reference_erp.sqltags import REQUEST_TAG, RequestTag
from erpcap.sqltext import tags


def _seen(db: Database) -> list[str]:
    """The statements as the driver receives them (after the tagging hook)."""
    seen: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _record(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    return seen


@pytest.mark.parametrize("mode", ["on", "op", "off"])
def test_statements_carry_the_request_tag_on_sqlite(tmp_path, mode: str) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite'}", pooled=False, sql_tags=mode)
    seen = _seen(db)
    token = REQUEST_TAG.set(RequestTag("r-1", lambda: "list_things"))
    try:
        with db.read() as conn:
            assert conn.execute(text("SELECT :a + 1"), {"a": 1}).scalar() == 2
    finally:
        REQUEST_TAG.reset(token)
        db.dispose()
    tagged = [s for s in seen if "SELECT" in s]
    assert tagged, seen
    if mode == "on":
        assert tagged[0].endswith(" /*op='list_things',rid='r-1'*/")
        assert tags(tagged[0]) == {"op": "list_things", "rid": "r-1"}
    elif mode == "op":
        assert tagged[0].endswith(" /*op='list_things'*/")
    else:
        assert all("/*" not in s for s in seen)


@pytest.mark.postgres
def test_postgres_sees_the_tag_even_with_a_percent_sign(pg_database: str) -> None:
    """The server's own view of the running statement (pg_stat_activity) holds the comment;
    an operation name that URL-encodes to ``%`` does not confuse the driver's parameters."""
    db = Database(pg_database, pooled=False, sql_tags="on")
    token = REQUEST_TAG.set(RequestTag("r-2", lambda: "odd/op"))
    try:
        with db.read() as conn:
            query = conn.execute(
                text("SELECT query FROM pg_stat_activity WHERE pid = pg_backend_pid() AND :x = 1"),
                {"x": 1},
            ).scalar()
    finally:
        REQUEST_TAG.reset(token)
        db.dispose()
    assert str(query).endswith("/*op='odd%2Fop',rid='r-2'*/"), query
    assert tags(str(query)) == {"op": "odd/op", "rid": "r-2"}


def test_no_request_no_tag(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'y.sqlite'}", pooled=False, sql_tags="on")
    seen = _seen(db)
    try:
        with db.read() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        db.dispose()
    assert seen and all("/*" not in s for s in seen)


def test_the_request_id_comes_back_and_tags_the_profile(sqlite_server) -> None:
    r = sqlite_server.client.get("/profile", headers={"X-Request-Id": "client-42"})
    assert r.headers["X-Request-Id"] == "client-42" and r.json()["sql_tags"] == "on"
    fresh = sqlite_server.client.get("/health").headers["X-Request-Id"]
    other = sqlite_server.client.get("/health", headers={"X-Request-Id": "not plain!"})
    assert len(fresh) == 16 and other.headers["X-Request-Id"] not in ("not plain!", fresh)
