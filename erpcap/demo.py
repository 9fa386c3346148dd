"""``erpcap demo``: the whole pipeline against a reference ERP that erpcap starts itself.

It seeds a small reference ERP database (SQLite inside the run directory by default, or a
PostgreSQL database given by URL), serves it on a free loopback port, drives a stepped
order-entry and query load through Locust while psutil samples CPU and memory, then
analyses the run and writes the reports.

What it watches: the ERP's processes (with SQLite, the database works inside them), the
PostgreSQL server's when the database is PostgreSQL on this machine (and its sessions,
locks and statements through the ``postgres`` collector), and Redis and RabbitMQ when the
profile uses them and they run here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from erpcap.collectors.find import listener_of
from erpcap.errors import BadInput, ErpcapError
from erpcap.facts import redact_url
from erpcap.pipeline import LoadPlan, analyze_and_report, record_run, require_requests
from erpcap.processes import ManagedProcess, free_port, is_loopback
from erpcap.progress import Progress
from erpcap.reference import seed, serve
from erpcap.rundir import RunDir
from erpcap.scenarios.catalog import get_scenario
from erpcap.scenarios.shapes import steps_shape


@dataclass(frozen=True)
class DemoPlan:
    """The demo's size: the data scale and the user ladder (users, seconds per step)."""

    scale: float
    steps: tuple[tuple[int, float], ...]
    #: Think times are scaled down so that a handful of users makes real load.
    think_scale: float


#: About 2.5 minutes: a ladder that takes the legacy profile past its knee on two cores
#: (measured: within targets at 10 users, p95 above 1 s from 20 users, throughput flat).
FULL = DemoPlan(scale=0.3, steps=((5, 30.0), (10, 30.0), (20, 30.0), (40, 30.0)), think_scale=0.02)
#: Database URLs the reference ERP accepts.
DB_SCHEMES = ("sqlite:///", "postgresql://", "postgresql+psycopg://", "postgres://")

#: Under a minute: the same pipeline on less data and a shorter ladder.
QUICK = DemoPlan(scale=0.05, steps=((3, 10.0), (6, 10.0), (12, 10.0)), think_scale=0.03)


def run_demo(
    out: Path,
    *,
    db: str | None,
    quick: bool,
    profile: str,
    progress: Progress,
    formats: tuple[str, ...] = ("html", "md"),
    lang: str = "en",
) -> RunDir:
    """Run the demo into a new run directory under ``out``; return it."""
    plan = QUICK if quick else FULL
    if db is not None and not db.startswith(DB_SCHEMES):
        raise BadInput(
            f"--db {redact_url(db)!r} is not a database the reference ERP runs on",
            hint="use sqlite:///PATH or postgresql://USER@HOST:PORT/DB",
        )
    run = RunDir.create_in(out, "demo")
    db_url = db or f"sqlite:///{(run.path / 'erp.sqlite').resolve()}"
    run.update_meta(erp={"db": redact_url(db_url), "profile": profile, "scale": plan.scale})
    progress.stage(f"run directory {run.path}")

    progress.stage(f"seeding the reference ERP (scale {plan.scale}) into {redact_url(db_url)}")
    guard_meta(
        run,
        lambda: seed(
            db_url, scale=plan.scale, log_path=run.path / "logs" / "seed.log", progress=progress
        ),
    )
    record_reference(
        run,
        db_url,
        steps=plan.steps,
        think_scale=plan.think_scale,
        profile=profile,
        progress=progress,
    )
    require_requests(run)
    analyze_and_report(run, progress, formats=formats, lang=lang)
    return run


#: Where the reference ERP's cache (Redis) and queue (RabbitMQ) listen by default, and the
#: lever that uses each.
_BROKERS = (("redis", 6379, "cache"), ("mq", 5672, "async"))


def _postgres_url(db_url: str) -> str | None:
    """The plain ``postgresql://`` form of a PostgreSQL URL, or None for SQLite.

    >>> _postgres_url("postgresql+psycopg://erp@127.0.0.1:5432/erp"), _postgres_url("sqlite:///x")
    ('postgresql://erp@127.0.0.1:5432/erp', None)
    """
    scheme, sep, rest = db_url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        return None
    return f"postgresql://{rest}"


