"""A tiny real HTTP server answering the few reference-ERP endpoints demo-mix uses.

Run as a script (its own process): ``python stub_erp.py [--serial-ms N]`` listens on
127.0.0.1 at a free port and prints ``PORT <n>`` on its first line. ``--serial-ms`` plants a
bottleneck: every authorized request holds one global lock for N ms (a hot row every
transaction must update), so the server completes at most 1000 / N requests a second. It keeps orders in memory, answers a 409
``insufficient_stock`` for every fifth order, and 404 with the API's error envelope for
everything else (the reports, trace), which the scenario must survive.
"""

from __future__ import annotations

import itertools
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for json_server.py
from json_server import JsonHandler, serve

TOKEN = "stub-token"
CUSTOMERS = [{"id": i, "code": f"C{i:04d}", "name": f"Customer {i}"} for i in range(1, 31)]
ITEMS = [{"id": i, "sku": f"SKU{i:04d}", "name": f"Item {i}"} for i in range(1, 21)]


class _State:
    def __init__(self, serial_ms: float = 0.0) -> None:
        self.lock = threading.Lock()
        self.serial = threading.Lock()
        self.serial_s = serial_ms / 1000.0
        self.orders: dict[int, dict[str, Any]] = {
            i: {"id": i, "customer_id": 1 + i % 30, "status": "open", "lines": []}
            for i in range(1, 11)
        }
        self.next_id = itertools.count(11)
        self.creates = itertools.count(1)


def _handler(state: _State) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def _error(self, status: int, code: str, message: str) -> None:
            self._send(status, {"error": {"code": code, "message": message, "details": None}})

        def _authorized(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {TOKEN}":
                if state.serial_s:
                    with state.serial:
                        time.sleep(state.serial_s)
                return True
            self._error(401, "unauthorized", "missing or bad token")
            return False

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            path = urlsplit(self.path).path
            body = self._body()
            if path == "/auth/login":
                if isinstance(body, dict) and body.get("password") == "erpcap":
                    self._send(
                        200,
                        {
                            "access_token": TOKEN,
                            "token_type": "bearer",
                            "role": body.get("username"),
                            "expires_in": 3600,
                        },
                    )
                else:
                    self._error(401, "bad_credentials", "wrong user or password")
                return
            if not self._authorized():
                return
            if path == "/sales-orders":
                with state.lock:
                    if next(state.creates) % 5 == 0:
                        self._error(409, "insufficient_stock", "not enough released stock")
                        return
                    order_id = next(state.next_id)
                    order = {
                        "id": order_id,
                        "customer_id": body["customer_id"],
                        "status": "open",
                        "lines": body["lines"],
                    }
                    state.orders[order_id] = order
                self._send(201, order)
                return
            self._error(404, "not_found", f"no route {path}")

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            path, query = parts.path, parse_qs(parts.query)
            if path == "/health":
                self._send(200, {"status": "ok"})
                return
            if not self._authorized():
                return
            if path == "/customers":
                self._send(200, {"items": CUSTOMERS, "total": len(CUSTOMERS)})
            elif path == "/items":
                self._send(200, {"items": ITEMS, "total": len(ITEMS)})
            elif path == "/sales-orders":
                with state.lock:
                    items = [{"id": o["id"], "status": o["status"]} for o in state.orders.values()]
                self._send(200, {"items": items[-200:], "total": len(items)})
            elif path == "/availability":
                item = int(query.get("item_id", ["0"])[0])
                self._send(200, {"item_id": item, "available": 100, "lots": []})
            elif match := re.fullmatch(r"/sales-orders/(\d+)", path):
                with state.lock:
                    order = state.orders.get(int(match.group(1)))
                if order is None:
                    self._error(404, "not_found", "no such order")
                else:
                    self._send(200, order)
            elif match := re.fullmatch(r"/customers/(\d+)/orders", path):
                cid = int(match.group(1))
                with state.lock:
                    items = [o for o in state.orders.values() if o["customer_id"] == cid][-40:]
                self._send(200, {"items": items})
            else:
                self._error(404, "not_found", f"no route {path}")

    return Handler


def main() -> None:
    serial_ms = (
        float(sys.argv[sys.argv.index("--serial-ms") + 1]) if "--serial-ms" in sys.argv else 0
    )
    # --bind ADDR: another address of this machine (a network namespace's veth, in a test)
    bind = sys.argv[sys.argv.index("--bind") + 1] if "--bind" in sys.argv else "127.0.0.1"
    serve(_handler(_State(serial_ms)), host=bind)


if __name__ == "__main__":
    main()
