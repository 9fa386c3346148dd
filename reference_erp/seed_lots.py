"""Lots of the generated company: spread over each item's shelf life, so some are expired,
some near expiry and a few sit in quarantine or were rejected.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from .seed_state import _GeneratorState, _Lot


class _Lots(_GeneratorState):
    """Generation phase 2: the lot pool (rows are written by the stock phase), and FEFO picking."""

    def lots(self) -> None:
        """Create every item's lots (in memory; the stock phase writes the rows)."""
        rng, size = self.rng, self.size
        self.lots_by_item = defaultdict(list)
        self.all_lots = []
        base = size.lots_per_item
        for item in range(1, size.items + 1):
            shelf = self.item_shelf[item]
            hot_bonus = 2 if self.item_weight[item] > 2.0 / size.items * 5 else 0
            k = base + hot_bonus
            span = int(min(shelf, 720) * 1.1)
            for j in range(k):
                mfg = self.as_of - timedelta(days=int(span * (k - j) / k) + rng.randint(0, 10))
                self._new_lot(item, mfg, "released")
            if rng.random() < 0.06:  # fresh receipt waiting for QA
                self._new_lot(item, self.as_of - timedelta(days=rng.randint(0, 7)), "quarantine")
            if rng.random() < 0.05:  # a lot close to expiry
                valid = [
                    lot
                    for lot in self.lots_by_item[item]
                    if lot.expiry > self.as_of and lot.status == "released"
                ]
                if valid:
                    valid[0].expiry = self.as_of + timedelta(days=rng.randint(5, 30))
        for lot in self.all_lots:
            if lot.status == "released" and rng.random() < 0.015:
                lot.status = "rejected"

    def _new_lot(self, item: int, mfg: date, status: str) -> _Lot:
        """Register a new lot of ``item`` made on ``mfg``."""
        lid = len(self.all_lots) + 1
        lot = _Lot(
            lid,
            item,
            f"L{mfg:%y%m}-{lid:06d}",
            mfg,
            mfg + timedelta(days=self.item_shelf[item]),
            status,
        )
        self.all_lots.append(lot)
        self.lots_by_item[item].append(lot)
        return lot

    def _pick_lot(self, item: int, on: date, open_order: bool) -> _Lot:
        """The lot an order line of ``on`` ships from: first-expiry-first-out among
        released lots, else the latest-expiring one, else a new released lot."""
        cands = self.lots_by_item[item]
        limit = max(on, self.as_of) if open_order else on
        best: _Lot | None = None
        for lot in cands:
            if lot.status != "released" or lot.expiry <= limit or lot.mfg > on:
                continue
            if best is None or lot.expiry < best.expiry:
                best = lot
        if best is None:
            released = [
                lot
                for lot in cands
                if lot.status == "released" and (not open_order or lot.expiry > self.as_of)
            ]
            best = max(released, key=lambda lot: lot.expiry) if released else None
        if best is None:  # every lot rejected or expired: add a released one
            best = self._new_lot(item, min(on, self.as_of - timedelta(days=30)), "released")
            if open_order and best.expiry <= self.as_of:
                best.expiry = self.as_of + timedelta(days=365)
        return best
