"""The exception handlers that render every error as the one envelope of :mod:`.errors`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .errors import ApiError, error_body

log = logging.getLogger("erpcap.reference_erp")


def _response(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    return JSONResponse(
        status_code=status, content=jsonable_encoder(error_body(code, message, details))
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _clean_validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the location, message and type of each validation error (drop echoed input)."""
    return [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception the app can raise to the one envelope."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _response(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean_validation_errors(list(exc.errors()))
        if any(e["type"] == "json_invalid" for e in errors):
            return _response(400, "malformed_json", "the request body is not valid JSON", errors)
        return _response(422, "validation_error", "the request does not match the schema", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        response = _response(exc.status_code, code, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        if _is_busy(exc):
            return _response(503, "database_busy", "the database is busy; retry the request")
        return _response(500, "internal_error", "internal server error")


def _is_busy(exc: BaseException) -> bool:
    """True for lock timeouts and pool exhaustion: overload, not a bug."""
    text = f"{type(exc).__name__} {exc}"
    return any(
        marker in text
        for marker in (
            "database is locked",
            "QueuePool limit",
            "PoolTimeout",
            "TimeoutError",
            "lock timeout",
            "too many clients",
        )
    )
