"""The knee of the capacity curves (Kneedle) and the largest load each transaction's SLO allows.

Kneedle (Satopää, Albrecht, Irwin, Raghavan 2011, "Finding a 'Kneedle' in a haystack"):
normalise x and y to [0, 1]; take the difference curve between the curve and the diagonal
(y − x for a concave increasing curve such as throughput against users, x − y for a convex
one such as latency); its local maxima are knee candidates, and a candidate becomes the knee
when the difference curve later drops below ``peak − S · mean(Δx)`` (S, the sensitivity,
is 1 as the paper suggests) before rising to a new maximum. A straight line has a flat
difference curve and no knee; with few points the drop it needs is large, so noise does not
make one. The throughput curve is judged so, and its knee must also be borne out by the
top step: less than :data:`MAX_DELIVERED` of the knee's rate per user times its users. Latency is the fallback when throughput shows
no knee: it typically shoots up at the top step, leaving no point after the bend for the
drop test, so its knee is where the difference curve peaks (at least :data:`MIN_PEAK`),
and only when p95 at least doubled and rose by a tenth of the online target.

The paper's figure 2 curve (y = 5 − 1 / (x + 0.1) on ten points of [0, 1]) has its knee at
x = 2/9:

>>> xs = [i / 9 for i in range(10)]
>>> index = kneedle(xs, [5 - 1 / (x + 0.1) for x in xs])
>>> index, round(xs[index], 4)
(2, 0.2222)
>>> kneedle([1, 2, 3, 4, 5], [10, 20, 30, 40, 50]) is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from erpcap.analysis.rules.base import MIN_SAMPLES, Slo
from erpcap.findings import phrase

#: The paper's default sensitivity.
SENSITIVITY = 1.0
#: A throughput knee needs the top step to deliver less than this share of the knee's rate
#: per user times its users.
MAX_DELIVERED = 0.8
#: The least peak of the difference curve that counts as a knee when ``drop`` is off.
MIN_PEAK = 0.15
#: A latency knee needs p95 at the top to be this multiple of the lowest step's …
LATENCY_RISE = 2.0
#: … and to have risen by at least this share of the online p95 target.
LATENCY_RISE_OF_TARGET = 0.1
#: Groups whose target is the "online" response target.
ONLINE_GROUPS = ("order", "query")


def kneedle(
    x: Sequence[float],
    y: Sequence[float],
    *,
    curve: str = "concave",
    direction: str = "increasing",
    sensitivity: float = SENSITIVITY,
    drop: bool = True,
) -> int | None:
    """The index of the knee of ``y(x)`` (``x`` increasing), or None when there is none.

    ``curve`` is ``concave`` (a curve that flattens: throughput) or ``convex`` (one that
    bends upwards: latency); ``direction`` ``increasing`` or ``decreasing``. With
    ``drop=False`` the knee is simply where the difference curve peaks, if that peak lies
    inside the curve and reaches :data:`MIN_PEAK` (for a curve that bends at its very end,
    which leaves no points after the bend for the drop test).
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if xs.size < 3 or xs.size != ys.size or np.ptp(xs) <= 0 or np.ptp(ys) <= 0:
        return None
    xn = (xs - xs.min()) / np.ptp(xs)
    yn = (ys - ys.min()) / np.ptp(ys)
    if direction == "decreasing":
        yn = 1.0 - yn  # mirrored: a decreasing convex curve is an increasing concave one
        curve = "concave" if curve == "convex" else "convex"
    diff = yn - xn if curve == "concave" else xn - yn
    if not drop:
        peak = int(np.argmax(diff))
        return peak if 0 < peak < diff.size - 1 and diff[peak] >= MIN_PEAK else None
    step = float(np.mean(np.diff(xn)))
    threshold: float | None = None
    candidate: int | None = None
    for i in range(diff.size):
        left = diff[i - 1] if i > 0 else -np.inf
        right = diff[i + 1] if i + 1 < diff.size else -np.inf
        if 0 < i < diff.size - 1 and diff[i] >= left and diff[i] >= right and diff[i] > 0:
            candidate, threshold = i, float(diff[i]) - sensitivity * step
            continue
        if candidate is not None and threshold is not None and diff[i] < threshold:
            return candidate
    return None


def _curve(steps: list[dict[str, Any]], field: str) -> tuple[list[dict[str, Any]], list[float]]:
    """The steps with a value of ``field``, one per user count (the later step wins)."""
    by_users: dict[int, dict[str, Any]] = {}
    for step in steps:
        if step.get(field) is not None and step.get("users"):
            by_users[int(step["users"])] = step
    ordered = [by_users[n] for n in sorted(by_users)]
    return ordered, [float(s[field]) for s in ordered]


def _levelled_off(users: list[float], rates: list[float], index: int) -> bool:
    """Whether the top step delivered less than :data:`MAX_DELIVERED` of what the knee's
    rate per user would give at its users (Little's law at constant R + Z): noise on a
    straight line can bend the normalised curve, a real limit also holds the rate down."""
    if not 0 < index < len(users) - 1 or rates[index] <= 0:
        return False
    expected = rates[index] * users[-1] / users[index]
    return rates[-1] < MAX_DELIVERED * expected


#: A throughput knee needs the response time of the top step to have grown this much over
#: the knee's (relative, and absolute in ms): at a real limit extra users queue.
QUEUE_RISE, QUEUE_RISE_MS = 1.5, 5.0


