"""The ``cache`` lever: master data and availability reads with a short TTL.

Redis when reachable, otherwise an in-process TTL cache (per worker process), or no cache at
all when the lever is off. Stock changes invalidate the availability keys of their items.
Values are JSON documents; a Redis failure during a request counts as a miss, never an error.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Protocol

log = logging.getLogger("erpcap.reference_erp")

#: TTL in seconds per key family: master data changes rarely, availability often.
TTL_MASTER = 60
TTL_AVAILABILITY = 5


class Cache(Protocol):
    """What the routes need from a cache backend."""

    backend: str

    def get(self, key: str) -> Any | None: ...

    def get_many(self, keys: list[str]) -> list[Any | None]: ...

    def set(self, key: str, value: Any, ttl: int) -> None: ...

    def delete(self, *keys: str) -> None: ...

    def close(self) -> None: ...


class NoCache:
    """The lever is off: every read goes to the database."""

    backend = "off"

    def get(self, key: str) -> Any | None:
        return None

    def get_many(self, keys: list[str]) -> list[Any | None]:
        return [None] * len(keys)

    def set(self, key: str, value: Any, ttl: int) -> None:
        return None

    def delete(self, *keys: str) -> None:
        return None

    def close(self) -> None:
        return None


class MemoryCache:
    """A per-process TTL cache (the fallback without Redis)."""

    backend = "memory"

    def __init__(self, max_entries: int = 50_000) -> None:
        self._data: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key: str) -> Any | None:
        with self._lock:
            hit = self._data.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return json.loads(hit[1])

    def get_many(self, keys: list[str]) -> list[Any | None]:
        return [self.get(k) for k in keys]

    def set(self, key: str, value: Any, ttl: int) -> None:
        payload = json.dumps(value)
        with self._lock:
            if len(self._data) >= self._max:
                self._data.clear()
            self._data[key] = (time.monotonic() + ttl, payload)

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._data.pop(key, None)

    def close(self) -> None:
        self._data.clear()


class RedisCache:
    """Redis-backed cache shared by every worker process."""

    backend = "redis"

    def __init__(self, url: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._client.ping()
        self._warned = False

    def _failed(self, exc: Exception) -> None:
        if not self._warned:
            log.warning("redis cache unavailable, reading through: %s", exc)
            self._warned = True

    def get(self, key: str) -> Any | None:
        try:
            raw = self._client.get(key)
        except Exception as exc:  # noqa: BLE001 - a cache failure is a miss
            self._failed(exc)
            return None
        return None if raw is None else json.loads(raw)

    def get_many(self, keys: list[str]) -> list[Any | None]:
        try:
            raws = self._client.mget(keys) if keys else []
        except Exception as exc:  # noqa: BLE001 - a cache failure is a miss
            self._failed(exc)
            return [None] * len(keys)
        return [None if raw is None else json.loads(raw) for raw in raws]

    def set(self, key: str, value: Any, ttl: int) -> None:
        try:
            self._client.setex(key, ttl, json.dumps(value))
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)

    def delete(self, *keys: str) -> None:
        if not keys:
            return
        try:
            self._client.delete(*keys)
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)

    def close(self) -> None:
        self._client.close()


def make_cache(enabled: bool, redis_url: str | None) -> tuple[Cache, str | None]:
    """Return the cache for the lever state and a warning when Redis was wanted but not reachable."""
    if not enabled:
        return NoCache(), None
    if redis_url:
        try:
            return RedisCache(redis_url), None
        except Exception as exc:  # noqa: BLE001 - fall back, and say so
            return (
                MemoryCache(),
                f"redis at {redis_url} not reachable ({exc}); using an in-process cache",
            )
    return MemoryCache(), None


class CacheKeys:
    """Key names, namespaced per database so that servers sharing one Redis never mix data."""

    def __init__(self, namespace: str) -> None:
        self.ns = f"erp:{namespace}"

    def availability(self, item_id: int) -> str:
        return f"{self.ns}:avail:{item_id}"

    def item_price(self, price_list_id: int, item_id: int) -> str:
        return f"{self.ns}:itemprice:{price_list_id}:{item_id}"

    def customer(self, customer_id: int) -> str:
        return f"{self.ns}:customer:{customer_id}"

    def item(self, item_id: int) -> str:
        return f"{self.ns}:item:{item_id}"
