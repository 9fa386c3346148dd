"""Payments, the invoice run and period close.

The close-window reports (trial balance, AR aging, inventory valuation) are in
:mod:`.finance_reports`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from .audit import AuditTrail
from .auth import Principal
from .context import AppContext
from .db import Conn, execute, insert_returning_id, one, rows
from .errors import ApiError
from .ledger import post_journal, require_open_period
from .models import InvoicingIn, PaymentIn
from .sql import in_params, set_number, utc_now
from .views import day, money, ts


# ---------------------------------------------------------------------- payments
def record_payment(ctx: AppContext, user: Principal, body: PaymentIn) -> dict[str, Any]:
    """Record a customer payment and apply it to open invoices, oldest due date first."""
    return ctx.db.run_write(lambda conn: _payment(ctx, conn, user, body))


def _payment(ctx: AppContext, conn: Conn, user: Principal, body: PaymentIn) -> dict[str, Any]:
    """The payment in one transaction; returns it with its applications."""
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
    pay_id = _insert_payment(conn, body, amount, pay_day, user.username, now)
    number = f"PM{pay_id:08d}"
    trail = AuditTrail(user.username, now)
    trail.add("payment", pay_id, "insert", "amount", None, amount, "customer payment")
    apps, left = _apply_payment(conn, trail, invoices, pay_id, number, amount, now)
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
    trail.write(conn)
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


def _insert_payment(
    conn: Conn, body: PaymentIn, amount: float, pay_day: date, username: str, now: str
) -> int:
    """Insert the payment, all of it unapplied for now; return its id."""
    return insert_returning_id(
        conn,
        "INSERT INTO payment (payment_number, customer_id, amount, unapplied_amount, reference, payment_date, "
        "created_by, created_at) VALUES (:n, :c, :a, :a, :r, :d, :u, :now)",
        {
            "n": f"TMP-PM-{now}-{id(body)}",
            "c": body.customer_id,
            "a": amount,
            "r": body.reference,
            "d": pay_day.isoformat(),
            "u": username,
            "now": now,
        },
    )


def _apply_payment(
    conn: Conn,
    trail: AuditTrail,
    invoices: list[dict[str, Any]],
    pay_id: int,
    number: str,
    amount: float,
    now: str,
) -> tuple[list[dict[str, Any]], float]:
    """Apply ``amount`` to the open invoices in order; return the applications and what is
    left unapplied."""
    left = amount
    apps: list[dict[str, Any]] = []
    for inv in invoices:
        if left < 0.005:
            break
        open_amount = round(float(inv["total_amount"]) - float(inv["amount_paid"]), 2)
        take = round(min(open_amount, left), 2)
        if take <= 0:
            continue
        apps.append(_apply_to_invoice(conn, trail, inv, take, pay_id, number, now))
        left = round(left - take, 2)
    return apps, left


def _apply_to_invoice(
    conn: Conn,
    trail: AuditTrail,
    inv: dict[str, Any],
    take: float,
    pay_id: int,
    number: str,
    now: str,
) -> dict[str, Any]:
    """Apply ``take`` of the payment to one invoice (a paid invoice closes its order)."""
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
    old = money(inv["amount_paid"])
    trail.add("invoice", inv["id"], "update", "amount_paid", old, paid, f"payment {number}")
    return {
        "invoice_id": int(inv["id"]),
        "invoice_number": inv["invoice_number"],
        "amount": take,
        "invoice_status": status,
    }


# ---------------------------------------------------------------------- invoicing
def run_invoicing(ctx: AppContext, user: Principal, body: InvoicingIn) -> dict[str, Any]:
    """Invoice shipped, not yet invoiced orders (at most ``limit``), with revenue schedules."""
    return ctx.db.run_write(lambda conn: _invoicing(ctx, conn, user, body.limit))


def _invoicing(ctx: AppContext, conn: Conn, user: Principal, limit: int) -> dict[str, Any]:
    """The invoice run in one transaction; concurrent runs skip each other's orders."""
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
    by_order = _lines_by_order(conn, [int(o["id"]) for o in orders])
    trail = AuditTrail(user.username, now)
    invoice_ids: list[int] = []
    n_lines = 0
    grand = 0.0
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
        inv_id, total = _invoice_order(ctx, conn, trail, o, lines, period, today)
        invoice_ids.append(inv_id)
        n_lines += len(lines)
        grand += total
    trail.write(conn)
    return {
        "invoices": len(invoice_ids),
        "lines": n_lines,
        "amount": round(grand, 2),
        "invoice_ids": invoice_ids,
    }


