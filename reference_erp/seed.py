"""Deterministic data generator for the reference ERP.

``seed(db_url, scale, seed)`` drops and recreates the schema and bulk-loads a company whose
size follows ``scale`` (see :func:`sizes`): COPY through psycopg 3 on PostgreSQL,
``executemany`` in one transaction on SQLite. The same scale, seed and as-of date give the
same rows (only the salted password hashes differ between runs).

Distributions: item and customer popularity are Zipf-like (a few hot items and customers
carry most of the lines); order dates follow a seasonal curve with a November peak and quiet
weekends; lots are spread over each item's shelf life, so some are expired, some near expiry
and a few sit in quarantine or were rejected.
"""

from __future__ import annotations

import bisect
import math
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from . import gs1, schema
from .db import dialect_name, normalize_url
from .passwords import hash_password

Row = tuple[Any, ...]

COMPANY_PREFIX = "0860001"
ROLES: tuple[tuple[str, str], ...] = (
    ("sales", "Order entry: telesales and customer service"),
    ("warehouse", "Warehouse: picking, shipping, receiving"),
    ("qa", "Quality assurance: inspection and lot release"),
    ("finance", "Accounting: payments, invoicing, period close"),
    ("manager", "Managers: reports and order status"),
    ("integration", "EDI, web shop, MES/WMS integrations"),
)
GL_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("1000", "Cash", "asset"),
    ("1100", "Accounts receivable", "asset"),
    ("1200", "Inventory", "asset"),
    ("2000", "Accounts payable", "liability"),
    ("2100", "Goods received not invoiced", "liability"),
    ("2200", "Deferred revenue", "liability"),
    ("3000", "Retained earnings", "equity"),
    ("4000", "Product revenue", "revenue"),
    ("4100", "Service revenue", "revenue"),
    ("5000", "Cost of goods sold", "expense"),
)
_ACC = {code: i + 1 for i, (code, _n, _t) in enumerate(GL_ACCOUNTS)}
_CATEGORIES = (
    ("catheter", 730),
    ("stent", 1095),
    ("syringe", 1095),
    ("infusion set", 730),
    ("wound dressing", 540),
    ("surgical kit", 730),
    ("implant screw", 1825),
    ("guidewire", 1095),
    ("test kit", 270),
    ("glove", 1095),
    ("suture", 1095),
    ("cannula", 730),
)
_SERIAL_CATEGORIES = (
    ("patient monitor", 3650),
    ("infusion pump", 3650),
    ("ultrasound probe", 3650),
)
_ADJECTIVES = (
    "Sterile",
    "Pediatric",
    "Radiopaque",
    "Latex-free",
    "Coated",
    "Precision",
    "Flex",
    "Ultra",
)
_CITIES = (
    ("Berlin", "DE"),
    ("Lyon", "FR"),
    ("Milan", "IT"),
    ("Madrid", "ES"),
    ("Boston", "US"),
    ("Chicago", "US"),
    ("Toronto", "CA"),
    ("Osaka", "JP"),
    ("Shanghai", "CN"),
    ("Vienna", "AT"),
    ("Zurich", "CH"),
    ("Leeds", "GB"),
    ("Utrecht", "NL"),
    ("Porto", "PT"),
    ("Gdansk", "PL"),
)
_SEGMENTS = (
    ("hospital", "HOSP", 0.45),
    ("distributor", "DIST", 0.2),
    ("clinic", "LIST", 0.2),
    ("government", "GOV", 0.1),
    ("laboratory", "LIST", 0.05),
)


@dataclass(frozen=True)
class Sizes:
    """Row-count drivers for a scale (items grow with the square root, like TPC-C's catalogue)."""

    sites: int
    items: int
    customers: int
    suppliers: int
    lots_per_item: int
    orders: int


def sizes(scale: float) -> Sizes:
    """Return the size drivers for ``scale``.

    >>> sizes(1.0)
    Sizes(sites=1, items=3000, customers=3000, suppliers=60, lots_per_item=10, orders=100000)
    >>> sizes(0.05).orders
    5000
    """
    root = math.sqrt(scale)
    return Sizes(
        sites=max(1, round(scale)),
        items=max(60, round(3000 * root)),
        customers=max(20, round(3000 * scale)),
        suppliers=max(5, round(60 * root)),
        lots_per_item=max(3, round(10 * root)),
        orders=max(200, round(100_000 * scale)),
    )


def _iso(d: date) -> str:
    return d.isoformat()


def _ts(d: date, seconds: int = 0) -> str:
    h, rem = divmod(seconds % 86400, 3600)
    return f"{d.isoformat()} {h:02d}:{rem // 60:02d}:{rem % 60:02d}"


def _zipf_cum(n: int, s: float) -> list[float]:
    """Cumulative Zipf weights for ranks 1..n (used with ``random.choices``)."""
    total, out = 0.0, []
    for r in range(1, n + 1):
        total += 1.0 / r**s
        out.append(total)
    return out


@dataclass
class _Lot:
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


