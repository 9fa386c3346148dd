"""The open model's arrivals: how well a rate run kept its schedule (findings.json ``arrivals``).

A run made with ``--rate`` (scenarios/rate.py) stores its schedule in run.json (``rate``) and
the counts of its arrivals (``arrivals``: intended, sent, dropped, per step; summed by the
pipeline from the Locust processes' ``arrivals`` events). An arrival is *dropped* when no
user of the pool was free to send it within ``drop_after_s`` of its intended start; one sent
late keeps its intended start, so its latency counts the wait (analysis/latency.py).

:func:`arrivals_block` turns them into the ``arrivals`` block; :func:`schedule_cause` says why
a schedule was not kept, from what the run measured:

- ``pool``: the pool was too small for the rate even at the usual response time (Little's
  law: the peak rate times the median service time needs most of the pool busy);
- ``stall``: the target stopped answering for a while (the slowest service time is many times
  the median and longer than the drop tolerance): the pool's users were stuck waiting;
- ``unclear``: neither (e.g. the load generator itself could not keep up).
"""

from __future__ import annotations

from typing import Any

#: Dropped arrivals above this share of the intended ones: the schedule was not kept ...
DROPPED_SHARE = 0.01
#: ... nor was it with a p95 wait between the intended and the actual start above this (ms).
QUEUE_P95_MS = 100.0
#: The pool is "too small" when the peak rate × the median service time needs this share of it.
POOL_BUSY_SHARE = 0.8
#: A stall: the slowest service time is at least this many times the median.
STALL_FACTOR = 10.0


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _share(part: Any, whole: Any) -> float | None:
    if not isinstance(part, int) or not isinstance(whole, int) or whole <= 0:
        return None
    return round(part / whole, 6)


def arrivals_block(
    meta: dict[str, Any], overall: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The ``arrivals`` block of findings.json, or None for a closed-model run.

    >>> meta = {"rate": {"steps": [{"rate": 20.0, "duration_s": 10.0, "start_rate": 20.0}],
    ...                  "max_users": 4},
    ...         "arrivals": {"intended": 200, "sent": 150, "dropped": 50, "drop_after_s": 1.0,
    ...                      "steps": [{"step": 1, "intended": 200, "sent": 150, "dropped": 50}]}}
    >>> block = arrivals_block(meta, {"service": {"p50_ms": 2.0, "max_ms": 3000.0}})
    >>> block["dropped_share"], block["pool"], block["peak_rate"], block["missed"], block["cause"]
    (0.25, 4, 20.0, True, 'stall')
    """
    schedule = meta.get("rate")
    if not isinstance(schedule, dict):
        return None
    found = meta.get("arrivals")
    counts: dict[str, Any] = found if isinstance(found, dict) else {}
    rates = [s for s in schedule.get("steps") or [] if isinstance(s, dict)]
    by_step = {int(s["step"]): s for s in counts.get("steps") or [] if "step" in s}
    steps = []
    for number, step in enumerate(rates, start=1):
        got = by_step.get(number, {})
        steps.append({
            "step": number,
            "rate": step.get("rate"),
            "start_rate": step.get("start_rate"),
            "duration_s": step.get("duration_s"),
            "intended": got.get("intended"),
            "sent": got.get("sent"),
            "dropped": got.get("dropped"),
            "dropped_share": _share(got.get("dropped"), got.get("intended")),
        })  # fmt: skip
    intended, sent, dropped = (counts.get(k) for k in ("intended", "sent", "dropped"))
    duration = sum(float(s.get("duration_s") or 0.0) for s in rates)
    block: dict[str, Any] = {
        "pool": schedule.get("max_users"),
        "peak_rate": max(
            (max(float(s.get("rate") or 0), float(s.get("start_rate") or 0)) for s in rates),
            default=None,
        ),  # fmt: skip
        "scheduled_rate": round(intended / duration, 3) if intended and duration else None,
        "intended": intended,
        "sent": sent,
        "dropped": dropped,
        "dropped_share": _share(dropped, intended),
        "drop_after_s": counts.get("drop_after_s"),
        "counted": bool(counts),  # false when no Locust process reported (it was killed)
        "steps": steps,
    }
    block["missed"] = missed(block, overall or {})
    block["cause"] = schedule_cause(block, overall or {}) if block["missed"] else None
    return block


def missed(block: dict[str, Any], overall: dict[str, Any]) -> bool:
    """Whether the schedule was not kept: more than :data:`DROPPED_SHARE` of the arrivals
    dropped, or a p95 wait between intended and actual start above :data:`QUEUE_P95_MS`."""
    queue = _dict(overall.get("queue")).get("p95_ms")
    late = isinstance(queue, int | float) and queue > QUEUE_P95_MS
    return (block.get("dropped_share") or 0.0) > DROPPED_SHARE or late


def schedule_cause(block: dict[str, Any], overall: dict[str, Any]) -> str:
    """``pool``, ``stall`` or ``unclear``: why arrivals were dropped or late (module doc).

    >>> schedule_cause({"pool": 10, "peak_rate": 30.0}, {"service": {"p50_ms": 400.0, "max_ms": 900.0}})
    'pool'
    >>> schedule_cause({"pool": 50, "peak_rate": 30.0, "drop_after_s": 1.0},
    ...                {"service": {"p50_ms": 20.0, "max_ms": 4000.0}})
    'stall'
    """
    service = _dict(overall.get("service"))
    p50, top = service.get("p50_ms"), service.get("max_ms")
    pool, peak = block.get("pool"), block.get("peak_rate")
    if p50 is not None and pool and peak and peak * p50 / 1000.0 >= POOL_BUSY_SHARE * pool:
        return "pool"
    tolerance_ms = float(block.get("drop_after_s") or 1.0) * 1000.0
    if p50 is not None and top is not None and top >= max(STALL_FACTOR * p50, tolerance_ms):
        return "stall"
    return "unclear"


def pool_needed(block: dict[str, Any], overall: dict[str, Any]) -> int | None:
    """Users that would keep the peak rate going at the p95 service time (Little's law)."""
    service = _dict(overall.get("service"))
    p95, peak = service.get("p95_ms"), block.get("peak_rate")
    if p95 is None or not peak:
        return None
    return max(1, int(-(-peak * p95 // 1000.0)))


def annotate_steps(steps: list[dict[str, Any]], block: dict[str, Any] | None) -> None:
    """Give each step block of a rate run its scheduled ``rate`` (``start_rate`` at its
    start: they differ on a ramp) and its ``arrivals``."""
    if block is None:
        return
    by_step = {s["step"]: s for s in block["steps"]}
    for step in steps:
        got = by_step.get(step.get("step"))
        if got is not None:
            step["rate"], step["start_rate"] = got["rate"], got["start_rate"]
            step["arrivals"] = {k: got[k] for k in ("intended", "sent", "dropped", "dropped_share")}
