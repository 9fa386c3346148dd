"""``erpcap analyze RUN_DIR``: compute findings.json and intervals.parquet."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = """\
Analyse a run directory: per-transaction and per-step statistics (exact percentiles from
every request), resource summaries, slow SQL (from statements.parquet and sql_stats.parquet:
ranked statements, anti-patterns, index advice), findings with evidence, and a verdict. Writes
findings.json and intervals.parquet into the run directory.

examples:
  erpcap analyze runs/2026-11-25T10-00-00_demo
  erpcap analyze runs/latest --slo-p95-ms 500 --error-rate 0.005
  erpcap analyze runs/customer-db --dsn postgresql://erp@db1/erp   # index advice on slow SQL

Without --slo-p95-ms and --error-rate, each transaction with its own slo: in a declarative
scenario (docs/declarative-scenarios.md) is judged by it; the options replace those targets.
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "analyze",
        help="compute findings for a run directory",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    parser.add_argument(
        "--slo-p95-ms",
        type=float,
        help="p95 target for online (order/query) transactions, ms (default 1000)",
    )
    parser.add_argument(
        "--error-rate", type=float, help="highest acceptable error rate, 0..1 (default 0.01)"
    )
    parser.add_argument(
        "--dsn",
        metavar="URL",
        help="a database URL for the SQL analyses' catalog reads and index advice (HypoPG); "
        "default: the run's postgres collector URL when it holds no password",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace findings.json even when the run now holds fewer requests than it did",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from erpcap.analysis import Slo, analyze_run
    from erpcap.errors import BadInput
    from erpcap.rundir import RunDir

    run_dir = RunDir.open(args.run_dir)
    # Targets given here replace the scenario's per-transaction ones (analyze_run's default).
    explicit = args.slo_p95_ms is not None or args.error_rate is not None
    slo = Slo()
    if args.slo_p95_ms is not None:
        if args.slo_p95_ms <= 0:
            raise BadInput(f"--slo-p95-ms must be more than 0, got {args.slo_p95_ms}")
        slo.p95_ms.update(
            {"order": args.slo_p95_ms, "query": args.slo_p95_ms, "other": args.slo_p95_ms}
        )
    if args.error_rate is not None:
        if not 0 <= args.error_rate <= 1:
            raise BadInput(f"--error-rate must be between 0 and 1, got {args.error_rate}")
        slo = Slo(p95_ms=slo.p95_ms, error_rate=args.error_rate)
    findings = analyze_run(run_dir, slo=slo if explicit else None, force=args.force, dsn=args.dsn)
    verdict = findings["verdict"]
    print(f"{verdict['status'].upper()}: {verdict['headline']}")
    for finding in findings["findings"]:
        print(f"  [{finding['severity']}] {finding['title']}")
    print(f"findings: {run_dir.file('findings.json')}")
    return 0
