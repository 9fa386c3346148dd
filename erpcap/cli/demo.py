"""``erpcap demo``: the main job end to end against the reference ERP."""

from __future__ import annotations

import argparse

from erpcap.cli._options import add_out
from erpcap.progress import Progress

HELP = """\
Seed a reference ERP, start it, drive a stepped order-entry and query load through Locust
while psutil samples CPU and memory, then analyse and write report.html, summary.md and
findings.json into a new run directory. Everything runs on this machine (127.0.0.1) and
stops by itself: about 3 minutes, or under one with --quick.

examples:
  erpcap demo --quick
  erpcap demo --out runs --profile upgraded
  erpcap demo --db postgresql://postgres@127.0.0.1:5432/erpcap_demo
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "demo",
        help="run the whole pipeline against the bundled reference ERP",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_out(parser)
    parser.add_argument(
        "--db", help="database URL for the reference ERP (default: SQLite inside the run directory)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smaller, shorter demo (under a minute)"
    )
    parser.add_argument(
        "--profile",
        choices=("legacy", "upgraded"),
        default="legacy",
        help="reference ERP profile (default: legacy)",
    )
    parser.add_argument("--lang", choices=("en", "zh-CN"), default="en", help="report language")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from erpcap.demo import run_demo

    progress = Progress()
    result = run_demo(
        args.out,
        db=args.db,
        quick=args.quick,
        profile=args.profile,
        progress=progress,
        lang=args.lang,
    )
    report = result.file("report.html")
    print(f"report:   {report}")
    print(f"summary:  {result.file('summary.md')}")
    print(f"findings: {result.file('findings.json')}")
    status = result.read_meta().get("status")
    return 0 if status == "completed" else 130 if status == "interrupted" else 1