def _mean_ms(step: dict[str, Any]) -> float | None:
    service = step.get("service")
    if isinstance(service, dict) and isinstance(service.get("mean_ms"), (int, float)):
        return float(service["mean_ms"])
    value = step.get("mean_ms")
    return float(value) if isinstance(value, (int, float)) else None


def _queued(points: list[dict[str, Any]], index: int) -> bool:
    """Whether the users beyond the knee queued: the top step's mean service time grew by
    :data:`QUEUE_RISE` (and :data:`QUEUE_RISE_MS`) over the knee's. Throughput that stops
    following the users while the response time stays flat means the users did not send
    (a busy load generator, Little's law), not that the system reached a limit.

    >>> _queued([{"mean_ms": 10.0}, {"mean_ms": 11.0}, {"mean_ms": 40.0}], 1)
    True
    >>> _queued([{"mean_ms": 2.0}, {"mean_ms": 2.1}, {"mean_ms": 2.6}], 1)
    False
    """
    knee, top = _mean_ms(points[index]), _mean_ms(points[-1])
    if knee is None or top is None:
        return True  # nothing says otherwise
    return top >= QUEUE_RISE * knee and top - knee >= QUEUE_RISE_MS


def online_target_ms(slo: Slo) -> float:
    """The strictest p95 target of the online groups (order entry, queries)."""
    return min(slo.target_ms(group) for group in ONLINE_GROUPS)


def _knee_block(step: dict[str, Any], curve: str) -> dict[str, Any]:
    return {
        "users": step["users"],
        "step": step["step"],
        "ok_rps": step.get("ok_rps"),
        "p95_ms": step.get("p95_ms"),
        "method": "kneedle",
        "curve": curve,
    }


def find_knee(
    steps: list[dict[str, Any]], slo: Slo
) -> tuple[dict[str, Any] | None, dict[str, str] | None]:
    """The knee of users → ok_rps over ``steps`` (the measured, steady ones), else of
    users → p95; with a note saying why there is none."""
    points, rates = _curve(steps, "ok_rps")
    if len(points) < 3:
        return None, phrase(
            en=f"no knee: {len(points)} measured steady step(s), at least 3 are needed",
            zh_CN=f"无法确定拐点：只有 {len(points)} 个已测量的稳定阶梯，至少需要 3 个",
        )
    users = [float(s["users"]) for s in points]
    index = kneedle(users, rates, curve="concave", direction="increasing")
    if index is not None and _levelled_off(users, rates, index):
        if _queued(points, index):
            return _knee_block(points[index], "throughput"), None
        return None, phrase(
            en=f"no knee: throughput stopped following the users from {points[index]['users']} "
            "users, but the response time did not rise: the users did not send (a busy load "
            "generator, see Little's law), the system showed no limit",
            zh_CN=f"无拐点：从 {points[index]['users']} 个用户起吞吐量不再随用户数增长，但响应时间"
            "没有上升：是用户没有发出请求（负载生成器过忙，见利特尔定律），系统本身未显示极限",
        )
    slow, p95 = _curve(steps, "p95_ms")
    if len(slow) >= 3 and min(p95) > 0:
        rise = p95[-1] - p95[0]
        if p95[-1] >= LATENCY_RISE * p95[0] and rise >= LATENCY_RISE_OF_TARGET * online_target_ms(
            slo
        ):
            found = kneedle([float(s["users"]) for s in slow], p95, curve="convex", drop=False)
            if found is not None:
                return _knee_block(slow[found], "latency"), None
    return None, phrase(
        en="no knee: throughput kept rising with the users and latency did not turn upwards "
        "in the measured range (the limit lies beyond the largest step)",
        zh_CN="未发现拐点：在测量范围内吞吐量随用户数持续上升，延迟也没有明显上扬（极限超出最大阶梯）",
    )


def slo_limits(steps: list[dict[str, Any]], slo: Slo) -> list[dict[str, Any]]:
    """Per transaction: the largest users whose steps (and every lower step) kept its group's
    p95 target, and the first users that did not.

    ``max_users`` is None when even the lowest step with enough samples broke the target, or
    the transaction never had :data:`MIN_SAMPLES` requests in a step.
    """
    measured = sorted((s for s in steps if s.get("measured")), key=lambda s: s["users"])
    names: dict[str, str] = {}
    for step in measured:
        for tx in step.get("transactions") or []:
            names.setdefault(tx["name"], tx.get("group") or "other")
    out = []
    for name, group in sorted(names.items()):
        target = slo.target_ms(group)
        best: dict[str, Any] | None = None
        first_over: dict[str, Any] | None = None
        for step in measured:
            tx = next((t for t in step.get("transactions") or [] if t["name"] == name), None)
            if tx is None or tx["count"] < MIN_SAMPLES or tx.get("p95_ms") is None:
                continue
            if tx["p95_ms"] > target:
                first_over = step
                break
            best = {"users": step["users"], "p95_ms": tx["p95_ms"]}
        out.append(
            {
                "transaction": name,
                "group": group,
                "target_ms": target,
                "max_users": best["users"] if best else None,
                "first_over_users": first_over["users"] if first_over else None,
                "p95_ms_at_max": best["p95_ms"] if best else None,
            }
        )
    return out
