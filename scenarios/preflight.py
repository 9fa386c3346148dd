"""Checks made once before the load starts, so that a run that cannot work stops at once.

A wrong ``--password`` would otherwise turn every request of a ten-minute ladder into a 401
and the report into a page of errors. :func:`check_login` logs in once as each user the
scenario's roles use (``POST /auth/login``, as the user classes do) and refuses to start
when the target rejects the credentials; a declarative scenario runs its own login step and
JSON-RPC login instead (:mod:`erpcap.scenarios.rest_preflight`). It uses plain HTTP (httpx),
not Locust.
"""

from __future__ import annotations

import httpx

from erpcap.errors import BadInput, TargetError
from erpcap.scenarios.catalog import ROLES, Scenario
from erpcap.scenarios.launch import DEMO_PASSWORD

#: The login endpoint of the reference ERP's API, which the scenarios' user classes call.
LOGIN_PATH = "/auth/login"


def check_login(target: str, scenario: Scenario, password: str, *, timeout_s: float = 15.0) -> None:
    """Log in once as every user ``scenario`` needs; raise when the target refuses.

    Raises:
        BadInput: 401/403 (the password or the user is wrong) or 404 (the target has no
            login endpoint: not the API the scenario is written for).
        TargetError: the login failed otherwise (5xx, no answer).
    """
    if scenario.kind == "rest":  # a declarative scenario: its own login step
        from erpcap.scenarios.rest import load_rest_model
        from erpcap.scenarios.rest_preflight import check_rest_login

        check_rest_login(target, load_rest_model(scenario.ref), timeout_s=timeout_s)
        return
    if scenario.kind == "locustfile":  # its users log in (or not) their own way
        return
    usernames = sorted({ROLES[mix.role].username for mix in scenario.users})
    url = target.rstrip("/") + LOGIN_PATH
    with httpx.Client(timeout=timeout_s) as client:
        for username in usernames:
            try:
                response = client.post(url, json={"username": username, "password": password})
            except httpx.HTTPError as exc:
                raise TargetError(
                    f"logging in as {username!r} at {url} failed: {type(exc).__name__}: {exc}",
                    hint="check that the ERP is running and answers its login",
                ) from exc
            status = response.status_code
            if status in (401, 403):
                raise BadInput(
                    f"the target refused the login of user {username!r} (HTTP {status}), "
                    "so every request of the load would fail",
                    hint="check --password (the reference ERP's demo users have the password "
                    "given to `erpcap erp seed --demo-password`, default "
                    f"{DEMO_PASSWORD})",
                )
            if status == 404:
                raise BadInput(
                    f"the target has no {LOGIN_PATH} (HTTP 404): scenario "
                    f"{scenario.name!r} is written for the reference ERP's API",
                    hint="point --target at that API, or give a scenario for your ERP",
                )
            if not 200 <= status < 300:
                raise TargetError(
                    f"logging in as {username!r} answered HTTP {status}",
                    hint="see the ERP's log; erpcap starts no load against a failing login",
                )
