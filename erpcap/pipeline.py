"""The pipeline: record a run (Locust plus collectors), then analyse and report it.

``record_run`` owns the run directory while the load runs. Whatever happens — Locust
finishing, Ctrl-C, a crashed target or collector — it stops what it started, merges the
part files that were flushed, and writes the run's final status, so that the run directory
is valid and keeps every request that was recorded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from erpcap.collectors.base import Collector, Registry, parse_collect_spec
from erpcap.compaction import MIN_PARTS
from erpcap.errors import StageError
from erpcap.facts import host_facts, redact_url, versions
from erpcap.generator import GeneratorWatch, tree_cpu_seconds
from erpcap.processes import ManagedProcess
from erpcap.progress import Progress
from erpcap.rundir import RunDir, iso
from erpcap.scenarios.catalog import ROLES, Scenario
from erpcap.scenarios.distribute import (
    DEFAULT_MASTER_PORT,
    DEFAULT_WAIT_S,
    ENV_MASTER,
    MasterOptions,
    joined_workers,
    lost_worker_warnings,
    lost_workers,
    master_argv,
    missing_workers_reason,
    write_master_locustfile,
)
from erpcap.scenarios.launch import DEMO_PASSWORD, locust_command
from erpcap.scenarios.own_locustfile import LocustfileScenario
from erpcap.scenarios.shapes import Shape
from erpcap.words import plural

if TYPE_CHECKING:
    from erpcap.analysis.rules import Slo

#: Seconds Locust may run past the end of its shape before erpcap stops it.
OVERRUN_GRACE_S = 60.0
#: Seconds between progress updates while the load runs.
POLL_S = 0.5
#: Seconds between compactions of the part files while the load runs (erpcap/compaction.py).
COMPACT_EVERY_S = 180.0


@dataclass(frozen=True)
class LoadPlan:
    """What to run: the target, the scenario, the shape, and the collectors around it."""

    target: str
    scenario: Scenario
    shape: Shape
    workers: int = 0
    password: str = DEMO_PASSWORD
    #: Multiplies every think time and arrival gap (0.02 in the demo; 1 = as people think).
    think_scale: float = 1.0
    seed: int | None = None
    timeout_s: float = 60.0
    collect: tuple[str, ...] = ("psutil",)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    #: The open model's arrival schedule as JSON (``--rate``), or None for the closed model.
    rate: str | None = None
    #: ``--stop-when``: the ceiling that ends a ladder early, or None.
    stop_when: str | None = None
    #: ``--master``: Locust's master, waiting for ``expect_workers`` ``erpcap worker``s.
    master: bool = False
    expect_workers: int = 0
    #: Seconds between compactions of the live part files (a soak's folder stays small),
    #: and the fewest small parts of a table worth merging.
    compact_every_s: float = COMPACT_EVERY_S
    compact_min_parts: int = MIN_PARTS
    #: With ``master``: the interface and port workers connect to, and how long to wait.
    master_bind_host: str = "*"
    master_bind_port: int = DEFAULT_MASTER_PORT
    master_wait_s: float = DEFAULT_WAIT_S

    def master_options(self) -> MasterOptions | None:
        """The master's options (:class:`BadInput` when they are wrong), or None."""
        if not self.master:
            return None
        return MasterOptions(
            self.expect_workers, self.master_bind_host, self.master_bind_port, self.master_wait_s
        )

    def describe(self) -> dict[str, Any]:
        doc = self._describe()
        if self.scenario.kind == "rest":  # its think times and per-transaction SLOs
            from erpcap.scenarios.rest import describe_rest

            doc.update(describe_rest(self.scenario))
        return doc

    def _describe(self) -> dict[str, Any]:
        return {
            "target": {"url": redact_url(self.target)},
            "scenario": self.scenario.name,
            "scenario_source": self.scenario.ref,
            # 1.4: the think times, for Little's law in the analysis (which reads no scenario)
            "scenario_users": [
                {
                    "role": m.role,
                    "weight": m.weight,
                    "fixed_count": m.fixed_count,
                    "think_s": m.think_mean(),
                    "paced": ROLES[m.role].paced,
                }
                for m in self.scenario.users
            ],  # fmt: skip
            **_locustfile_meta(self.scenario),
            "shape": self.shape.to_dict(),
            # the open model's schedule (scenarios/rate.py), or None for the closed model
            "rate": json.loads(self.rate) if self.rate else None,
            "parameters": {
                "workers": self.workers,
                "collect": [redact_url(spec) for spec in self.collect],  # DSNs hold passwords
                "users": self.shape.max_users(),
                "duration_s": self.shape.total_duration(),
                "think_scale": self.think_scale,
                "timeout_s": self.timeout_s,
                "stop_when": self.stop_when,  # also when it never fired
            },
        }


