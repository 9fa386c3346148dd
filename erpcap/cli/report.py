"""``erpcap report RUN_DIR``: render a run's findings as HTML, Markdown and JSON."""

from __future__ import annotations

import argparse
import sys

from erpcap.reports.i18n import LANGUAGES

HELP = "render report.html / summary.md / summary.json from a run's findings"

EPILOG = """\
examples:
  erpcap report runs/2026-11-25T10-00-00_demo
  erpcap report runs/2026-11-25T10-00-00_demo --lang zh-CN --format html,md,json

The run must have been analysed (`erpcap analyze RUN_DIR` writes findings.json); the report
never recomputes anything. Files are written into the run directory.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``report`` subcommand."""
    parser = subparsers.add_parser(
        "report",
        help=HELP,
        description=HELP[0].upper() + HELP[1:] + ".",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="the run directory")
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default="en",
        help="language of the report (default: en)",
    )
    parser.add_argument(
        "--format",
        dest="formats",
        default="html,md",
        metavar="LIST",
        help="comma-separated formats: html, md, json (default: html,md)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Render the reports and print the path of each file written."""
    from erpcap.reports import parse_formats, render_reports
    from erpcap.rundir import RunDir

    formats = parse_formats(args.formats)
    run_dir = RunDir.open(args.run_dir)
    for path in render_reports(run_dir, lang=args.lang, formats=formats):
        print(path)
    sys.stdout.flush()
    return 0
