"""``erpcap erp``: the reference ERP's own command line (seed, serve), in this very process.

``forward`` replaces the ``erpcap`` process with the reference ERP's CLI (``exec``), so the pid
a user gets from ``erpcap erp serve … &`` is the server's own: ``kill`` stops the server, and
no wrapper is left to orphan it. Its messages and help call it ``erpcap erp``.
"""

from __future__ import annotations

import argparse
import os
import sys

HELP = """\
Run the reference ERP, a separate application bundled with erpcap. Everything after 'erp'
goes to its own command line; see 'erpcap erp seed --help' and 'erpcap erp serve --help'.

examples:
  erpcap erp seed --db sqlite:///erp.sqlite --scale 0.1
  erpcap erp serve --db sqlite:///erp.sqlite --profile legacy --port 8000
  erpcap erp seed --db postgresql://postgres@127.0.0.1/erp --scale 1
  erpcap erp serve --db postgresql://postgres@127.0.0.1/erp --profile upgraded --workers 4
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "erp",
        help="seed or serve the bundled reference ERP",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    parser.add_argument(
        "erp_args", nargs=argparse.REMAINDER, help="arguments of the reference ERP's CLI"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return forward(list(args.erp_args))


def forward(erp_args: list[str]) -> int:
    """Become the reference ERP's CLI with ``erp_args`` (never returns)."""
    from erpcap.reference import ENV_PROG, erp_argv

    if not erp_args or erp_args[0] in ("-h", "--help"):
        print(HELP)
        erp_args = ["--help"]
    sys.stdout.flush()
    sys.stderr.flush()
    argv = erp_argv(erp_args)
    os.execve(argv[0], argv, {**os.environ, ENV_PROG: "erpcap erp"})
