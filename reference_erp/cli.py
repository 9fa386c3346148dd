"""Command line of the reference ERP: ``seed`` and ``serve``.

Bad input ends in one line on stderr and exit code 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import NoReturn

from .settings import LEVERS, PROFILES, Settings, parse_lever

PROG = "python -m erpcap.reference_erp"

SEED_EXAMPLES = f"""examples:
  {PROG} seed --db sqlite:///erp.sqlite --scale 0.05
  {PROG} seed --db postgresql://postgres@127.0.0.1:5432/erp --scale 1 --seed 7 --demo-password 'S3cure!'
"""
SERVE_EXAMPLES = f"""examples:
  {PROG} serve --db sqlite:///erp.sqlite --port 8765
  {PROG} serve --db postgresql://postgres@127.0.0.1/erp --profile upgraded --workers 5
  {PROG} serve --db postgresql://postgres@127.0.0.1/erp --profile legacy --lever indexes=on
  {PROG} serve --db postgresql://postgres@127.0.0.1/erp --profile upgraded \\
      --replica-db postgresql://postgres@127.0.0.1/erp_replica

levers ({", ".join(LEVERS)}): legacy switches all off, upgraded all on; --lever NAME=on|off
overrides one. The token secret comes from ERPCAP_ERP_SECRET or is generated per start.
"""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests)."""
    parser = _Parser(
        prog=PROG,
        description="The reference ERP that erpcap load-tests: a medical-device ERP core (order to cash, "
        "inventory, quality, finance) on SQLite or PostgreSQL.",
        epilog=f"examples:\n  {PROG} seed --db sqlite:///erp.sqlite --scale 0.05\n"
        f"  {PROG} serve --db sqlite:///erp.sqlite --port 8765",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="{seed,serve}")
    seed = sub.add_parser(
        "seed",
        help="drop, recreate and load the database",
        epilog=SEED_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Generate a deterministic company (same scale and seed, same data) "
        "and bulk-load it. An existing database is dropped and recreated.",
    )
    seed.add_argument(
        "--db", required=True, help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
    )
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
        epilog=SERVE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Serve the ERP API (OpenAPI at /openapi.json, metrics at /metrics).",
    )
    serve.add_argument(
        "--db", required=True, help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
    )
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
        help="worker processes when the workers lever is on (default 2 x cores + 1, at most 8)",
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
        "--replica-db", default=None, help="database for reports when the replica lever is on"
    )
    return parser


def _fail(message: str) -> int:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    return 2


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "seed":
        return _seed(args)
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
    from .server import ServeError, serve

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
    )
    try:
        return serve(settings)
    except ServeError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 0
