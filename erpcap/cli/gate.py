"""``erpcap gate RUN_DIR --budgets FILE``: judge a run against k6-style budgets for CI.

Exit codes: 0 every budget holds, 1 a budget is breached (or names something the run did
not measure), 2 bad input (a malformed budgets file, an unknown metric, a folder that is not
an analysed run).
"""

from __future__ import annotations

import argparse

from erpcap.errors import BadInput

HELP = "check a run against budgets (k6-style thresholds); exit 1 on a breach"

EPILOG = """\
examples:
  erpcap gate runs/2026-11-25T10-00-00_demo --budgets examples/budgets.yaml
  erpcap gate runs/latest --budgets budgets.yaml --junit junit.xml
  erpcap gate runs/latest --budgets budgets.yaml --baseline runs/2026-11-20T09-00-00_release-1.4

budgets.yaml:
  thresholds:
    http_req_duration: ["p(95)<800", "p(99)<1.5s"]
    http_req_duration{name:create_sales_order}: ["p(95)<1000"]
    http_req_failed: ["rate<0.01"]
    http_reqs: ["rate>5"]

exit codes: 0 all budgets hold, 1 a budget is breached or not measured, 2 bad input.
See docs/budgets.md.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``gate`` subcommand."""
    parser = subparsers.add_parser(
        "gate",
        help=HELP,
        description=HELP[0].upper() + HELP[1:] + ".",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="the analysed run directory")
    parser.add_argument(
        "--budgets", required=True, metavar="FILE", help="YAML file with a 'thresholds' map"
    )
    parser.add_argument(
        "--baseline",
        metavar="RUN_DIR",
        help="an earlier analysed run that relative limits (p(95)<baseline*1.2) refer to",
    )
    parser.add_argument("--junit", metavar="FILE", help="also write JUnit XML to FILE")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Judge the run, print the table, write JUnit if asked; return 0 or 1."""
    from erpcap.analysis.budgets import check_run, load_budgets
    from erpcap.reports.console import gate_table
    from erpcap.reports.junit import write_junit
    from erpcap.rundir import GATE, RunDir

    budgets = load_budgets(args.budgets)
    current = RunDir.open(args.run_dir)
    baseline = RunDir.open(args.baseline) if args.baseline else None
    result = check_run(current, budgets, baseline=baseline)
    findings = current.read_findings()
    gate = result.to_dict(findings_generated_at=findings.get("generated_at"))
    current.write_json(GATE, gate)
    print(gate_table(gate), end="", flush=True)
    if args.junit:
        try:
            write_junit(gate, args.junit)
        except OSError as exc:
            raise BadInput(
                f"cannot write JUnit XML: {exc.strerror}",
                path=args.junit,
                hint="check that the folder exists and is writable",
            ) from exc
    return result.exit_code
