"""Rules about the machines: the host out of CPU, and a load generator too busy to be fair."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from erpcap.analysis.capacity.bottleneck_warnings import workers_advice
from erpcap.analysis.rules.base import Context
from erpcap.findings import Finding, FindingKind, Quantity, Subject, Texts
from erpcap.generator import BUSY_PERCENT, suggested_workers

HOST_CPU = FindingKind(
    id="resources.host_cpu_high",
    stage="resources",
    texts={
        "en": Texts(
            "Host CPU reached {max} (mean {mean})",
            "The machine ran out of CPU during the run; latency beyond this point measures CPU "
            "queueing.",
            "See which process used it (per-process CPU); when the load generator shares the "
            "host with the ERP, run it elsewhere for the capacity figures.",
        ),
        "zh-CN": Texts(
            "主机 CPU 达到 {max}（平均 {mean}）",
            "运行期间这台机器的 CPU 已经用尽；超过这一点后，延迟反映的是 CPU 排队。",
            "查看是哪个进程占用了 CPU（各进程 CPU）；如果压测程序与 ERP 共用一台主机，"
            "请在另一台机器上运行压测以获得容量数据。",
        ),
    },
)

GENERATOR = FindingKind(
    id="generator.saturated",
    stage="resources",
    texts={
        "en": Texts(
            "The load generator was busy ({percent} of a core per process)",
            "A saturated Locust process sends requests late; latencies and throughput then "
            "describe the generator, not the ERP.",
            "{advice}",
        ),
        "zh-CN": Texts(
            "负载生成器过于繁忙（每个进程占用一个核心的 {percent}）",
            "已饱和的 Locust 进程会推迟发送请求；此时的延迟和吞吐量描述的是负载生成器，而不是 ERP。",
            "{advice}",
        ),
    },
)


def host_cpu(ctx: Context) -> Iterable[Finding]:
    cpu = ctx.resources.get("host", {}).get("cpu_percent")
    if not cpu or cpu["max"] < 90:
        return
    yield HOST_CPU.make(
        "warning",
        subject=Subject("resource", "host cpu"),
        values={"max": Quantity(cpu["max"], "percent"), "mean": Quantity(cpu["mean"], "percent")},
        evidence={"cpu_percent": cpu},
    )


def generator_busy(ctx: Context) -> Iterable[Finding]:
    """Locust runs greenlets on one core per process; near 100 % it delays requests.

    Judged over the whole run, through the bottleneck attribution's warning
    (analysis/capacity/bottleneck_warnings.py) per measured step (a generator saturated at
    the top step only is diluted in the run's mean), and from what ``erpcap run`` saw live
    (``generator_busy`` in run.json: 5 s over 80 %, also without a CPU collector). One
    finding, the first of these; its fix names the ``--workers`` that would bring each
    process under 60 % of a core (``suggested_workers`` in the evidence).
    """
    workers = max(1, int(ctx.meta.get("parameters", {}).get("workers") or 1))
    cores = _cores(ctx.meta)
    for proc in ctx.resources.get("processes", []):
        cpu = proc.get("cpu_percent")
        if proc.get("role") != "locust" or not cpu:
            continue
        per_process = cpu["mean"] / workers
        if per_process >= BUSY_PERCENT:
            suggested = suggested_workers(per_process, processes=workers, cores=cores)
            yield GENERATOR.make(
                "warning",
                subject=Subject("resource", "locust cpu"),
                values={"percent": Quantity(per_process, "percent")},
                evidence={"locust_cpu_percent": cpu, "workers": workers, "host_cores": cores,
                          "suggested_workers": suggested},
                phrases={"advice": workers_advice(suggested, workers, cores)},
            )  # fmt: skip
            return
    block = ctx.capacity.get("bottleneck") or {}
    for warning in block.get("warnings") or []:
        if warning.get("id") != GENERATOR.id:
            continue
        ev = warning.get("evidence") or {}
        processes = int(ev.get("workers") or workers)
        percent = float(ev.get("per_process_percent") or 0.0)
        suggested = int(
            ev.get("suggested_workers")
            or suggested_workers(percent, processes=processes, cores=cores)
        )
        yield GENERATOR.make(
            "warning",
            subject=Subject("step", str(ev.get("step"))),
            values={"percent": Quantity(ev.get("per_process_percent"), "percent")},
            evidence={**ev, "suggested_workers": suggested},
            phrases={"advice": workers_advice(suggested, processes, cores)},
        )
        return
    live = ctx.meta.get("generator_busy")
    if isinstance(live, dict) and live.get("per_process_percent"):
        processes = int(live.get("processes") or workers)
        suggested = int(live.get("suggested_workers") or processes + 1)
        yield GENERATOR.make(
            "warning",
            subject=Subject("resource", "locust cpu"),
            values={"percent": Quantity(float(live["per_process_percent"]), "percent")},
            evidence={**live, "seen": "live", "host_cores": live.get("cores", cores)},
            phrases={"advice": workers_advice(suggested, processes, live.get("cores", cores))},
        )


def _cores(meta: dict[str, Any]) -> int | None:
    """The generator host's logical cores (run.json's host facts), or None."""
    count = (meta.get("host") or {}).get("cpu_count")
    return int(count) if isinstance(count, int | float) and count > 0 else None
