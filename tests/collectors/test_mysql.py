"""``--collect mysql=URL`` against the real MariaDB on 127.0.0.1:3306 (root, empty password;
performance_schema switched on by scripts/setup-services.sh). Each test makes its own
database and users and drops them."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pymysql
import pytest

from erpcap.collectors import parse_collect_spec
from erpcap.collectors.base import labels_json
from erpcap.collectors.mysql import MARKER, MysqlCollector
from erpcap.collectors.mysql_connect import parse_dsn
from erpcap.errors import BadInput
from erpcap.processes import free_port
from erpcap.rundir import RunDir, utcnow
from erpcap.sqltext import fingerprint

pytestmark = pytest.mark.mysql

ROOT = "mysql://root@127.0.0.1:3306"
ROWS = 50  # rows of the test table

Wait = Callable[[Callable[[], bool], float, str], None]


def _admin(database: str | None = None) -> pymysql.Connection[Any]:
    return pymysql.connect(
        host="127.0.0.1", port=3306, user="root", database=database, autocommit=True
    )


def _run(conn: pymysql.Connection[Any], sql: str, args: Any = None) -> list[Any]:
    with conn.cursor() as cursor:
        cursor.execute(sql, args)
        return list(cursor.fetchall())


@pytest.fixture
def mysql_db(request: pytest.FixtureRequest) -> Iterator[str]:
    """An InnoDB table ``items`` (id 1..50, qty 0) in a database named after the test."""
    name = f"erpcap_test_{request.node.name[:30]}_{os.getpid()}".lower()
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    with _admin() as conn:
        _run(conn, f"DROP DATABASE IF EXISTS `{name}`")
        _run(conn, f"CREATE DATABASE `{name}`")
        _run(conn, f"CREATE TABLE `{name}`.items (id INT PRIMARY KEY, qty INT NOT NULL)")
        values = ", ".join(f"({i}, 0)" for i in range(1, ROWS + 1))
        _run(conn, f"INSERT INTO `{name}`.items VALUES {values}")
    yield name
    with _admin() as conn:
        _run(conn, f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture
def mysql_user() -> Iterator[Callable[[str, Sequence[str]], str]]:
    """Makes a user at 127.0.0.1 with a password and grants (``{account}`` in each GRANT
    is the account); drops them all after the test."""
    made: list[str] = []

    def make(password: str, grants: Sequence[str] = ()) -> str:
        name = f"erpcap_t{os.getpid()}_{len(made)}"
        account = f"'{name}'@'127.0.0.1'"
        with _admin() as conn:
            _run(conn, f"DROP USER IF EXISTS {account}")
            _run(conn, f"CREATE USER {account} IDENTIFIED BY %s", (password,))
            made.append(account)
            for grant in grants:
                _run(conn, grant.format(account=account))
        return name

    yield make
    with _admin() as conn:
        for account in made:
            _run(conn, f"DROP USER IF EXISTS {account}")


@contextmanager
def collecting(run: RunDir, spec: str) -> Iterator[MysqlCollector]:
    collector = parse_collect_spec(spec)
    assert isinstance(collector, MysqlCollector)
    collector.flush_every_s = 0.2  # the tests read metrics while the collector runs
    collector.start(run)
    try:
        yield collector
    finally:
        collector.stop()


def _series(run: RunDir, metric: str, labels: dict[str, str] | None = None) -> pd.DataFrame:
    metrics = run.read_table("metrics")
    part = metrics[metrics["metric"] == metric]
    if labels is not None:
        part = part[part["labels"] == labels_json(labels)]
    return part


def _events(run: RunDir, kind: str) -> list[dict[str, Any]]:
    return [e for e in run.read_events() if e["kind"] == kind]


def _queries(database: str, sql: str, args: Sequence[Any], threads: int = 4) -> None:
    """Run ``sql`` once per argument, spread over ``threads`` connections to ``database``."""
    chunks = [args[i::threads] for i in range(threads)]

    def work(chunk: Sequence[Any]) -> None:
        with _admin(database) as conn:
            for arg in chunk:
                _run(conn, sql, (arg,))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, chunks))


# -- the spec --------------------------------------------------------------------------------


def test_the_url_and_the_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    collector = parse_collect_spec("mysql=mysql://erp:p%40ss@db.local:3307/erp")
    assert isinstance(collector, MysqlCollector) and collector.statements_every == 10.0
    dsn = collector.dsn
    assert (dsn.host, dsn.port, dsn.user, dsn.password, dsn.database) == (
        "db.local", 3307, "erp", "p@ss", "erp"
    )  # fmt: skip
    assert dsn.instance == "db.local:3307/erp" and "p@ss" not in repr(collector)
    tuned = parse_collect_spec(f"mysql:dsn={ROOT},interval=0.5,statements_every=2s")
    assert isinstance(tuned, MysqlCollector)
    assert (tuned.interval, tuned.statements_every, tuned.dsn.database) == (0.5, 2.0, None)
    socket = parse_dsn("mariadb://erp@localhost/erp?unix_socket=/run/mysqld/mysqld.sock")
    assert socket.instance == "/run/mysqld/mysqld.sock/erp"
    monkeypatch.setenv("MYSQL_PWD", "from-env")  # a password kept out of the command line
    assert parse_dsn("mysql://erp@h/erp").connect_args()["password"] == "from-env"
    assert parse_dsn("mysql://erp:given@h/erp").connect_args()["password"] == "given"


@pytest.mark.parametrize(
    ("spec", "message"),
    [("mysql", "needs a URL"), ("mysql=postgresql://u:hunter2@h/db", "is not a MySQL URL"),
     ("mysql=mysql://u:hunter2@h:port/db", "port that is not a number"),
     ("mysql=mysql://u:hunter2@h/db?sslmode=require", "unknown URL parameter 'sslmode'"),
     ("mysql=mysql://u:hunter2@/db", "names no host"),
     ("mysql=mysql://u:hunter2@h/db/x", "one database name"),
     (f"mysql:dsn={ROOT},statements_every=0", "above 0"), (f"mysql:dsn={ROOT},every=2", "every")],
)  # fmt: skip
def test_bad_specs_are_one_line_without_the_password(spec: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_collect_spec(spec)
    line = caught.value.one_line()
    assert message in line and "hunter2" not in line


def test_run_json_keeps_no_password_of_a_collect_spec() -> None:
    from erpcap.pipeline import LoadPlan
    from erpcap.scenarios.catalog import get_scenario
    from erpcap.scenarios.shapes import steps_shape

    plan = LoadPlan(
        target="http://127.0.0.1:8000",
        scenario=get_scenario("demo-mix"),
        shape=steps_shape([(1, 1.0)], spawn_rate=1),
        collect=("psutil", "mysql=mysql://erp:hunter2@127.0.0.1:3306/erp"),
    )
    collect = plan.describe()["parameters"]["collect"]
    assert collect == ["psutil", "mysql=mysql://erp:***@127.0.0.1:3306/erp"]


# -- against MariaDB -------------------------------------------------------------------------


def test_status_sessions_and_statements_per_step(tmp_path: Path, mysql_db: str, wait: Wait) -> None:
    run = RunDir.create(tmp_path / "run")
    begin = utcnow()
    spec = f"mysql:dsn={ROOT},interval=0.2,statements_every=600"  # snapshots at steps only
    with collecting(run, spec) as collector:
        wait(lambda: collector.snapshots >= 1, 30, "the first statement snapshot")
        run.event("step", step=1, users=4)
        wait(lambda: collector.snapshots >= 2, 30, "the snapshot at step 1")
        lookups = [i % ROWS + 1 for i in range(120)]
        _queries(mysql_db, "SELECT qty FROM items WHERE id = %s", lookups)
        with _admin(mysql_db) as conn:  # commits for commits_per_s
            conn.autocommit(False)
            for i in range(1, 11):
                _run(conn, "UPDATE items SET qty = qty + 1 WHERE id = %s", (i,))
                conn.commit()
        run.event("step", step=2, users=8)
        wait(lambda: collector.snapshots >= 3, 30, "the snapshot at step 2")
        _queries(mysql_db, "SELECT COUNT(*) FROM items WHERE qty >= %s", list(range(40)))
        seen = collector.samples
        wait(lambda: collector.samples >= seen + 2, 30, "two samples after the load")
        assert collector.failures == 0
    end = utcnow()

    metrics = run.read_table("metrics")
    assert set(metrics["source"]) == {"mysql"}
    assert metrics["ts"].between(begin, end).all()
    names = set(metrics["metric"])
    for name in (
        "threads_running",
        "threads_connected",
        "connections",
        "max_connections",
        "lock_waits",
        "questions_per_s",
        "com_commit_per_s",
        "commits_per_s",
        "com_rollback_per_s",
        "rollbacks_per_s",
        "innodb_row_lock_waits_per_s",
        "innodb_row_lock_time_ms_per_s",
        "innodb_buffer_pool_reads_per_s",
        "innodb_buffer_pool_read_requests_per_s",
        "cache_hit_ratio",
        "created_tmp_disk_tables_per_s",
        "slow_queries_per_s",
        "deadlocks_per_s",
        "sessions",
        "longest_query_s",
    ):  # fmt: skip  (wait_sessions: the lock test)
        assert name in names, name
    with _admin() as conn:
        max_connections = _run(conn, "SELECT @@max_connections")[0][0]
    assert set(_series(run, "max_connections")["value"]) == {float(max_connections)}
    assert _series(run, "questions_per_s")["value"].max() > 0
    assert _series(run, "commits_per_s")["value"].max() > 0
    ratio = _series(run, "cache_hit_ratio")["value"]
    assert ratio.between(0, 1).all()
    states = {json.loads(s)["state"] for s in _series(run, "sessions")["labels"]}
    assert states == {"active", "idle", "waiting"}

    stats = run.read_table("sql_stats")
    assert stats["start"].between(begin, end).all() and stats["end"].between(begin, end).all()
    assert not stats["query"].str.contains(MARKER).any()  # not the collector's own
    assert not (stats["query"].str.strip() == "SHOW GLOBAL STATUS").any()
    mine = stats[stats["database"] == mysql_db]
    lookup = mine[mine["fingerprint"] == fingerprint("SELECT qty FROM items WHERE id = 7")]
    count = mine[mine["fingerprint"] == fingerprint("SELECT COUNT(*) FROM items WHERE qty >= 1")]
    whole = lookup[lookup["step"].isna()].iloc[0]
    assert whole["calls"] >= len(lookups) and whole["rows"] >= len(lookups)
    assert whole["total_ms"] > 0 and whole["mean_ms"] == pytest.approx(
        whole["total_ms"] / whole["calls"]
    )
    assert whole["max_ms"] > 0 and whole["instance"] == "127.0.0.1:3306"
    assert whole["queryid"] and whole["lock_ms"] >= 0 and whole["no_index_used"] == 0
    assert lookup[lookup["step"] == 1]["calls"].sum() >= len(lookups)
    assert lookup[lookup["step"] == 2].empty  # none sent in step 2
    assert count[count["step"] == 2]["calls"].sum() >= 40
    assert count[count["step"] == 2]["no_index_used"].sum() >= 40  # qty has no index
    assert count[count["step"] == 1].empty
    assert not run.read_meta()["warnings"]


def test_lock_waits_are_seen_while_a_row_is_held(tmp_path: Path, mysql_db: str, wait: Wait) -> None:
    run = RunDir.create(tmp_path / "run")
    holder = _admin(mysql_db)
    errors: list[BaseException] = []

    def update() -> None:
        try:
            with _admin(mysql_db) as conn:
                _run(conn, "SET SESSION innodb_lock_wait_timeout = 30")
                _run(conn, "UPDATE items SET qty = qty + 1 WHERE id = 1")
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    def seen_waiting() -> bool:
        waiting = _series(run, "sessions", {"state": "waiting"})
        row_lock = _series(run, "wait_sessions", {"wait": "InnoDB row lock"})
        return bool(
            (waiting["value"] >= 1).any()
            and (row_lock["value"] >= 1).any()
            and (_series(run, "lock_waits")["value"] >= 1).any()
        )

    with collecting(run, f"mysql:dsn={ROOT},interval=0.2") as collector:
        wait(lambda: collector.samples >= 2, 30, "two samples (a base for the rates)")
        holder.begin()
        _run(holder, "SELECT qty FROM items WHERE id = 1 FOR UPDATE")
        blocked = threading.Thread(target=update)
        blocked.start()
        try:
            wait(seen_waiting, 30, "a waiting session and an InnoDB lock wait in the metrics")
        finally:
            holder.commit()
            holder.close()
            blocked.join(40)
        seen = collector.samples
        wait(lambda: collector.samples >= seen + 2, 30, "two samples after the wait")
    assert not errors and not blocked.is_alive()
    longest = _series(run, "longest_query_s")
    queries = {json.loads(labels).get("query", "") for labels in longest["labels"]}
    assert "UPDATE items SET qty = qty + 1 WHERE id = 1" in queries
    assert _series(run, "innodb_row_lock_waits_per_s")["value"].max() > 0


def test_a_refused_connection_is_a_gap_with_a_warning(tmp_path: Path, wait: Wait) -> None:
    run = RunDir.create(tmp_path / "run")
    port = free_port()  # nothing listens there
    with collecting(run, f"mysql:dsn=mysql://root@127.0.0.1:{port},interval=0.2"):
        wait(lambda: bool(_events(run, "collector_gap")), 30, "a collector_gap event")
    (warning,) = run.read_meta()["warnings"]
    assert f"127.0.0.1:{port}" in warning and "check the host and port" in warning
    assert run.read_table("metrics").empty


def test_a_wrong_password_is_never_shown(
    tmp_path: Path, mysql_user: Callable[[str, Sequence[str]], str], wait: Wait
) -> None:
    user = mysql_user("the-right-one", [])
    run = RunDir.create(tmp_path / "run")
    spec = f"mysql:dsn=mysql://{user}:hunter2wrong@127.0.0.1:3306,interval=0.2"
    with collecting(run, spec):
        wait(lambda: bool(_events(run, "collector_gap")), 30, "a collector_gap event")
    (warning,) = run.read_meta()["warnings"]
    assert "Access denied" in warning and "check the user and the password" in warning
    for name in ("run.json", "events.jsonl"):
        assert "hunter2wrong" not in (run.path / name).read_text()


def test_a_killed_connection_is_a_gap_then_resumes(tmp_path: Path, wait: Wait) -> None:
    run = RunDir.create(tmp_path / "run")
    with collecting(run, f"mysql:dsn={ROOT},interval=0.2") as collector:
        wait(lambda: collector.samples >= 2, 30, "two samples")
        first = collector.connection_id
        with _admin() as conn:
            _run(conn, f"KILL {int(first or 0)}")
        wait(lambda: bool(_events(run, "collector_resumed")), 30, "a collector_resumed event")
        resumed_at = collector.samples
        wait(lambda: collector.samples > resumed_at, 30, "a sample after resuming")
    assert collector.connection_id not in (None, first)
    kinds = [e["kind"] for e in run.read_events() if e["kind"].startswith("collector_")]
    assert kinds == ["collector_gap", "collector_resumed"]
    (gap,) = _events(run, "collector_gap")
    assert "reconnecting" in gap["error"]
    (warning,) = run.read_meta()["warnings"]
    assert "collector mysql failed" in warning and "its metrics have gaps" in warning
    before = _series(run, "threads_connected")
    assert before["ts"].max() > datetime.fromisoformat(gap["ts"])  # it samples again


@pytest.mark.parametrize(
    ("grants", "missing"),
    [([], {"performance_schema", "PROCESS"}),
     (["GRANT SELECT ON performance_schema.* TO {account}"], {"PROCESS"}),
     (["GRANT SELECT ON performance_schema.* TO {account}",
       "GRANT PROCESS ON *.* TO {account}"], set())],
)  # fmt: skip
def test_a_user_without_privileges_gets_warnings_that_say_which_grant(
    tmp_path: Path,
    mysql_user: Callable[[str, Sequence[str]], str],
    mysql_db: str,
    wait: Wait,
    monkeypatch: pytest.MonkeyPatch,
    grants: list[str],
    missing: set[str],
) -> None:
    user = mysql_user("s3cret-pw", grants)
    monkeypatch.setenv("MYSQL_PWD", "s3cret-pw")  # the URL carries no password
    run = RunDir.create(tmp_path / "run")
    spec = f"mysql:dsn=mysql://{user}@127.0.0.1:3306,interval=0.2,statements_every=0.5"
    with collecting(run, spec) as collector:
        wait(lambda: collector.samples >= 2, 30, "two samples")
        _queries(mysql_db, "SELECT qty FROM items WHERE id = %s", [1, 2, 3, 4], threads=1)
        wait(lambda: collector.snapshots >= 3 or "performance_schema" in missing, 30, "snapshots")
        seen = collector.samples
        wait(lambda: collector.samples >= seen + 2, 30, "two more samples")
    assert collector.failures == 0
    warnings = run.read_meta()["warnings"]
    account = f"'{user}'@'127.0.0.1'"
    select = [w for w in warnings if "may not read performance_schema" in w]
    process = [w for w in warnings if "lacks the PROCESS privilege" in w]
    assert len(warnings) == len(missing)
    if "performance_schema" in missing:
        assert f"GRANT SELECT ON performance_schema.* TO {account}" in select[0]
        assert not run.has_table("sql_stats")
    else:
        stats = run.read_table("sql_stats")
        assert not select and (stats["database"] == mysql_db).any()
        assert not stats["query"].str.contains(MARKER).any()
    if "PROCESS" in missing:
        assert f"GRANT PROCESS ON *.* TO {account}" in process[0]
        assert _series(run, "sessions").empty
    else:
        assert not process and not _series(run, "sessions").empty
    assert not _series(run, "threads_connected").empty  # status needs no privilege


def test_performance_schema_off_says_how_to_switch_it_on(tmp_path: Path) -> None:
    """The server here has it on, and it can only change at a restart: this checks the
    warning the connection check gives when the server says it is off."""
    run = RunDir.create(tmp_path / "run")
    collector = parse_collect_spec(f"mysql={ROOT}")
    assert isinstance(collector, MysqlCollector)
    collector._run = run
    with _admin() as conn:
        assert not collector._check_digests(conn, 0, "'erp'@'%'")  # type: ignore[arg-type]
    (warning,) = run.read_meta()["warnings"]
    assert "performance_schema is OFF on 127.0.0.1:3306" in warning
    assert "performance_schema=ON under [mysqld]" in warning and "restart" in warning


def test_a_truncated_digest_table_is_a_reset_and_evictions_with_warnings(
    tmp_path: Path, mysql_db: str, wait: Wait
) -> None:
    """performance_schema's digest table, truncated mid-run: a statement counted before is a
    reset (its FIRST_SEEN changes even when its new count is higher), the ones not run again
    have left the table (evicted); both are warnings."""
    sql = "SELECT qty * 2 FROM items WHERE id = %s"
    _queries(mysql_db, sql, list(range(1, 11)), threads=1)  # counted before the run

    def server_clock_moved() -> bool:  # FIRST_SEEN has whole seconds
        with _admin() as conn:
            rows = _run(
                conn,
                "SELECT NOW() > MAX(FIRST_SEEN) FROM "
                "performance_schema.events_statements_summary_by_digest WHERE SCHEMA_NAME = %s",
                (mysql_db,),
            )
        return bool(rows[0][0])

    run = RunDir.create(tmp_path / "run")
    with collecting(run, f"mysql:dsn={ROOT},interval=0.2,statements_every=0.2") as collector:
        wait(lambda: collector.snapshots >= 1, 30, "the first statement snapshot")
        wait(server_clock_moved, 30, "a second on the server's clock")
        with _admin() as conn:
            _run(conn, "TRUNCATE performance_schema.events_statements_summary_by_digest")
        _queries(mysql_db, sql, list(range(1, 13)), threads=1)  # more calls than before
        seen = collector.snapshots
        wait(lambda: collector.snapshots >= seen + 2, 30, "two snapshots after the truncation")
    warnings = run.read_meta()["warnings"]
    assert any("were reset during the run" in w for w in warnings), warnings
    assert any("left performance_schema's digest table" in w for w in warnings), warnings
    stats = run.read_table("sql_stats")
    mine = stats[(stats["database"] == mysql_db) & stats["step"].isna()]
    (calls,) = mine[mine["fingerprint"] == fingerprint(sql % 1)]["calls"]
    assert calls == 12  # counted from the reset, not 12 - 10
