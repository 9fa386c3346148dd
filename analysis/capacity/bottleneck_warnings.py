"""Warnings that invalidate the figures: a saturated load generator, and a noisy neighbour.

**Generator**: Locust runs its users' greenlets on one core per process; at 80 % of a core
per process or more it sends requests late, and the run measures the generator. The warning
suggests the ``--workers`` that would bring each process under 60 % (erpcap/generator.py,
the same rule ``erpcap run`` applies live).

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
from erpcap.generator import BUSY_PERCENT, TARGET_PERCENT, suggested_workers

#: Locust CPU per process (% of one core) from which the generator is called saturated.
GENERATOR_PERCENT = BUSY_PERCENT
#: Unwatched CPU, as a share of the host's cores, from which a neighbour is reported …
NEIGHBOUR_SHARE = 0.25
#: … while the host is at least this busy (% of all cores).
NEIGHBOUR_HOST_PERCENT = 50.0


def generator(view: StepView, workers: int, cores: int | None = None) -> dict[str, Any] | None:
    """The generator warning at ``view``, or None."""
    cpu = next((v for r, v in view.cpu.items() if r in GENERATOR_ROLES), None)
    if cpu is None:
        return None
    processes = max(1, workers)
    per_process = cpu / processes
    if per_process < GENERATOR_PERCENT:
        return None
    suggested = suggested_workers(per_process, processes=processes, cores=cores)
    return {
        "id": "generator.saturated",
        "step": view.step,
        "evidence": {"step": view.step, "users": view.users, "locust_cpu_percent": cpu,
                     "workers": processes, "per_process_percent": round(per_process, 1),
                     "host_cores": cores, "suggested_workers": suggested},
        "texts": phrase(
            en=f"The load generator used {per_process:.0f}% of a core per process at step "
            f"{view.step}: it may have sent requests late, so the figures describe it, not the "
            f"system under test. {workers_advice(suggested, processes, cores)['en']}",
            zh_CN=f"第 {view.step} 阶负载生成器每个进程占用一个核心的 {per_process:.0f}%："
            "它可能推迟了请求，此时的数据描述的是负载生成器，而不是被测系统。"
            f"{workers_advice(suggested, processes, cores)['zh-CN']}",
        ),
    }  # fmt: skip


def workers_advice(suggested: int, processes: int, cores: int | None) -> dict[str, str]:
    """What to run next time, in English and Chinese: ``--workers N``, or more machines when
    this one has no more cores than Locust processes.

    >>> workers_advice(2, 1, 4)["en"]
    'Run with --workers 2 to bring each Locust process under 60% of a core.'
    >>> workers_advice(2, 2, 2)["zh-CN"][:16]
    '这台机器已没有更多核心（2 个）'
    """
    if suggested > processes:
        return phrase(
            en=f"Run with --workers {suggested} to bring each Locust process under "
            f"{TARGET_PERCENT:.0f}% of a core.",
            zh_CN=f"请使用 --workers {suggested} 运行，使每个 Locust 进程低于一个核心的 "
            f"{TARGET_PERCENT:.0f}%。",
        )
    return phrase(
        en=f"This machine has no more cores ({cores}) for Locust processes: run the generator "
        "on more machines (erpcap run --master, erpcap worker).",
        zh_CN=f"这台机器已没有更多核心（{cores} 个）可供 Locust 进程使用：请在更多机器上运行负载"
        "生成器（erpcap run --master，erpcap worker）。",
    )


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
