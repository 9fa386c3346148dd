"""A JSON-RPC adapter for Odoo-style and Tryton-style ERPs (plain Python, no Locust import).

Two dialects, as data (:data:`DIALECTS`):

- **odoo**: ``POST /jsonrpc`` with ``{"jsonrpc": "2.0", "method": "call", "params":
  {"service": S, "method": M, "args": [...]}, "id": N}``. The login is
  ``common.authenticate(db, login, password, {})``, which answers the user id (``false`` when
  refused); model methods go through ``object.execute_kw(db, uid, password, model, method,
  args, kwargs)``. The adapter puts ``db, uid, password`` in front of every ``object`` call.
- **tryton**: ``POST /<db>/`` with ``{"method": "<service>.<method>", "params": [...], "id":
  N}``. The login is ``common.db.login(login, {"password": ...})``, which answers ``[user id,
  session]``; later calls send ``Authorization: Session base64(login:uid:session)``. Model
  methods are ``model.<model>.<method>`` with the context as their last parameter.

An ``error`` member in a reply (HTTP 200 or not) is a failed request whose error text is the
error's message; an HTTP 401 drops the session, so the next call logs in again.

:class:`RpcClient` sends through any Locust-style HTTP client (``FastHttpUser.client``, as
erpcap's users have, or ``HttpUser.client``: ``post(path, json=, headers=, name=, catch_response=True)``), naming
each request by model and method (``sale.order.search_read``) so that every report shows one
row per call type. :mod:`erpcap.scenarios.jsonrpc_users` has ready Locust users
(``OdooUser``, ``TrytonUser``); the YAML scenarios use the same client.

>>> body = request_body("odoo", "object", "execute_kw", ["db", 2, "pw", "res.partner", "read", [[1]], {}], 7)
>>> body["params"]["service"], body["params"]["args"][3], body["id"]
('object', 'res.partner', 7)
>>> call_name("odoo", "object", "execute_kw", ["sale.order", "search_read", []])
'sale.order.search_read'
>>> call_name("tryton", "model", "sale.sale.search", [])
'sale.sale.search'
>>> reply_result({"jsonrpc": "2.0", "id": 1, "error": {"code": 200, "message": "Odoo Server Error",
...     "data": {"name": "odoo.exceptions.AccessError", "message": "not allowed"}}})
Traceback (most recent call last):
erpcap.scenarios.jsonrpc.RpcError: odoo.exceptions.AccessError: not allowed
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from erpcap.scenarios.responses import connection_error, json_or_none

#: The dialects :class:`RpcClient` speaks.
DIALECTS = ("odoo", "tryton")

#: The request name of a login call (its group is ``auth``).
LOGIN_NAME = "login"


class RpcError(Exception):
    """A JSON-RPC call failed: an ``error`` in the reply, a refused login, an HTTP error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Session:
    """What a login gave: the user id and the headers later calls send."""

    uid: Any
    headers: dict[str, str] = field(default_factory=dict)


def endpoint(dialect: str, db: str, path: str | None = None) -> str:
    """The URL path calls are posted to: ``/jsonrpc`` (odoo) or ``/<db>/`` (tryton)."""
    if path:
        return path
    return "/jsonrpc" if dialect == "odoo" else f"/{db}/"


def request_body(
    dialect: str, service: str, method: str, args: list[Any], id_: int
) -> dict[str, Any]:
    """The JSON body of one call."""
    if dialect == "odoo":
        return {"jsonrpc": "2.0", "method": "call", "id": id_,
                "params": {"service": service, "method": method, "args": args}}  # fmt: skip
    return {"method": f"{service}.{method}", "params": args, "id": id_}


def login_call(dialect: str, db: str, user: str, password: str) -> tuple[str, str, list[Any]]:
    """``(service, method, args)`` of the dialect's login."""
    if dialect == "odoo":
        return "common", "authenticate", [db, user, password, {}]
    return "common", "db.login", [user, {"password": password}]


def session_of(dialect: str, user: str, result: Any) -> Session | None:
    """The session a login's result opens, or None when the login was refused."""
    if dialect == "odoo":
        if isinstance(result, int) and not isinstance(result, bool) and result > 0:
            return Session(result)
        return None
    if isinstance(result, list) and len(result) >= 2 and result[0]:
        token = base64.b64encode(f"{user}:{result[0]}:{result[1]}".encode()).decode()
        return Session(result[0], {"Authorization": f"Session {token}"})
    return None


def call_name(dialect: str, service: str, method: str, args: list[Any]) -> str:
    """The request name of a call: ``model.method`` for model calls, else ``service.method``."""
    model_call = service == "object" and method in ("execute_kw", "execute")
    if dialect == "odoo" and model_call and len(args) >= 2:
        return f"{args[0]}.{args[1]}"
    if dialect == "tryton" and service == "model":
        return method
    return f"{service}.{method}"


