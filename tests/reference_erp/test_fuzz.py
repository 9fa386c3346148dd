"""Schemathesis fuzzes every operation from ``/openapi.json`` with each role's token: no 5xx.

It runs on databases of its own (the fuzzer closes periods and posts at random) with a bounded
number of examples per operation, as the ``st`` command line in a subprocess: SQLite with the
embedded backends, and PostgreSQL with Redis, RabbitMQ and two workers. Each role is fuzzed
once (a run costs about ten seconds, mostly the fuzzer's start): warehouse and manager on
SQLite, sales, qa and finance on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from erpcap.reference_erp.seed import seed

from .conftest import AS_OF, ErpServer

ST = Path(sys.executable).with_name("st")

# schemathesis is a test dependency (pyproject's `test` extra): a missing CLI is a failure.
needs_st = pytest.mark.usefixtures("schemathesis_cli")


@pytest.fixture(scope="session")
def schemathesis_cli() -> None:
    assert ST.exists() or shutil.which("st"), "schemathesis CLI missing: pip install -e '.[test]'"


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory, log_dir):
    url = f"sqlite:///{tmp_path_factory.mktemp('erp-fuzz') / 'fuzz.sqlite'}"
    with open(os.devnull, "w") as devnull:
        seed(url, 0.02, 5, as_of=AS_OF, out=devnull)
    server = ErpServer(
        url, "--profile", "upgraded", "--lever", "workers=off", log_dir=log_dir
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pg_fuzz_server(make_pg_db, log_dir):
    url = make_pg_db("fuzz", seed_value=5)
    server = ErpServer(url, "--profile", "upgraded", "--workers", "2", log_dir=log_dir).start()
    yield server
    server.stop()


def _fuzz(server: ErpServer, role: str, cwd: Path, examples: int) -> None:
    st = str(ST) if ST.exists() else "st"
    cmd = [
        st,
        "run",
        f"{server.base}/openapi.json",
        "--checks",
        "not_a_server_error",
        "--header",
        f"Authorization: Bearer {server.token(role)}",
        "--max-examples",
        str(examples),
        "--seed",
        "1",
        "--no-color",
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=cwd)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and "failed" not in r.stdout.split("Test cases:")[-1]
    assert "Traceback" not in server.stderr()


@pytest.mark.slow
@needs_st
@pytest.mark.parametrize("role", ["warehouse", "manager"])  # the others: on PostgreSQL below
def test_fuzzing_finds_no_server_error(fuzz_server, role, tmp_path):
    _fuzz(fuzz_server, role, tmp_path, 15)


@pytest.mark.slow
@pytest.mark.postgres
@needs_st
@pytest.mark.parametrize("role", ["sales", "qa", "finance"])
def test_fuzzing_postgres_finds_no_server_error(pg_fuzz_server, role, tmp_path):
    _fuzz(pg_fuzz_server, role, tmp_path, 10)
