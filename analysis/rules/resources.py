"""Rules about the machines: the host out of CPU, and a load generator too busy to be fair."""

from __future__ import annotations

from collections.abc import Iterable

from erpcap.analysis.rules.base import Context
from erpcap.findings import Finding, FindingKind, Quantity, Subject, Texts

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
            "Run with more Locust worker processes (--workers) or on another machine.",
        ),
        "zh-CN": Texts(
            "负载生成器过于繁忙（每个进程占用一个核心的 {percent}）",
            "已饱和的 Locust 进程会推迟发送请求；此时的延迟和吞吐量描述的是负载生成器，而不是 ERP。",
            "增加 Locust 工作进程（--workers）或在另一台机器上运行。",
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

    Judged over the whole run and, through the bottleneck attribution's warning
    (analysis/capacity/bottleneck_warnings.py), per measured step: a generator saturated at
    the top step only is diluted in the run's mean. One finding, the whole run's first.
    """
    workers = max(1, int(ctx.meta.get("parameters", {}).get("workers") or 1))
    for proc in ctx.resources.get("processes", []):
        cpu = proc.get("cpu_percent")
        if proc.get("role") != "locust" or not cpu:
            continue
        per_process = cpu["mean"] / workers
        if per_process >= 80:
            yield GENERATOR.make(
                "warning",
                subject=Subject("resource", "locust cpu"),
                values={"percent": Quantity(per_process, "percent")},
                evidence={"locust_cpu_percent": cpu, "workers": workers},
            )
            return
    block = ctx.capacity.get("bottleneck") or {}
    for warning in block.get("warnings") or []:
        if warning.get("id") != GENERATOR.id:
            continue
        ev = warning.get("evidence") or {}
        yield GENERATOR.make(
            "warning",
            subject=Subject("step", str(ev.get("step"))),
            values={"percent": Quantity(ev.get("per_process_percent"), "percent")},
            evidence=dict(ev),
        )
        return
