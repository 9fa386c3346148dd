"""Locust user classes for the reference ERP's API (imported by the locustfile only).

:class:`ErpUser` is the abstract base: it logs in once as its role's demo user, thinks
TPC-C style between steps (or follows a Poisson arrival clock when its role is paced), picks
its next operation from its mix, and names every request by its operationId. Each
operation is one ``op_<operationId>`` method, so a scenario's mix is data (the catalogue)
and the methods are the only code that knows the API.

Outcomes: any status of 400 or more, and any connection error (status 0), is a failed
request whose ``error`` is ``"<status> <error code>: <message>"``; a status/code listed in
:data:`~erpcap.scenarios.catalog.BUSINESS_OUTCOMES` (409 ``insufficient_stock``) is a
successful request with the code as ``error``. A failure never stops a user: an operation
whose endpoint is missing (404) is recorded and the user moves on; a 401 makes it log in
again.
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from collections.abc import Mapping
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any, ClassVar

from locust import task
from locust.contrib.fasthttp import FastHttpUser

from erpcap.scenarios.catalog import BUSINESS_OUTCOMES, ROLES, Role, Scenario, UserMix
from erpcap.scenarios.ids import IdPool
from erpcap.scenarios.launch import LoadSettings
from erpcap.scenarios.responses import connection_error, json_or_none, reason
from erpcap.scenarios.think import Pacer, think_time
from erpcap.scenarios.user_sleep import stoppable_sleep

#: Page size of the discovery list calls.
PAGE = 200


class ErpUser(FastHttpUser):
    """One user of a role; concrete classes come from :func:`user_classes`.

    A ``FastHttpUser``: its time-out (``--timeout``) is the class's ``network_timeout`` and
    ``connection_timeout``, set by :func:`user_classes`, not an argument of each request.
    """

    abstract = True
    #: Verify the target's TLS certificate, as ``HttpUser`` (requests) and the preflight do.
    insecure = False
    role: ClassVar[Role]
    mix: ClassVar[UserMix]
    settings: ClassVar[LoadSettings]
    ids: ClassVar[IdPool]
    numbers: ClassVar[itertools.count[int]]

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        seed = self.settings.seed
        number = next(self.numbers)
        self.rng = (
            random.Random(f"{seed}:{self.role.key}:{number}")
            if seed is not None
            else random.Random()
        )
        self.token: str | None = None
        self._ops = list(self.mix.tasks)
        self._weights = [float(w) for w in self.mix.tasks.values()]
        self._pacer = (
            Pacer(self.mix.think_mean(), self.rng, scale=self.settings.think_scale, clock=time.time)
            if self.role.paced
            else None
        )
        self._intended: float | None = None

    # -- Locust hooks -----------------------------------------------------------------------

    def context(self) -> dict[str, Any]:
        return {"user_class": type(self).__name__}

    def wait_time(self) -> float:
        """Think time after each step, or the wait until the next paced arrival."""
        if self._pacer is not None:
            wait, self._intended = self._pacer.next_wait()
            return wait
        return think_time(self.mix.think_mean(), self.rng, scale=self.settings.think_scale)

    def on_start(self) -> None:
        self.login()
        # Spread the first steps so a step of the ladder does not start as one burst: a
        # paced user waits for its first arrival, a thinking user for part of a think time.
        wait = self.wait_time()
        stoppable_sleep(self, wait if self._pacer is not None else wait * self.rng.random())

    @task
    def act(self) -> None:
        """One step: log in if needed, then one operation of the mix."""
        if self.token is None and not self.login():
            return
        op = self.rng.choices(self._ops, self._weights)[0]
        getattr(self, f"op_{op}")()

    # -- HTTP helpers -----------------------------------------------------------------------

    def login(self) -> bool:
        body = self._call(
            "login",
            "POST",
            "/auth/login",
            json={"username": self.role.username, "password": self.settings.password},
            auth=False,
        )
        token = body.get("access_token") if isinstance(body, dict) else None
        self.token = str(token) if token else None
        return self.token is not None

    def _call(
        self,
        op: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        paced: bool = False,
    ) -> Any:
        """Send one request named ``op``; the parsed JSON body on success, else None."""
        all_headers = dict(headers or {})
        if auth and self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        context: dict[str, Any] = {}
        if paced and self._intended is not None:
            context["intended_start"] = self._intended
            self._intended = None
        recorder = getattr(self.environment, "erpcap_recorder", None)
        tracking = recorder.in_flight() if recorder is not None else nullcontext()
        with (
            tracking,
            self.client.request(
                method,
                path,
                name=op,
                json=json,
                params=params,
                headers=all_headers,
                catch_response=True,
                context=context,
            ) as response,
        ):
            status = int(response.status_code or 0)
            if 200 <= status < 400:
                response.success()
                return json_or_none(response)
            if status == 0:
                response.failure(connection_error(response))
                return None
            code, message = _error(response)
            if status == 401 and op != "login":
                self.token = None
            if code in BUSINESS_OUTCOMES.get(status, frozenset()):
                response.request_meta["context"]["outcome"] = code
                response.success()
                return None
            response.failure(f"{status} {code}: {message}".strip())
            return None

    def _list_ids(
        self, op: str, path: str, params: Mapping[str, Any] | None = None
    ) -> list[int] | None:
        """Ids from a list endpoint: a random page once the total is known."""
        query = {"limit": PAGE, "offset": 0, **(params or {})}
        body = self._call(op, "GET", path, params=query)
        if not isinstance(body, dict):
            return None
        ids = _ids(body.get("items"))
        total = body.get("total")
        if isinstance(total, int) and total > PAGE:
            query["offset"] = self.rng.randrange(0, total - PAGE + 1)
            more = self._call(op, "GET", path, params=query)
            if isinstance(more, dict):
                ids += _ids(more.get("items"))
        return ids

    def _known(self, kind: str) -> int | None:
        """A random id of ``kind``, discovering them first if needed."""
        if self.ids.ensure(kind, lambda: self._discover(kind)):
            return self.ids.pick(kind, self.rng)
        return None

    def _discover(self, kind: str) -> list[int] | None:
        if kind == "customers":
            return self._list_ids("list_customers", "/customers")
        if kind == "items":
            return self._list_ids("list_items", "/items")
        if kind == "released_lots":
            return self._list_ids("list_lots", "/lots", {"status": "released"})
        if kind == "quarantine_lots":
            return self._list_ids("list_lots", "/lots", {"status": "quarantine"})
        if kind == "open_orders":
            return self._list_ids("list_sales_orders", "/sales-orders", {"status": "open"})
        return self._list_ids("list_sales_orders", "/sales-orders")

    # -- operations: one method per operationId ---------------------------------------------

    def op_create_sales_order(self) -> None:
        customer = self._known("customers")
        if customer is None or self._known("items") is None:
            return
        count = min(self.rng.randint(1, 5), self.ids.count("items"))
        items: set[int] = set()
        while len(items) < count:
            item = self.ids.pick("items", self.rng)
            if item is not None:
                items.add(item)
        order = {
            "customer_id": customer,
            "po_number": f"PO-{self.rng.randrange(10**8):08d}",
            "lines": [{"item_id": i, "quantity": self.rng.randint(1, 10)} for i in sorted(items)],
        }
        body = self._call(
            "create_sales_order",
            "POST",
            "/sales-orders",
            json=order,
            headers={"Idempotency-Key": str(uuid.uuid4())},
            paced=True,
        )
        order_id = _id(body, "order_id")
        if order_id is not None:
            self.ids.add("orders", [order_id])
            self.ids.add("open_orders", [order_id])

    def op_ship_order(self) -> None:
        if not self.ids.ensure("open_orders", lambda: self._discover("open_orders")):
            return
        order_id = self.ids.take("open_orders")
        if order_id is not None:
            self._call("ship_order", "POST", f"/sales-orders/{order_id}/ship")

    def op_receive_goods(self) -> None:
        item = self._known("items")
        if item is None:
            return
        body = self._call(
            "receive_goods",
            "POST",
            "/receipts",
            json={"item_id": item, "quantity": self.rng.randint(10, 200)},
        )
        lot_id = _id(body, "lot_id")
        if lot_id is not None:
            self.ids.add("quarantine_lots", [lot_id])

    def op_release_lot(self) -> None:
        if not self.ids.ensure("quarantine_lots", lambda: self._discover("quarantine_lots")):
            return
        lot_id = self.ids.take("quarantine_lots")
        if lot_id is None:
            return
        release = self.rng.random() < 0.95  # one lot in twenty fails inspection
        decision = {
            "decision": "release" if release else "reject",
            "password": self.settings.password,
            "meaning": "approval",
            "reason": "inspection passed" if release else "inspection failed",
        }
        body = self._call("release_lot", "POST", f"/lots/{lot_id}/release", json=decision)
        if release and body is not None:
            self.ids.add("released_lots", [lot_id])

    def op_record_payment(self) -> None:
        customer = self._known("customers")
        if customer is not None:
            amount = round(self.rng.uniform(100.0, 5000.0), 2)
            self._call(
                "record_payment",
                "POST",
                "/payments",
                json={
                    "customer_id": customer,
                    "amount": amount,
                    "reference": f"PAY-{uuid.uuid4().hex[:12]}",
                },
            )

    def op_check_availability(self) -> None:
        item = self._known("items")
        if item is not None:
            self._call(
                "check_availability", "GET", "/availability", params={"item_id": item}, paced=True
            )

    def op_get_sales_order(self) -> None:
        order_id = self._known("orders")
        if order_id is not None:
            self._call("get_sales_order", "GET", f"/sales-orders/{order_id}", paced=True)

    def op_list_customer_orders(self) -> None:
        customer = self._known("customers")
        if customer is not None:
            self._call(
                "list_customer_orders", "GET", f"/customers/{customer}/orders", params={"limit": 40}
            )

    def op_trace_lot(self) -> None:
        lot_id = self._known("released_lots")
        if lot_id is not None:
            self._call("trace_lot", "GET", f"/lots/{lot_id}/trace")

    def op_get_lot_history(self) -> None:
        lot_id = self._known("released_lots")
        if lot_id is not None:
            self._call("get_lot_history", "GET", f"/lots/{lot_id}/history")

    def op_run_invoicing(self) -> None:
        self._call("run_invoicing", "POST", "/close/invoicing", json={"limit": 500})

    def op_close_period(self) -> None:
        self._call("close_period", "POST", f"/close/periods/{_period(months_back=1)}/close")

    def op_trial_balance(self) -> None:
        self._call("trial_balance", "GET", "/reports/trial-balance", params={"period": _period()})

    def op_ar_aging(self) -> None:
        self._call("ar_aging", "GET", "/reports/ar-aging")

    def op_inventory_valuation(self) -> None:
        self._call("inventory_valuation", "GET", "/reports/inventory-valuation")


def user_classes(scenario: Scenario, settings: LoadSettings) -> dict[str, type[ErpUser]]:
    """One concrete Locust user class per role of ``scenario``, keyed by class name."""
    ids = IdPool()
    numbers = itertools.count(1)
    classes: dict[str, type[ErpUser]] = {}
    for mix in scenario.users:
        role = ROLES[mix.role]
        unknown = [op for op in mix.tasks if not hasattr(ErpUser, f"op_{op}")]
        if unknown:
            raise ValueError(f"scenario {scenario.name!r}: no operation {unknown[0]!r}")
        attrs = {
            "abstract": False,
            "weight": mix.weight,
            "fixed_count": mix.fixed_count,
            "role": role,
            "mix": mix,
            "settings": settings,
            "ids": ids,
            "numbers": numbers,
            "network_timeout": settings.timeout_s,
            "connection_timeout": settings.timeout_s,
            "__module__": __name__,
        }
        classes[role.class_name] = type(role.class_name, (ErpUser,), attrs)
    return classes


# -- response helpers -----------------------------------------------------------------------


def _error(response: Any) -> tuple[str, str]:
    """The ``(code, message)`` of the API's error envelope, or the HTTP reason."""
    body = json_or_none(response)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        return str(err.get("code") or "error"), str(err.get("message") or "")
    return "http_error", reason(response)


def _id(body: Any, alternative: str) -> int | None:
    if not isinstance(body, dict):
        return None
    value = body.get("id", body.get(alternative))
    return value if isinstance(value, int) else None


def _ids(items: Any) -> list[int]:
    if not isinstance(items, list):
        return []
    return [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), int)]


def _period(months_back: int = 0) -> str:
    """``YYYY-MM`` of this month, or ``months_back`` months earlier."""
    now = datetime.now(UTC)
    index = now.year * 12 + now.month - 1 - months_back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