class _Generator:
    """Builds a :class:`Dataset`; one instance per seed run (holds the RNG and id counters)."""

    def __init__(self, scale: float, seed: int, as_of: date, demo_password: str) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.demo_password = demo_password
        self.size = sizes(scale)
        self.ds = Dataset()

    # ------------------------------------------------------------------ master data
    def master(self) -> None:
        rng, size, ds = self.rng, self.size, self.ds
        ds.add(
            "site",
            ["id", "code", "name", "country"],
            [
                (i, f"S{i:02d}", f"Site {i}", _CITIES[i % len(_CITIES)][1])
                for i in range(1, size.sites + 1)
            ],
        )
        ds.add(
            "warehouse",
            ["id", "site_id", "code", "name"],
            [(i, i, f"WH{i:02d}", f"Main warehouse {i}") for i in range(1, size.sites + 1)],
        )
        locs: list[Row] = []
        self.loc_q: dict[int, int] = {}
        self.loc_r: dict[int, int] = {}
        self.loc_bins: dict[int, list[int]] = defaultdict(list)
        for wh in range(1, size.sites + 1):
            for zone, code in (("quarantine", "QUAR"), ("rejected", "REJ")):
                lid = len(locs) + 1
                locs.append((lid, wh, f"WH{wh:02d}-{code}", zone))
                (self.loc_q if zone == "quarantine" else self.loc_r)[wh] = lid
            for b in range(1, 13):
                lid = len(locs) + 1
                locs.append((lid, wh, f"WH{wh:02d}-A{b:02d}", "released"))
                self.loc_bins[wh].append(lid)
        ds.add("location", ["id", "warehouse_id", "code", "zone"], locs)

        items: list[Row] = []
        self.item_serial: dict[int, bool] = {}
        self.item_shelf: dict[int, int] = {}
        self.item_cost: dict[int, float] = {}
        self.item_price: dict[int, float] = {}
        for i in range(1, size.items + 1):
            serial = rng.random() < 0.08
            cat, shelf = rng.choice(_SERIAL_CATEGORIES if serial else _CATEGORIES)
            cost = (
                round(rng.uniform(400, 6000), 2)
                if serial
                else round(min(rng.lognormvariate(2.5, 1.0), 900), 2) + 0.5
            )
            price = round(cost * rng.uniform(1.6, 3.0), 2)
            name = f"{rng.choice(_ADJECTIVES)} {cat} {rng.choice(('S', 'M', 'L', 'XL', '5Fr', '7Fr', '10ml'))}"
            items.append(
                (
                    i,
                    f"MD-{i:05d}",
                    name,
                    cat,
                    "EA",
                    1,
                    int(serial),
                    shelf,
                    cost,
                    price,
                    int(serial),
                    1,
                )
            )
            self.item_serial[i], self.item_shelf[i] = serial, shelf
            self.item_cost[i], self.item_price[i] = cost, price
        ds.add(
            "item",
            [
                "id",
                "sku",
                "name",
                "category",
                "uom",
                "lot_controlled",
                "serial_controlled",
                "shelf_life_days",
                "unit_cost",
                "list_price",
                "deferred_revenue",
                "active",
            ],
            items,
        )
        self.gtin_each: dict[int, str] = {}
        dis: list[Row] = []
        for i in range(1, size.items + 1):
            for ind, (level, qty) in enumerate((("each", 1), ("box", 10), ("case", 100))):
                g = gs1.gtin14(COMPANY_PREFIX, i, indicator=ind)
                dis.append((len(dis) + 1, i, level, g, qty))
                if level == "each":
                    self.gtin_each[i] = g
        ds.add("device_identifier", ["id", "item_id", "packaging_level", "gtin", "quantity"], dis)

        # Popularity: a random permutation of items gets Zipf weights (rank 1 is hottest).
        order = list(range(1, size.items + 1))
        rng.shuffle(order)
        self.item_by_rank = order
        self.item_cum = _zipf_cum(size.items, 1.05)
        total = self.item_cum[-1]
        self.item_weight = {item: (1.0 / (r + 1) ** 1.05) / total for r, item in enumerate(order)}

        # BOMs: about 12% of lot-controlled items are assemblies of 2-4 purchased components.
        plain = [i for i in range(1, size.items + 1) if not self.item_serial[i]]
        self.bom_of: dict[int, list[tuple[int, int]]] = {}
        assemblies = set(rng.sample(plain, max(2, len(plain) // 8)))
        components = [i for i in plain if i not in assemblies]
        boms: list[Row] = []
        bom_lines: list[Row] = []
        for item in sorted(assemblies):
            bom_id = len(boms) + 1
            boms.append((bom_id, item, "A", "active"))
            comps = rng.sample(components, rng.randint(2, 4))
            self.bom_of[item] = [(c, rng.randint(1, 3)) for c in comps]
            for c, q in self.bom_of[item]:
                bom_lines.append((len(bom_lines) + 1, bom_id, c, q))
        self.bom_id = {row[1]: row[0] for row in boms}
        ds.add("bom", ["id", "item_id", "revision", "status"], boms)
        ds.add("bom_line", ["id", "bom_id", "component_item_id", "quantity_per"], bom_lines)

        lists = (
            ("LIST", "List price", 1.0),
            ("DIST", "Distributor", 0.78),
            ("HOSP", "Hospital group", 0.9),
            ("GOV", "Government tender", 0.84),
        )
        ds.add(
            "price_list",
            ["id", "code", "name", "currency"],
            [(i + 1, c, n, "EUR") for i, (c, n, _f) in enumerate(lists)],
        )
        self.price_list_id = {c: i + 1 for i, (c, _n, _f) in enumerate(lists)}
        self.prices: dict[tuple[int, int], float] = {}
        prices: list[Row] = []
        for pl, (_c, _n, factor) in enumerate(lists, start=1):
            for i in range(1, size.items + 1):
                p = round(
                    self.item_price[i] * factor * (rng.uniform(0.97, 1.03) if factor < 1 else 1.0),
                    2,
                )
                self.prices[(pl, i)] = p
                prices.append((len(prices) + 1, pl, i, p))
        ds.add("price", ["id", "price_list_id", "item_id", "unit_price"], prices)

        customers: list[Row] = []
        ship_tos: list[Row] = []
        self.cust_pl: dict[int, int] = {}
        self.cust_terms: dict[int, int] = {}
        self.cust_ship: dict[int, list[int]] = {}
        seg_cum = list(_cum([w for _s, _p, w in _SEGMENTS]))
        corder = list(range(1, size.customers + 1))
        rng.shuffle(corder)
        self.cust_by_rank = corder
        self.cust_cum = _zipf_cum(size.customers, 0.9)
        hot = set(corder[: max(1, size.customers // 20)])
        for c in range(1, size.customers + 1):
            seg, pl_code, _w = _SEGMENTS[bisect.bisect_left(seg_cum, rng.random() * seg_cum[-1])]
            city, country = rng.choice(_CITIES)
            pl = self.price_list_id[pl_code]
            terms = rng.choice((30, 30, 45, 60))
            self.cust_pl[c], self.cust_terms[c] = pl, terms
            customers.append(
                (
                    c,
                    f"C{c:06d}",
                    f"{city} {seg.title()} {c}",
                    seg,
                    pl,
                    round(rng.choice((50_000, 100_000, 250_000, 1_000_000)), 2),
                    0.0,
                    None,
                    terms,
                    _ts(self.as_of - timedelta(days=rng.randint(400, 3000))),
                )
            )
            n_ship = (
                rng.randint(3, 8) if c in hot else 1 + (rng.random() < 0.5) + (rng.random() < 0.2)
            )
            self.cust_ship[c] = []
            for k in range(n_ship):
                sid = len(ship_tos) + 1
                sc, sco = rng.choice(_CITIES)
                body = f"{COMPANY_PREFIX[1:]}{sid:06d}"[-12:]
                ship_tos.append(
                    (
                        sid,
                        c,
                        f"{'Main' if k == 0 else 'Ward'} {k + 1}, {sc}",
                        sc,
                        sco,
                        body + str(gs1.check_digit(body)),
                    )
                )
                self.cust_ship[c].append(sid)
        self.customers_rows = customers
        ds.add(
            "customer",
            [
                "id",
                "code",
                "name",
                "segment",
                "price_list_id",
                "credit_limit",
                "credit_exposure",
                "exposure_updated_at",
                "payment_terms_days",
                "created_at",
            ],
            customers,
        )
        ds.add("ship_to", ["id", "customer_id", "name", "city", "country", "gln"], ship_tos)
        ds.add(
            "supplier",
            ["id", "code", "name", "country", "approved"],
            [
                (i, f"V{i:04d}", f"Supplier {i}", rng.choice(_CITIES)[1], 1)
                for i in range(1, size.suppliers + 1)
            ],
        )
        ds.add(
            "role", ["id", "name", "description"], [(i + 1, n, d) for i, (n, d) in enumerate(ROLES)]
        )
        ds.add(
            "app_user",
            ["id", "username", "full_name", "password_hash", "role_id", "active"],
            [
                (i + 1, n, f"Demo {n} user", hash_password(self.demo_password), i + 1, 1)
                for i, (n, _d) in enumerate(ROLES)
            ],
        )
        ds.add(
            "gl_account",
            ["id", "code", "name", "type"],
            [(i + 1, c, n, t) for i, (c, n, t) in enumerate(GL_ACCOUNTS)],
        )

        # Fiscal periods: 15 months back to 2 months ahead; older than last month are closed.
        periods: list[Row] = []
        first = date(self.as_of.year, self.as_of.month, 1)
        prev_month = _add_months(first, -1)
        start = _add_months(first, -15)
        self.periods_closed: set[str] = set()
        while start <= _add_months(first, 2):
            end = _add_months(start, 1) - timedelta(days=1)
            closed = start < prev_month
            code = f"{start.year:04d}-{start.month:02d}"
            if closed:
                self.periods_closed.add(code)
            periods.append(
                (
                    len(periods) + 1,
                    code,
                    _iso(start),
                    _iso(end),
                    "closed" if closed else "open",
                    _ts(end + timedelta(days=5), 64800) if closed else None,
                    "finance" if closed else None,
                )
            )
            start = _add_months(start, 1)
        ds.add(
            "fiscal_period",
            ["id", "period", "start_date", "end_date", "status", "closed_at", "closed_by"],
            periods,
        )

    # ------------------------------------------------------------------ lots
    def lots(self) -> None:
        rng, size = self.rng, self.size
        self.lots_by_item: dict[int, list[_Lot]] = defaultdict(list)
        self.all_lots: list[_Lot] = []
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

    # ------------------------------------------------------------------ history
    def history(self) -> None:  # noqa: C901 - one pass over the order history, kept together
        rng, size, as_of = self.rng, self.size, self.as_of
        days = list(range(1, 366))
        weights = []
        for d in days:
            day = as_of - timedelta(days=d)
            season = 1 + 0.25 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 320) / 365)
            weights.append(season * (0.3 if day.weekday() >= 5 else 1.0))
        day_cum = list(_cum(weights))
        offsets = sorted(rng.choices(days, cum_weights=day_cum, k=size.orders), reverse=True)
        line_counts = (1, 2, 3, 4, 5, 6, 8)
        line_cum = list(_cum((30, 25, 18, 11, 8, 5, 3)))
        qty_values = (1, 2, 3, 5, 10, 20, 50)
        qty_cum = list(_cum((25, 20, 15, 15, 12, 8, 5)))
        item_cum, customer_cum = self.item_cum, self.cust_cum

        so: list[Row] = []
        sol: list[Row] = []
        alloc: list[Row] = []
        ship: list[Row] = []
        ship_l: list[Row] = []
        inv: list[Row] = []
        inv_l: list[Row] = []
        pay: list[Row] = []
        pay_app: list[Row] = []
        je: list[Row] = []
        jl: list[Row] = []
        rev: list[Row] = []
        audit: list[Row] = []
        txn: list[Row] = []
        complaints: list[Row] = []
        self.issue_rows: list[tuple[_Lot, int, int, str]] = []  # lot, qty, shipment id, ts
        demand: dict[int, list[Any]] = {}
        open_amount: dict[int, float] = defaultdict(float)

        def entry(
            period_day: date,
            source: str,
            source_id: int,
            desc: str,
            lines: list[tuple[str, float, float]],
        ) -> None:
            eid = len(je) + 1
            je.append(
                (
                    eid,
                    f"{period_day.year:04d}-{period_day.month:02d}",
                    _iso(period_day),
                    source,
                    source_id,
                    desc,
                    "seed",
                    _ts(period_day, 72000),
                )
            )
            for acc, dr, cr in lines:
                jl.append((len(jl) + 1, eid, _ACC[acc], round(dr, 2), round(cr, 2)))

        for n, off in enumerate(offsets, start=1):
            odate = as_of - timedelta(days=off)
            cust = self.cust_by_rank[
                bisect.bisect_left(customer_cum, rng.random() * customer_cum[-1])
            ]
            ship_to = rng.choice(self.cust_ship[cust])
            n_lines = line_counts[bisect.bisect_left(line_cum, rng.random() * line_cum[-1])]
            items: list[int] = []
            for _ in range(n_lines * 2):
                it = self.item_by_rank[bisect.bisect_left(item_cum, rng.random() * item_cum[-1])]
                if it not in items:
                    items.append(it)
                if len(items) == n_lines:
                    break
            status = "open" if off <= 2 else "shipped" if off <= 9 else "invoiced"
            created = _ts(odate, rng.randint(7 * 3600, 18 * 3600))
            order_lines: list[tuple[int, int, int, float, _Lot]] = []
            total = 0.0
            for ln, it in enumerate(items, start=1):
                qty = (
                    rng.randint(1, 3)
                    if self.item_serial[it]
                    else qty_values[bisect.bisect_left(qty_cum, rng.random() * qty_cum[-1])]
                )
                price = self.prices[(self.cust_pl[cust], it)]
                lot = self._pick_lot(it, odate, status == "open")
                lid = len(sol) + 1
                shipped = 0 if status == "open" else qty
                invoiced = qty if status == "invoiced" else 0
                sol.append((lid, n, ln, it, qty, price, shipped, invoiced))
                order_lines.append((lid, it, qty, price, lot))
                total += qty * price
                d = demand.setdefault(it, [0, 0, created])
                d[0] += 1
                d[1] += qty
                d[2] = created
            total = round(total, 2)
            ship_day = odate + timedelta(days=rng.randint(0, 2)) if status != "open" else None
            if ship_day is not None and ship_day > as_of:
                ship_day = as_of
            final_status = status
            invoice_id = None
            if status == "invoiced":
                inv_day = ship_day + timedelta(days=1) if ship_day else odate
                due = inv_day + timedelta(days=self.cust_terms[cust])
                age_past_due = (as_of - due).days
                paid = rng.random() < (
                    0.93 if age_past_due > 10 else 0.35 if age_past_due > -10 else 0.1
                )
                invoice_id = len(inv) + 1
                if paid:
                    final_status = "closed"
            so.append(
                (
                    n,
                    f"SO{n:08d}",
                    cust,
                    ship_to,
                    f"PO-{rng.randint(10000, 99999)}" if rng.random() < 0.7 else None,
                    _iso(odate),
                    final_status,
                    total,
                    "integration" if rng.random() < 0.4 else "sales",
                    created,
                    _ts(ship_day, 57600) if ship_day else None,
                )
            )
            audit.append(
                (
                    len(audit) + 1,
                    "sales_order",
                    str(n),
                    "insert",
                    "status",
                    None,
                    "open",
                    "order entry",
                    "sales",
                    created,
                )
            )
            if status == "open":
                for lid, _it, qty, _p, lot in order_lines:
                    lot.allocated_open += qty
                    alloc.append((len(alloc) + 1, lid, lot.id, lot.id, qty, "allocated", created))
                open_amount[cust] += total
                continue
            # shipped (and maybe invoiced): shipment, issue transactions, COGS entry
            assert ship_day is not None
            sid = len(ship) + 1
            sts = _ts(ship_day, 57600)
            ship.append((sid, f"SH{sid:08d}", n, ship_to, "warehouse", sts))
            cost = 0.0
            for lid, it, qty, _p, lot in order_lines:
                lot.used += qty
                alloc.append((len(alloc) + 1, lid, lot.id, lot.id, qty, "shipped", created))
                exp = _iso(lot.expiry)
                if self.item_serial[it]:
                    for _u in range(qty):
                        serial = f"S{lot.id:07d}{lot.serial_next:04d}"
                        lot.serial_next += 1
                        ship_l.append(
                            (
                                len(ship_l) + 1,
                                sid,
                                lid,
                                it,
                                lot.id,
                                serial,
                                1,
                                gs1.udi(self.gtin_each[it], exp, lot.number, serial),
                            )
                        )
                else:
                    ship_l.append(
                        (
                            len(ship_l) + 1,
                            sid,
                            lid,
                            it,
                            lot.id,
                            None,
                            qty,
                            gs1.udi(self.gtin_each[it], exp, lot.number),
                        )
                    )
                self.issue_rows.append((lot, -qty, sid, sts))
                cost += qty * self.item_cost[it]
            entry(
                ship_day,
                "shipment",
                sid,
                f"Goods issue SH{sid:08d}",
                [("5000", cost, 0), ("1200", 0, cost)],
            )
            if status == "shipped":
                open_amount[cust] += total
                continue
            assert invoice_id is not None
            inv_day = ship_day + timedelta(days=1)
            due = inv_day + timedelta(days=self.cust_terms[cust])
            period = f"{inv_day.year:04d}-{inv_day.month:02d}"
            paid_flag = final_status == "closed"
            inv.append(
                (
                    invoice_id,
                    f"IN{invoice_id:08d}",
                    cust,
                    n,
                    period,
                    _iso(inv_day),
                    _iso(due),
                    total,
                    total if paid_flag else 0.0,
                    "paid" if paid_flag else "open",
                )
            )
            product, service = 0.0, 0.0
            for lid, it, qty, price, _lot in order_lines:
                amount = round(qty * price, 2)
                il = len(inv_l) + 1
                inv_l.append((il, invoice_id, lid, it, qty, price, amount))
                if self.item_serial[it]:  # equipment: 20% of the price is a 12-month service plan
                    svc = round(amount * 0.2, 2)
                    service += svc
                    product += amount - svc
                    for m in range(12):
                        pday = _add_months(date(inv_day.year, inv_day.month, 1), m)
                        code = f"{pday.year:04d}-{pday.month:02d}"
                        rev.append((len(rev) + 1, il, code, round(svc / 12, 2), int(pday <= as_of)))
                else:
                    product += amount
            entry(
                inv_day,
                "invoice",
                invoice_id,
                f"Invoice IN{invoice_id:08d}",
                [("1100", total, 0), ("4000", 0, product), ("2200", 0, service)]
                if service
                else [("1100", total, 0), ("4000", 0, total)],
            )
            if paid_flag:
                pday = min(as_of, due + timedelta(days=rng.randint(-15, 20)))
                pday = max(pday, inv_day)
                pid = len(pay) + 1
                pay.append(
                    (
                        pid,
                        f"PM{pid:08d}",
                        cust,
                        total,
                        0.0,
                        f"BANK-{rng.randint(100000, 999999)}",
                        _iso(pday),
                        "finance",
                        _ts(pday, 36000),
                    )
                )
                pay_app.append((len(pay_app) + 1, pid, invoice_id, total, _ts(pday, 36000)))
                entry(
                    pday,
                    "payment",
                    pid,
                    f"Payment PM{pid:08d}",
                    [("1000", total, 0), ("1100", 0, total)],
                )
            else:
                open_amount[cust] += total
            if rng.random() < 0.005:
                cid = len(complaints) + 1
                complaints.append(
                    (
                        cid,
                        f"CP{cid:06d}",
                        cust,
                        order_lines[0][4].id,
                        "Packaging damaged on arrival",
                        rng.choice(("open", "closed")),
                        _ts(inv_day + timedelta(days=3), 40000),
                    )
                )

        self.so_rows, self.audit_rows, self.je_rows, self.jl_rows = so, audit, je, jl
        self.txn_rows = txn
        self.entry = entry
        self.ds.add(
            "sales_order",
            [
                "id",
                "order_number",
                "customer_id",
                "ship_to_id",
                "po_number",
                "order_date",
                "status",
                "total_amount",
                "created_by",
                "created_at",
                "shipped_at",
            ],
            so,
        )
        self.ds.add(
            "sales_order_line",
            [
                "id",
                "order_id",
                "line_no",
                "item_id",
                "quantity",
                "unit_price",
                "shipped_qty",
                "invoiced_qty",
            ],
            sol,
        )
        self.alloc_rows = alloc
        self.ds.add(
            "shipment",
            ["id", "shipment_number", "order_id", "ship_to_id", "shipped_by", "shipped_at"],
            ship,
        )
        self.ds.add(
            "shipment_line",
            [
                "id",
                "shipment_id",
                "order_line_id",
                "item_id",
                "lot_id",
                "serial",
                "quantity",
                "udi",
            ],
            ship_l,
        )
        self.ds.add(
            "invoice",
            [
                "id",
                "invoice_number",
                "customer_id",
                "order_id",
                "period",
                "invoice_date",
                "due_date",
                "total_amount",
                "amount_paid",
                "status",
            ],
            inv,
        )
        self.ds.add(
            "invoice_line",
            ["id", "invoice_id", "order_line_id", "item_id", "quantity", "unit_price", "amount"],
            inv_l,
        )
        self.ds.add(
            "payment",
            [
                "id",
                "payment_number",
                "customer_id",
                "amount",
                "unapplied_amount",
                "reference",
                "payment_date",
                "created_by",
                "created_at",
            ],
            pay,
        )
        self.ds.add(
            "payment_application",
            ["id", "payment_id", "invoice_id", "amount", "applied_at"],
            pay_app,
        )
        self.ds.add(
            "revenue_schedule", ["id", "invoice_line_id", "period", "amount", "recognized"], rev
        )
        self.ds.add(
            "complaint",
            [
                "id",
                "complaint_number",
                "customer_id",
                "lot_id",
                "description",
                "status",
                "received_at",
            ],
            complaints,
        )
        self.ds.add(
            "item_demand",
            ["item_id", "order_count", "ordered_qty", "last_order_at"],
            [(it, d[0], d[1], d[2]) for it, d in sorted(demand.items())],
        )
        # credit exposure = open orders + shipped-not-invoiced + open invoices
        self.ds.tables["customer"] = (
            self.ds.tables["customer"][0],
            [
                row[:6] + (round(open_amount.get(row[0], 0.0), 2), _ts(as_of)) + row[8:]
                for row in self.customers_rows
            ],
        )

    # ------------------------------------------------------------------ stock, quality, ledger
    def stock(self) -> None:  # noqa: C901 - builds the tables that derive from lots
        rng, as_of, size = self.rng, self.as_of, self.size
        lots: list[Row] = []
        serials: list[Row] = []
        stock: list[Row] = []
        wos: list[Row] = []
        gen: list[Row] = []
        insp: list[Row] = []
        esig: list[Row] = []
        nc: list[Row] = []
        txn = self.txn_rows
        audit = self.audit_rows
        inventory_value = 0.0
        now_ts = _ts(as_of, 28800)
        stock_id_of_lot: dict[int, int] = {}
        for lot in self.all_lots:
            it = lot.item_id
            wh = (it % size.sites) + 1
            weight = self.item_weight[it]
            if lot.status == "quarantine":
                remaining = rng.randint(20, 300)
                loc = self.loc_q[wh]
            elif lot.status == "rejected":
                remaining = rng.randint(5, 80)
                loc = self.loc_r[wh]
            elif lot.expiry <= as_of:
                remaining = rng.randint(1, 30) if rng.random() < 0.25 else 0
                loc = self.loc_bins[wh][it % len(self.loc_bins[wh])]
            elif self.item_serial[it]:
                remaining = round(rng.randint(3, 25) * (1 + 150 * weight))
                loc = self.loc_bins[wh][it % len(self.loc_bins[wh])]
            else:
                remaining = round(rng.uniform(40, 400) * (1 + 150 * weight))
                loc = self.loc_bins[wh][it % len(self.loc_bins[wh])]
            on_hand = remaining + lot.allocated_open
            received = on_hand + lot.used
            lot.received, lot.location_id = received, loc
            supplier = None
            wo_id = None
            created = _ts(lot.mfg, 30000)
            if it in self.bom_of:
                wo_id = len(wos) + 1
                wos.append(
                    (
                        wo_id,
                        f"WO{wo_id:07d}",
                        it,
                        self.bom_id[it],
                        received,
                        "completed",
                        _ts(lot.mfg, 25000),
                        created,
                    )
                )
                for comp, per in self.bom_of[it]:
                    comp_lots = [
                        c for c in self.lots_by_item[comp] if c.mfg <= lot.mfg
                    ] or self.lots_by_item[comp]
                    child = rng.choice(comp_lots)
                    gen.append((len(gen) + 1, lot.id, child.id, wo_id, per * received))
            else:
                supplier = (it % size.suppliers) + 1
            released_at = (
                _ts(lot.mfg + timedelta(days=3), 50000) if lot.status != "quarantine" else None
            )
            lots.append(
                (
                    lot.id,
                    lot.number,
                    it,
                    supplier,
                    wo_id,
                    _iso(lot.mfg),
                    _iso(lot.expiry),
                    lot.status,
                    received,
                    "qa" if released_at else None,
                    released_at,
                    created,
                )
            )
            # ledger: receipt into quarantine, then transfer on release/reject
            qloc = self.loc_q[wh]
            txn.append(
                (0, "receipt", it, qloc, lot.id, received, "lot", lot.id, "warehouse", created)
            )
            if lot.status != "quarantine":
                txn.append(
                    (
                        0,
                        "transfer_out",
                        it,
                        qloc,
                        lot.id,
                        -received,
                        "lot",
                        lot.id,
                        "qa",
                        released_at,
                    )
                )
                txn.append(
                    (0, "transfer_in", it, loc, lot.id, received, "lot", lot.id, "qa", released_at)
                )
                result = "pass" if lot.status == "released" else "fail"
                insp.append(
                    (
                        len(insp) + 1,
                        lot.id,
                        "qa",
                        result,
                        "visual and dimensional inspection",
                        _ts(lot.mfg + timedelta(days=3), 45000),
                    )
                )
                esig.append(
                    (
                        len(esig) + 1,
                        "qa",
                        "lot",
                        str(lot.id),
                        "approval" if result == "pass" else "rejection",
                        None,
                        released_at,
                    )
                )
                audit.append(
                    (
                        len(audit) + 1,
                        "lot",
                        str(lot.id),
                        "update",
                        "status",
                        "quarantine",
                        lot.status,
                        "QA usage decision",
                        "qa",
                        released_at,
                    )
                )
                if lot.status == "rejected":
                    nc.append(
                        (
                            len(nc) + 1,
                            f"NC{len(nc) + 1:06d}",
                            lot.id,
                            "Seal integrity failure",
                            "closed",
                            released_at,
                        )
                    )
            sid = len(stock) + 1
            stock.append((sid, it, loc, lot.id, on_hand, lot.allocated_open, now_ts))
            stock_id_of_lot[lot.id] = sid
            inventory_value += received * self.item_cost[it]
            if self.item_serial[it]:
                for k in range(1, received + 1):
                    serials.append(
                        (
                            len(serials) + 1,
                            lot.id,
                            f"S{lot.id:07d}{k:04d}",
                            "shipped" if k < lot.serial_next else "in_stock",
                        )
                    )
        for lot, qty, sid, sts in self.issue_rows:
            txn.append(
                (
                    0,
                    "issue",
                    lot.item_id,
                    lot.location_id,
                    lot.id,
                    qty,
                    "shipment",
                    sid,
                    "warehouse",
                    sts,
                )
            )
        txn.sort(key=lambda r: r[9] or "")
        txn_rows = [(i + 1,) + r[1:] for i, r in enumerate(txn)]
        alloc = [r[:2] + (stock_id_of_lot[r[3]],) + r[3:] for r in self.alloc_rows]
        # opening balance for inventory, so the trial balance stays balanced
        first_period = min(self.ds.tables["fiscal_period"][1], key=lambda r: r[1])
        opening_day = date.fromisoformat(first_period[2])
        self.entry(
            opening_day,
            "opening",
            0,
            "Opening inventory and equity",
            [("1200", inventory_value, 0), ("3000", 0, inventory_value)],
        )
        recalls = []
        rejected = [lot for lot in self.all_lots if lot.status == "rejected"]
        for k, lot in enumerate(rejected[:2], start=1):
            recalls.append(
                (
                    k,
                    f"RC{k:05d}",
                    lot.id,
                    "Field safety notice: seal integrity",
                    "closed",
                    _ts(lot.mfg + timedelta(days=20), 40000),
                )
            )
        ds = self.ds
        ds.add(
            "work_order",
            [
                "id",
                "wo_number",
                "item_id",
                "bom_id",
                "quantity",
                "status",
                "started_at",
                "completed_at",
            ],
            wos,
        )
        ds.add(
            "lot",
            [
                "id",
                "lot_number",
                "item_id",
                "supplier_id",
                "work_order_id",
                "mfg_date",
                "expiry_date",
                "status",
                "quantity_received",
                "released_by",
                "released_at",
                "created_at",
            ],
            lots,
        )
        ds.add("serial_unit", ["id", "lot_id", "serial", "status"], serials)
        ds.add(
            "stock_balance",
            ["id", "item_id", "location_id", "lot_id", "on_hand", "allocated", "updated_at"],
            stock,
        )
        ds.add(
            "inventory_txn",
            [
                "id",
                "txn_type",
                "item_id",
                "location_id",
                "lot_id",
                "quantity",
                "ref_table",
                "ref_id",
                "created_by",
                "created_at",
            ],
            txn_rows,
        )
        ds.add(
            "lot_genealogy",
            ["id", "parent_lot_id", "child_lot_id", "work_order_id", "quantity"],
            gen,
        )
        ds.add("inspection", ["id", "lot_id", "inspector", "result", "notes", "inspected_at"], insp)
        ds.add(
            "nonconformance",
            ["id", "nc_number", "lot_id", "description", "status", "created_at"],
            nc,
        )
        ds.add(
            "recall", ["id", "recall_number", "lot_id", "reason", "status", "initiated_at"], recalls
        )
        ds.add(
            "allocation",
            [
                "id",
                "order_line_id",
                "stock_balance_id",
                "lot_id",
                "quantity",
                "status",
                "created_at",
            ],
            alloc,
        )
        ds.add(
            "journal_entry",
            [
                "id",
                "period",
                "entry_date",
                "source",
                "source_id",
                "description",
                "created_by",
                "created_at",
            ],
            self.je_rows,
        )
        ds.add("journal_line", ["id", "entry_id", "account_id", "debit", "credit"], self.jl_rows)
        close_runs = []
        totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
        entry_period = {r[0]: r[1] for r in self.je_rows}
        counted: set[int] = set()
        for _id, eid, _acc, dr, cr in self.jl_rows:
            t = totals[entry_period[eid]]
            if eid not in counted:
                counted.add(eid)
                t[0] += 1
            t[1] += dr
            t[2] += cr
        for k, period in enumerate(sorted(self.periods_closed), start=1):
            t = totals[period]
            y, m = int(period[:4]), int(period[5:])
            done = _ts(_add_months(date(y, m, 1), 1) + timedelta(days=4), 64800)
            close_runs.append(
                (
                    k,
                    period,
                    "completed",
                    "finance",
                    done,
                    done,
                    int(t[0]),
                    round(t[1], 2),
                    round(t[2], 2),
                )
            )
        ds.add(
            "period_close_run",
            [
                "id",
                "period",
                "status",
                "run_by",
                "started_at",
                "finished_at",
                "entries",
                "debit_total",
                "credit_total",
            ],
            close_runs,
        )
        ds.add(
            "audit_log",
            [
                "id",
                "table_name",
                "record_key",
                "action",
                "field",
                "old_value",
                "new_value",
                "reason",
                "changed_by",
                "changed_at",
            ],
            audit,
        )
        ds.add(
            "e_signature",
            ["id", "username", "record_table", "record_key", "meaning", "reason", "signed_at"],
            esig,
        )

    def build(self) -> Dataset:
        """Generate every table."""
        self.master()
        self.lots()
        self.history()
        self.stock()
        return self.ds


def _cum(weights: Sequence[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _add_months(d: date, months: int) -> date:
    """First-of-month arithmetic: ``d`` must be a first of month or the day is kept.

    >>> _add_months(date(2026, 11, 1), 3)
    datetime.date(2027, 2, 1)
    """
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, d.day)


def generate(
    scale: float, seed: int = 42, as_of: date | None = None, demo_password: str = "erpcap"
) -> Dataset:
    """Generate the dataset in memory (no database needed)."""
    if not (0 < scale <= 100):
        raise ValueError("scale must be > 0 and <= 100")
    return _Generator(scale, seed, as_of or date.today(), demo_password).build()


# ---------------------------------------------------------------------- loading
def _ordered(ds: Dataset) -> list[str]:
    return [t for t in schema.TABLES if t in ds.tables]


def _load_sqlite(path: str, ds: Dataset, progress: Callable[[str, int, float], None]) -> None:
    import sqlite3

    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(path + suffix)
        if p.exists():
            p.unlink()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=MEMORY")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        for stmt in schema.ddl_statements("sqlite"):
            conn.execute(stmt)
        for table in _ordered(ds):
            t0 = time.perf_counter()
            cols, data = ds.tables[table]
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            conn.executemany(sql, data)
            progress(table, len(data), time.perf_counter() - t0)
        conn.execute("COMMIT")
        t0 = time.perf_counter()
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode=WAL")
        progress("(analyze)", 0, time.perf_counter() - t0)
    finally:
        conn.close()


def _pg_conninfo(url: str, database: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(normalize_url(url)).set(drivername="postgresql")
    if database is not None:
        u = u.set(database=database)
    return u.render_as_string(hide_password=False)


def _ensure_pg_database(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    name = make_url(normalize_url(url)).database
    if not name:
        raise ValueError("the PostgreSQL URL names no database")
    try:
        psycopg.connect(_pg_conninfo(url), connect_timeout=10).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    with psycopg.connect(
        _pg_conninfo(url, "postgres"), autocommit=True, connect_timeout=10
    ) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')


def _load_postgres(url: str, ds: Dataset, progress: Callable[[str, int, float], None]) -> None:
    import psycopg

    _ensure_pg_database(url)
    with psycopg.connect(_pg_conninfo(url), connect_timeout=10) as conn:
        with conn.cursor() as cur:
            cur.execute("SET client_min_messages = warning")
            for stmt in schema.drop_statements("postgresql"):
                cur.execute(stmt)
            for stmt in schema.ddl_statements("postgresql"):
                cur.execute(stmt)
            for table in _ordered(ds):
                t0 = time.perf_counter()
                cols, data = ds.tables[table]
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(row)
                progress(table, len(data), time.perf_counter() - t0)
            for table in schema.IDENTITY_TABLES:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
        conn.commit()
        conn.autocommit = True
        t0 = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        progress("(vacuum analyze)", 0, time.perf_counter() - t0)


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
        _load_sqlite(path, ds, progress)
    else:
        _load_postgres(url, ds, progress)
    stream.write(f"seeded in {time.perf_counter() - t_start:.1f} s\n")
    stream.flush()
    return ds.counts()


def env_demo_password() -> str | None:
    """The demo password from ``ERPCAP_ERP_DEMO_PASSWORD``, if set."""
    return os.environ.get("ERPCAP_ERP_DEMO_PASSWORD")
