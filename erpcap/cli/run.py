"""``erpcap run``: drive a scenario against a target ERP and record a run directory."""

from __future__ import annotations

import argparse
from typing import Any

from erpcap.cli._options import add_out
from erpcap.scenarios.launch import DEMO_PASSWORD

HELP = """\
Drive a Locust scenario against an ERP's HTTP API while collectors sample metrics, then
analyse the run and write its reports. The run directory is created under --out and keeps
everything recorded, also when the run is interrupted (Ctrl-C).

Targets other than this machine (127.0.0.1, ::1, localhost) are refused unless their host
is named with --allow-target HOST (repeatable) or under allow_targets in erpcap.yaml (in the
working folder, or the file ERPCAP_CONFIG names): a load test is only for systems you are
allowed to load.

examples:
  erpcap run --target http://127.0.0.1:8000 --scenario demo-mix --users 20 --duration 2m
  erpcap run --target http://127.0.0.1:8000 --shape steps --users 40 --duration 5m
  erpcap run --target http://127.0.0.1:8080 --scenario tests/locustfile.py --users 20 --duration 2m
      (your own locustfile, its user classes untouched; see docs/own-locustfile.md)
  erpcap run --target http://127.0.0.1:8000 --shape ladder.yaml --collect psutil:interval=0.5
  erpcap run --target http://127.0.0.1:8069 --scenario odoo.yaml --users 20   # any ERP: docs/declarative-scenarios.md
  erpcap run --target http://127.0.0.1:8000 --scenario peak-order --rate 30/s --duration 5m
  erpcap run --target http://127.0.0.1:8000 --rate rate.yaml --users 80   # docs/open-model.md
  erpcap run --target http://127.0.0.1:8000 --shape steps --users 40 \\
      --collect psutil --collect postgres=postgresql://monitor@127.0.0.1:5432/erp --watch db=~postgres
  # the load from two machines running `erpcap worker --master-host THIS_HOST` (docs/workers.md)
  erpcap run --target http://10.0.0.9:8000 --allow-target 10.0.0.9 --master --expect-workers 2

shapes (--shape KIND, or a YAML file with one of steps, ladder, constant, ramp, spike, soak):
  steps      a ladder up to --users (1 2 4 8, then even steps), --duration shared by the steps
             erpcap run --target URL --shape steps --users 24 --duration 8m
  ladder     the capacity ladder: the same levels, each held 60 s (or --duration shared),
             ended early by --stop-when at the first step past the ceiling
             erpcap run --target URL --shape ladder --users 40 --stop-when "p95>2s or errors>5%"
  constant   --users for --duration (the default)
             erpcap run --target URL --shape constant --users 20 --duration 10m
  ramp       from 0 to --users evenly over --duration
             erpcap run --target URL --shape ramp --users 50 --duration 5m
  spike      --users, then 5 times as many for the middle 20 % of --duration, then back
             erpcap run --target URL --shape spike --users 10 --duration 6m
  soak       --users for hours (default 4h); part files are compacted while it runs
             erpcap run --target URL --shape soak --users 20 --duration 8h
  mixed-day  the mixed-day scenario's working day (morning orders, afternoon queries, evening
             close) compressed into --duration; the default shape of --scenario mixed-day
             erpcap run --target URL --scenario mixed-day --users 30 --duration 30m
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "run",
        help="load-test a target and record a run directory",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--target", required=True, help="base URL of the ERP's HTTP API")
    parser.add_argument(
        "--scenario",
        default="demo-mix",
        help="scenario name, YAML file, or your own locustfile (.py) (default: demo-mix)",
    )
    parser.add_argument(
        "--shape",
        help="steps, ladder, constant, ramp, spike, soak, mixed-day, or a YAML shape file "
        "(default: constant; mixed-day for --scenario mixed-day; see the list above)",
    )
    parser.add_argument(
        "--users",
        type=int,
        help="users (the top of the ladder for --shape steps or ladder; default 10; with "
        "--rate, the most users the arrivals may keep busy at once)",
    )
    parser.add_argument(
        "--rate",
        metavar="RATE|FILE",
        help="the open model: start transactions on a schedule whatever the responses do, "
        "e.g. 30/s, 600/m, or a YAML rate schedule (constant, ramp, steps)",
    )
    parser.add_argument(
        "--stop-when",
        metavar="EXPR",
        help='end a ladder early once a step passes a ceiling, e.g. "p95>2s or errors>5%%" '
        "(p50 p90 p95 p99 mean max > or >= a duration; errors > or >= a percentage; joined by "
        "and/or; judged at the end of each step, after its warm-up)",
    )
    parser.add_argument("--duration", help="total duration: 90, 90s, 2m, 1h (default 60s)")
    parser.add_argument("--spawn-rate", type=float, help="users started per second")
    parser.add_argument(
        "--workers", type=int, default=0, help="Locust worker processes (0: one process)"
    )
    parser.add_argument(
        "--master",
        action="store_true",
        help="run as Locust's master and let `erpcap worker --master-host H` on other machines "
        "send the load (with --expect-workers)",
    )
    parser.add_argument(
        "--expect-workers", type=int, default=0, help="with --master: workers to wait for"
    )
    parser.add_argument(
        "--master-bind-host",
        default="*",
        metavar="ADDR",
        help="with --master: the interface workers connect to (default: *, every interface)",
    )
    parser.add_argument(
        "--master-bind-port",
        type=int,
        default=5557,
        metavar="PORT",
        help="with --master: the TCP port workers connect to (default: 5557; open it to them)",
    )
    parser.add_argument(
        "--wait-workers",
        metavar="DURATION",
        help="with --master: how long to wait for the workers before failing (default 5m)",
    )
    parser.add_argument(
        "--collect",
        action="append",
        default=None,
        metavar="SPEC",
        help="collector spec, repeatable: psutil, postgres=URL, scrape=URL, … "
        "(default: psutil; 'none' for no collector; see docs/collectors.md)",
    )
    parser.add_argument(
        "--password",
        default=DEMO_PASSWORD,
        help=f"password of the ERP's demo users (default: {DEMO_PASSWORD})",
    )
    parser.add_argument(
        "--think-scale",
        type=float,
        help="multiply think times by this factor (e.g. 0.1 for short tests)",
    )
    add_out(parser)
    parser.add_argument(
        "--label", help="name of the run folder after its timestamp (default: the scenario)"
    )
    parser.add_argument(
        "--allow-target",
        action="append",
        default=[],
        metavar="HOST",
        help="allow a target on this host although it is not this machine (repeatable; "
        "also allow_targets in erpcap.yaml)",
    )
    parser.add_argument(
        "--no-report", action="store_true", help="record only; analyse and report later"
    )
    parser.add_argument(
        "--watch",
        action="append",
        default=[],
        metavar="ROLE=PID|~PATTERN",
        help="also sample this process tree as ROLE, by pid or by a regular expression on "
        "its command line (repeatable; e.g. db=~postgres); the target's own processes are "
        "found by its port and watched as 'target'",
    )
    parser.add_argument(
        "--skip-login-check",
        action="store_true",
        help="start the load without logging in once first (by default a refused login stops "
        "the run before it starts, exit 2)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from erpcap.allowlist import require_allowed_target
    from erpcap.collectors.base import parse_collect_spec
    from erpcap.collectors.find import parse_watch
    from erpcap.errors import BadInput
    from erpcap.pipeline import LoadPlan, analyze_and_report, record_run, require_requests
    from erpcap.processes import check_reachable, require_http_url
    from erpcap.progress import Progress
    from erpcap.rundir import RunDir
    from erpcap.scenarios.catalog import resolve_scenario
    from erpcap.scenarios.preflight import check_login
    from erpcap.scenarios.shapes import check_shape_fits, shape_from_args

    require_http_url(args.target)
    require_allowed_target(args.target, args.allow_target)
    if args.workers < 0:
        raise BadInput(f"--workers must be 0 or more, got {args.workers}")
    if args.think_scale is not None and args.think_scale < 0:
        raise BadInput(f"--think-scale must be 0 or more, got {args.think_scale}")
    if args.expect_workers and not args.master:
        raise BadInput("--expect-workers needs --master")
    if args.master and args.workers:
        raise BadInput("use --workers (this machine) or --master (other machines), not both")
    if args.master and args.expect_workers < 1:
        raise BadInput(
            "--master needs --expect-workers N (the `erpcap worker`s to wait for)",
            hint="e.g. --master --expect-workers 2",
        )
    scenario = resolve_scenario(args.scenario)
    rate = None
    if args.rate:  # the open model (scenarios/rate.py)
        from erpcap.scenarios.rate import rate_from_args

        for option, value in (("--shape", args.shape), ("--spawn-rate", args.spawn_rate)):
            if value is not None:
                raise BadInput(f"{option} does not apply with --rate: the schedule sets the load",
                               hint="use --rate with --duration and --users (the pool)")  # fmt: skip

        rate, shape = rate_from_args(args.rate, users=args.users, duration=args.duration)
    else:
        kind = args.shape or ("mixed-day" if scenario.name == "mixed-day" else None)
        shape = shape_from_args(
            kind, users=args.users, duration=args.duration, spawn_rate=args.spawn_rate
        )
        check_shape_fits(shape, scenario, stop_when=args.stop_when)
    if args.stop_when:  # scenarios/stop_when.py: fails here, before anything starts
        from erpcap.scenarios.stop_when import parse_stop_when

        parse_stop_when(args.stop_when)
    collect = tuple(args.collect) if args.collect is not None else ("psutil",)
    if collect == ("none",):  # no collector at all (a baseline for measuring their cost)
        collect = ()
    for spec in collect:
        parse_collect_spec(spec)  # bad specs fail before anything starts
    watches = [parse_watch(text) for text in args.watch]
    check_reachable(args.target)
    if not args.skip_login_check:
        check_login(args.target, scenario, args.password)
    watch, notes = _processes_to_watch(args.target, watches)

    plan = LoadPlan(
        target=args.target,
        scenario=scenario,
        shape=shape,
        workers=args.workers,
        password=args.password,
        think_scale=1.0 if args.think_scale is None else args.think_scale,
        collect=collect,
        rate=rate,
        stop_when=args.stop_when,
        master=args.master,
        expect_workers=args.expect_workers,
        master_bind_host=args.master_bind_host,
        master_bind_port=args.master_bind_port,
        master_wait_s=_wait_workers(args.wait_workers),
    )
    if plan.master_options() is not None:  # bad master options fail before anything starts
        _require_master_port(args.master_bind_host, args.master_bind_port)
    progress = Progress()
    run_dir = RunDir.create_in(args.out, args.label or scenario.name)
    progress.stage(f"run directory {run_dir.path}")
    for note in notes:
        run_dir.add_warning(note)
    if watch:
        run_dir.update_meta(watched=dict(watch))
        progress.stage(
            "watching " + ", ".join(f"{role} (pid {pid})" for role, pid in watch.items())
        )
    status = record_run(run_dir, plan, progress, watch=watch)
    progress.stage(f"run {status}: {run_dir.count_rows('requests'):,} requests recorded")
    if not args.no_report:
        require_requests(run_dir)
        analyze_and_report(run_dir, progress)
        print(f"report:   {run_dir.file('report.html')}")
    print(f"run directory: {run_dir.path}")
    return 0 if status == "completed" else 130 if status == "interrupted" else 1


def _require_master_port(host: str, port: int) -> None:
    from erpcap.errors import TargetError
    from erpcap.processes import ensure_port_free

    try:
        ensure_port_free("0.0.0.0" if host == "*" else host, port)
    except TargetError as exc:
        raise TargetError(exc.message, hint="choose another --master-bind-port") from exc


def _wait_workers(text: str | None) -> float:
    """``--wait-workers`` in seconds (default 5 minutes)."""
    from erpcap.scenarios.distribute import DEFAULT_WAIT_S
    from erpcap.scenarios.shapes import parse_duration

    return DEFAULT_WAIT_S if text is None else parse_duration(text, what="--wait-workers")


def _processes_to_watch(target: str, watches: list[Any]) -> tuple[dict[str, int], list[str]]:
    """``{role: pid}`` of the target's own server (by its port, when it runs here) and of
    each ``--watch``; and a warning for what could not be found."""
    from urllib.parse import urlsplit

    from erpcap.collectors.find import listener_of
    from erpcap.processes import is_loopback

    watch: dict[str, int] = {}
    notes: list[str] = []
    if is_loopback(target):
        parts = urlsplit(target)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        pid = listener_of(port)
        if pid is None:
            notes.append(
                f"no process of this machine was found listening on port {port}: the "
                "target's own CPU and memory are not measured"
            )
        else:
            watch["target"] = pid
    for spec in watches:
        pid = spec.resolve()
        if pid is None:
            notes.append(f"--watch {spec.role}: no process matches {spec.pattern!r}; not watched")
        else:
            watch[spec.role] = pid
    return watch, notes
