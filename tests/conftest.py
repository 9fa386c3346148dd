"""Fixtures shared by the whole suite."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
import pytest

from erpcap.rundir import RunDir

#: Per step: (users, seconds, requests per second, median latency ms, error probability).
StepSpec = tuple[int, float, float, float, float]


def build_run(
    folder: Path,
    steps: Sequence[StepSpec],
    *,
    names: Sequence[tuple[str, str]] = (
        ("create_sales_order", "order"),
        ("check_availability", "query"),
    ),
    seed: int = 7,
    status: str = "completed",
) -> RunDir:
    """A run directory with step events and requests drawn from the given steps.

    Latencies are log-normal around each step's median, so statistics have a known centre;
    this is synthetic data for analysis and report tests, made with the real writer.
    """
    rng = np.random.default_rng(seed)
    run = RunDir.create(
        folder, scenario="demo-mix", target={"url": "http://127.0.0.1:9"}, status=status
    )
    t0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    events, rows, offset = [], [], 0.0
    for number, (users, seconds, rps, median_ms, p_error) in enumerate(steps, start=1):
        events.append(
            {
                "ts": (t0 + timedelta(seconds=offset)).isoformat(),
                "kind": "step",
                "step": number,
                "users": users,
            }
        )
        count = int(rps * seconds)
        starts = np.sort(rng.uniform(offset, offset + seconds, count))
        latency = rng.lognormal(np.log(median_ms * 1000), 0.4, count).astype("int64")
        failed = rng.random(count) < p_error
        picks = rng.integers(0, len(names), count)
        for s, lat, bad, pick in zip(starts, latency, failed, picks, strict=True):
            start = t0 + timedelta(seconds=float(s))
            name, group = names[pick]
            rows.append(
                {
                    "intended_start": start,
                    "start": start,
                    "name": name,
                    "group": group,
                    "user_class": "sales",
                    "method": "POST",
                    "status_code": 500 if bad else 200,
                    "ok": not bad,
                    "latency_us": int(lat),
                    "service_us": int(lat),
                    "bytes": 512,
                    "users": users,
                    "worker": "w1",
                    "error": "HTTP 500: pool exhausted" if bad else None,
                }
            )
        offset += seconds
    (run.path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    writer = run.part_writer("requests")
    writer.extend(rows)
    writer.flush()
    run.consolidate("requests")
    return run


@pytest.fixture
def make_run(tmp_path: Path) -> Callable[..., RunDir]:
    counter = iter(range(1000))

    def factory(steps: Sequence[StepSpec], **kwargs: object) -> RunDir:
        return build_run(tmp_path / f"run{next(counter)}", steps, **kwargs)  # type: ignore[arg-type]

    return factory


#: The local server's administrative connection (trust authentication on loopback).
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"

Wait = Callable[[Callable[[], bool], float, str], None]


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``predicate`` every 0.05 s until true; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


@pytest.fixture(scope="session")
def wait() -> Wait:
    """:func:`wait_for`, as a fixture (test modules are not importable from each other);
    session-scoped, so that module-scoped fixtures (a server a module starts) can use it."""
    return wait_for


@pytest.fixture
def pg_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty PostgreSQL database named after the test, dropped (sessions and all) after."""
    name = f"erpcap_test_{request.node.name[:30]}_{os.getpid()}".lower()
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
