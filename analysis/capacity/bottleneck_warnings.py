"""Warnings that invalidate the figures: a saturated load generator, and a noisy neighbour.

**Generator**: Locust runs its users' greenlets on one core per process; at 80 % of a core
per process or more it sends requests late, and the run measures the generator.

**Noisy neighbour**: the host's busy cores minus the cores the watched roles used is CPU
that processes outside the watched roles took. When that is at least a quarter of the
host's cores while the host is at least half busy, the ERP competed for the CPU with
something the run did not measure, and its latencies and capacity describe that contest.
A database on this host whose processes are not watched shows as such a neighbour; when it
reports more sessions on the CPU than its watched processes used, the difference (up to the
host's cores) is counted as the database's, and the evidence says so.
"""

from __future__ import annotations

from typing import Any

from erpcap.analysis.capacity.bottleneck_data import StepView
from erpcap.analysis.capacity.demands import GENERATOR_ROLES
from erpcap.findings import phrase

#: Locust CPU per process (% of one core) from which the generator is called saturated.
GENERATOR_PERCENT = 80.0
#: Unwatched CPU, as a share of the host's cores, from which a neighbour is reported …
NEIGHBOUR_SHARE = 0.25
#: … while the host is at least this busy (% of all cores).
NEIGHBOUR_HOST_PERCENT = 50.0


def generator(view: StepView, workers: int) -> dict[str, Any] | None:
    """The generator warning at ``view``, or None."""
    cpu = next((v for r, v in view.cpu.items() if r in GENERATOR_ROLES), None)
    if cpu is None:
        return None
    per_process = cpu / max(1, workers)
    if per_process < GENERATOR_PERCENT:
        return None
    return {
        "id": "generator.saturated",
        "step": view.step,
        "evidence": {"step": view.step, "users": view.users, "locust_cpu_percent": cpu,
                     "workers": max(1, workers), "per_process_percent": round(per_process, 1)},
        "texts": phrase(
            en=f"The load generator used {per_process:.0f}% of a core per process at step "
            f"{view.step}: it may have sent requests late, so the figures describe it, not the "
            "system under test.",
            zh_CN=f"第 {view.step} 阶负载生成器每个进程占用一个核心的 {per_process:.0f}%："
            "它可能推迟了请求，此时的数据描述的是负载生成器，而不是被测系统。",
        ),
    }  # fmt: skip


def neighbour(view: StepView, cores: int | None) -> dict[str, Any] | None:
    """The noisy-neighbour warning at ``view``, or None (also without the host's cores)."""
    if view.host_cpu is None or not cores or not view.cpu:
        return None
    busy = view.host_cpu / 100.0 * cores
    watched = sum(view.cpu.values()) / 100.0
    db_claim = sum(d.busy_sessions * d.classes.get("cpu", 0.0) for d in view.databases)
    unseen_db = max(0.0, min(db_claim, cores) - view.cpu.get("db", 0.0) / 100.0)
    outside = max(0.0, busy - watched)
    unexplained = max(0.0, outside - unseen_db)
    if view.host_cpu < NEIGHBOUR_HOST_PERCENT or unexplained < NEIGHBOUR_SHARE * cores:
        return None
    roles = ", ".join(f"{r} {v / 100:.2f}" for r, v in sorted(view.cpu.items()))
    return {
        "id": "host.noisy_neighbour",
        "step": view.step,
        "evidence": {
            "step": view.step, "users": view.users, "host_cpu_percent": view.host_cpu,
            "host_cores": cores, "busy_cores": round(busy, 3), "watched_cores": round(watched, 3),
            "outside_cores": round(outside, 3), "database_unwatched_cores": round(unseen_db, 3),
            "unexplained_cores": round(unexplained, 3), "roles": dict(view.cpu),
        },
        "texts": phrase(
            en=f"At step {view.step} the host had {busy:.2f} of its {cores} cores busy, but the "
            f"watched processes used only {watched:.2f} ({roles}): {unexplained:.2f} cores went "
            "to processes outside the watched roles.",
            zh_CN=f"第 {view.step} 阶主机 {cores} 个核心中有 {busy:.2f} 个在忙，而被监视的进程只用了 "
            f"{watched:.2f} 个（{roles}）：另有 {unexplained:.2f} 个核心被监视角色之外的进程占用。",
        ),
    }  # fmt: skip
