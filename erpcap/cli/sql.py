"""``erpcap sql analyze INPUT…``: slow SQL from a customer's logs, without a run directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

HELP = """\
Slow SQL, standalone: read PostgreSQL logs, MySQL/MariaDB slow logs or a pg_stat_statements
export, rank the statements by the time they took (per fingerprint: calls, total, mean, p95,
max, rows, lock time, share of all statement time, a latency histogram, the slowest
execution's text), run the SQL analyses (anti-patterns, operations, index advice), print
the top statements, and write JSON and a one-file HTML report.

examples:
  erpcap sql analyze /var/log/postgresql/postgresql-15-main.log.1.gz --html slow.html
  erpcap sql analyze postgresql.log --log-line-prefix '%m [%p] %q%u@%d ' --top 30
  erpcap sql analyze mysql-slow.log --json slow.json --html slow.html --lang zh-CN
  erpcap sql analyze pgss.csv --format pgss    # \\copy (select * from pg_stat_statements) to 'pgss.csv' csv header
"""

ANALYZE_HELP = """\
Rank statements and find what is wrong with them, from logs or a pg_stat_statements export.

formats (--format, default auto: told per file by its first lines):
  pg-log       PostgreSQL stderr log (with --log-line-prefix, default '%m [%p] ')
  pg-csvlog    PostgreSQL csvlog          pg-jsonlog   PostgreSQL jsonlog (15+)
  mysql-slow   MySQL/MariaDB slow query log
  pgss         CSV export of pg_stat_statements (with its header line)
gzip files are read as they are. Lines that do not parse are skipped and counted.

examples:
  erpcap sql analyze postgresql.log.gz --html slow.html
  erpcap sql analyze slow.log --format mysql-slow --top 10 --json slow.json
  erpcap sql analyze postgresql.csv --option tz=Asia/Shanghai --lang zh-CN --html slow.html
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "sql",
        help="slow SQL from logs or pg_stat_statements (erpcap sql analyze)",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inner = parser.add_subparsers(dest="sql_command", metavar="SUBCOMMAND")
    inner.required = True
    analyze = inner.add_parser(
        "analyze",
        help="rank statements and run the SQL analyses",
        description=ANALYZE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    analyze.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="files to read")
    analyze.add_argument(
        "--format",
        default="auto",
        choices=("auto", "pg-log", "pg-csvlog", "pg-jsonlog", "mysql-slow", "pgss"),
        help="the input format (default auto)",
    )
    analyze.add_argument(
        "--log-line-prefix",
        metavar="P",
        help="pg-log: the server's log_line_prefix (SHOW log_line_prefix), e.g. '%%m [%%p] '",
    )
    analyze.add_argument("--dsn", metavar="URL", help="a database URL for index advice")
    analyze.add_argument(
        "--top", type=int, default=20, metavar="N", help="statements listed (default 20)"
    )
    analyze.add_argument("--html", type=Path, metavar="FILE", help="write the HTML report")
    analyze.add_argument("--json", type=Path, metavar="FILE", help="write the JSON document")
    analyze.add_argument(
        "--lang", default="en", choices=("en", "zh-CN"), help="the HTML report's language"
    )
    analyze.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="tz=ZONE: the server's log_timezone (repeatable)",
    )
    analyze.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from erpcap.analysis.sql.run import analyze_sql
    from erpcap.collectors.importers.base import ImportReport
    from erpcap.errors import BadInput
    from erpcap.progress import Progress
    from erpcap.reports.sql_report import terminal_table, write_html
    from erpcap.sqlinput import check_options, group, pgss, statements

    if args.top < 1:
        raise BadInput(f"--top must be 1 or more, got {args.top}")
    pairs: dict[str, str] = {}
    for item in args.option:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise BadInput(f"--option {item!r} is not KEY=VALUE", hint="e.g. --option tz=UTC")
        pairs[key.strip()] = value
    options = check_options(pairs)
    progress = Progress()
    groups = group(args.inputs, args.format)
    reports: dict[str, ImportReport] = {}
    stats = None
    if "pgss" in groups:
        reports["pgss"] = ImportReport("pgss", files=[str(p) for p in groups["pgss"]])
        stats = pgss(groups["pgss"], reports["pgss"])
    for kind, paths in groups.items():
        if kind != "pgss":
            reports[kind] = ImportReport(kind, files=[str(p) for p in paths], progress=progress)
    progress.stage(f"reading {len(args.inputs)} file(s)")
    rows = statements(groups, reports, log_line_prefix=args.log_line_prefix, options=options)
    doc = analyze_sql(rows, stats, dsn=args.dsn, top=args.top, progress=progress)
    doc["inputs"] = {kind: report.to_dict() for kind, report in reports.items()}
    doc["counts"]["lines"] = sum(r.lines for r in reports.values())
    doc["counts"]["skipped"] = sum(r.skipped_total for r in reports.values())
    if not doc["counts"]["fingerprints"]:
        lacks = [f"{k}: {lack}" for k, r in reports.items() for lack in r.lacks]
        raise BadInput(
            "no statement with a duration in the input" + (f" ({lacks[0]})" if lacks else ""),
            hint="give logs written with log_min_duration_statement (PostgreSQL) or the slow "
            "query log (MySQL), or a pg_stat_statements export",
        )
    for report in reports.values():
        print(report.summary().replace("imported", "read"), file=sys.stderr)
    print(terminal_table(doc))
    for note in doc["notes"]:
        print(f"note: {note['text']}")
    if args.json:
        _write(args.json, json.dumps(doc, indent=1, allow_nan=False, default=_default) + "\n")
        print(f"json: {args.json}")
    if args.html:
        write_html(doc, args.html, lang=args.lang)
        print(f"html: {args.html}")
    return 0


def _default(value: Any) -> Any:
    return str(value)


def _write(path: Path, text: str) -> None:
    from erpcap.errors import BadInput

    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot write {path}: {exc.strerror}", hint="check the folder") from exc
