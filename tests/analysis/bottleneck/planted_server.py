"""A small HTTP + PostgreSQL server with a planted cause, for the bottleneck tests.

Run as a script in its own process: ``python planted_server.py MODE DSN`` listens on
127.0.0.1 at a free port and prints ``PORT <n>``. It answers the few calls of the load
scenario (a login, the item list, ``GET /availability``) and nothing else. ``MODE``:

- ``lock``: every availability request reserves the same row — ``SELECT … FOR UPDATE``, a
  20 ms ``pg_sleep`` while holding it, ``UPDATE``, commit — so requests queue on a real
  PostgreSQL row lock;
- ``cpu``: every request burns about 20 ms of pure-Python CPU under one process-wide lock,
  then reads the row: the application's single process is the limit;
- ``healthy``: every request reads the row.

Statements carry a sqlcommenter tag naming the operation (``/*op='reserve'*/``).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from psycopg_pool import ConnectionPool

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for json_server.py
from json_server import TokenLoginHandler, serve

TOKEN = "planted-token"
ITEMS = [{"id": i, "sku": f"I{i}", "name": f"Item {i}"} for i in range(1, 11)]
#: Connections in the pool: more than the tests' users, so the pool is never the limit.
POOL = 12


def _burn(seconds: float) -> int:
    end, n = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        n += sum(i * i for i in range(200))
    return n


def _handler(mode: str, pool: ConnectionPool[Any]) -> type[TokenLoginHandler]:
    serial = threading.Lock()

    class Handler(TokenLoginHandler):
        token = TOKEN

        def do_GET(self) -> None:  # noqa: N802
            path = urlsplit(self.path).path
            if path == "/health":
                self._send(200, {"status": "ok"})
            elif self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, {"error": {"code": "unauthorized", "message": "no token"}})
            elif path == "/items":
                self._send(200, {"items": ITEMS, "total": len(ITEMS)})
            elif path == "/availability":
                self._send(200, {"item_id": 1, "available": self._work(), "lots": []})
            else:
                self._no_route()

        def _work(self) -> int:
            if mode == "cpu":
                with serial:
                    _burn(0.02)
            with pool.connection() as conn:
                if mode == "lock":
                    with conn.transaction():
                        conn.execute(
                            "SELECT n FROM hot_counter WHERE id = 1 FOR UPDATE /*op='reserve'*/"
                        )
                        conn.execute("SELECT pg_sleep(0.02) /*op='reserve'*/")
                        conn.execute(
                            "UPDATE hot_counter SET n = n + 1 WHERE id = 1 /*op='reserve'*/"
                        )
                    return 1
                row = conn.execute(
                    "SELECT n FROM hot_counter WHERE id = 1 /*op='look'*/"
                ).fetchone()
                return int(row[0]) if row else 0

    return Handler


def main() -> None:
    mode, dsn = sys.argv[1], sys.argv[2]
    with ConnectionPool(dsn, min_size=POOL, max_size=POOL, kwargs={"autocommit": True}) as pool:
        serve(_handler(mode, pool))


if __name__ == "__main__":
    main()
