"""Options that several subcommands share, declared once."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_out(parser: argparse.ArgumentParser) -> None:
    """``--out DIR``: the parent folder in which a new run directory is made."""
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("runs"),
        help="parent folder of the run directory (default: runs)",
    )
