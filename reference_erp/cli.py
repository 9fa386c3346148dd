"""Command line of the reference ERP: ``seed`` and ``serve``.

Bad input ends in one line on stderr and exit code 2; no traceback.

Secrets stay off the command line, where ``ps`` shows them to every user of the machine:
``--db`` and ``--replica-db`` may be left out and given in the environment instead
(``ERPCAP_ERP_DB``, ``ERPCAP_ERP_REPLICA_DB``), which is how erpcap itself starts the service.
``ERPCAP_ERP_PROG`` names the command in help and messages (erpcap sets ``erpcap erp``).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from typing import NoReturn

from .settings import (
    ENV_DB,
    ENV_REPLICA_DB,
    LEVERS,
    PROFILES,
    SQL_TAGS,
    Settings,
    parse_lever,
    prog_name,
)

SEED_EXAMPLES = """examples:
  {PROG} seed --db sqlite:///erp.sqlite --scale 0.05
  {PROG} seed --db postgresql://postgres@127.0.0.1:5432/erp --scale 1 --seed 7 --demo-password 'S3cure!'
"""
SERVE_EXAMPLES = """examples:
  {PROG} serve --db sqlite:///erp.sqlite --port 8765
  {PROG} serve --db postgresql://postgres@127.0.0.1/erp --profile upgraded --workers 5
  {PROG} serve --db postgresql://postgres@127.0.0.1/erp --profile legacy --lever indexes=on
  {PROG} serve --db postgresql://postgres@127.0.0.1/erp --profile upgraded \\
      --replica-db postgresql://postgres@127.0.0.1/erp_replica

levers ({LEVERS}): legacy switches all off, upgraded all on; --lever NAME=on|off
overrides one. The token secret comes from ERPCAP_ERP_SECRET or is generated per start.
A database URL with a password is best given as ERPCAP_ERP_DB (and ERPCAP_ERP_REPLICA_DB)
in the environment instead of --db: the command line is visible to every user in `ps`.
"""


DB_HELP = (
    f"sqlite:///PATH or postgresql://USER@HOST:PORT/DB (or ${ENV_DB}, which keeps a password "
    "out of ps)"
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests)."""
    prog = prog_name()
    parser = _Parser(
        prog=prog,
        description="The reference ERP that erpcap load-tests: a medical-device ERP core (order to cash, "
        "inventory, quality, finance) on SQLite or PostgreSQL.",
        epilog=f"examples:\n  {prog} seed --db sqlite:///erp.sqlite --scale 0.05\n"
        f"  {prog} serve --db sqlite:///erp.sqlite --port 8765",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="{seed,serve}")
    seed = sub.add_parser(
        "seed",
        help="drop, recreate and load the database",
        epilog=SEED_EXAMPLES.format(PROG=prog, LEVERS=", ".join(LEVERS)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Generate a deterministic company (same scale and seed, same data) "
        "and bulk-load it. An existing database is dropped and recreated.",
    )
    seed.add_argument("--db", help=DB_HELP)
    seed.add_argument(
        "--scale",
        type=float,
        default=0.05,
        help="company size: 0.02 tests, 0.05-0.1 demos, 1 a growing company (default 0.05)",
    )
    seed.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    seed.add_argument(
        "--demo-password", default="erpcap", help="password of the demo users (default erpcap)"
    )
    seed.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="the generator's today (default: today); fix it for byte-identical data",
    )
    serve = sub.add_parser(
        "serve",
        help="run the HTTP service",
        epilog=SERVE_EXAMPLES.format(PROG=prog, LEVERS=", ".join(LEVERS)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Serve the ERP API (OpenAPI at /openapi.json, metrics at /metrics).",
    )
    serve.add_argument("--db", help=DB_HELP)
    serve.add_argument(
        "--profile", choices=sorted(PROFILES), default="legacy", help="default legacy"
    )
    serve.add_argument(
        "--lever",
        action="append",
        default=[],
        metavar="NAME=on|off",
        help="override one lever (repeatable)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes when the workers lever is on (default cores + 1, at most 8)",
    )
    serve.add_argument(
        "--sql-tags",
        choices=SQL_TAGS,
        default="on",
        help="append /*op='OPERATION',rid='REQUEST'*/ to every SQL statement (on, the "
        "default), only /*op='OPERATION'*/ (op: statement texts stay the same across requests, "
        "so the driver's prepared statements are reused), or nothing (off)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--redis-url",
        default=None,
        help="cache lever backend (default redis://127.0.0.1:6379/0; "
        "falls back to an in-process cache when unreachable)",
    )
    serve.add_argument(
        "--amqp-url",
        default=None,
        help="async lever backend (default for PostgreSQL: "
        "amqp://guest:guest@127.0.0.1:5672/%%2F; SQLite without it uses an in-process queue)",
    )
    serve.add_argument(
        "--replica-db",
        default=None,
        help=f"database for reports when the replica lever is on (or ${ENV_REPLICA_DB})",
    )
    return parser


def _fail(message: str) -> int:
    sys.stderr.write(f"{prog_name()}: error: {message}\n")
    return 2


def _db_url(given: str | None) -> str:
    """``--db`` or, when it is left out, ``$ERPCAP_ERP_DB``; ValueError when neither."""
    url = given or os.environ.get(ENV_DB)
    if not url:
        raise ValueError(f"--db is required (or set {ENV_DB} in the environment)")
    return url


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        args.db = _db_url(args.db)
    except ValueError as exc:
        return _fail(str(exc))
    if args.command == "seed":
        return _seed(args)
    args.replica_db = args.replica_db or os.environ.get(ENV_REPLICA_DB) or None
    return _serve(args)


def _seed(args: argparse.Namespace) -> int:
    from .db import normalize_url, redact
    from .seed import seed

    if not (0 < args.scale <= 100):
        return _fail("--scale must be > 0 and <= 100")
    try:
        normalize_url(args.db)
    except ValueError as exc:
        return _fail(str(exc))
    try:
        seed(args.db, args.scale, args.seed, demo_password=args.demo_password, as_of=args.as_of)
    except KeyboardInterrupt:
        return _fail("interrupted")
    except Exception as exc:  # noqa: BLE001 - one line, no traceback
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        return _fail(f"seeding {redact(args.db)} failed: {first}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .db import normalize_url
    from .errors import ServeError
    from .server import serve

    try:
        normalize_url(args.db)
        if args.replica_db:
            normalize_url(args.replica_db)
        overrides = dict(parse_lever(text) for text in args.lever)
    except ValueError as exc:
        return _fail(str(exc))
    if args.workers is not None and not (1 <= args.workers <= 64):
        return _fail("--workers must be between 1 and 64")
    if not (0 < args.port < 65536):
        return _fail("--port must be between 1 and 65535")
    settings = Settings.resolve(
        args.db,
        args.profile,
        overrides,
        workers=args.workers,
        host=args.host,
        port=args.port,
        redis_url=args.redis_url,
        amqp_url=args.amqp_url,
        replica_url=args.replica_db,
        sql_tags=args.sql_tags,
    )
    try:
        return serve(settings)
    except ServeError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 0
