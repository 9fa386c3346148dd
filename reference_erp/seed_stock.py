"""Tables that derive from the lots once the history is known: lots and serial units, work
orders and genealogy, stock balances, the inventory ledger, inspections, nonconformances,
recalls, allocations, the general ledger with its opening entry and period-close runs, the
audit log and e-signatures.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from .seed_sizes import _add_months, _iso, _ts
from .seed_state import Row, _GeneratorState


class _Stock(_GeneratorState):
    """Generation phase 4: stock, quality and ledger tables (runs after the history)."""

    def stock(self) -> None:  # noqa: C901 - builds the tables that derive from lots
        """Add the lot, stock, quality and ledger tables."""
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
