"""Ids the users discover from the ERP, shared by all users of one Locust process.

Users find customers, items, lots and orders through the list endpoints instead of guessing
ids, so a scenario works against any data set. One :class:`IdPool` per process (a class
attribute of the generated user classes) keeps what was found; the first user that needs a
kind fetches it while the others wait on a lock (gevent-aware once Locust has patched
``threading``), so a hundred users starting at once send one discovery request, not a hundred.

>>> import random
>>> pool = IdPool(clock=lambda: 0.0)
>>> pool.ensure("items", lambda: [3, 5, 8])
True
>>> pool.pick("items", random.Random(1)) in (3, 5, 8)
True
>>> pool.ensure("customers", lambda: None), pool.pick("customers", random.Random(1))
(False, None)
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

#: Kinds of ids and the seconds after which a list is fetched again (None = never).
REFRESH_AFTER_S: dict[str, float | None] = {
    "customers": None,
    "items": None,
    "released_lots": 300.0,
    "orders": 120.0,
    "open_orders": 30.0,
    "quarantine_lots": 30.0,
}

#: Seconds between two attempts when a fetch failed or found nothing.
RETRY_AFTER_S = 5.0

#: The most ids kept per kind.
MAX_IDS = 5000


class IdPool:
    """Discovered ids by kind; ``take`` consumes (work queues), ``pick`` samples (lookups)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._ids: dict[str, deque[int]] = {k: deque(maxlen=MAX_IDS) for k in REFRESH_AFTER_S}
        self._locks: dict[str, threading.Lock] = {k: threading.Lock() for k in REFRESH_AFTER_S}
        self._fetched_at: dict[str, float] = {}
        self._failed_at: dict[str, float] = {}

    def __len__(self) -> int:
        return sum(len(v) for v in self._ids.values())

    def count(self, kind: str) -> int:
        return len(self._ids[kind])

    def add(self, kind: str, ids: Iterable[int]) -> None:
        """Remember ``ids`` (newest last); duplicates are kept once."""
        known = self._ids[kind]
        seen = set(known)
        for value in ids:
            if value not in seen:
                known.append(value)
                seen.add(value)

    def ensure(self, kind: str, fetch: Callable[[], list[int] | None]) -> bool:
        """Fetch ``kind`` if it is empty or stale; True when ids of that kind are known.

        ``fetch`` returns the ids, or None when the request failed; a failed or empty fetch
        is retried after :data:`RETRY_AFTER_S` at the earliest.
        """
        if not self._needs_fetch(kind):
            return bool(self._ids[kind])
        with self._locks[kind]:
            if not self._needs_fetch(kind):  # another user fetched while we waited
                return bool(self._ids[kind])
            now = self._clock()
            ids = fetch()
            if ids:
                self.add(kind, ids)
                self._fetched_at[kind] = now
                self._failed_at.pop(kind, None)
            else:
                self._failed_at[kind] = now
        return bool(self._ids[kind])

    def _needs_fetch(self, kind: str) -> bool:
        now = self._clock()
        failed = self._failed_at.get(kind)
        if failed is not None and now - failed < RETRY_AFTER_S:
            return False
        if not self._ids[kind]:
            return True
        refresh = REFRESH_AFTER_S[kind]
        fetched = self._fetched_at.get(kind)
        return refresh is not None and (fetched is None or now - fetched > refresh)

    def pick(self, kind: str, rng: random.Random) -> int | None:
        """A random known id of ``kind`` (kept for others), or None."""
        ids = self._ids[kind]
        return ids[rng.randrange(len(ids))] if ids else None

    def take(self, kind: str) -> int | None:
        """The oldest id of ``kind``, removed (so two users do not ship one order), or None."""
        ids = self._ids[kind]
        try:
            return ids.popleft()
        except IndexError:
            return None
