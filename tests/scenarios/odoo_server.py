"""A tiny server speaking Odoo's ``/jsonrpc`` protocol, on a few in-memory models.

Run as a script (its own process): ``python odoo_server.py`` listens on 127.0.0.1 at a free
port and prints ``PORT <n>``. Database ``demo``, user ``admin`` with password ``admin`` (uid
2). Services:

- ``common.version()``; ``common.login(db, login, password)`` and
  ``common.authenticate(db, login, password, env)`` → the uid, or ``false`` when refused;
- ``object.execute_kw(db, uid, password, model, method, args, kwargs)`` on ``res.partner``
  and ``sale.order``: ``search(domain)``, ``search_read(domain, fields=, limit=)``,
  ``search_count(domain)``, ``read(ids, fields=)``, ``create(vals)``; a domain is a list of
  ``[field, "=", value]``. An unknown model or method, or wrong credentials, answer a
  JSON-RPC error (HTTP 200) shaped as Odoo's: ``{"code": 200, "message": "Odoo Server
  Error", "data": {"name": ..., "message": ...}}``.
- ``GET /stats``: the calls seen, by ``model.method``.

It also answers Tryton's protocol at ``POST /demo/`` (JSON-RPC 1.0): ``common.db.login(login,
{"password": ...})`` → ``[uid, session]`` (``null`` when refused); ``model.<model>.<method>``
with the context as the last parameter, only with ``Authorization: Session
base64(login:uid:session)`` (else HTTP 401); errors as ``["UserError", [message, ""]]``.
"""

from __future__ import annotations

import base64
import itertools
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for json_server.py
from json_server import JsonHandler, serve

DB, LOGIN, PASSWORD, UID, SESSION = "demo", "admin", "admin", 2, "f00d"


class OdooError(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name, self.message = name, message


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids = itertools.count(100)
        self.models: dict[str, dict[int, dict[str, Any]]] = {
            "res.partner": {i: {"id": i, "name": f"Partner {i}", "is_company": i % 2 == 0}
                            for i in range(1, 11)},
            "sale.order": {i: {"id": i, "name": f"SO{i:03d}", "partner_id": 1 + i % 10,
                               "state": "sale" if i % 3 else "draft"} for i in range(1, 21)},
        }  # fmt: skip
        self.calls: Counter[str] = Counter()

    def execute(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if model not in self.models:
            raise OdooError("builtins.KeyError", f"Object {model} doesn't exist")
        records = self.models[model]
        with self.lock:
            self.calls[f"{model}.{method}"] += 1
            if method == "create":
                new = next(self.ids)
                records[new] = {"id": new, **args[0]}
                return new
            if method in ("search", "search_read", "search_count"):
                domain = args[0] if args else []
                found = [r for r in records.values() if _match(r, domain)]
                found = found[: kwargs["limit"]] if kwargs.get("limit") else found
                if method == "search_count":
                    return len(found)
                if method == "search":
                    return [r["id"] for r in found]
                return [_fields(r, kwargs.get("fields")) for r in found]
            if method == "read":
                ids = args[0] if isinstance(args[0], list) else [args[0]]
                missing = [i for i in ids if i not in records]
                if missing:
                    raise OdooError(
                        "odoo.exceptions.MissingError", f"Record does not exist: {missing}"
                    )
                return [_fields(records[i], kwargs.get("fields")) for i in ids]
        raise OdooError(
            "builtins.AttributeError",
            f"The method '{method}' does not exist on the model '{model}'",
        )


def _match(record: dict[str, Any], domain: list[Any]) -> bool:
    return all(record.get(field) == value for field, _op, value in domain)


def _fields(record: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not fields or k in fields or k == "id"}


def _dispatch(state: _State, service: str, method: str, args: list[Any]) -> Any:
    if service == "common" and method == "version":
        return {"server_version": "17.0", "protocol_version": 1}
    if service == "common" and method in ("login", "authenticate"):
        db, login, password = args[:3]
        return UID if (db, login, password) == (DB, LOGIN, PASSWORD) else False
    if service == "object" and method == "execute_kw":
        db, uid, password, model, name = args[:5]
        if (db, uid, password) != (DB, UID, PASSWORD):
            raise OdooError("odoo.exceptions.AccessDenied", "Access Denied")
        rest = args[5] if len(args) > 5 else []
        kwargs = args[6] if len(args) > 6 else {}
        return state.execute(model, name, rest, kwargs)
    raise OdooError("builtins.NameError", f"service {service}.{method} is unknown")


def _handler(state: _State) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def do_GET(self) -> None:
            if self.path == "/stats":
                with state.lock:
                    self._send(200, {"calls": dict(state.calls)})
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:
            request = self._body(empty={})
            if self.path == f"/{DB}/":
                self._tryton(request)
                return
            if self.path != "/jsonrpc":
                self._send(404, {"error": "not found"})
                return
            params = request.get("params") or {}
            reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request.get("id")}
            try:
                reply["result"] = _dispatch(state, params.get("service"), params.get("method"),
                                            list(params.get("args") or []))  # fmt: skip
            except OdooError as exc:
                reply["error"] = {"code": 200, "message": "Odoo Server Error",
                                  "data": {"name": exc.name, "message": exc.message,
                                           "arguments": [exc.message], "debug": "Traceback ..."}}  # fmt: skip
            self._send(200, reply)

        def _tryton(self, request: dict[str, Any]) -> None:
            method, params = str(request.get("method")), list(request.get("params") or [])
            reply: dict[str, Any] = {"id": request.get("id")}
            if method == "common.db.login":
                ok = params[:1] == [LOGIN] and params[1:2] == [{"password": PASSWORD}]
                reply["result"] = [UID, SESSION] if ok else None
                self._send(200, reply)
                return
            expected = base64.b64encode(f"{LOGIN}:{UID}:{SESSION}".encode()).decode()
            if self.headers.get("Authorization") != f"Session {expected}":
                self._send(401, {"error": "unauthorized"})
                return
            model, _, name = method.removeprefix("model.").rpartition(".")
            if not method.startswith("model.") or not isinstance(params[-1:][0], dict):
                reply["error"] = ["UserError", [f"bad call {method} (the context comes last)", ""]]
            else:
                try:
                    args = params[:-1]  # Tryton's search: domain, offset, limit, order
                    limit = {"limit": args[2]} if name == "search" and len(args) > 2 else {}
                    reply["result"] = state.execute(model, name, args[:1], limit)
                except OdooError as exc:
                    reply["error"] = ["UserError", [exc.message, ""]]
            self._send(200, reply)

    return Handler


def main() -> None:
    serve(_handler(_State()))


if __name__ == "__main__":
    sys.exit(main())