def _locustfile_meta(scenario: Scenario) -> dict[str, Any]:
    """run.json's ``scenario_kind`` and, for the user's own locustfile, its user classes
    (``scenario_users`` stays empty: how many requests a task sends is unknown, so the
    think time per request is too)."""
    meta: dict[str, Any] = {"scenario_kind": scenario.kind}
    if isinstance(scenario, LocustfileScenario):
        meta["scenario_classes"] = [c.to_dict() for c in scenario.classes]
    return meta


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C, so a killed erpcap still finalizes its run directory."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _start_collectors(
    run: RunDir, specs: Sequence[str], registry: Registry | None = None
) -> list[Collector]:
    started = []
    for spec in specs:
        collector = parse_collect_spec(spec, registry)
        try:
            collector.start(run)
        except Exception as exc:  # a collector never fails the run
            run.add_warning(f"collector {redact_url(spec)!r} did not start: {exc}")
            continue
        started.append(collector)
    return started


def _stop_collectors(run: RunDir, collectors: Sequence[Collector]) -> None:
    for collector in collectors:
        try:
            collector.stop()
        except Exception as exc:
            run.add_warning(f"collector {collector.name!r} failed while stopping: {exc}")


def _watch(collectors: Sequence[Collector], role: str, pid: int) -> None:
    for collector in collectors:
        collector.watch(role, pid)


def _current_step(run: RunDir) -> dict[str, Any] | None:
    steps = [e for e in run.read_events() if e.get("kind") == "step"]
    return steps[-1] if steps else None


def record_run(
    run: RunDir,
    plan: LoadPlan,
    progress: Progress,
    *,
    watch: Mapping[str, int] | None = None,
    registry: Registry | None = None,
) -> str:
    """Drive ``plan`` against its target, recording into ``run``; return the final status.

    ``registry`` holds the collectors ``plan.collect`` names (default: every registered one,
    erpcap's and plug-ins', :func:`erpcap.collectors.base.default_registry`).
    """
    argv, env = locust_command(
        target=plan.target,
        scenario=plan.scenario,
        shape=plan.shape,
        run_dir=run.path,
        password=plan.password,
        workers=plan.workers,
        think_scale=plan.think_scale,
        seed=plan.seed,
        timeout_s=plan.timeout_s,
        rate=plan.rate,
        stop_when=plan.stop_when,
        extra_env=plan.extra_env,
    )
    master = plan.master_options()
    master_dir: Path | None = None
    if master is not None:  # Locust's master; the workers download the generated locustfile
        master_dir = Path(tempfile.mkdtemp(prefix="erpcap-master-"))
        argv = master_argv(argv, write_master_locustfile(master_dir, env), master)
        env[ENV_MASTER] = "1"
        run.update_meta(master={"expect_workers": master.expect_workers, "bind": master.address})
    run.update_meta(**plan.describe(), versions=versions(), host=host_facts(), started_at=iso())
    run.event("run_started", target=redact_url(plan.target), scenario=plan.scenario.name)
    if isinstance(plan.scenario, LocustfileScenario):  # its own shape class is not used
        for warning in plan.scenario.warnings():
            run.add_warning(warning)
    collectors = _start_collectors(run, plan.collect, registry)
    for role, pid in (watch or {}).items():
        _watch(collectors, role, pid)

    locust = ManagedProcess("locust", argv, log_path=run.path / "logs" / "locust.log", env=env)
    total = plan.shape.total_duration()
    wait_s = master.wait_s if master is not None else 0.0  # before the shape's clock starts
    steps_total = len(plan.shape.steps)
    status, reason = "completed", None
    code: int | None = None
    started = time.monotonic()
    compacted = started
    generator = GeneratorWatch(processes=plan.workers, cores=os.cpu_count())
    try:
        with sigterm_as_interrupt():
            locust.start()
            _watch(collectors, "locust", locust.pid)
            while (code := locust.poll()) is None:
                elapsed = time.monotonic() - started
                if elapsed > total + wait_s + OVERRUN_GRACE_S:
                    run.add_warning("Locust ran past its shape's end and was stopped")
                    code = locust.stop()
                    break
                step = _current_step(run)
                if master is not None and step is None:
                    joined = len(joined_workers(run.read_events()))
                    progress.status(
                        f"waiting for workers: {joined}/{master.expect_workers} connected "
                        f"(port {master.bind_port})",
                        key=f"wait{joined}",
                        elapsed=elapsed,
                        total=master.wait_s,
                    )
                    time.sleep(POLL_S)
                    continue
                where = (
                    f"step {step.get('step')}/{steps_total} · "
                    + plural(int(step.get("users") or 0), "user")
                    if step
                    else "starting users"
                )
                if plan.rate:  # the open model: say when arrivals could not be sent in time
                    where += _dropped_so_far(run)
                if elapsed > total:
                    where += " · shape complete, stopping users"
                if master is None and step is not None:
                    _check_generator(run, progress, generator, locust.pid)
                requests = run.count_rows("requests")
                progress.status(
                    f"{where} · {plural(requests, 'request')} recorded",
                    key=str(step.get("step") if step else ""),
                    elapsed=elapsed,
                    total=total,
                )
                if time.monotonic() - compacted >= plan.compact_every_s:
                    _compact(run, plan.compact_min_parts)
                    compacted = time.monotonic()
                time.sleep(POLL_S)
    except KeyboardInterrupt:
        status, reason = "interrupted", "stopped by the user (Ctrl-C or SIGTERM)"
        progress.stage("interrupted: stopping the load and keeping what was recorded")
        with suppress(KeyboardInterrupt):
            code = locust.stop(grace_s=15.0)
    finally:
        with suppress(KeyboardInterrupt):
            if locust.poll() is None:
                locust.stop()
            _stop_collectors(run, collectors)
            if master_dir is not None:  # the generated locustfile holds the password
                shutil.rmtree(master_dir, ignore_errors=True)
            status, reason = _finish(run, status, reason, code, locust, master)
    return status