def reply_result(body: Any) -> Any:
    """The ``result`` of a reply; :class:`RpcError` with the error's message if it has one."""
    if not isinstance(body, dict):
        raise RpcError("the reply is not a JSON-RPC object")
    error = body.get("error")
    if error is None:
        return body.get("result")
    if isinstance(error, dict):  # odoo: {code, message, data: {name, message, debug}}
        data: dict[str, Any] = error["data"] if isinstance(error.get("data"), dict) else {}
        message = str(data.get("message") or error.get("message") or "JSON-RPC error")
        name = data.get("name")
        raise RpcError(f"{name}: {message}" if name else message)
    if isinstance(error, list) and error:  # tryton: [exception name, args]
        detail = error[1] if len(error) > 1 else ""
        if isinstance(detail, list):
            detail = next((d for d in detail if isinstance(d, str) and d), "")
        raise RpcError(f"{error[0]}: {detail}" if detail else str(error[0]))
    raise RpcError(str(error))


class RpcClient:
    """JSON-RPC calls through a Locust HTTP client, one named request per call.

    Args:
        http: ``self.client`` of a Locust ``HttpUser`` or ``FastHttpUser``.
        dialect: ``odoo`` or ``tryton``.
        db, user, password: the database and the credentials of the login.
        path: the endpoint, when it is not the dialect's default.
        timeout: seconds per request, for an ``HttpUser``'s client only (a ``FastHttpUser``
            takes its time-out from its class), or None.
        track: a context manager factory around each request (erpcap's recorder counts
            requests in flight with it).
        error: the exception class raised on a failed call (a subclass of :class:`RpcError`).
        group: the transaction group of the calls, or None for erpcap's default.
    """

    def __init__(self, http: Any, *, dialect: str = "odoo", db: str, user: str, password: str,
                 path: str | None = None, timeout: float | None = None,
                 track: Callable[[], AbstractContextManager[Any]] | None = None,
                 error: type[RpcError] = RpcError, group: str | None = None) -> None:  # fmt: skip
        if dialect not in DIALECTS:
            raise ValueError(f"unknown JSON-RPC dialect {dialect!r} (use {', '.join(DIALECTS)})")
        self.http = http
        self.dialect = dialect
        self.db, self.user, self.password = db, user, password
        self.path = endpoint(dialect, db, path)
        self.timeout = timeout
        self.track = track or nullcontext
        self.error = error
        self.group = group
        self.session: Session | None = None
        self._ids = itertools.count(1)

    @property
    def uid(self) -> Any:
        """The logged-in user's id, or None."""
        return self.session.uid if self.session else None

    def login(self) -> Session:
        """Log in (a request named ``login``); raise :attr:`error` when refused."""
        service, method, args = login_call(self.dialect, self.db, self.user, self.password)
        self.session = None
        result = self._send(LOGIN_NAME, service, method, args, group="auth", login=True)
        session = session_of(self.dialect, self.user, result)
        assert session is not None  # _send failed the request otherwise
        self.session = session
        return session

    def call(self, service: str, method: str, *args: Any, name: str | None = None,
             group: str | None = None) -> Any:  # fmt: skip
        """Call ``service.method(*args)`` and return its result (logging in first if needed).

        For Odoo's ``object`` service, ``args`` start at the model (the adapter adds ``db,
        uid, password``): ``call("object", "execute_kw", "res.partner", "search", [[]])``.
        """
        if self.session is None and not (service == "common" and self.dialect == "odoo"):
            self.login()
        full = list(args)
        if self.dialect == "odoo" and service == "object":
            full = [self.db, self.uid, self.password, *full]
        label = name or call_name(self.dialect, service, method, list(args))
        return self._send(label, service, method, full, group=group or self.group)

    def execute(self, model: str, method: str, *args: Any, name: str | None = None,
                **kwargs: Any) -> Any:  # fmt: skip
        """Call a model's method: ``execute("sale.order", "search_read", [[...]], limit=20)``.

        Odoo: ``object.execute_kw`` with ``args`` and ``kwargs``. Tryton: ``model.<model>.<method>``
        with ``args`` and the ``context`` keyword (default ``{}``) as the last parameter.
        """
        if self.dialect == "odoo":
            return self.call("object", "execute_kw", model, method, list(args), kwargs, name=name)
        context = kwargs.pop("context", {})
        if kwargs:
            raise TypeError(f"Tryton model calls take no keywords but context: {sorted(kwargs)}")
        return self.call("model", f"{model}.{method}", *args, context, name=name)

    def _send(self, name: str, service: str, method: str, args: list[Any], *,
              group: str | None, login: bool = False) -> Any:  # fmt: skip
        body = request_body(self.dialect, service, method, args, next(self._ids))
        headers = dict(self.session.headers) if self.session else {}
        extra: dict[str, Any] = {"context": {"group": group}} if group else {}
        if self.timeout is not None:
            extra["timeout"] = self.timeout
        with (
            self.track(),
            self.http.post(
                self.path, json=body, headers=headers, name=name, catch_response=True, **extra
            ) as response,
        ):
            status = int(getattr(response, "status_code", 0) or 0)
            if status == 0:
                text = connection_error(response)
                response.failure(text)
                raise self.error(text)
            if status == 401:
                self.session = None
            reply = json_or_none(response)
            try:
                if status >= 400 and not (isinstance(reply, dict) and "error" in reply):
                    raise RpcError(f"HTTP {status}")
                result = reply_result(reply)
                if login and session_of(self.dialect, self.user, result) is None:
                    raise RpcError(f"the login of user {self.user!r} was refused")
            except RpcError as exc:
                response.failure(f"{status} {exc.message}")
                raise self.error(exc.message) from None
            response.success()
            return result
