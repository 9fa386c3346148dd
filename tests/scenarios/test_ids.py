"""The shared id pool: one fetch for many users, throttled retries, work queues."""

from __future__ import annotations

import random
import threading

from erpcap.scenarios.ids import RETRY_AFTER_S, IdPool


def test_one_fetch_for_concurrent_users() -> None:
    pool = IdPool()
    calls = []
    gate = threading.Event()

    def fetch() -> list[int]:
        calls.append(1)
        gate.wait(2.0)
        return [1, 2, 3]

    threads = [threading.Thread(target=pool.ensure, args=("customers", fetch)) for _ in range(8)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(5.0)
    assert len(calls) == 1
    assert pool.count("customers") == 3


def test_failed_fetch_retries_after_a_pause() -> None:
    now = [0.0]
    pool = IdPool(clock=lambda: now[0])
    calls = []

    def failing() -> None:
        calls.append(1)

    assert pool.ensure("items", failing) is False
    assert pool.ensure("items", failing) is False
    assert len(calls) == 1
    now[0] += RETRY_AFTER_S + 0.1
    assert pool.ensure("items", lambda: [7]) is True
    assert pool.pick("items", random.Random(0)) == 7


def test_take_and_refresh() -> None:
    now = [0.0]
    pool = IdPool(clock=lambda: now[0])
    pool.ensure("open_orders", lambda: [1, 2])
    pool.add("open_orders", [2, 3])
    assert [pool.take("open_orders") for _ in range(4)] == [1, 2, 3, None]
    pool.ensure("orders", lambda: [10])
    now[0] += 1000.0  # stale: fetched again and merged
    assert pool.ensure("orders", lambda: [11]) is True
    assert pool.count("orders") == 2
