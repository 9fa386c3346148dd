"""Fixtures for the reference ERP: seeded databases (SQLite, PostgreSQL) and real servers.

Servers run as subprocesses (``python -m erpcap.reference_erp serve``) on free loopback ports;
readiness is ``/health`` polled with a deadline. PostgreSQL databases are named
``erpcap_test_erp_*`` and dropped at the end of the session.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pika
import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from erpcap.processes import free_port
from erpcap.reference_erp import gs1
from erpcap.reference_erp.context import namespace_for
from erpcap.reference_erp.db import normalize_url
from erpcap.reference_erp.seed import seed

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql://postgres@127.0.0.1:5432"
ROLES = ("sales", "warehouse", "qa", "finance", "manager", "integration")
SCALE = 0.02
AS_OF = date.today()


def drop_pg_database(name: str) -> None:
    """Drop a test database, disconnecting its sessions."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ErpServer:
    """A reference ERP server subprocess with an HTTP client and per-role tokens."""

    def __init__(self, db_url: str, *args: str, log_dir: Path) -> None:
        self.db_url = db_url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.argv = [
            sys.executable,
            "-m",
            "erpcap.reference_erp",
            "serve",
            "--db",
            db_url,
            "--port",
            str(self.port),
            *args,
        ]
        self.log_dir = log_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(base_url=self.base, timeout=60)
        self._tokens: dict[str, str] = {}

    def start(self, timeout: float = 90.0) -> ErpServer:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.out = (self.log_dir / f"server-{self.port}.out").open("wb")
        self.err = (self.log_dir / f"server-{self.port}.err").open("wb")
        self.proc = subprocess.Popen(
            self.argv, stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.stderr()}")
            try:
                if self.client.get("/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server not healthy within {timeout} s: {self.stderr()}")

    def stderr(self) -> str:
        return (self.log_dir / f"server-{self.port}.err").read_text(errors="replace")[-2000:]

    def stdout(self) -> str:
        return (self.log_dir / f"server-{self.port}.out").read_text(errors="replace")

    def stop(self) -> int | None:
        self.client.close()
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        self.err.close()
        return self.proc.returncode

    def token(self, role: str) -> str:
        if role not in self._tokens:
            r = self.client.post("/auth/login", json={"username": role, "password": "erpcap"})
            assert r.status_code == 200, r.text
            self._tokens[role] = r.json()["access_token"]
        return self._tokens[role]

    def headers(self, role: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role)}", **extra}

    def call(self, role: str | None, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if role:
            headers.update(self.headers(role))
        return self.client.request(method, path, headers=headers, **kw)

    def profile(self) -> dict[str, Any]:
        return self.client.get("/profile").json()

    def metrics(self) -> str:
        return self.client.get("/metrics").text


def assert_error_shape(
    resp: httpx.Response, status: int | None = None, code: str | None = None
) -> dict[str, Any]:
    """The one error envelope: exactly {"error": {"code", "message", "details"}} with a 4xx."""
    if status is not None:
        assert resp.status_code == status, resp.text
    assert 400 <= resp.status_code < 500, resp.text
    body = resp.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


class Servers:
    """Starts servers for a test and stops them afterwards."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[ErpServer] = []

    def start(self, db_url: str, *args: str) -> ErpServer:
        server = ErpServer(db_url, *args, log_dir=self.log_dir).start()
        self.started.append(server)
        return server

    def stop_all(self) -> None:
        for s in self.started:
            s.stop()
        self.started.clear()


def engine_for(url: str) -> Engine:
    """A plain SQLAlchemy engine for assertions on the database."""
    return create_engine(normalize_url(url))


def new_item(url: str, sku: str, *, shelf_life_days: int = 730, serial: bool = False) -> int:
    """Insert a fresh item (with its UDI-DIs) that has no stock yet; return its id."""
    eng = engine_for(url)
    try:
        with eng.begin() as conn:
            item_id = conn.execute(
                text(
                    "INSERT INTO item (sku, name, category, uom, lot_controlled, serial_controlled, shelf_life_days, "
                    "unit_cost, list_price, deferred_revenue, active) VALUES (:s, :n, 'test', 'EA', 1, :ser, :sl, "
                    "10, 25, :ser, 1) RETURNING id"
                ),
                {"s": sku, "n": f"Test item {sku}", "ser": int(serial), "sl": shelf_life_days},
            ).scalar_one()
            for ind, (level, qty) in enumerate((("each", 1), ("box", 10), ("case", 100))):
                conn.execute(
                    text(
                        "INSERT INTO device_identifier (item_id, packaging_level, gtin, quantity) "
                        "VALUES (:i, :l, :g, :q)"
                    ),
                    {
                        "i": item_id,
                        "l": level,
                        "g": gs1.gtin14("0869999", int(item_id), ind),
                        "q": qty,
                    },
                )
    finally:
        eng.dispose()
    return int(item_id)


def stock_item(server: ErpServer, item_id: int, quantity: int) -> int:
    """Receive ``quantity`` into quarantine and release it through the API; return the lot id."""
    r = server.call(
        "warehouse", "POST", "/receipts", json={"item_id": item_id, "quantity": quantity}
    )
    assert r.status_code == 201, r.text
    lot_id = int(r.json()["id"])
    r = server.call(
        "qa",
        "POST",
        f"/lots/{lot_id}/release",
        json={"decision": "release", "password": "erpcap", "meaning": "approval"},
    )
    assert r.status_code == 200, r.text
    return lot_id


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("erp-logs")


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("erp-sqlite") / "erp.sqlite"
    url = f"sqlite:///{path}"
    with open(os.devnull, "w") as devnull:
        seed(url, SCALE, 42, as_of=AS_OF, out=devnull)
    return url


@pytest.fixture(scope="session")
def sqlite_server(sqlite_url: str, log_dir: Path) -> Iterator[ErpServer]:
    server = ErpServer(sqlite_url, "--profile", "legacy", log_dir=log_dir).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[list[str]]:
    """Names of PostgreSQL databases created during the session (dropped at the end)."""
    created: list[str] = []
    yield created
    for name in created:
        drop_pg_database(name)
    delete_queues([f"{PG_BASE}/{name}" for name in created])


def delete_queues(urls: list[str]) -> None:
    """Delete the (empty, unused) post-order queues the test servers declared in RabbitMQ."""
    try:
        conn = pika.BlockingConnection(pika.URLParameters("amqp://guest:guest@127.0.0.1:5672/%2F"))
    except pika.exceptions.AMQPError:
        return
    try:
        for url in urls:
            channel = conn.channel()
            with contextlib.suppress(pika.exceptions.AMQPError):  # not declared, or still used
                channel.queue_delete(
                    f"erpcap.postorder.{namespace_for(url)}", if_unused=True, if_empty=True
                )
    finally:
        if conn.is_open:
            conn.close()


@pytest.fixture(scope="session")
def make_pg_db(pg_databases: list[str]) -> Any:
    """Factory: seed a PostgreSQL database ``erpcap_test_erp_<suffix>`` and return its URL."""

    def make(suffix: str, scale: float = SCALE, seed_value: int = 42) -> str:
        name = f"erpcap_test_erp_{suffix}_{os.getpid()}"
        url = f"{PG_BASE}/{name}"
        drop_pg_database(name)
        pg_databases.append(name)
        with open(os.devnull, "w") as devnull:
            seed(url, scale, seed_value, as_of=AS_OF, out=devnull)
        return url

    return make


@pytest.fixture(scope="session")
def pg_url(make_pg_db: Any) -> str:
    return make_pg_db("main")  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def pg_legacy(pg_url: str, log_dir: Path) -> Iterator[ErpServer]:
    server = ErpServer(pg_url, "--profile", "legacy", log_dir=log_dir).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_upgraded(pg_url: str, log_dir: Path) -> Iterator[ErpServer]:
    server = ErpServer(pg_url, "--profile", "upgraded", "--workers", "2", log_dir=log_dir).start()
    yield server
    server.stop()


@pytest.fixture
def servers(log_dir: Path) -> Iterator[Servers]:
    s = Servers(log_dir)
    yield s
    s.stop_all()
