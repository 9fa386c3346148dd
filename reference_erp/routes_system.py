"""Login, health, profile and metrics."""

from __future__ import annotations

import os
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from .auth import verify_password
from .context import AppContext
from .db import one, scalar
from .errors import ApiError
from .models import LoginIn
from .schema import LEVER_INDEXES
from .settings import LEVERS

router = APIRouter()


async def get_ctx(request: Request) -> AppContext:
    """The per-process application context (``async``: FastAPI runs a plain ``def`` dependency
    on a worker thread, a hop per request for a lookup)."""
    return request.app.state.ctx  # type: ignore[no-any-return]


@router.post("/auth/login", operation_id="login", tags=["auth"])
def login(
    ctx: Annotated[AppContext, Depends(get_ctx)],
    body: LoginIn,
) -> dict[str, Any]:
    """Exchange username and password for a bearer token."""
    with ctx.db.read() as conn:
        user = one(
            conn,
            "SELECT u.username, u.password_hash, r.name AS role FROM app_user u "
            "JOIN role r ON r.id = u.role_id WHERE u.username = :u AND u.active = 1",
            {"u": body.username},
        )
    if user is None or not verify_password(body.password, user["password_hash"]):
        raise ApiError(401, "invalid_credentials", "unknown user or wrong password")
    return {
        "access_token": ctx.signer.issue(user["username"], user["role"]),
        "token_type": "bearer",
        "role": user["role"],
        "username": user["username"],
        "expires_in": ctx.signer.ttl,
    }


@router.get("/health", operation_id="health", tags=["system"])
def health(
    ctx: Annotated[AppContext, Depends(get_ctx)],
) -> dict[str, Any]:
    """Liveness and database reachability; answers once lever setup is done."""
    try:
        with ctx.db.read() as conn:
            scalar(conn, "SELECT 1")
    except Exception as exc:  # noqa: BLE001 - report, do not crash
        raise ApiError(
            503,
            "database_unavailable",
            "the database does not answer",
            {"error": type(exc).__name__},
        ) from None
    return {
        "status": "ok",
        "profile": ctx.settings.profile,
        "database": ctx.db.dialect.name,
        "pid": os.getpid(),
    }


@router.get("/profile", operation_id="get_profile", tags=["system"])
def profile(
    ctx: Annotated[AppContext, Depends(get_ctx)],
) -> dict[str, Any]:
    """The profile, each lever's state and what backs it."""
    s = ctx.settings
    return {
        "profile": s.profile,
        "levers": {name: s.lever(name) for name in LEVERS},
        "workers": s.workers,
        "sql_tags": s.sql_tags,
        "backends": ctx.backends(),
        "indexes": [ix.name for ix in LEVER_INDEXES] if s.lever("indexes") else [],
        "warnings": list(ctx.warnings),
    }


@router.get("/metrics", operation_id="metrics", tags=["system"])
def metrics(
    ctx: Annotated[AppContext, Depends(get_ctx)],
) -> Response:
    """Prometheus text exposition (all workers)."""
    return Response(content=ctx.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