def database_collectors(db_url: str) -> tuple[str, ...]:
    """The ``--collect`` specs for the demo's database: PostgreSQL's statistics, or none."""
    url = _postgres_url(db_url)
    return (f"postgres={url}",) if url else ()


def services_to_watch(db_url: str, profile: str, levers: Sequence[str] = ()) -> dict[str, int]:
    """``{role: pid}`` of the services the ERP uses that run on this machine: the
    PostgreSQL server (``db``), and with the upgraded profile (or a ``--lever NAME=on`` that
    uses one: ``cache``, ``async``) Redis and RabbitMQ."""
    found: dict[str, int] = {}
    url = _postgres_url(db_url)
    if url:
        parts = urlsplit(url)
        if parts.hostname is None or is_loopback(url):
            pid = listener_of(parts.port or 5432)
            if pid is not None:
                found["db"] = pid
    on = {text.partition("=")[0] for text in levers if text.endswith("=on")}
    for role, port, lever in _BROKERS:
        if profile != "legacy" or lever in on:
            pid = listener_of(port)
            if pid is not None:
                found[role] = pid
    return found


def guard_meta(run: RunDir, work: Callable[[], object]) -> None:
    """Run ``work``; if it fails or is interrupted while the run is still ``running``, write
    the run's final status first, so the run directory says why it holds no load."""
    try:
        work()
    except KeyboardInterrupt:
        if run.read_meta().get("status") == "running":
            run.update_meta(status="interrupted", exit_reason="stopped by the user before the load")
        raise
    except ErpcapError as exc:
        if run.read_meta().get("status") == "running":
            run.update_meta(status="failed", exit_reason=exc.one_line())
        raise


def record_reference(
    run: RunDir,
    db_url: str,
    *,
    steps: Sequence[tuple[int, float]],
    think_scale: float,
    progress: Progress,
    profile: str = "legacy",
    levers: Sequence[str] = (),
    replica_db: str | None = None,
) -> str:
    """Start the reference ERP on an already seeded database, drive the demo-mix ladder
    ``steps`` against it into ``run``, stop the ERP again; return the run's status.

    ``levers`` are ``NAME=on|off`` overrides of ``profile``. Shared by ``erpcap demo`` and
    ``erpcap whatif`` (one call per configuration).
    """
    status = ""

    def work() -> None:
        nonlocal status
        status = _drive(run, db_url, steps, think_scale, progress, profile, levers, replica_db)

    guard_meta(run, work)
    return status


def _drive(
    run: RunDir,
    db_url: str,
    steps: Sequence[tuple[int, float]],
    think_scale: float,
    progress: Progress,
    profile: str,
    levers: Sequence[str],
    replica_db: str | None,
) -> str:
    port = free_port()
    target = f"http://127.0.0.1:{port}"
    label = " ".join([profile, *levers])
    progress.stage(f"starting the reference ERP ({label}) on {target}")
    erp: ManagedProcess | None = None
    try:
        erp = serve(
            db_url,
            port=port,
            profile=profile,
            levers=levers,
            replica_db=replica_db,
            log_path=run.path / "logs" / "erp.log",
        )
        shape = steps_shape(steps, spawn_rate=10)
        progress.stage(
            f"driving the demo-mix load: {' → '.join(str(u) for u, _ in steps)} users, "
            f"{shape.total_duration():.0f} s"
        )
        watch = {"erp": erp.pid, **services_to_watch(db_url, profile, levers)}
        load = LoadPlan(
            target=target,
            scenario=get_scenario("demo-mix"),
            shape=shape,
            think_scale=think_scale,
            collect=("psutil", *database_collectors(db_url)),
        )
        run.update_meta(watched=watch)
        progress.stage(
            "watching " + ", ".join(f"{role} (pid {pid})" for role, pid in watch.items())
        )
        status = record_run(run, load, progress, watch=watch)
        run.update_meta(
            target={
                "url": target,
                "profile": profile,
                "kind": "reference-erp",
                "levers": list(levers),
            }
        )
        return status
    finally:
        if erp is not None:
            progress.stage("stopping the reference ERP")
            erp.stop()