def _check_generator(run: RunDir, progress: Progress, watch: GeneratorWatch, pid: int) -> None:
    """Sample the Locust processes' CPU; the first time they are busy (erpcap/generator.py),
    say so on one line and note it as a ``generator_busy`` event and in run.json (so that the
    analysis says it too, also when no collector sampled the CPU)."""
    seconds = tree_cpu_seconds(pid)
    busy = watch.add(time.monotonic(), seconds) if seconds is not None else None
    if busy is not None:
        progress.stage(busy.line())
        run.event("generator_busy", **busy.evidence())
        run.update_meta(generator_busy=busy.evidence())


def _dropped_so_far(run: RunDir) -> str:
    """`` · N arrivals dropped`` from the ``dropped`` events so far ("" when none)."""
    dropped = sum(
        int(e.get("dropped") or 0) for e in run.read_events() if e.get("kind") == "dropped"
    )
    return f" · {plural(dropped, 'arrival')} dropped" if dropped else ""


def _compact(run: RunDir, min_parts: int) -> None:
    """Merge the live part files (erpcap/compaction.py), noting each merge as a
    ``compacted`` event; a failure is a warning, once."""
    from erpcap.compaction import TABLES, compact

    try:
        for table in TABLES:
            merged = compact(run, table, min_parts=min_parts)
            if merged:
                run.event("compacted", table=table, parts=merged)
    except Exception as exc:  # compaction is housekeeping: it never fails the run
        message = f"part files were not compacted: {exc}"
        if message not in (run.read_meta().get("warnings") or []):
            run.add_warning(message)


def in_flight_at_stop(run: RunDir) -> int | None:
    """Requests sent but never finished when the load stopped, summed over the Locust
    processes' ``in_flight`` events; None when no process reported (it was killed)."""
    counts = [
        int(e.get("requests") or 0) for e in run.read_events() if e.get("kind") == "in_flight"
    ]
    return sum(counts) if counts else None


