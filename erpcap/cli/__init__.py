"""The ``erpcap`` command line.

Each subcommand is one module of this package with two functions:

- ``register(subparsers)`` adds its parser (with an example in the help) and sets
  ``func`` to its handler;
- ``run(args) -> int`` does the work and returns the exit code.

Errors derived from :class:`erpcap.errors.ErpcapError` print as one line and exit with
their code (2 for bad input); ``--debug``, anywhere on the line, shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from erpcap import __version__
from erpcap.errors import ErpcapError
from erpcap.redact import redact_url

#: The subcommand modules, in the order ``erpcap --help`` lists them.
COMMANDS = (
    "demo",
    "erp",
    "run",
    "worker",
    "import",
    "analyze",
    "report",
    "gate",
    "compare",
    "size",
    "sql",
    "usl",
    "whatif",
    "model",
)
#: Commands whose module has another name (``import`` is a Python keyword).
_MODULES = {"import": "imports"}

EPILOG = """\
examples:
  erpcap demo --quick                      # the whole pipeline against the reference ERP
  erpcap run --target http://127.0.0.1:8000 --users 20 --duration 2m
  erpcap analyze runs/2026-11-25T10-00-00_demo
  erpcap gate runs/2026-11-25T10-00-00_demo --budgets budgets.yaml --junit junit.xml
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors end in one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, redact_url(f"{self.prog}: error: {message} (see '{self.prog} --help')\n"))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="erpcap",
        description="Performance and capacity assessment for ERP upgrades.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"erpcap {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show tracebacks instead of one-line errors (accepted anywhere on the line)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"erpcap.cli.{_MODULES.get(name, name)}")
        module.register(sub)
    return parser


def _take_debug(args: list[str]) -> tuple[list[str], bool]:
    """``args`` without ``--debug`` (before any ``--``), and whether it was there.

    >>> _take_debug(["analyze", "runs/x", "--debug"])
    (['analyze', 'runs/x'], True)
    """
    end = args.index("--") if "--" in args else len(args)
    head = [a for a in args[:end] if a != "--debug"]
    return head + args[end:], len(head) < end


def main(argv: Sequence[str] | None = None) -> int:
    args_list, debug = _take_debug(list(sys.argv[1:] if argv is None else argv))
    # `erpcap erp ...` belongs to the reference ERP's own CLI, --help included.
    if args_list[:1] == ["erp"]:
        from erpcap.cli.erp import forward

        return forward(args_list[1:])
    parser = build_parser()
    args = parser.parse_args(args_list)
    args.debug = debug
    try:
        return int(args.func(args) or 0)
    except ErpcapError as exc:
        if args.debug:
            raise
        print(f"erpcap {args.command}: error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"erpcap {args.command}: interrupted", file=sys.stderr)
        return 130
