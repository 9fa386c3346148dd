"""A tiny REST ERP of its own, for the declarative-scenario tests (not the reference ERP).

Run as a script (its own process): ``python rest_server.py [--token-uses N]`` listens on
127.0.0.1 at a free port and prints ``PORT <n>``. ``--token-uses`` makes each token expire
after N requests (401 ``token_expired``), as a session timeout would. The API, under ``/api``:

- ``POST /api/auth/login`` ``{"user", "password"}`` → ``{"data": {"token": ...}}``; 401 with
  ``{"error": {"code", "message"}}`` unless the password is ``s3cret``;
- every other ``/api`` call needs ``Authorization: Bearer <token>`` and ``X-Tenant: acme``
  (else 401 / 400);
- ``GET /api/items/<sku>?warehouse=W`` → the item (404 for an unknown sku);
- ``POST /api/orders`` ``{"sku", "qty"}`` → ``{"order": {"id": N}}`` (201);
- ``GET /api/orders/<id>`` → the order, 404 if no such order;
- ``GET /api/reports/slow`` → after 40 ms;
- ``GET /stats`` (no auth): what the server saw, for the test to check.
"""

from __future__ import annotations

import itertools
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for json_server.py
from json_server import JsonHandler, serve

PASSWORD = "s3cret"


class _State:
    def __init__(self, token_uses: int = 0) -> None:
        self.lock = threading.Lock()
        self.token_uses = token_uses
        self.uses: Counter[str] = Counter()
        self.expired = 0
        self.orders: dict[int, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        self.logins: Counter[str] = Counter()
        self.skus: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.missing_orders = 0
        self.warehouses: Counter[str] = Counter()


def _handler(state: _State) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def _error(self, status: int, code: str, message: str) -> None:
            self._send(status, {"error": {"code": code, "message": message}})

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def _route(self, method: str) -> None:
            url = urlsplit(self.path)
            body = self._body() if method == "POST" else None
            if url.path == "/stats":
                with state.lock:
                    self._send(200, {"logins": dict(state.logins), "skus": dict(state.skus),
                                     "calls": dict(state.calls), "orders": len(state.orders),
                                     "missing_orders": state.missing_orders,
                                     "expired": state.expired,
                                     "warehouses": dict(state.warehouses)})  # fmt: skip
                return
            if url.path == "/api/auth/login" and method == "POST":
                if not isinstance(body, dict) or body.get("password") != PASSWORD:
                    self._error(401, "bad_credentials", "wrong user or password")
                    return
                with state.lock:
                    state.logins[str(body.get("user"))] += 1
                    token = f"tok-{body.get('user')}-{sum(state.logins.values())}"
                self._send(200, {"data": {"token": token}})
                return
            auth = self.headers.get("Authorization") or ""
            if not auth.startswith("Bearer tok-"):
                self._error(401, "unauthorized", "no or bad token")
                return
            with state.lock:
                state.uses[auth] += 1
                expired = 0 < state.token_uses < state.uses[auth]
                state.expired += expired
            if expired:
                self._error(401, "token_expired", "the session expired")
                return
            if self.headers.get("X-Tenant") != "acme":
                self._error(400, "no_tenant", "X-Tenant header missing")
                return
            self._api(method, url.path, parse_qs(url.query), body)

        def _api(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> None:
            with state.lock:
                state.calls[f"{method} {re.sub(r'/[^/]+$', '/X', path)}"] += 1
            item = re.fullmatch(r"/api/items/([A-Z0-9-]+)", path)
            order = re.fullmatch(r"/api/orders/(\d+)", path)
            if method == "GET" and item:
                sku = item.group(1)
                if not sku.startswith("SKU-"):
                    self._error(404, "not_found", f"no item {sku}")
                    return
                with state.lock:
                    state.skus[sku] += 1
                    state.warehouses[",".join(query.get("warehouse", []))] += 1
                self._send(200, {"sku": sku, "available": 7})
            elif method == "POST" and path == "/api/orders":
                with state.lock:
                    new = next(state.ids)
                    state.orders[new] = {"id": new, **(body or {})}
                self._send(201, {"order": {"id": new}})
            elif method == "GET" and order:
                with state.lock:
                    found = state.orders.get(int(order.group(1)))
                    if found is None:
                        state.missing_orders += 1
                if found is None:
                    self._error(404, "not_found", f"no order {order.group(1)}")
                else:
                    self._send(200, found)
            elif method == "GET" and path == "/api/reports/slow":
                time.sleep(0.04)
                self._send(200, {"rows": []})
            else:
                self._error(404, "not_found", f"no route {method} {path}")

    return Handler


def main() -> None:
    uses = int(sys.argv[sys.argv.index("--token-uses") + 1]) if "--token-uses" in sys.argv else 0
    serve(_handler(_State(uses)))


if __name__ == "__main__":
    sys.exit(main())