def arrivals_of(events: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The open model's arrivals, summed over the Locust processes' ``arrivals`` events
    (scenarios/arrivals.py): ``{intended, sent, dropped, steps: [{step, ...}]}``; None when
    no process reported.

    >>> arrivals_of([{"kind": "arrivals", "intended": 10, "sent": 9, "dropped": 1,
    ...     "steps": [{"step": 1, "intended": 10, "sent": 9, "dropped": 1}]}] * 2)["dropped"]
    2
    """
    reports = [e for e in events if e.get("kind") == "arrivals"]
    if not reports:
        return None
    fields = ("intended", "sent", "dropped")
    total = {f: sum(int(e.get(f) or 0) for e in reports) for f in fields}
    steps: dict[int, dict[str, int]] = {}
    for report in reports:
        for step in report.get("steps") or []:
            into = steps.setdefault(int(step["step"]), dict.fromkeys(fields, 0))
            for f in fields:
                into[f] += int(step.get(f) or 0)
    return {
        **total,
        "processes": len(reports),
        "drop_after_s": reports[0].get("drop_after_s"),
        "steps": [{"step": n, **counts} for n, counts in sorted(steps.items())],
    }


def stopped_early(run: RunDir) -> dict[str, Any] | None:
    """The load shape's ``--stop-when`` stop (``expr``, ``step``, ``users``, ``observed``,
    ``elapsed_s``), or None when the shape ran to its end."""
    for event in run.read_events():
        if event.get("kind") == "stop" and event.get("reason") == "stop_when":
            return {k: event.get(k) for k in ("expr", "step", "users", "observed", "elapsed_s")}
    return None


def _finish(
    run: RunDir,
    status: str,
    reason: str | None,
    code: int | None,
    locust: ManagedProcess,
    master: MasterOptions | None = None,
) -> tuple[str, str | None]:
    """Merge the part files and write the final status into run.json."""
    rows = run.consolidate("requests")
    for table in ("metrics", "sql_stats"):
        run.consolidate(table)
    if master is not None:  # erpcap run --master: who came, who was lost
        events = run.read_events()
        lost = [str(e.get("worker")) for e in lost_workers(events)]
        run.update_meta(workers=joined_workers(events), lost_workers=lost)
        for warning in lost_worker_warnings(events):
            run.add_warning(warning)
        joined = len(joined_workers(events))
        if status == "completed" and rows == 0 and joined < master.expect_workers:
            status, reason = "failed", missing_workers_reason(events, master)
    if status == "completed" and rows == 0:
        status = "failed"
        reason = f"Locust recorded no requests (exit {code}): {locust.tail(4) or 'no output'}"
    elif status == "completed" and code not in (0, 1):
        # Locust exits 1 when some requests failed; anything else is a crash.
        status = "failed"
        reason = f"Locust exited with code {code}: {locust.tail(4)}"
    in_flight = in_flight_at_stop(run)
    early = stopped_early(run)
    if early is not None:  # the ladder passed its --stop-when ceiling: still a completed run
        run.update_meta(stopped_early=early)
    run.update_meta(
        status=status, ended_at=iso(), exit_reason=reason, requests=rows, in_flight=in_flight
    )
    arrivals = arrivals_of(run.read_events())
    if arrivals is not None:  # the open model: intended, sent and dropped arrivals
        run.update_meta(arrivals=arrivals)
    run.event("run_ended", status=status, requests=rows, reason=reason, in_flight=in_flight)
    return status, reason


def analyze_and_report(
    run: RunDir,
    progress: Progress,
    *,
    formats: Sequence[str] = ("html", "md"),
    lang: str = "en",
    slo: Slo | None = None,
) -> list[Path]:
    """Analyse a recorded run (against ``slo``, default the standard targets) and render its
    reports; return the files written."""
    from erpcap.analysis import analyze_run
    from erpcap.reports import render_reports

    progress.stage("analysing")
    findings = analyze_run(run, slo=slo)
    progress.stage("writing reports")
    paths = [run.file("findings.json"), *render_reports(run, lang=lang, formats=formats)]
    progress.done(f"verdict: {findings['verdict']['status']} — {findings['verdict']['headline']}")
    return paths


def require_requests(run: RunDir) -> None:
    if run.count_rows("requests") == 0:
        meta = run.read_meta()
        raise StageError(
            f"the run recorded no requests ({meta.get('exit_reason') or meta.get('status')})",
            path=run.path,
            hint="see logs/locust.log in the run directory",
        )
