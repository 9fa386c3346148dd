"""The service's exceptions and the one error envelope of the HTTP API.

Every exception the service raises on purpose derives from :class:`ErpError`:

* :class:`ApiError`: a business or input error, rendered as the envelope
  ``{"error": {"code": ..., "message": ..., "details": ...}}`` with a 4xx status (5xx only
  for a real server fault, ``internal_error`` or ``database_busy``);
* :class:`StockRace`: order entry found less free stock than it planned; the transaction is
  retried (never seen by a caller);
* :class:`ServeError`: a startup problem of ``serve``, one line and exit code 2.

This module imports no web framework (``serve`` and the CLI use it before any FastAPI code is
loaded); the handlers that render the envelope are in :mod:`.error_handlers`.
"""

from __future__ import annotations

from typing import Any


class ErpError(Exception):
    """Base of every exception the reference ERP raises on purpose."""


class ApiError(ErpError):
    """A business or input error, rendered as the error envelope.

    Attributes:
        status: HTTP status (4xx for the caller's fault).
        code: stable machine-readable code, e.g. ``insufficient_stock``.
        message: one human sentence.
        details: optional structured context (ids, quantities).
    """

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class StockRace(ErpError):
    """A guarded stock UPDATE found less free stock than planned: retry the transaction."""


class ServeError(ErpError):
    """A startup problem reported as one line with exit code 2."""


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """Return the error envelope.

    >>> error_body("not_found", "no such order")
    {'error': {'code': 'not_found', 'message': 'no such order', 'details': None}}
    """
    return {"error": {"code": code, "message": message, "details": details}}
