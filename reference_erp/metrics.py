"""Prometheus metrics and the ASGI middleware that times every request by operationId.

With several worker processes the metrics use prometheus_client's multiprocess mode
(``PROMETHEUS_MULTIPROC_DIR``, set by ``serve``), and ``/metrics`` aggregates every worker.
The middleware also counts SQL statements per request and returns the count in the
``X-DB-Statements`` response header (what N+1 detection needs).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .db import STATEMENT_COUNTER

#: Latency buckets in seconds: 1 ms to 10 s, denser where the 500 ms SLO sits.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)


def multiprocess_dir() -> str | None:
    """The multiprocess directory when several workers share metrics."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """The service's metrics, registered in a registry of their own (no module globals)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.latency = Histogram(
            "erp_request_duration_seconds",
            "Request latency by operationId",
            ["operation", "method"],
            buckets=BUCKETS,
            registry=r,
        )
        self.requests = Counter(
            "erp_requests_total",
            "Requests by operationId and status",
            ["operation", "status"],
            registry=r,
        )
        self.db_statements = Counter(
            "erp_db_statements_total",
            "SQL statements executed, by operationId",
            ["operation"],
            registry=r,
        )
        self.pool_in_use = Gauge(
            "erp_db_pool_in_use",
            "Database connections checked out",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.queue_depth = Gauge(
            "erp_queue_depth",
            "Post-order messages waiting",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.cache_requests = Counter(
            "erp_cache_requests_total",
            "Cache lookups by key family and result",
            ["family", "result"],
            registry=r,
        )
        self.jobs = Counter(
            "erp_postorder_jobs_total",
            "Post-order jobs by backend and outcome",
            ["backend", "outcome"],
            registry=r,
        )

    def exposition(self) -> bytes:
        """The text format for ``/metrics`` (all workers in multiprocess mode)."""
        directory = multiprocess_dir()
        if directory:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Times requests, labels them with the matched route's operationId, counts statements."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics, gauges: Callable[[], tuple[int, int]]
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.gauges = gauges

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        counter = [0]
        token = STATEMENT_COUNTER.set(counter)
        status = [500]
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                MutableHeaders(scope=message).append("X-DB-Statements", str(counter[0]))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            STATEMENT_COUNTER.reset(token)
            self._observe(scope, status[0], time.perf_counter() - start, counter[0])

    def _observe(self, scope: Scope, status: int, seconds: float, statements: int) -> None:
        route: Any = scope.get("route")
        operation = getattr(route, "operation_id", None) or (
            "unmatched" if route is None else route.name
        )
        m = self.metrics
        m.latency.labels(operation, scope.get("method", "")).observe(seconds)
        m.requests.labels(operation, str(status)).inc()
        if statements:
            m.db_statements.labels(operation).inc(statements)
        in_use, depth = self.gauges()
        m.pool_in_use.set(in_use)
        m.queue_depth.set(depth)
