"""Operational laws and exact Mean Value Analysis: capacity from measured averages.

Units: times in seconds, throughput per second, utilisation as a fraction 0..1 — any
consistent units work. Demands D_k are the seconds of resource k one transaction needs.

Jain's worked example (demands 0.125 s × 16, 0.3 s × 10, 0.2 s × 5; think time 4 s):

>>> result = mva([0.125 * 16, 0.3 * 10, 0.2 * 5], think_time=4, users=20)
>>> round(result.response_time, 1), round(result.throughput, 4)
(56.0, 0.3332)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def utilisation(throughput: float, service_time: float) -> float:
    """Utilisation law U = X · S.

    >>> utilisation(throughput=40, service_time=0.02)
    0.8
    """
    return throughput * service_time


def service_demand(utilisation: float, throughput: float) -> float:
    """Service demand D = U / X: seconds of a resource per transaction.

    A database at 60 % of one core while orders complete at 12 per second spends 0.05
    CPU-seconds per order:

    >>> round(service_demand(utilisation=0.6, throughput=12), 6)
    0.05
    """
    if throughput <= 0:
        raise ValueError("throughput must be more than 0")
    return utilisation / throughput


def throughput_ceiling(demands: Sequence[float]) -> float:
    """Bottleneck law: X ≤ 1 / D_max; the resource with the largest demand saturates first.

    >>> throughput_ceiling([0.02, 0.05, 0.01])
    20.0
    """
    d_max = max(demands)
    if d_max <= 0:
        raise ValueError("at least one demand must be more than 0")
    return 1 / d_max


def bottleneck(demands: Sequence[float]) -> int:
    """The index of the resource that saturates first (the largest demand).

    >>> bottleneck([0.02, 0.05, 0.01])
    1
    """
    return max(range(len(demands)), key=lambda k: demands[k])


def littles_law(rate: float, time_in_system: float) -> float:
    """Little's law L = λ · W: the number in the system.

    >>> littles_law(rate=5, time_in_system=0.4)
    2.0
    """
    return rate * time_in_system


def response_time(users: float, throughput: float, think_time: float = 0.0) -> float:
    """Interactive response-time law for a closed system: R = N / X − Z.

    >>> response_time(users=100, throughput=20, think_time=4)
    1.0
    """
    if throughput <= 0:
        raise ValueError("throughput must be more than 0")
    return users / throughput - think_time


def check_response_time_law(
    users: float,
    throughput: float,
    response: float,
    think_time: float,
    tolerance: float = 0.15,
) -> str | None:
    """None when measured N, X, R and Z agree with R = N / X − Z, else what is wrong.

    The law gives the users the system must have held, X · (R + Z). Fewer than the load
    generator claims (beyond ``tolerance``, a fraction) means its users spent time neither
    thinking nor in a measured request: the generator saturated, or its timing left out the
    queueing (coordinated omission). More means the response times include time the
    users were not counted for.

    >>> check_response_time_law(users=100, throughput=20, response=1.0, think_time=4) is None
    True
    >>> print(check_response_time_law(users=100, throughput=10, response=1.0, think_time=4))
    ... # doctest: +NORMALIZE_WHITESPACE
    the response-time law does not hold: 100 users at 10/s with R = 1 s and Z = 4 s
    account for 50 users (50% fewer); the load generator saturated or its timing hid
    queueing (coordinated omission)
    """
    if users <= 0:
        raise ValueError("users must be more than 0")
    implied = littles_law(throughput, response + think_time)
    gap = (implied - users) / users
    if abs(gap) <= tolerance:
        return None
    head = (
        f"the response-time law does not hold: {users:g} users at {throughput:g}/s with "
        f"R = {response:g} s and Z = {think_time:g} s account for {implied:.3g} users"
    )
    if gap < 0:
        return (
            f"{head} ({-gap:.0%} fewer); the load generator saturated or its timing hid "
            "queueing (coordinated omission)"
        )
    return f"{head} ({gap:.0%} more); the response times include time outside the users' count"


@dataclass(frozen=True)
class Bounds:
    """Asymptotic bounds at N users: X ≤ x_max and R ≥ r_min."""

    x_max: float
    r_min: float
    #: N* = (D + Z) / D_max: below it think time dominates, above it the bottleneck.
    saturation_users: float


def asymptotic_bounds(demands: Sequence[float], think_time: float, users: float) -> Bounds:
    """X(N) ≤ min(1 / D_max, N / (D + Z)), R(N) ≥ max(D, N · D_max − Z), N* = (D + Z) / D_max.

    >>> b = asymptotic_bounds([2, 3, 1], think_time=4, users=20)
    >>> round(b.x_max, 4), b.r_min, round(b.saturation_users, 2)
    (0.3333, 56, 3.33)
    """
    total = sum(demands)
    d_max = max(demands)
    if d_max <= 0:
        raise ValueError("at least one demand must be more than 0")
    return Bounds(
        x_max=min(1 / d_max, users / (total + think_time)),
        r_min=max(total, users * d_max - think_time),
        saturation_users=(total + think_time) / d_max,
    )


@dataclass(frozen=True)
class MvaResult:
    """Exact MVA at one population: system figures and per-station ones."""

    users: int
    throughput: float
    response_time: float
    residence_times: tuple[float, ...]
    queue_lengths: tuple[float, ...]
    utilisations: tuple[float, ...]


def mva(demands: Sequence[float], think_time: float, users: int) -> MvaResult:
    """Exact Mean Value Analysis of a closed network of queueing stations with think time.

    Each station is a single-server queue with demand D_k (visits × service time). The
    recursion over the population n = 1..N: R_k = D_k (1 + Q_k(n − 1)), X = n / (Z + ΣR_k),
    Q_k = X · R_k.

    >>> r = mva([2, 3, 1], think_time=4, users=1)
    >>> r.response_time, r.throughput
    (6.0, 0.1)
    """
    if users < 1:
        raise ValueError("users must be at least 1")
    if any(d < 0 for d in demands) or not demands:
        raise ValueError("demands must be one or more values of at least 0")
    queues = [0.0] * len(demands)
    residence = [0.0] * len(demands)
    throughput = 0.0
    for n in range(1, users + 1):
        residence = [d * (1 + q) for d, q in zip(demands, queues, strict=True)]
        throughput = n / (think_time + sum(residence))
        queues = [throughput * r for r in residence]
    return MvaResult(
        users=users,
        throughput=throughput,
        response_time=sum(residence),
        residence_times=tuple(residence),
        queue_lengths=tuple(queues),
        utilisations=tuple(throughput * d for d in demands),
    )
