"""``erpcap import KIND PATH… --out RUN_DIR``: others' results and logs into a run directory."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = """\
Read results or logs that another tool wrote into a run directory, so that `erpcap analyze`,
`erpcap report` and `erpcap gate` work on them as on a recorded run.

kinds (erpcap's own; installed plug-ins add theirs):
  locust-csv   Locust's --csv files (PREFIX_stats.csv, _stats_history.csv, _failures.csv),
               or the PREFIX; Locust's own statistics, no per-request rows
  jmeter-jtl   JMeter results (.jtl, CSV with its header line or XML), one row per sample
  pg-log       PostgreSQL server logs (stderr with --log-line-prefix, csvlog, jsonlog; gzip)
  mysql-slow   MySQL/MariaDB slow query logs (gzip too)

Load results make a new run directory at RUN_DIR; logs are added to RUN_DIR, new or an
existing run (statements.parquet). Lines that do not parse are skipped and counted, with the
first place of each reason; --strict makes any skip exit 2 (after keeping what was read).

examples:
  erpcap import jmeter-jtl results.jtl --out runs/jmeter-2026-11
  erpcap import locust-csv old_stats.csv old_stats_history.csv --out runs/old-locust
  erpcap import locust-csv reports/peak --out runs/locust-peak     # --csv reports/peak
  erpcap import pg-log /var/log/postgresql/postgresql-15-main.log.1.gz \\
      --log-line-prefix '%m [%p] %q%u@%d ' --out runs/latest
  erpcap import mysql-slow mysql-slow.log --out runs/customer-db
  erpcap import pg-log postgresql.csv.gz --option tz=Asia/Shanghai --out runs/customer-db

pg-log options: log_line_prefix (--log-line-prefix), format=stderr|csvlog|jsonlog,
tz=ZONE (the server's log_timezone); mysql-slow: tz=ZONE. See docs/importers.md.
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "import",
        help="read Locust CSV, JMeter JTL, PostgreSQL or MySQL logs into a run directory",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("kind", metavar="KIND", help="the format (see the list above)")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files to read")
    parser.add_argument(
        "--out", type=Path, required=True, metavar="RUN_DIR", help="the run directory to fill"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 2 when any line had to be skipped"
    )
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option of the importer (repeatable)",
    )
    parser.add_argument(
        "--log-line-prefix",
        metavar="P",
        help="pg-log: the server's log_line_prefix (SHOW log_line_prefix), e.g. '%%m [%%p] '",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from erpcap.importing import import_files

    options: dict[str, str] = {}
    for item in args.option:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            from erpcap.errors import BadInput

            raise BadInput(f"--option {item!r} is not KEY=VALUE", hint="e.g. --option tz=UTC")
        options[key.strip()] = value
    if args.log_line_prefix is not None:
        options["log_line_prefix"] = args.log_line_prefix
    report = import_files(args.kind, args.paths, args.out, options=options, strict=args.strict)
    print(report.summary())
    for warning in report.warnings:
        print(f"warning: {warning}")
    print(f"run directory: {args.out}")
    return 0
