"""The FastAPI application factory.

Workers call :func:`create_app_from_env` (uvicorn ``factory=True``); the settings come from
``ERPCAP_ERP_SETTINGS``, written by ``serve``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import __version__
from .context import build_context
from .error_handlers import install_error_handlers
from .lifeline import exit_with_parent
from .metrics import MetricsMiddleware
from .routes_finance import router as finance_router
from .routes_orders import router as orders_router
from .routes_quality import router as quality_router
from .routes_system import router as system_router
from .settings import ENV_SETTINGS, Settings, prog_name
from .sqltags import RequestIdMiddleware


def create_app(settings: Settings) -> FastAPI:
    """Build the application for one worker process."""
    ctx = build_context(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if ctx.jobs is not None:
            ctx.jobs.start(ctx.run_jobs)
        try:
            yield
        finally:
            ctx.close()

    app = FastAPI(
        title="erpcap reference ERP",
        version=__version__,
        description="A medical-device ERP core (order to cash, inventory, quality, finance) for load tests. "
        "Every business endpoint needs `Authorization: Bearer <token>` from `login`; errors are "
        '`{"error": {"code", "message", "details"}}`.',
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    for router in (system_router, orders_router, quality_router, finance_router):
        app.include_router(router)
    app.add_middleware(MetricsMiddleware, metrics=ctx.metrics, gauges=ctx.gauges)
    app.add_middleware(RequestIdMiddleware)  # outermost: the id is set for all of the request
    return app


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn workers."""
    raw = os.environ.get(ENV_SETTINGS)
    if not raw:
        raise RuntimeError(
            f"{ENV_SETTINGS} is not set: start the service with `{prog_name()} serve`"
        )
    settings = Settings.from_json(raw)
    if settings.workers > 1:  # a worker of uvicorn's supervisor: die with it
        exit_with_parent()
    return create_app(settings)
