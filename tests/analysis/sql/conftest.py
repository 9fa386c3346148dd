"""Fixtures of the slow-SQL tests: logs written by a PostgreSQL and a MariaDB server of the
test's own (tests/own_servers.py), with statements the test chose; the servers are stopped
before the tests read the logs."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest


def _own_servers() -> ModuleType:
    path = Path(__file__).parents[2] / "own_servers.py"
    spec = importlib.util.spec_from_file_location("erpcap_tests_own_servers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


SERVERS = _own_servers()

#: What the PostgreSQL test server runs: (statement, times); the slow one sleeps.
PG_WORK = (
    ("SELECT count(*) FROM items WHERE note LIKE %s", 40),
    ("UPDATE items SET note = note WHERE id = %s", 25),
    ("SELECT pg_sleep(0.2), 'slowest' AS marker", 2),
)


@pytest.fixture(scope="session")
def pg_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A stderr log of a real PostgreSQL 15 that ran :data:`PG_WORK` (as user ``clerk`` in
    database ``shop``); a copy that outlives the server."""
    if not (SERVERS.PG_BIN / "postgres").exists():
        pytest.skip("PostgreSQL 15's server binaries are not installed")
    import psycopg

    out = tmp_path_factory.mktemp("pglog") / "postgresql.log"
    with SERVERS.postgres() as server:
        with psycopg.connect(server.dsn, autocommit=True) as admin:
            admin.execute("CREATE ROLE clerk LOGIN")
            admin.execute("CREATE DATABASE shop OWNER clerk")
        clerk = server.dsn.replace("user=postgres dbname=postgres", "user=clerk dbname=shop")
        with psycopg.connect(clerk, autocommit=True) as conn:
            conn.execute("CREATE TABLE items (id int PRIMARY KEY, note text)")
            conn.execute("INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 500) g")
            for statement, times in PG_WORK:
                for n in range(times):
                    args = (f"%{n}%",) if "LIKE" in statement else (n,) if "%s" in statement else ()
                    conn.execute(statement, args or None)
        server.stop()
        shutil.copy(server.log, out)
    yield out


#: What the MariaDB test server runs: (statement, times).
MARIA_WORK = (
    ("SELECT COUNT(*) FROM shop.items WHERE note LIKE '%{n}%'", 30),
    ("UPDATE shop.items SET note = note WHERE id = {n}", 12),
    ("SELECT SLEEP(0.2) AS slowest", 2),
)


@pytest.fixture(scope="session")
def maria_slow_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A slow log of a real MariaDB that ran :data:`MARIA_WORK`; a copy."""
    if not (Path(SERVERS.MARIADBD).exists() and SERVERS.INSTALL_DB):
        pytest.skip("MariaDB's server is not installed")
    out = tmp_path_factory.mktemp("maria") / "slow.log"
    with SERVERS.mariadb() as server:
        script = [
            "CREATE DATABASE shop",
            "CREATE TABLE shop.items (id INT PRIMARY KEY, note TEXT)",
            "INSERT INTO shop.items WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 "
            "FROM s WHERE n < 300) SELECT n, CONCAT('n', n) FROM s",
        ]
        for statement, times in MARIA_WORK:
            script += [statement.format(n=n) for n in range(times)]
        server.sql(";\n".join(script) + ";\n")
        server.stop()
        shutil.copy(server.log, out)
    yield out


SqlCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def sql_cli() -> SqlCli:
    """``erpcap sql ARGS…`` in a child process; its result (text output)."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "erpcap", "sql", *args],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    return run


@pytest.fixture(scope="session")
def own_servers() -> ModuleType:
    """tests/own_servers.py: a PostgreSQL or MariaDB server of the test's own."""
    return SERVERS
