"""Order history of the generated company: a year of sales orders with their allocations,
shipments, invoices, payments, revenue schedules, complaints, journal entries and audit rows.

Order dates follow a seasonal curve with a November peak and quiet weekends; orders of the
last two days are open, of the last nine shipped, older ones invoiced and mostly paid.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from . import gs1
from .seed_lots import _Lots
from .seed_master import _ACC
from .seed_sizes import _add_months, _cum, _iso, _ts
from .seed_state import Row, _Lot


class _History(_Lots):
    """Generation phase 3: one pass over the order history (needs the lots for picking)."""

    def history(self) -> None:  # noqa: C901 - one pass over the order history, kept together
        """Add the order-to-cash tables; leave the journal, audit and issue rows for stock."""
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
        self.issue_rows = []  # lot, qty, shipment id, ts
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
                seen = demand.setdefault(it, [0, 0, created])
                seen[0] += 1
                seen[1] += qty
                seen[2] = created
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
