"""Shared types of the data generator: the generated :class:`Dataset`, the in-memory lot and
the generator state that the generation phases (master data, lots, history, stock) share.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .seed_sizes import Sizes, sizes

Row = tuple[Any, ...]
#: Posts one journal entry: (day, source, source id, description, [(account, debit, credit)]).
EntryFn = Callable[[date, str, int, str, list[tuple[str, float, float]]], None]


@dataclass
class _Lot:
    """A lot while generating: identity, dates, status and the quantities the history uses."""

    id: int
    item_id: int
    number: str
    mfg: date
    expiry: date
    status: str
    used: int = 0
    allocated_open: int = 0
    serial_next: int = 1
    location_id: int = 0
    received: int = 0


@dataclass
class Dataset:
    """Generated rows per table, in load order."""

    tables: dict[str, tuple[list[str], list[Row]]] = field(default_factory=dict)

    def add(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        """Register the rows of ``table`` (columns in the order of each row tuple)."""
        self.tables[table] = (list(columns), rows)

    def counts(self) -> dict[str, int]:
        """Row count per table."""
        return {t: len(r) for t, (_c, r) in self.tables.items()}


class _GeneratorState:
    """State shared by the generation phases; one instance per seed run.

    Holds the RNG (every phase draws from it in a fixed order, so the same scale, seed and
    as-of date give the same rows) and the lookup tables one phase leaves for the next.
    """

    scale: float
    rng: random.Random
    as_of: date
    demo_password: str
    size: Sizes
    ds: Dataset
    # master data (seed_master)
    loc_q: dict[int, int]  # warehouse -> quarantine location
    loc_r: dict[int, int]  # warehouse -> rejected location
    loc_bins: dict[int, list[int]]  # warehouse -> released bin locations
    item_serial: dict[int, bool]
    item_shelf: dict[int, int]  # shelf life in days
    item_cost: dict[int, float]
    item_price: dict[int, float]
    gtin_each: dict[int, str]
    item_by_rank: list[int]  # popularity rank (0 = hottest) -> item
    item_cum: list[float]  # cumulative Zipf weights over item ranks
    item_weight: dict[int, float]  # item -> share of order lines
    bom_of: dict[int, list[tuple[int, int]]]  # assembly -> [(component, quantity per)]
    bom_id: dict[int, int]  # assembly -> bom id
    price_list_id: dict[str, int]
    prices: dict[tuple[int, int], float]  # (price list, item) -> unit price
    cust_pl: dict[int, int]  # customer -> price list
    cust_terms: dict[int, int]  # customer -> payment terms in days
    cust_ship: dict[int, list[int]]  # customer -> ship-to ids
    cust_by_rank: list[int]
    cust_cum: list[float]
    customers_rows: list[Row]  # rewritten with the credit exposure after the history
    periods_closed: set[str]
    # lots (seed_lots)
    lots_by_item: dict[int, list[_Lot]]
    all_lots: list[_Lot]
    # order history (seed_history)
    issue_rows: list[tuple[_Lot, int, int, str]]  # lot, qty, shipment id, ts
    so_rows: list[Row]
    audit_rows: list[Row]
    je_rows: list[Row]
    jl_rows: list[Row]
    txn_rows: list[Row]
    alloc_rows: list[Row]
    entry: EntryFn

    def __init__(self, scale: float, seed: int, as_of: date, demo_password: str) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.demo_password = demo_password
        self.size = sizes(scale)
        self.ds = Dataset()
