"""Master data of the generated company: sites, locations, items, GTINs, BOMs, price lists,
customers and ship-tos, suppliers, roles and demo users, GL accounts and fiscal periods.

Item and customer popularity are Zipf-like: a random permutation gets Zipf weights, which
the order history samples from.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import date, timedelta

from . import gs1
from .passwords import hash_password
from .seed_sizes import _add_months, _cum, _iso, _ts, _zipf_cum
from .seed_state import Row, _GeneratorState

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


class _MasterData(_GeneratorState):
    """Generation phase 1: the master-data tables and the lookups later phases use."""

    def master(self) -> None:
        """Add the master-data tables, in load order."""
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
        self.loc_q = {}
        self.loc_r = {}
        self.loc_bins = defaultdict(list)
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
        self.item_serial = {}
        self.item_shelf = {}
        self.item_cost = {}
        self.item_price = {}
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
        self.gtin_each = {}
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
        self.bom_of = {}
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
        self.prices = {}
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
        self.cust_pl = {}
        self.cust_terms = {}
        self.cust_ship = {}
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
        self.periods_closed = set()
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
