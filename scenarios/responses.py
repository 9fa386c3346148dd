"""What erpcap's users read of a response, the same for any Locust HTTP client.

erpcap's own users run on Locust's ``FastHttpUser`` (geventhttpclient: about five times the
requests per generator CPU-second of ``HttpUser``'s requests, docs/benchmarks.md); a user's
own locustfile may use either. The two clients differ where a request went wrong, and these helpers hide it:

- a body that is empty or not JSON: ``HttpUser``'s ``json()`` raises ``ValueError``,
  ``FastHttpUser``'s may raise ``TypeError`` (no text); :func:`json_body` raises
  ``ValueError`` for both;
- the HTTP reason: only ``HttpUser``'s response has ``reason``; :func:`reason` falls back on
  the standard phrase of the status;
- no response at all (status 0): ``HttpUser`` wraps the cause in requests' and urllib3's
  exceptions, ``FastHttpUser`` gives the socket's error or geventhttpclient's
  ``RetriesExceeded`` around it; :func:`connection_error` names the cause (``refused``,
  ``timed out``, ``reset``) so that the analysis sorts it by cause
  (:func:`erpcap.analysis.errors.cause_of`).

>>> connection_error(type("R", (), {"error": ConnectionRefusedError(111, "Connection refused")})())
'connection error: [Errno 111] Connection refused'
>>> reason(type("R", (), {"status_code": 404})())
'Not Found'
>>> json_or_none(type("R", (), {"content": b'{"id": 7}'})()), json_or_none(type("R", (), {"content": b""})())
({'id': 7}, None)
>>> json_or_none(type("R", (), {"content": b"<html>"})()), json_or_none(type("R", (), {"content": None})())
(None, None)
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any


def json_body(response: Any) -> Any:
    """The parsed JSON body; ``ValueError`` when there is none or it is not JSON."""
    content = getattr(response, "content", None)
    if not content:
        raise ValueError("the response has no body")
    try:
        return json.loads(content)
    except (TypeError, UnicodeDecodeError) as exc:  # a body json cannot decode
        raise ValueError(str(exc)) from exc


def json_or_none(response: Any) -> Any:
    """The parsed JSON body, or None when there is none or it is not JSON."""
    try:
        return json_body(response)
    except ValueError:
        return None


def reason(response: Any) -> str:
    """The HTTP reason of the response's status (``Not Found``), or ``""``."""
    given = getattr(response, "reason", None)
    if given:
        return str(given)
    try:
        return HTTPStatus(int(getattr(response, "status_code", 0) or 0)).phrase
    except ValueError:
        return ""


def connection_error(response: Any) -> str:
    """The error text of a request that got no response: ``connection error: <cause>``."""
    error = getattr(response, "error", None)
    cause = getattr(error, "original", None) or error  # geventhttpclient's RetriesExceeded
    text = str(cause) if cause is not None else ""
    if cause is not None and not text:
        text = type(cause).__name__
    return f"connection error: {text or 'no response'}"
