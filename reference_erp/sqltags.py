"""SQL tags: every statement carries the operation and the request that issued it.

A request gets an id (the caller's ``X-Request-Id`` when it is a short plain token, else a
new one), returned in the ``X-Request-Id`` response header. While the request runs, each
SQL statement gets a trailing sqlcommenter-style comment (https://google.github.io/sqlcommenter/)::

    SELECT ... FROM sales_order WHERE id = $1 /*op='get_sales_order',rid='5f0c9a1e2b7d4c38'*/

``op`` is the matched route's operationId. Keys are sorted, values URL-encoded and quoted
with ``'`` (a ``'`` in a value escaped as ``\\'``), as the sqlcommenter specification says, so
that server logs and ``pg_stat_activity`` show which operation and request ran a statement.
Statements outside a request (startup, the post-order consumer) carry no tag.
``serve --sql-tags op`` writes the operation only: a request id makes every request's
statement text new, so the driver's automatic prepared statements (psycopg prepares a text
run five times on a connection) are never reused across requests and each statement is
planned again — see docs/benchmarks.md for what that costs. ``--sql-tags off`` leaves the
hook out entirely.

>>> sql_comment({"rid": "ab12", "op": "get_sales_order"})
"/*op='get_sales_order',rid='ab12'*/"
>>> sql_comment({"op": "it's/odd"})
"/*op='it%27s%2Fodd'*/"
>>> request_id("client-7.x"), len(request_id("bad id!"))
('client-7.x', 16)
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote

from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: A caller's request id is kept when it is this plain (else a new one is made).
_PLAIN_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}\Z")


class RequestTag:
    """The tag of one request: its id, and its operation once routing has named it."""

    __slots__ = ("rid", "_operation", "_comments")

    def __init__(self, rid: str, operation: Callable[[], str | None]) -> None:
        self.rid = rid
        self._operation = operation
        self._comments: dict[bool, str] = {}

    def comment(self, with_request: bool = True) -> str:
        """The comment appended to this request's statements (made once per request); ``""``
        when there is nothing to say."""
        found = self._comments.get(with_request)
        if found is None:
            op = self._operation()
            tags = {} if op is None else {"op": op}
            if with_request:
                tags["rid"] = self.rid
            found = self._comments[with_request] = " " + sql_comment(tags) if tags else ""
        return found


#: The request whose statements are being tagged (set by :class:`RequestIdMiddleware`).
REQUEST_TAG: ContextVar[RequestTag | None] = ContextVar("erp_request_tag", default=None)


def sql_comment(tags: Mapping[str, str]) -> str:
    """A sqlcommenter comment of ``tags`` (keys sorted, values URL-encoded and quoted)."""
    parts = []
    for key in sorted(tags):
        value = quote(str(tags[key]), safe="").replace("'", "\\'")
        parts.append(f"{quote(key, safe='')}='{value}'")
    return "/*" + ",".join(parts) + "*/"


def request_id(given: str | None) -> str:
    """The caller's request id when it is plain and short, else a new random one."""
    if given and _PLAIN_ID.match(given):
        return given
    return secrets.token_hex(8)


def install(engine: Engine, *, with_request: bool = True) -> None:
    """Append the current request's tag to every statement ``engine`` runs (its operation
    only, without ``rid``, unless ``with_request``)."""

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _tag(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, context: Any, _many: bool
    ) -> tuple[str, Any]:
        tag = REQUEST_TAG.get()
        if tag is None:
            return statement, parameters
        comment = tag.comment(with_request)
        if "%" in comment and context is not None and _percent_escaped(context):
            comment = comment.replace("%", "%%")  # the driver formats %(name)s parameters
        return statement + comment, parameters


def _percent_escaped(context: Any) -> bool:
    """Whether the driver reads ``%`` as a parameter marker in this statement."""
    paramstyle = getattr(context.dialect, "paramstyle", "")
    return paramstyle in ("format", "pyformat") and not getattr(context, "no_parameters", False)


def operation_of(scope: Scope) -> str | None:
    """The operationId of the route that matched ``scope`` (None before routing)."""
    route: Any = scope.get("route")
    if route is None:
        return None
    return getattr(route, "operation_id", None) or getattr(route, "name", None)


class RequestIdMiddleware:
    """Gives each HTTP request an id (``X-Request-Id``) and tags its statements."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                given = value.decode("latin-1")
                break
        tag = RequestTag(request_id(given), lambda: operation_of(scope))
        token = REQUEST_TAG.set(tag)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("X-Request-Id", tag.rid)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            REQUEST_TAG.reset(token)