def _lines_by_order(conn: Conn, order_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The lines of the orders, in line order, by order id (one query)."""
    marks, params = in_params("o", order_ids)
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
    return by_order


def _invoice_order(
    ctx: AppContext,
    conn: Conn,
    trail: AuditTrail,
    order: dict[str, Any],
    lines: list[dict[str, Any]],
    period: str,
    today: date,
) -> tuple[int, float]:
    """Invoice the not yet invoiced quantities of an order, post the revenue (product now,
    service over its schedule) and audit it; return the invoice id and total."""
    total = round(
        sum(
            (int(ln["shipped_qty"]) - int(ln["invoiced_qty"])) * float(ln["unit_price"])
            for ln in lines
        ),
        2,
    )
    due = today + timedelta(days=int(order["payment_terms_days"]))
    inv_id = insert_returning_id(
        conn,
        "INSERT INTO invoice (invoice_number, customer_id, order_id, period, invoice_date, due_date, "
        "total_amount, amount_paid, status) VALUES (:n, :c, :o, :p, :d, :due, :t, 0, 'open')",
        {
            "n": f"TMP-IN-{order['id']}",
            "c": order["customer_id"],
            "o": order["id"],
            "p": period,
            "d": today.isoformat(),
            "due": due.isoformat(),
            "t": total,
        },
    )
    number = f"IN{inv_id:08d}"
    set_number(conn, "invoice", "invoice_number", inv_id, number)
    product, service, schedules = _invoice_lines(conn, inv_id, lines, today)
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
        trail.user,
        trail.at,
    )
    reason = f"invoice run for {order['order_number']}"
    trail.add("invoice", inv_id, "insert", "total_amount", None, total, reason)
    trail.add("sales_order", order["id"], "update", "status", "shipped", "invoiced", "invoice run")
    return inv_id, total


def _invoice_lines(
    conn: Conn, inv_id: int, lines: list[dict[str, Any]], today: date
) -> tuple[float, float, list[dict[str, Any]]]:
    """Insert the invoice lines and mark the order lines invoiced.

    Returns the product revenue, the deferred service revenue and its schedule rows: 20% of
    equipment (serial-controlled) revenue is a 12-month service plan.
    """
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
        if int(ln["serial_controlled"]):
            svc = round(amount * 0.2, 2)
            service += svc
            product += amount - svc
            schedules += _service_schedule(il_id, svc, today)
        else:
            product += amount
    return product, service, schedules


def _service_schedule(invoice_line_id: int, amount: float, today: date) -> list[dict[str, Any]]:
    """Twelve monthly revenue-schedule rows of a service plan, from this month on.

    >>> plan = _service_schedule(7, 120.0, date(2026, 11, 25))
    >>> [r["p"] for r in plan[:3]], plan[0]["a"], len(plan)
    (['2026-11', '2026-12', '2027-01'], 10.0, 12)
    """
    first = date(today.year, today.month, 1)
    out = []
    for m in range(12):
        y, mo = divmod(first.month - 1 + m, 12)
        out.append(
            {
                "l": invoice_line_id,
                "p": f"{first.year + y:04d}-{mo + 1:02d}",
                "a": round(amount / 12, 2),
            }
        )
    return out


# ---------------------------------------------------------------------- period close
def close_period(ctx: AppContext, user: Principal, period: str) -> dict[str, Any]:
    """Close a fiscal period; closing a closed period returns the first close run."""
    return ctx.db.run_write(lambda conn: _close(ctx, conn, user, period))


def _close(ctx: AppContext, conn: Conn, user: Principal, period: str) -> dict[str, Any]:
    """The period close in one transaction (the period row locked against postings)."""
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
    entries, dr, cr = _balanced_totals(conn, period)
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
        {"p": period, "u": user.username, "now": now, "e": int(entries or 0), "dr": dr, "cr": cr},
    )
    trail = AuditTrail(user.username, now)
    trail.add("fiscal_period", period, "update", "status", "open", "closed", "period close")
    trail.write(conn)
    run = {
        "id": run_id,
        "run_by": user.username,
        "finished_at": now,
        "entries": entries,
        "debit_total": dr,
        "credit_total": cr,
    }
    return _close_view(period, run, {"closed_at": now, "closed_by": user.username}, already=False)


def _balanced_totals(conn: Conn, period: str) -> tuple[Any, float, float]:
    """The period's journal entry count, debit and credit totals; 409 when they differ."""
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
    return totals.get("entries"), dr, cr


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


def list_periods(conn: Conn) -> dict[str, Any]:
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
