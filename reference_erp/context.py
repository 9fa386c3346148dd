"""The application context: one object holding what the routes need (no module globals).

``build_context`` runs in every worker process; ``prepare_database`` runs once in ``serve``
before any worker starts (lever setup such as creating or dropping the secondary indexes), so
that ``/health`` can only answer once that work is done.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import text

from .auth import TokenSigner
from .cache import TTL_MASTER, Cache, CacheKeys, make_cache
from .db import Conn, Database, execute, normalize_url
from .jobs import JobQueue, make_queue
from .metrics import Metrics
from .postorder import process_orders
from .schema import index_statements
from .settings import DEFAULT_AMQP_URL, DEFAULT_REDIS_URL, Settings

log = logging.getLogger("erpcap.reference_erp")

T = TypeVar("T")


def namespace_for(db_url: str) -> str:
    """A short stable id of the database, used to namespace cache keys and queue names."""
    return hashlib.sha1(normalize_url(db_url).encode("utf-8")).hexdigest()[:10]


@dataclass
class AppContext:
    """Per-process state of the service."""

    settings: Settings
    db: Database
    report_db: Database
    signer: TokenSigner
    cache: Cache
    keys: CacheKeys
    jobs: JobQueue | None
    metrics: Metrics
    warnings: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ cache helpers
    def cached(self, family: str, key: str, ttl: int, load: Callable[[], T]) -> T:
        """Return the cached value of ``key`` or load, store and return it.

        The cache holds what ``load`` returned, through JSON; so what it gives back is of
        the same shape (dicts, lists, numbers, strings).
        """
        if self.cache.backend == "off":
            return load()
        hit = self.cache.get(key)
        if hit is not None:
            self.metrics.cache_requests.labels(family, "hit").inc()
            return cast(T, hit)
        self.metrics.cache_requests.labels(family, "miss").inc()
        value = load()
        if value is not None:
            self.cache.set(key, value, ttl)
        return value

    def master(self, family: str, key: str, load: Callable[[], T]) -> T:
        """Master data (customers, items, prices) with the long TTL."""
        return self.cached(family, key, TTL_MASTER, load)

    def invalidate_availability(self, item_ids: Iterable[int]) -> None:
        """Forget cached availability after a stock change."""
        if self.cache.backend != "off":
            self.cache.delete(*(self.keys.availability(i) for i in set(item_ids)))

    # ------------------------------------------------------------------ post-order work
    def after_order(self, conn: Conn, order_id: int) -> None:
        """Synchronous post-order work inside the order transaction (``async`` lever off)."""
        if self.jobs is None:
            process_orders(conn, [order_id])
            self.metrics.jobs.labels("sync", "done").inc()

    def after_commit(self, order_id: int) -> None:
        """Publish post-order work once the order is committed (``async`` lever on)."""
        if self.jobs is None:
            return
        try:
            self.jobs.publish(order_id)
            self.metrics.jobs.labels(self.jobs.backend, "published").inc()
        except Exception:  # noqa: BLE001 - the order stands; do the work now instead
            log.exception("publishing post-order work failed; running it synchronously")
            self.run_jobs([order_id])

    def run_jobs(self, order_ids: list[int]) -> None:
        """Consumer side: the post-order work of a batch in its own transaction."""
        self.db.run_write(lambda conn: process_orders(conn, order_ids))
        self.metrics.jobs.labels(self.jobs.backend if self.jobs else "sync", "done").inc(
            len(order_ids)
        )

    def gauges(self) -> tuple[int, int]:
        """(connections in use, queue depth) for the metrics middleware."""
        return self.db.connections_in_use, self.jobs.depth() if self.jobs else 0

    def backends(self) -> dict[str, Any]:
        """What actually serves each lever (for ``/profile``)."""
        return {
            "database": self.db.dialect.name,
            "cache": self.cache.backend,
            "queue": self.jobs.backend if self.jobs else "off",
            "report_db": "replica" if self.report_db is not self.db else "primary",
            "pool": self.db.pool_kind,
        }

    def close(self) -> None:
        """Stop the consumer and close connections."""
        if self.jobs is not None:
            self.jobs.stop()
        self.cache.close()
        if self.report_db is not self.db:
            self.report_db.dispose()
        self.db.dispose()


def build_context(settings: Settings) -> AppContext:
    """Create engines, cache, queue and metrics for one worker process."""
    pooled = settings.lever("pool")
    size = 8 if settings.workers <= 2 else 6
    tags = settings.sql_tags
    db = Database(settings.db_url, pooled=pooled, pool_size=size, max_overflow=size, sql_tags=tags)
    report_db = db
    if settings.lever("replica") and settings.replica_url:
        report_db = Database(
            settings.replica_url, pooled=pooled, pool_size=4, max_overflow=4, sql_tags=tags
        )
    ns = namespace_for(settings.db_url)
    warnings: list[str] = []
    redis_url = settings.redis_url or DEFAULT_REDIS_URL
    cache, warn = make_cache(settings.lever("cache"), redis_url)
    if warn:
        warnings.append(warn)
    amqp_url = settings.amqp_url
    if amqp_url is None and db.dialect.name == "postgresql":
        amqp_url = DEFAULT_AMQP_URL
    jobs, warn = make_queue(settings.lever("async"), amqp_url, f"erpcap.postorder.{ns}")
    if warn:
        warnings.append(warn)
    for w in warnings:
        log.warning(w)
    return AppContext(
        settings=settings,
        db=db,
        report_db=report_db,
        signer=TokenSigner(settings.secret),
        cache=cache,
        keys=CacheKeys(ns),
        jobs=jobs,
        metrics=Metrics(),
        warnings=warnings,
    )


def prepare_database(settings: Settings) -> None:
    """Put the database in the state the levers ask for (run once, before workers start)."""
    db = Database(settings.db_url, pooled=False)
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1 FROM app_user WHERE 1 = 0"))
            conn.rollback()
        with db.write() as conn:
            for stmt in index_statements(settings.lever("indexes")):
                execute(conn, stmt)
        if settings.lever("indexes"):
            with db.engine.connect() as conn:
                conn.execute(text("ANALYZE"))
                conn.commit()
    finally:
        db.dispose()
