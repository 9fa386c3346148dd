"""``erpcap compare RUN_A RUN_B``: before and after, per transaction and on capacity, with a
significance test so that noise is not sold as a gain."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from erpcap.errors import BadInput

HELP = "compare two analysed runs (before A, after B) with significance tests"

EPILOG = """\
examples:
  erpcap compare runs/2026-11-20T09-00-00_legacy runs/2026-11-25T10-00-00_indexed
  erpcap compare runs/before runs/after --json compare.json --html compare.html
  erpcap compare runs/release-1.4 runs/latest --fail-on-regression     # in CI: exit 1 if slower

Per transaction (successful requests, response time): count, p50, p95 of A and B, a
Mann-Whitney test (Holm-corrected across transactions) and a bootstrap interval of the p95
difference; a verdict of faster, slower or no significant change. Capacity: the peak
successful throughput with intervals, the largest load within the SLO, the USL peaks when
both runs have a fit. Both runs must be analysed (`erpcap analyze RUN_DIR`).

exit codes: 0 compared, 1 a regression with --fail-on-regression, 2 bad input.
See docs/compare.md.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``compare`` subcommand."""
    parser = subparsers.add_parser(
        "compare",
        help=HELP,
        description=HELP[0].upper() + HELP[1:] + ".",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_a", metavar="RUN_A", help="the run before the change (baseline)")
    parser.add_argument("run_b", metavar="RUN_B", help="the run after the change")
    parser.add_argument("--json", metavar="FILE", help="also write the comparison as JSON")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML page")
    parser.add_argument(
        "--alpha",
        type=float,
        default=0.05,
        help="significance level, after Holm's correction (default: 0.05)",
    )
    parser.add_argument(
        "--min-effect",
        type=float,
        default=0.05,
        metavar="SHARE",
        help="smallest p95 change worth calling, as a share (default: 0.05 = 5 %%)",
    )
    parser.add_argument(
        "--fail-on-regression",
        action="store_true",
        help="exit 1 when a transaction is significantly slower or capacity dropped",
    )
    parser.set_defaults(func=run)


def _write(path: str, text: str, what: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BadInput(
            f"cannot write the {what}: {exc.strerror}",
            path=path,
            hint="check that the folder exists and is writable",
        ) from exc


def run(args: argparse.Namespace) -> int:
    """Compare, print the Markdown tables, write JSON/HTML if asked; return 0, 1 or 2."""
    from erpcap.analysis.compare import compare_runs
    from erpcap.reports.compare_html import render_html
    from erpcap.reports.compare_markdown import render_markdown

    if not (math.isfinite(args.alpha) and 0 < args.alpha < 1):
        raise BadInput(f"--alpha must be between 0 and 1, got {args.alpha}", hint="e.g. 0.05")
    if not (math.isfinite(args.min_effect) and 0 <= args.min_effect < 10):
        raise BadInput(
            f"--min-effect must be a share of 0 or more, got {args.min_effect}",
            hint="0.05 means 5 %",
        )
    doc = compare_runs(args.run_a, args.run_b, alpha=args.alpha, min_effect=args.min_effect)
    if args.json:
        _write(args.json, json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "JSON")
    if args.html:
        _write(args.html, render_html(doc), "HTML page")
    print(render_markdown(doc), end="", flush=True)
    return 1 if args.fail_on_regression and doc["regression"] else 0
