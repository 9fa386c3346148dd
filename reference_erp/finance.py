"""Payments, the invoice run, period close and the close-window reports.

Reports (trial balance, AR aging, inventory valuation) read from the report database: the
replica when the ``replica`` lever is on and ``--replica-db`` is given, else the primary.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from .audit import audit, audit_row
from .auth import Principal
from .context import AppContext
from .db import execute, insert_returning_id, one, rows, scalar
from .errors import ApiError
from .ledger import period_of, post_journal, require_open_period
from .models import InvoicingIn, PaymentIn
from .sql import in_params, utc_now
from .views import day, money, ts


# ---------------------------------------------------------------------- payments
def record_payment(ctx: AppContext, user: Principal, body: PaymentIn) -> dict[str, Any]:
    """Record a customer payment and apply it to open invoices, oldest due date first."""
    return ctx.db.run_write(lambda conn: _payment(ctx, conn, user, body))


def _payment(ctx: AppContext, conn: Connection, user: Principal, body: PaymentIn) -> dict[str, Any]:
    d = ctx.db.dialect
    now = utc_now()
    pay_day = body.payment_date or date.today()
    amount = round(body.amount, 2)
    if amount < 0.01:
        raise ApiError(422, "amount_too_small", "the payment amount must be at least 0.01")
    if one(conn, "SELECT id FROM customer WHERE id = :id", {"id": body.customer_id}) is None:
        raise ApiError(
            422,
            "unknown_customer",
            f"customer {body.customer_id} does not exist",
            {"customer_id": body.customer_id},
        )
    require_open_period(ctx, conn, pay_day)
    invoices = rows(
        conn,
        "SELECT id, invoice_number, order_id, total_amount, amount_paid FROM invoice "
        f"WHERE customer_id = :c AND status = 'open' ORDER BY due_date, id{d.for_update}",
        {"c": body.customer_id},
    )
    pay_id = insert_returning_id(
        conn,
        "INSERT INTO payment (payment_number, customer_id, amount, unapplied_amount, reference, payment_date, "
        "created_by, created_at) VALUES (:n, :c, :a, :a, :r, :d, :u, :now)",
        {
            "n": f"TMP-PM-{now}-{id(body)}",
            "c": body.customer_id,
            "a": amount,
            "r": body.reference,
            "d": pay_day.isoformat(),
            "u": user.username,
            "now": now,
        },
    )
    number = f"PM{pay_id:08d}"
    left = amount
    apps: list[dict[str, Any]] = []
    audits = [
        audit_row(
            "payment",
            pay_id,
            "insert",
            "amount",
            None,
            amount,
            "customer payment",
            user.username,
            now,
        )
    ]
    for inv in invoices:
        if left < 0.005:
            break
        open_amount = round(float(inv["total_amount"]) - float(inv["amount_paid"]), 2)
        take = round(min(open_amount, left), 2)
        if take <= 0:
            continue
        paid = round(float(inv["amount_paid"]) + take, 2)
        status = "paid" if paid >= float(inv["total_amount"]) - 0.005 else "open"
        execute(
            conn,
            "UPDATE invoice SET amount_paid = :p, status = :s WHERE id = :id",
            {"p": paid, "s": status, "id": inv["id"]},
        )
        execute(
            conn,
            "INSERT INTO payment_application (payment_id, invoice_id, amount, applied_at) "
            "VALUES (:p, :i, :a, :now)",
            {"p": pay_id, "i": inv["id"], "a": take, "now": now},
        )
        if status == "paid":
            execute(
                conn,
                "UPDATE sales_order SET status = 'closed' WHERE id = :id AND status = 'invoiced'",
                {"id": inv["order_id"]},
            )
        audits.append(
            audit_row(
                "invoice",
                inv["id"],
                "update",
                "amount_paid",
                money(inv["amount_paid"]),
                paid,
                f"payment {number}",
                user.username,
                now,
            )
        )
        apps.append(
            {
                "invoice_id": int(inv["id"]),
                "invoice_number": inv["invoice_number"],
                "amount": take,
                "invoice_status": status,
            }
        )
        left = round(left - take, 2)
    execute(
        conn,
        "UPDATE payment SET payment_number = :n, unapplied_amount = :u WHERE id = :id",
        {"n": number, "u": left, "id": pay_id},
    )
    post_journal(
        ctx,
        conn,
        pay_day,
        "payment",
        pay_id,
        f"Payment {number}",
        [("1000", amount, 0.0), ("1100", 0.0, amount)],
        user.username,
        now,
    )
    audit(conn, audits)
    return {
        "id": pay_id,
        "payment_number": number,
        "customer_id": body.customer_id,
        "amount": amount,
        "unapplied_amount": left,
        "reference": body.reference,
        "payment_date": pay_day.isoformat(),
        "applications": apps,
    }


# ---------------------------------------------------------------------- invoicing
def run_invoicing(ctx: AppContext, user: Principal, body: InvoicingIn) -> dict[str, Any]:
    """Invoice shipped, not yet invoiced orders (at most ``limit``), with revenue schedules."""
    return ctx.db.run_write(lambda conn: _invoicing(ctx, conn, user, body.limit))


def _invoicing(ctx: AppContext, conn: Connection, user: Principal, limit: int) -> dict[str, Any]:
    d = ctx.db.dialect
    now = utc_now()
    today = date.today()
    period = require_open_period(ctx, conn, today)
    orders = rows(
        conn,
        "SELECT o.id, o.customer_id, o.order_number, c.payment_terms_days FROM sales_order o "
        "JOIN customer c ON c.id = o.customer_id WHERE o.status = 'shipped' "
        f"ORDER BY o.id LIMIT :limit{d.skip_locked and ' FOR UPDATE OF o SKIP LOCKED'}",
        {"limit": limit},
    )
    if not orders:
        return {"invoices": 0, "lines": 0, "amount": 0.0, "invoice_ids": []}
    marks, params = in_params("o", [int(o["id"]) for o in orders])
    all_lines = rows(
        conn,
        "SELECT l.id, l.order_id, l.item_id, l.shipped_qty, l.invoiced_qty, l.unit_price, "
        "i.serial_controlled FROM sales_order_line l JOIN item i ON i.id = l.item_id "
        f"WHERE l.order_id IN ({marks}) ORDER BY l.order_id, l.line_no",
        params,
    )
    by_order: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for ln in all_lines:
        by_order[int(ln["order_id"])].append(ln)
    invoice_ids: list[int] = []
    n_lines = 0
    grand = 0.0
    audits = []
    for o in orders:
        changed = execute(
            conn,
            "UPDATE sales_order SET status = 'invoiced' WHERE id = :id AND status = 'shipped'",
            {"id": o["id"]},
        )
        if changed != 1:
            continue
        lines = [
            ln for ln in by_order[int(o["id"])] if int(ln["shipped_qty"]) > int(ln["invoiced_qty"])
        ]
        total = round(
            sum(
                (int(ln["shipped_qty"]) - int(ln["invoiced_qty"])) * float(ln["unit_price"])
                for ln in lines
            ),
            2,
        )
        due = today + timedelta(days=int(o["payment_terms_days"]))
        inv_id = insert_returning_id(
            conn,
            "INSERT INTO invoice (invoice_number, customer_id, order_id, period, invoice_date, due_date, "
            "total_amount, amount_paid, status) VALUES (:n, :c, :o, :p, :d, :due, :t, 0, 'open')",
            {
                "n": f"TMP-IN-{o['id']}",
                "c": o["customer_id"],
                "o": o["id"],
                "p": period,
                "d": today.isoformat(),
                "due": due.isoformat(),
                "t": total,
            },
        )
        number = f"IN{inv_id:08d}"
        execute(
            conn,
            "UPDATE invoice SET invoice_number = :n WHERE id = :id",
            {"n": number, "id": inv_id},
        )
        product, service = 0.0, 0.0
        schedules: list[dict[str, Any]] = []
        for ln in lines:
            qty = int(ln["shipped_qty"]) - int(ln["invoiced_qty"])
            amount = round(qty * float(ln["unit_price"]), 2)
            il_id = insert_returning_id(
                conn,
                "INSERT INTO invoice_line (invoice_id, order_line_id, item_id, quantity, unit_price, amount) "
                "VALUES (:i, :l, :item, :q, :p, :a)",
                {
                    "i": inv_id,
                    "l": ln["id"],
                    "item": ln["item_id"],
                    "q": qty,
                    "p": ln["unit_price"],
                    "a": amount,
                },
            )
            execute(
                conn,
                "UPDATE sales_order_line SET invoiced_qty = shipped_qty WHERE id = :id",
                {"id": ln["id"]},
            )
            if int(ln["serial_controlled"]):  # 20% of equipment revenue is a 12-month service plan
                svc = round(amount * 0.2, 2)
                service += svc
                product += amount - svc
                first = date(today.year, today.month, 1)
                for m in range(12):
                    y, mo = divmod(first.month - 1 + m, 12)
                    schedules.append(
                        {
                            "l": il_id,
                            "p": f"{first.year + y:04d}-{mo + 1:02d}",
                            "a": round(svc / 12, 2),
                        }
                    )
            else:
                product += amount
            n_lines += 1
        execute(
            conn,
            "INSERT INTO revenue_schedule (invoice_line_id, period, amount, recognized) VALUES (:l, :p, :a, 0)",
            schedules,
        )
        post_journal(
            ctx,
            conn,
            today,
            "invoice",
            inv_id,
            f"Invoice {number}",
            [("1100", total, 0.0), ("4000", 0.0, product), ("2200", 0.0, service)],
            user.username,
            now,
        )
        audits.append(
            audit_row(
                "invoice",
                inv_id,
                "insert",
                "total_amount",
                None,
                total,
                f"invoice run for {o['order_number']}",
                user.username,
                now,
            )
        )
        audits.append(
            audit_row(
                "sales_order",
                o["id"],
                "update",
                "status",
                "shipped",
                "invoiced",
                "invoice run",
                user.username,
                now,
            )
        )
        invoice_ids.append(inv_id)
        grand += total
    audit(conn, audits)
    return {
        "invoices": len(invoice_ids),
        "lines": n_lines,
        "amount": round(grand, 2),
        "invoice_ids": invoice_ids,
    }


# ---------------------------------------------------------------------- period close
def close_period(ctx: AppContext, user: Principal, period: str) -> dict[str, Any]:
    """Close a fiscal period; closing a closed period returns the first close run."""
    return ctx.db.run_write(lambda conn: _close(ctx, conn, user, period))


def _close(ctx: AppContext, conn: Connection, user: Principal, period: str) -> dict[str, Any]:
    d = ctx.db.dialect
    now = utc_now()
    fp = one(
        conn,
        f"SELECT id, period, status, closed_at, closed_by FROM fiscal_period WHERE period = :p{d.for_update}",
        {"p": period},
    )
    if fp is None:
        raise ApiError(
            404, "not_found", f"fiscal period {period} does not exist", {"period": period}
        )
    if fp["status"] == "closed":
        run = (
            one(
                conn,
                "SELECT id, run_by, finished_at, entries, debit_total, credit_total FROM period_close_run "
                "WHERE period = :p",
                {"p": period},
            )
            or {}
        )
        return _close_view(period, run, fp, already=True)
    totals = (
        one(
            conn,
            "SELECT COUNT(DISTINCT je.id) AS entries, COALESCE(SUM(jl.debit), 0) AS dr, "
            "COALESCE(SUM(jl.credit), 0) AS cr FROM journal_entry je "
            "JOIN journal_line jl ON jl.entry_id = je.id WHERE je.period = :p",
            {"p": period},
        )
        or {}
    )
    dr, cr = money(totals.get("dr")), money(totals.get("cr"))
    if abs(dr - cr) > 0.01:
        raise ApiError(
            409,
            "unbalanced_period",
            f"period {period} does not balance",
            {"debit": dr, "credit": cr},
        )
    execute(
        conn,
        "UPDATE fiscal_period SET status = 'closed', closed_at = :now, closed_by = :u WHERE id = :id "
        "AND status = 'open'",
        {"now": now, "u": user.username, "id": fp["id"]},
    )
    run_id = insert_returning_id(
        conn,
        "INSERT INTO period_close_run (period, status, run_by, started_at, finished_at, entries, debit_total, "
        "credit_total) VALUES (:p, 'completed', :u, :now, :now, :e, :dr, :cr)",
        {
            "p": period,
            "u": user.username,
            "now": now,
            "e": int(totals.get("entries") or 0),
            "dr": dr,
            "cr": cr,
        },
    )
    audit(
        conn,
        [
            audit_row(
                "fiscal_period",
                period,
                "update",
                "status",
                "open",
                "closed",
                "period close",
                user.username,
                now,
            )
        ],
    )
    run = {
        "id": run_id,
        "run_by": user.username,
        "finished_at": now,
        "entries": totals.get("entries"),
        "debit_total": dr,
        "credit_total": cr,
    }
    return _close_view(period, run, {"closed_at": now, "closed_by": user.username}, already=False)


def _close_view(
    period: str, run: dict[str, Any], fp: dict[str, Any], *, already: bool
) -> dict[str, Any]:
    return {
        "period": period,
        "status": "closed",
        "already_closed": already,
        "run_id": int(run["id"]) if run.get("id") is not None else None,
        "closed_at": ts(fp.get("closed_at")),
        "closed_by": fp.get("closed_by"),
        "entries": int(run.get("entries") or 0),
        "debit_total": money(run.get("debit_total")),
        "credit_total": money(run.get("credit_total")),
    }


def list_periods(conn: Connection) -> dict[str, Any]:
    """Fiscal periods with their status (discovery for the close scenarios)."""
    found = rows(
        conn,
        "SELECT period, start_date, end_date, status, closed_at, closed_by FROM fiscal_period "
        "ORDER BY period",
    )
    return {
        "items": [
            {
                "period": r["period"],
                "start_date": day(r["start_date"]),
                "end_date": day(r["end_date"]),
                "status": r["status"],
                "closed_at": ts(r["closed_at"]),
                "closed_by": r["closed_by"],
            }
            for r in found
        ],
        "total": len(found),
    }


# ---------------------------------------------------------------------- reports
def trial_balance(ctx: AppContext, period: str | None) -> dict[str, Any]:
    """Activity of the period and closing balance per account (all postings up to the period)."""
    code = period or period_of(date.today())
    with ctx.report_db.read() as conn:
        if scalar(conn, "SELECT COUNT(*) FROM fiscal_period WHERE period = :p", {"p": code}) == 0:
            raise ApiError(
                404, "not_found", f"fiscal period {code} does not exist", {"period": code}
            )
        found = rows(
            conn,
            "SELECT a.code, a.name, a.type, "
            "COALESCE(SUM(CASE WHEN t.period = :p THEN t.debit ELSE 0 END), 0) AS debit, "
            "COALESCE(SUM(CASE WHEN t.period = :p THEN t.credit ELSE 0 END), 0) AS credit, "
            "COALESCE(SUM(t.debit - t.credit), 0) AS balance FROM gl_account a LEFT JOIN ("
            " SELECT jl.account_id, jl.debit, jl.credit, je.period FROM journal_line jl"
            " JOIN journal_entry je ON je.id = jl.entry_id WHERE je.period <= :p) t ON t.account_id = a.id "
            "GROUP BY a.code, a.name, a.type ORDER BY a.code",
            {"p": code},
        )
    accounts = [
        {
            "account": r["code"],
            "name": r["name"],
            "type": r["type"],
            "debit": money(r["debit"]),
            "credit": money(r["credit"]),
            "balance": money(r["balance"]),
        }
        for r in found
    ]
    return {
        "period": code,
        "accounts": accounts,
        "totals": {
            "debit": round(sum(a["debit"] for a in accounts), 2),
            "credit": round(sum(a["credit"] for a in accounts), 2),
            "balance": round(sum(a["balance"] for a in accounts), 2),
        },
    }


_BUCKETS = (
    ("current", None, 0),
    ("1_30", 1, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("over_90", 91, None),
)


def _bucket(days_past_due: int) -> str:
    for name, lo, hi in _BUCKETS:
        if (lo is None or days_past_due >= lo) and (hi is None or days_past_due <= hi):
            return name
    return "over_90"


def ar_aging(ctx: AppContext) -> dict[str, Any]:
    """Open receivables by customer in days-past-due buckets."""
    today = date.today()
    with ctx.report_db.read() as conn:
        found = rows(
            conn,
            "SELECT i.customer_id, c.name, i.due_date, SUM(i.total_amount - i.amount_paid) AS balance "
            "FROM invoice i JOIN customer c ON c.id = i.customer_id WHERE i.status = 'open' "
            "GROUP BY i.customer_id, c.name, i.due_date",
        )
    totals = {name: 0.0 for name, _lo, _hi in _BUCKETS}
    per: dict[int, dict[str, Any]] = {}
    for r in found:
        due = date.fromisoformat(day(r["due_date"]) or today.isoformat())
        b = _bucket((today - due).days)
        amount = money(r["balance"])
        totals[b] += amount
        c = per.setdefault(
            int(r["customer_id"]),
            {
                "customer_id": int(r["customer_id"]),
                "name": r["name"],
                "total": 0.0,
                **{name: 0.0 for name, _l, _h in _BUCKETS},
            },
        )
        c[b] = round(c[b] + amount, 2)
        c["total"] = round(c["total"] + amount, 2)
    customers = sorted(per.values(), key=lambda c: (-c["total"], c["customer_id"]))
    return {
        "as_of": today.isoformat(),
        "buckets": {k: round(v, 2) for k, v in totals.items()},
        "total": round(sum(totals.values()), 2),
        "customer_count": len(customers),
        "customers": customers[:50],
    }


def inventory_valuation(ctx: AppContext) -> dict[str, Any]:
    """Stock value by lot at standard cost, split by quality status and expiry."""
    today = date.today().isoformat()
    with ctx.report_db.read() as conn:
        found = rows(
            conn,
            "SELECT l.id AS lot_id, l.lot_number, l.item_id, i.sku, l.status, l.expiry_date, "
            "SUM(sb.on_hand) AS quantity, SUM(sb.allocated) AS allocated, i.unit_cost "
            "FROM stock_balance sb JOIN lot l ON l.id = sb.lot_id JOIN item i ON i.id = l.item_id "
            "WHERE sb.on_hand > 0 GROUP BY l.id, l.lot_number, l.item_id, i.sku, l.status, "
            "l.expiry_date, i.unit_cost",
        )
    by_status: dict[str, float] = defaultdict(float)
    lots = []
    for r in found:
        value = round(int(r["quantity"]) * float(r["unit_cost"]), 2)
        expired = (day(r["expiry_date"]) or "") <= today
        by_status["expired" if expired and r["status"] == "released" else r["status"]] += value
        lots.append(
            {
                "lot_id": int(r["lot_id"]),
                "lot_number": r["lot_number"],
                "item_id": int(r["item_id"]),
                "sku": r["sku"],
                "status": r["status"],
                "expiry_date": day(r["expiry_date"]),
                "quantity": int(r["quantity"]),
                "allocated": int(r["allocated"]),
                "unit_cost": money(r["unit_cost"]),
                "value": value,
            }
        )
    lots.sort(key=lambda x: (-x["value"], x["lot_id"]))
    return {
        "as_of": today,
        "total_value": round(sum(x["value"] for x in lots), 2),
        "by_status": {k: round(v, 2) for k, v in sorted(by_status.items())},
        "lot_count": len(lots),
        "lots": lots[:50],
    }
