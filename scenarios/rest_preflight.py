"""The login check of a declarative scenario, once, before the load (httpx, no Locust).

Runs the scenario's ``login`` step and its JSON-RPC login as one user would (templates filled
from the environment and the first row of each feeder). A refusal — HTTP 401/403, a JSON-RPC
login answered with no user, a JSON-RPC error — is :class:`~erpcap.errors.BadInput` naming the
scenario file and the line of the login, so ``erpcap run`` stops with exit 2 before it creates
a run directory.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from erpcap.errors import BadInput, TargetError
from erpcap.scenarios.jsonrpc import (
    RpcError,
    endpoint,
    login_call,
    reply_result,
    request_body,
    session_of,
)
from erpcap.scenarios.rest import RestModel, Step
from erpcap.scenarios.templates import dig, render

LOGIN_HINT = "check the credentials it sends (environment variables, feeder rows)"


def check_rest_login(target: str, model: RestModel, *, timeout_s: float = 15.0) -> None:
    """Log in once as the scenario's first user; raise when the target refuses."""
    rows = {name: feeder.rows[0] for name, feeder in model.feeders.items()}

    def lookup(ref: str) -> Any:
        if ref.startswith("env."):
            return os.environ.get(ref[4:], "")
        feeder, _, column = ref.partition(".")
        return rows[feeder][column]

    base = target.rstrip("/")
    with httpx.Client(timeout=model.timeout_s or timeout_s) as client:
        if model.login is not None:
            _rest_login(client, base, model, model.login, lookup)
        if model.jsonrpc is not None:
            _rpc_login(client, base, model, lookup)


def _rest_login(client: httpx.Client, base: str, model: RestModel, login: Step,
                lookup: Any) -> None:  # fmt: skip
    path = model.base_path + str(render(login.path, lookup))
    where = f"{login.method} {path}"
    try:
        response = client.request(
            login.method,
            base + path,
            params=render(login.params, lookup) if login.params is not None else None,
            json=render(login.json, lookup) if login.json is not None else None,
            headers={str(k): str(v) for k, v in render(dict(model.headers), lookup).items()},
        )
    except httpx.HTTPError as exc:
        raise TargetError(f"the login step ({where}) failed: {type(exc).__name__}: {exc}",
                          hint="check that the ERP is running and answers its login") from exc  # fmt: skip
    status = response.status_code
    if status in (401, 403):
        raise BadInput(f"the target refused the scenario's login step ({where}: HTTP {status}), "
                       "so every request of the load would fail", path=model.path,
                       line=login.line, hint=LOGIN_HINT)  # fmt: skip
    if status == 404:
        raise BadInput(f"the target has no login at {where} (HTTP 404)", path=model.path,
                       line=login.line, hint="check the login path and base_path")  # fmt: skip
    if not 200 <= status < 300:
        raise TargetError(f"the login step ({where}) answered HTTP {status}",
                          hint="see the ERP's log; erpcap starts no load against a failing login")  # fmt: skip
    for name, dotted in login.save.items():
        try:
            dig(response.json(), dotted)
        except (KeyError, ValueError):
            raise BadInput(f"the login step ({where}) answered HTTP {status} without "
                           f"{dotted!r} to save as {name}", path=model.path, line=login.line,
                           hint="fix the dotted path under save:") from None  # fmt: skip


def _rpc_login(client: httpx.Client, base: str, model: RestModel, lookup: Any) -> None:
    settings = model.jsonrpc
    assert settings is not None
    db, user = str(render(settings.db, lookup)), str(render(settings.user, lookup))
    password = str(render(settings.password, lookup))
    path = endpoint(settings.dialect, db, settings.path)
    service, method, args = login_call(settings.dialect, db, user, password)
    where = f"JSON-RPC {service}.{method} at {path}"
    try:
        response = client.post(
            base + path, json=request_body(settings.dialect, service, method, args, 1)
        )
    except httpx.HTTPError as exc:
        raise TargetError(f"the {where} failed: {type(exc).__name__}: {exc}",
                          hint="check that the ERP is running") from exc  # fmt: skip
    status = response.status_code
    try:
        reply = response.json()
    except ValueError:
        reply = None
    try:
        if status in (401, 403):
            raise RpcError(f"HTTP {status}")
        if status == 404 or (status >= 400 and not isinstance(reply, dict)):
            raise TargetError(f"the {where} answered HTTP {status}",
                              hint="check the dialect, db and path of the jsonrpc block")  # fmt: skip
        if session_of(settings.dialect, user, reply_result(reply)) is None:
            raise RpcError("no user id in the answer")
    except RpcError as exc:
        raise BadInput(f"the target refused the {where} of user {user!r} ({exc.message}), so "
                       "every call of the load would fail", path=model.path,
                       line=_jsonrpc_line(model), hint=LOGIN_HINT) from None  # fmt: skip


def _jsonrpc_line(model: RestModel) -> int | None:
    """The line of the ``jsonrpc:`` block (for the error), or None."""
    try:
        lines = model.path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    return next((i for i, line in enumerate(lines, 1) if line.startswith("jsonrpc:")), None)
