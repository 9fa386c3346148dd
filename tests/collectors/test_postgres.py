"""The PostgreSQL collector against the real local server, with load the test makes itself.

The test's own schema (a counter table, not the reference ERP's) carries the planted
causes: statements it sends a known number of times, two transactions contending on one
row, a terminated backend, a missing extension, a user without pg_monitor.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from erpcap.collectors.base import parse_collect_spec
from erpcap.collectors.postgres import PostgresCollector
from erpcap.collectors.statements import Statement, StatementWindows
from erpcap.errors import BadInput
from erpcap.processes import free_port
from erpcap.rundir import RunDir

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _stmt(calls: float, total: float, query: str = "select v from t where id = $1") -> Statement:
    return Statement(query=query, counters={"calls": calls, "total_ms": total, "rows": calls})


def test_windows_give_run_and_step_deltas_and_count_resets_and_evictions() -> None:
    windows = StatementWindows("postgres", "h:5432/db")
    assert windows.add(T0, {"a": _stmt(10, 5.0), "gone": _stmt(3, 1.0)}, None) == []
    assert windows.add(T0 + timedelta(seconds=1), {"a": _stmt(12, 6.0)}, 1) == []
    closed = windows.add(T0 + timedelta(seconds=5), {"a": _stmt(30, 15.0)}, 2)
    assert [(r["step"], r["calls"], r["total_ms"]) for r in closed] == [(1, 18, 9.0)]
    # a reset: the counter went down, so the later value is all there is
    windows.add(T0 + timedelta(seconds=9), {"a": _stmt(4, 2.0), "b": _stmt(7, 70.0)}, 2)
    step2 = windows.open_step_rows()
    assert sorted((r["fingerprint"], r["calls"]) for r in step2) == [
        ("select v from t where id = ?", 4),
        ("select v from t where id = ?", 7),
    ]
    assert windows.notes[2].reset == 1
    run = {r["calls"] for r in windows.run_rows()}
    assert run == {4, 7}  # "a" reset during the run: only its count since the reset
    assert windows.notes[None].evicted == 1  # "gone" vanished between first and last
    assert windows.notes[None].reset == 1


@pytest.fixture
def counter_db(pg_database: str) -> str:
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE counter (id int PRIMARY KEY, hits int NOT NULL)")
        conn.execute("INSERT INTO counter SELECT g, 0 FROM generate_series(1, 50) g")
    return pg_database


@pytest.fixture
def run(tmp_path: Path) -> RunDir:
    return RunDir.create(tmp_path / "run")


def _collect(dsn: str, run: RunDir, **options: Any) -> PostgresCollector:
    collector = PostgresCollector(dsn=dsn, interval=options.pop("interval", 0.2), **options)
    collector.start(run)
    return collector


def _metrics(run: RunDir) -> Any:
    frame = run.read_table("metrics")
    frame["labels"] = frame["labels"].map(json.loads)
    return frame


def test_statements_sessions_and_rates_on_the_runs_clock(
    counter_db: str, run: RunDir, wait: Any
) -> None:
    # Earlier tests' statements (a request id in each makes every text new) may have filled
    # pg_stat_statements: start from an empty view, so that an eviction warning is this run's.
    with psycopg.connect(counter_db, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")
    started = datetime.now(UTC)
    collector = _collect(counter_db, run, statements_every=0.5)
    sent = {1: 120, 2: 80}
    with psycopg.connect(counter_db, autocommit=True) as conn:
        for step, count in sent.items():
            run.event("step", step=step, users=step)
            before = collector.samples
            wait(lambda b=before: collector.samples >= b + 2, 10, "a boundary snapshot")
            for i in range(count):
                conn.execute("UPDATE counter SET hits = hits + 1 WHERE id = %s", (i % 50 + 1,))
        before = collector.samples
        wait(lambda: collector.samples >= before + 3, 10, "samples after the load")
    collector.stop()
    ended = datetime.now(UTC)

    stats = run.read_table("sql_stats")
    update = stats[stats["fingerprint"] == "update counter set hits = hits + ? where id = ?"]
    whole = update[update["step"].isna()]
    assert int(whole["calls"].sum()) == sum(sent.values())
    per_step = update.dropna(subset=["step"]).groupby("step")["calls"].sum()
    assert per_step.to_dict() == {1.0: sent[1], 2.0: sent[2]}
    assert (whole["total_ms"] > 0).all() and (whole["source"] == "postgres").all()
    assert not stats["query"].str.contains("erpcap-collector").any()  # not its own

    metrics = _metrics(run)
    assert metrics["ts"].between(started, ended).all()
    names = set(metrics["metric"])
    assert {"sessions", "connections", "max_connections", "commits_per_s", "cache_hit_ratio",
            "lock_waits", "longest_xact_s"} <= names  # fmt: skip
    commits = metrics[metrics["metric"] == "commits_per_s"]["value"]
    assert commits.max() > 0  # the updates committed while it watched
    assert collector.failures == 0 and run.read_meta()["warnings"] == []


def test_lock_waits_show_who_blocks_whom(counter_db: str, run: RunDir, wait: Any) -> None:
    collector = _collect(counter_db, run)
    holder = psycopg.connect(counter_db)
    holder.execute("SELECT hits FROM counter WHERE id = 7 FOR UPDATE")
    done = threading.Event()

    def contend() -> None:
        with psycopg.connect(counter_db, autocommit=True) as conn:
            conn.execute("UPDATE counter SET hits = hits + 1 WHERE id = 7")
        done.set()

    waiter = threading.Thread(target=contend)
    waiter.start()
    try:
        wait(lambda: any(e["kind"] == "lock_wait" for e in run.read_events()), 10, "a lock_wait")
        before = collector.samples
        wait(lambda: collector.samples >= before + 2, 10, "samples while it waits")
    finally:
        holder.rollback()
        holder.close()
        waiter.join(10)
    assert done.is_set()
    collector.stop()

    event = next(e for e in run.read_events() if e["kind"] == "lock_wait")
    assert event["relation"] == "public.counter"
    assert event["waiter"]["query"].startswith("UPDATE counter")
    assert [b["query"] for b in event["blockers"]] == [
        "SELECT hits FROM counter WHERE id = 7 FOR UPDATE"
    ]
    metrics = _metrics(run)
    waiting = metrics[(metrics["metric"] == "sessions")
                      & (metrics["labels"].map(lambda x: x.get("state")) == "waiting")]  # fmt: skip
    assert waiting["value"].max() >= 1
    waits = metrics[metrics["metric"] == "wait_sessions"]["labels"].map(lambda x: x["wait"])
    assert "Lock:transactionid" in set(waits)
    by_relation = metrics[metrics["metric"] == "lock_waits_by_relation"]
    assert set(by_relation["labels"].map(lambda x: x["relation"])) == {"public.counter"}


def test_a_terminated_backend_is_a_gap_then_it_reconnects(
    counter_db: str, run: RunDir, wait: Any
) -> None:
    collector = _collect(counter_db, run)
    name = counter_db.rsplit("/", 1)[1]
    with psycopg.connect(counter_db, autocommit=True) as conn:
        wait(lambda: collector.samples >= 2, 10, "first samples")
        killed = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'erpcap-collector' AND datname = %s",
            (name,),
        ).fetchall()
        assert killed == [(True,)]
        wait(lambda: collector.failures >= 1, 10, "the gap")
        wait(
            lambda: any(e["kind"] == "collector_resumed" for e in run.read_events()),
            10,
            "the collector to resume",
        )
    collector.stop()
    kinds = [e["kind"] for e in run.read_events()]
    assert kinds.index("collector_gap") < kinds.index("collector_resumed")
    assert any("its metrics have gaps" in w for w in run.read_meta()["warnings"])


def test_a_monitor_user_works_and_a_plain_user_is_told_to_get_pg_monitor(
    counter_db: str, tmp_path: Path, wait: Any
) -> None:
    admin = counter_db
    with psycopg.connect(admin, autocommit=True) as conn:
        for role in ("erpcap_mon", "erpcap_plain"):
            conn.execute(f"DROP ROLE IF EXISTS {role}")
            conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute("GRANT pg_monitor TO erpcap_mon")
    try:
        base = admin.replace("postgres@", "{user}@")
        for role, told in (("erpcap_mon", False), ("erpcap_plain", True)):
            run = RunDir.create(tmp_path / role)
            collector = _collect(base.format(user=role), run, statements_every=0.3)
            with psycopg.connect(admin, autocommit=True) as conn:
                for i in range(30):
                    conn.execute("SELECT hits FROM counter WHERE id = %s", (i % 50 + 1,))
            before = collector.samples
            wait(lambda c=collector, b=before: c.samples >= b + 3, 10, "samples")
            collector.stop()
            warnings = " ".join(run.read_meta()["warnings"])
            assert ("GRANT pg_monitor TO erpcap_plain" in warnings) is told, warnings
            stats = run.read_table("sql_stats")
            select = stats[stats["fingerprint"] == "select hits from counter where id = ?"]
            if not told:  # pg_monitor reads the other user's statements and texts
                assert int(select[select["step"].isna()]["calls"].sum()) == 30
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP OWNED BY erpcap_mon, erpcap_plain")
            conn.execute("DROP ROLE erpcap_mon")
            conn.execute("DROP ROLE erpcap_plain")


def test_without_pg_stat_statements_it_says_how_and_samples_the_rest(
    counter_db: str, run: RunDir, wait: Any
) -> None:
    with psycopg.connect(counter_db, autocommit=True) as conn:
        conn.execute("DROP EXTENSION IF EXISTS pg_stat_statements")
    collector = _collect(counter_db, run)
    wait(lambda: collector.samples >= 3, 10, "samples")
    collector.stop()
    warnings = run.read_meta()["warnings"]
    assert len(warnings) == 1
    assert "CREATE EXTENSION pg_stat_statements" in warnings[0]
    assert run.read_table("sql_stats").empty
    assert "sessions" in set(run.read_table("metrics")["metric"])


@pytest.fixture
def refused_dsn() -> Iterator[str]:
    yield f"postgresql://erp:Sup3rSecret@127.0.0.1:{free_port()}/erp"


def test_a_refused_connection_is_a_warning_without_the_password(
    refused_dsn: str, run: RunDir, wait: Any
) -> None:
    collector = _collect(refused_dsn, run)
    wait(lambda: collector.failures >= 1, 15, "a failed sample")
    collector.stop()
    meta = json.dumps(run.read_meta()) + (run.path / "events.jsonl").read_text()
    assert "cannot connect to PostgreSQL" in meta
    assert "Sup3rSecret" not in meta


def test_an_unknown_user_is_a_warning_without_the_password(
    pg_database: str, run: RunDir, wait: Any
) -> None:
    dsn = pg_database.replace("postgres@", "nobody_here:Sup3rSecret@")
    collector = _collect(dsn, run)
    wait(lambda: collector.failures >= 1, 15, "a failed sample")
    collector.stop()
    text = json.dumps(run.read_meta())
    assert "nobody_here" in text and "Sup3rSecret" not in text


def test_specs() -> None:
    collector = parse_collect_spec("postgres=postgresql://mon@db.example:6432/erp")
    assert isinstance(collector, PostgresCollector)
    assert collector.instance == "db.example:6432/erp"
    parsed = parse_collect_spec("postgres:dsn=postgresql://mon@h/erp,interval=2s,scope=cluster")
    assert isinstance(parsed, PostgresCollector) and parsed.interval == 2.0 and parsed.cluster
    for bad in ("postgres=mysql://x@h/db", "postgres", "postgres:dsn=postgresql://h/d,scope=x"):
        with pytest.raises(BadInput) as caught:
            parse_collect_spec(bad)
        assert "\n" not in caught.value.one_line()
    with pytest.raises(BadInput) as caught:
        parse_collect_spec("postgres=ftp://u:Pw9@h/db")
    assert "Pw9" not in caught.value.one_line()


def test_active_statements_are_counted_by_their_operation_tag(
    counter_db: str, run: RunDir, wait: Any
) -> None:
    """A statement tagged sqlcommenter-style (the tag after 300 characters of text, beyond
    what the collector keeps of a query) counts under its operation while it runs."""
    padding = "/* " + "x" * 300 + " */"
    tagged = f"SELECT pg_sleep(30) {padding} /*op='month_end%2Freport',rid='r9'*/"
    sleeper = psycopg.connect(counter_db, autocommit=True)
    pid = sleeper.info.backend_pid
    worker = threading.Thread(target=lambda: _run_cancelled(sleeper, tagged))
    collector = _collect(counter_db, run)
    worker.start()
    try:
        with psycopg.connect(counter_db, autocommit=True) as watch:

            def running() -> bool:
                row = watch.execute(
                    "SELECT state FROM pg_stat_activity WHERE pid = %s", (pid,)
                ).fetchone()
                return row is not None and row[0] == "active"

            wait(running, 10, "the tagged statement to run")
        before = collector.samples
        wait(lambda: collector.samples >= before + 2, 10, "samples while it runs")
    finally:
        sleeper.cancel_safe()
        worker.join(10)
        sleeper.close()
    collector.stop()
    metrics = _metrics(run)
    by_op = metrics[metrics["metric"] == "active_by_operation"]
    assert set(by_op["labels"].map(lambda x: x["operation"])) == {"month_end/report"}
    assert by_op["value"].max() == 1.0


def _run_cancelled(conn: psycopg.Connection[Any], sql: str) -> None:
    with pytest.raises(psycopg.errors.QueryCanceled):
        conn.execute(sql)
