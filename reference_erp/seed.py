"""Deterministic data generator for the reference ERP.

``seed(db_url, scale, seed)`` drops and recreates the schema and bulk-loads a company whose
size follows ``scale`` (see :func:`sizes`): COPY through psycopg 3 on PostgreSQL,
``executemany`` in one transaction on SQLite. The same scale, seed and as-of date give the
same rows (only the salted password hashes differ between runs).

Distributions: item and customer popularity are Zipf-like (a few hot items and customers
carry most of the lines); order dates follow a seasonal curve with a November peak and quiet
weekends; lots are spread over each item's shelf life, so some are expired, some near expiry
and a few sit in quarantine or were rejected.

This module is the public entry point; the work is split by responsibility:

- :mod:`.seed_sizes`: :class:`Sizes`, :func:`sizes` and the date/number helpers;
- :mod:`.seed_state`: :class:`Dataset`, the in-memory lot and the state the phases share;
- :mod:`.seed_master`, :mod:`.seed_lots`, :mod:`.seed_history`, :mod:`.seed_stock`: the
  four generation phases, run in that order by :func:`generate` (the order fixes the RNG
  draws, hence the rows);
- :mod:`.seed_load`: SQLite and PostgreSQL bulk loading.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from typing import TextIO

from .db import dialect_name, normalize_url
from .seed_history import _History
from .seed_load import load_postgres, load_sqlite
from .seed_master import COMPANY_PREFIX, GL_ACCOUNTS, ROLES, _MasterData
from .seed_sizes import Sizes, sizes
from .seed_state import Dataset, Row
from .seed_stock import _Stock

__all__ = [
    "COMPANY_PREFIX",
    "GL_ACCOUNTS",
    "ROLES",
    "Dataset",
    "Row",
    "Sizes",
    "env_demo_password",
    "generate",
    "seed",
    "sizes",
]


class _Generator(_MasterData, _History, _Stock):
    """Builds a :class:`Dataset`; one instance per seed run (holds the RNG and id counters)."""

    def build(self) -> Dataset:
        """Generate every table."""
        self.master()
        self.lots()
        self.history()
        self.stock()
        return self.ds


def generate(
    scale: float, seed: int = 42, as_of: date | None = None, demo_password: str = "erpcap"
) -> Dataset:
    """Generate the dataset in memory (no database needed)."""
    if not (0 < scale <= 100):
        raise ValueError("scale must be > 0 and <= 100")
    return _Generator(scale, seed, as_of or date.today(), demo_password).build()


def seed(
    db_url: str,
    scale: float,
    seed: int = 42,
    *,
    demo_password: str = "erpcap",
    as_of: date | None = None,
    out: TextIO | None = None,
) -> dict[str, int]:
    """Drop and recreate the schema at ``db_url`` and load generated data.

    Returns the row count per table. Progress (table, rows, seconds) goes to ``out``.
    """
    stream = out if out is not None else sys.stdout
    url = normalize_url(db_url)
    t_start = time.perf_counter()
    stream.write(f"generating scale {scale:g}, seed {seed} ...\n")
    stream.flush()
    ds = generate(scale, seed, as_of, demo_password)
    stream.write(
        f"generated {sum(ds.counts().values()):,} rows in {time.perf_counter() - t_start:.1f} s\n"
    )

    def progress(table: str, n: int, seconds: float) -> None:
        stream.write(f"  {table:<22} {n:>10,} rows  {seconds:6.2f} s\n")
        stream.flush()

    if dialect_name(url) == "sqlite":
        path = url[len("sqlite:///") :]
        if not path or path == ":memory:":
            raise ValueError("seed needs a file: sqlite:///PATH")
        load_sqlite(path, ds, progress)
    else:
        load_postgres(url, ds, progress)
    stream.write(f"seeded in {time.perf_counter() - t_start:.1f} s\n")
    stream.flush()
    return ds.counts()


def env_demo_password() -> str | None:
    """The demo password from ``ERPCAP_ERP_DEMO_PASSWORD``, if set."""
    return os.environ.get("ERPCAP_ERP_DEMO_PASSWORD")
