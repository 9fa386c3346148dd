"""The close-window reports: trial balance, AR aging and inventory valuation.

They read from the report database: the replica when the ``replica`` lever is on and
``--replica-db`` is given, else the primary.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from .context import AppContext
from .db import rows, scalar
from .errors import ApiError
from .ledger import period_of
from .views import day, money


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
