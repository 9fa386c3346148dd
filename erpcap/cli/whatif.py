"""``erpcap whatif``: the reference ERP's ladder on legacy, each lever alone and all levers."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

HELP = """\
Measure what each lever of the bundled reference ERP buys. The ERP is seeded once; then
for each configuration — legacy, each lever on alone, all levers on — a copy of the seeded
database is made, the ERP is started on it, the same ladder of users is driven through it,
and the run is analysed into its own run directory. whatif.json, whatif.md and whatif.html
in the parent folder give per configuration the capacity at the p95 target (users and
successful req/s, interpolated between steps), the gain against legacy, the levers ranked,
and the legacy run's plan beside them. The databases it made are dropped at the end unless
--keep. Ctrl-C stops everything and keeps what finished.

examples:
  erpcap whatif --quick
  erpcap whatif --db postgresql://postgres@127.0.0.1:5432/erpcap_whatif --scale 1
  erpcap whatif --levers indexes,cache --steps 5,10,20 --step-seconds 15 --slo-p95-ms 800
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from erpcap.whatif_capacity import LEVER_CATEGORIES

    parser = sub.add_parser(
        "whatif",
        help="measure each reference-ERP lever against legacy and rank them",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("runs"),
        help="parent folder of the whatif folder (default: runs)",
    )
    parser.add_argument(
        "--db",
        help="database for the reference ERP: postgresql://USER@HOST:PORT/NAME (NAME prefixes "
        "the databases whatif creates) or sqlite:///NEW_FILE (default: SQLite in the folder)",
    )
    parser.add_argument("--scale", help="data scale of the seeded ERP (default 0.3; quick 0.05)")
    parser.add_argument(
        "--levers",
        help=f"comma-separated levers to try (default all: {','.join(LEVER_CATEGORIES)})",
    )
    parser.add_argument("--steps", help="users per step, rising (default 5,10,20,40)")
    parser.add_argument("--step-seconds", help="seconds per step (default 20; quick 8)")
    parser.add_argument(
        "--slo-p95-ms", help="the p95 response-time target in milliseconds (default 500)"
    )
    parser.add_argument(
        "--think-scale",
        help="multiplies every think time of the demo mix (default 0.02: a few users make "
        "real load; larger values move the knee to more users)",
    )
    parser.add_argument(
        "--replica-db", help="a replica of the database, to try the replica lever with"
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases it created")
    parser.add_argument(
        "--no-all", action="store_true", help="do not run all the levers together at the end"
    )
    parser.add_argument(
        "--quick", action="store_true", help="less data and a short ladder (a few minutes)"
    )
    parser.set_defaults(func=run)


def _number(text: str | None, option: str, low: float, high: float) -> float | None:
    """``text`` as a number in (low, high], or BadInput naming the option."""
    from erpcap.errors import BadInput

    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low < value <= high):
        raise BadInput(
            f"{option} {text!r} must be a number above {low:g} and at most {high:g}",
            hint=f"for example {option} {high / 10:g}" if high < 1000 else None,
        )
    return value


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from erpcap.progress import Progress
    from erpcap.whatif import QUICK, WhatifPlan, parse_levers, parse_steps, run_whatif

    plan = QUICK if args.quick else WhatifPlan()
    scale = _number(args.scale, "--scale", 0.0, 100.0)
    seconds = _number(args.step_seconds, "--step-seconds", 0.0, 3600.0)
    target = _number(args.slo_p95_ms, "--slo-p95-ms", 0.0, 600_000.0)
    think = _number(args.think_scale, "--think-scale", 0.0, 10.0)
    plan = replace(
        plan,
        scale=scale if scale is not None else plan.scale,
        step_seconds=seconds if seconds is not None else plan.step_seconds,
        slo_p95_ms=target if target is not None else plan.slo_p95_ms,
        think_scale=think if think is not None else plan.think_scale,
        levers=parse_levers(args.levers) if args.levers is not None else plan.levers,
        steps=parse_steps(args.steps) if args.steps is not None else plan.steps,
        replica_db=args.replica_db,
        keep=args.keep,
        all_levers=not args.no_all,
    )
    folder = run_whatif(args.out, db=args.db, plan=plan, progress=Progress())
    print(f"whatif:   {folder / 'whatif.html'}")
    print(f"summary:  {folder / 'whatif.md'}")
    print(f"results:  {folder / 'whatif.json'}")
    doc = json.loads((folder / "whatif.json").read_text(encoding="utf-8"))
    failed = [c["name"] for c in doc["configurations"] if c.get("status") != "completed"]
    return 1 if failed else 0
