"""Fixtures shared by the whole suite."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
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
