"""Locust users of a declarative scenario (imported inside the Locust process only).

:func:`rest_user_classes` turns a :class:`~erpcap.scenarios.rest.RestModel` into one Locust
``FastHttpUser`` class. Each user:

- logs in once at its start (the ``login`` step, a request named ``login``, and/or the
  ``jsonrpc`` login), keeps the values it saves and sends the login's ``headers`` with every
  later request; a 401 from any request makes it log in again before its next transaction;
- then loops: picks a transaction by weight among those whose ``needs`` are saved, fills in
  its templates (a fresh row of each feeder it uses, saved values, environment variables),
  sends it as one request named after the transaction, saves what it says to save, and
  thinks (the transaction's distribution or the scenario's, times ``--think-scale``).

Outcomes as erpcap's own users (:mod:`erpcap.scenarios.users`): a status of 400 or more, a
connection error (status 0), a JSON-RPC error, or a response without a value to save is a
failed request whose error text says which; the user goes on.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
from collections.abc import Iterator, Mapping
from contextlib import nullcontext
from typing import Any, ClassVar

from locust import task
from locust.contrib.fasthttp import FastHttpUser

from erpcap.scenarios.catalog import Scenario
from erpcap.scenarios.jsonrpc import RpcClient
from erpcap.scenarios.jsonrpc_users import RpcFailed
from erpcap.scenarios.launch import LoadSettings
from erpcap.scenarios.responses import connection_error, json_body, json_or_none, reason
from erpcap.scenarios.rest import RestModel, Step, feeders_of, load_rest_model
from erpcap.scenarios.templates import dig, references, render
from erpcap.scenarios.think_dist import ThinkTime
from erpcap.scenarios.user_sleep import stoppable_sleep

#: Characters of a response body kept in an error text when it has no error message.
BODY_CHARS = 120


class FeederRows:
    """Each feeder's rows as a circle shared by the users of this process: every draw takes
    the next row, so concurrent users work on different records."""

    def __init__(self, model: RestModel) -> None:
        self._cycles: dict[str, Iterator[Mapping[str, str]]] = {
            name: itertools.cycle(feeder.rows) for name, feeder in model.feeders.items()
        }
        self._lock = threading.Lock()

    def draw(self, names: tuple[str, ...]) -> dict[str, Mapping[str, str]]:
        with self._lock:
            return {name: next(self._cycles[name]) for name in names}


class RestUser(FastHttpUser):
    """One user of a declarative scenario; concrete classes come from :func:`rest_user_classes`.

    Its time-out (the scenario's ``timeout``, else ``--timeout``) is the class's
    ``network_timeout`` and ``connection_timeout``, set by :func:`rest_user_classes`.
    """

    abstract = True
    #: Verify the target's TLS certificate, as ``HttpUser`` (requests) and the preflight do.
    insecure = False
    model: ClassVar[RestModel]
    settings: ClassVar[LoadSettings]
    rows: ClassVar[FeederRows]
    numbers: ClassVar[itertools.count[int]]
    #: The feeders a login draws a row of: its step's and the jsonrpc block's.
    login_feeders: ClassVar[tuple[str, ...]]

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        seed, number = self.settings.seed, next(self.numbers)
        self.rng = random.Random(f"{seed}:rest:{number}") if seed is not None else random.Random()
        self.saved: dict[str, Any] = {}
        self.current: dict[str, Mapping[str, str]] = {}
        self.session_headers: dict[str, str] = {}
        self.logged_in = False
        self.rpc: RpcClient | None = None
        self._think: ThinkTime = self.model.think

    # -- Locust hooks -----------------------------------------------------------------------

    def context(self) -> dict[str, Any]:
        return {"user_class": type(self).__name__}

    def wait_time(self) -> float:
        """The think time after the last transaction (its own distribution or the default)."""
        return self._think.sample(self.rng, scale=self.settings.think_scale)

    def on_start(self) -> None:
        self.login()
        # Spread the first transactions over part of a think time, so a step does not start
        # as one burst.
        stoppable_sleep(self, self.wait_time() * self.rng.random())

    @task
    def act(self) -> None:
        """One transaction of the mix (after a new login when the last one failed or a 401)."""
        if not self.logged_in and not self.login():
            return
        ready = [t for t in self.model.transactions if all(n in self.saved for n in t.needs)]
        step = self.rng.choices(ready, [t.weight for t in ready])[0]
        self._think = step.think or self.model.think
        self.current = self.rows.draw(step.feeders)
        if step.rpc is not None:
            self._call(step)
        else:
            self._request(step)

    # -- the login --------------------------------------------------------------------------

    def login(self) -> bool:
        """Run the login step and the JSON-RPC login; True when both (those given) worked."""
        self.logged_in = False
        login = self.model.login
        self.current = self.rows.draw(self.login_feeders)
        if login is not None:
            if not self._request(login, group="auth"):
                return False
            self.session_headers = {
                str(k): str(v) for k, v in self._fill(dict(self.model.session_headers)).items()
            }
        settings = self.model.jsonrpc
        if settings is not None:
            if self.rpc is None:
                self.rpc = RpcClient(
                    self.client, dialect=settings.dialect, db=self._fill(settings.db),
                    user=self._fill(settings.user), password=self._fill(settings.password),
                    path=settings.path, track=self._track,
                    error=RpcFailed,
                )  # fmt: skip
            try:
                self.rpc.login()
            except RpcFailed:
                return False
        self.logged_in = True
        return True

    # -- requests ---------------------------------------------------------------------------

    def _lookup(self, ref: str) -> Any:
        if ref.startswith("env."):
            return os.environ.get(ref[4:], "")
        if "." in ref:
            feeder, _, column = ref.partition(".")
            return self.current[feeder][column]
        return self.saved[ref]

    def _fill(self, value: Any) -> Any:
        return render(value, self._lookup)

    def _track(self) -> Any:
        recorder = getattr(self.environment, "erpcap_recorder", None)
        return recorder.in_flight() if recorder is not None else nullcontext()

    def _request(self, step: Step, *, group: str | None = None) -> bool:
        """Send ``step`` as one request named after it; True when it succeeded."""
        headers = {**self.model.headers, **(self.session_headers if group != "auth" else {})}
        headers = {str(k): str(v) for k, v in self._fill({**headers, **step.headers}).items()}
        params = self._fill(step.params) if step.params is not None else None
        body = self._fill(step.json) if step.json is not None else None
        with (
            self._track(),
            self.client.request(
                step.method,
                self.model.base_path + str(self._fill(step.path)),
                name=step.name,
                params=params,
                json=body,
                headers=headers,
                catch_response=True,
                context={"group": group or step.group},
            ) as response,
        ):
            status = int(response.status_code or 0)
            if status == 0:
                response.failure(connection_error(response))
                return False
            if status >= 400:
                if status == 401:
                    self.logged_in = False
                response.failure(f"{status} {_error_text(response)}".strip())
                return False
            missing = self._save(step, response)
            if missing is not None:
                response.failure(f"{status} {missing}")
                return False
            response.success()
            return True

    def _call(self, step: Step) -> None:
        """Send ``step``'s JSON-RPC call as one request named after the transaction."""
        assert step.rpc is not None and self.rpc is not None
        args = self._fill(step.rpc.args)
        if step.rpc.kwargs:
            args.append(self._fill(step.rpc.kwargs))
        try:
            result = self.rpc.call(step.rpc.service, step.rpc.method, *args, name=step.name,
                                   group=step.group)  # fmt: skip
        except RpcFailed:
            if self.rpc.session is None:
                self.logged_in = False
            return
        for name, path in step.save.items():
            try:
                self.saved[name] = dig(result, path)
            except KeyError:
                continue  # the call was recorded as a success; nothing to save this time

    def _save(self, step: Step, response: Any) -> str | None:
        """Keep the values ``step`` saves; the error text when one is missing."""
        if not step.save:
            return None
        try:
            body = json_body(response)
        except ValueError:
            return f"the response is not JSON, so {', '.join(step.save)} cannot be saved"
        for name, path in step.save.items():
            try:
                self.saved[name] = dig(body, path)
            except KeyError:
                return f"the response has no {path!r} to save as {name}"
        return None


def rest_user_classes(scenario: Scenario, settings: LoadSettings) -> dict[str, type[Any]]:
    """The Locust user class of a declarative scenario, keyed by its class name."""
    model = load_rest_model(scenario.source or scenario.name)
    timeout = model.timeout_s or settings.timeout_s
    rpc = model.jsonrpc
    used = [*(model.login.feeders if model.login else ())]
    if rpc is not None:
        used += feeders_of(references([rpc.db, rpc.user, rpc.password]))
    attrs = {
        "login_feeders": tuple(dict.fromkeys(used)),
        "abstract": False,
        "model": model,
        "settings": settings,
        "rows": FeederRows(model),
        "numbers": itertools.count(1),
        "network_timeout": timeout,
        "connection_timeout": timeout,
        "__module__": __name__,
    }
    return {"ScenarioUser": type("ScenarioUser", (RestUser,), attrs)}


def _error_text(response: Any) -> str:
    """The error message of a JSON error body (``error.message``, ``message``, ``detail``,
    ``error``), else the start of the body or the HTTP reason."""
    body = json_or_none(response)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            code = error.get("code")
            return f"{code}: {error['message']}" if code else str(error["message"])
        for key in ("message", "detail", "error"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
    text = _text(response)
    return " ".join(text.split())[:BODY_CHARS] or reason(response)


def _text(response: Any) -> str:
    """The body as text (UTF-8, undecodable bytes replaced), or ``""``."""
    content = getattr(response, "content", None)
    return content.decode("utf-8", "replace").strip() if isinstance(content, bytes) else ""
