"""Locust users for Odoo- and Tryton-style ERPs over JSON-RPC, for the user's own locustfile.

::

    from locust import task
    from erpcap.scenarios.jsonrpc_users import OdooUser

    class Sales(OdooUser):
        db, username, password = "mydb", "admin", "admin"   # default: $ERP_DB, $ERP_USER, $ERP_PASSWORD

        @task
        def orders(self):
            ids = self.odoo.execute("sale.order", "search", [[["state", "=", "sale"]]], limit=20)
            self.odoo.execute("sale.order", "read", ids, fields=["name", "amount_total"])

Each user logs in once (a request named ``login``), and each call is one request named by
its model and method (``sale.order.search``), so erpcap's report has one row per call type.
A call whose reply holds a JSON-RPC error is a failed request with the error's message; it
raises :class:`RpcFailed`, which Locust treats as "reschedule the task" (no traceback in the
log): the user thinks and goes on. An HTTP 401 makes the next call log in again.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext, suppress
from typing import Any, ClassVar

from locust.contrib.fasthttp import FastHttpUser
from locust.exception import RescheduleTask

from erpcap.scenarios.jsonrpc import RpcClient, RpcError


class RpcFailed(RpcError, RescheduleTask):
    """A failed call inside Locust: already recorded as a failed request; ends the task."""


def tracker(user: Any) -> AbstractContextManager[Any]:
    """erpcap's in-flight counter around one request, when erpcap's recorder runs."""
    recorder = getattr(user.environment, "erpcap_recorder", None)
    return recorder.in_flight() if recorder is not None else nullcontext()


class JsonRpcUser(FastHttpUser):
    """A Locust user with a logged-in :class:`RpcClient` as ``self.rpc``.

    Set ``dialect`` (``odoo`` or ``tryton``), ``db``, ``username`` and ``password`` on the
    subclass; empty ones come from ``$ERP_DB``, ``$ERP_USER`` and ``$ERP_PASSWORD``. A
    ``FastHttpUser``: set ``network_timeout`` and ``connection_timeout`` (seconds) for
    another time-out than Locust's 60 s.
    """

    abstract = True
    #: Verify the target's TLS certificate, as ``HttpUser`` (requests) and the preflight do.
    insecure = False
    dialect: ClassVar[str] = "odoo"
    db: ClassVar[str] = ""
    username: ClassVar[str] = ""
    password: ClassVar[str] = ""
    #: The endpoint when it is not the dialect's default (``/jsonrpc``, ``/<db>/``).
    rpc_path: ClassVar[str | None] = None

    rpc: RpcClient

    def on_start(self) -> None:
        self.rpc = RpcClient(
            self.client,
            dialect=self.dialect,
            db=self.db or os.environ.get("ERP_DB", ""),
            user=self.username or os.environ.get("ERP_USER", ""),
            password=self.password or os.environ.get("ERP_PASSWORD", ""),
            path=self.rpc_path,
            track=lambda: tracker(self),
            error=RpcFailed,
        )
        with suppress(RpcFailed):  # recorded; the first call logs in again
            self.rpc.login()


class OdooUser(JsonRpcUser):
    """An Odoo user: ``self.odoo.execute(model, method, *args, **kwargs)`` (execute_kw)."""

    abstract = True
    dialect = "odoo"

    @property
    def odoo(self) -> RpcClient:
        return self.rpc


class TrytonUser(JsonRpcUser):
    """A Tryton user: ``self.tryton.execute(model, method, *args, context={})``."""

    abstract = True
    dialect = "tryton"

    @property
    def tryton(self) -> RpcClient:
        return self.rpc
