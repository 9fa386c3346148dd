"""Post-order work: what an ERP does after it acknowledges an order.

1. Recompute each customer's credit exposure over *all* open orders and open invoices.
2. Update the demand statistics of each ordered item (hot rows for hot items).
3. Write an order-confirmation document.

With the ``async`` lever off this runs inside the order's transaction (the legacy way: the
caller waits, and the stock, customer and item-demand rows stay locked until commit). With it
on, order ids go to a queue; the consumer takes them in batches and does the same work in its
own transaction, once per customer and item of the batch rather than once per order.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .db import Conn, execute, rows
from .sql import in_params, utc_now


def process_orders(conn: Conn, order_ids: list[int]) -> int:
    """Do the post-order work for ``order_ids``; return how many orders exist."""
    ids = sorted(set(order_ids))
    if not ids:
        return 0
    marks, params = in_params("o", ids)
    orders = rows(
        conn,
        f"SELECT id, order_number, customer_id, total_amount, order_date FROM sales_order WHERE id IN ({marks})",
        params,
    )
    if not orders:
        return 0
    now = utc_now()
    customers = sorted({int(o["customer_id"]) for o in orders})
    cmarks, cparams = in_params("c", customers)
    exposure = {c: 0.0 for c in customers}
    for r in rows(
        conn,
        "SELECT o.customer_id, COALESCE(SUM(l.quantity * l.unit_price), 0) AS amount FROM sales_order o "
        "JOIN sales_order_line l ON l.order_id = o.id "
        f"WHERE o.customer_id IN ({cmarks}) AND o.status IN ('open', 'shipped') GROUP BY o.customer_id",
        cparams,
    ) + rows(
        conn,
        "SELECT customer_id, COALESCE(SUM(total_amount - amount_paid), 0) AS amount FROM invoice "
        f"WHERE customer_id IN ({cmarks}) AND status = 'open' GROUP BY customer_id",
        cparams,
    ):
        exposure[int(r["customer_id"])] += float(r["amount"])
    execute(  # in customer order: a stable lock order between consumers
        conn,
        "UPDATE customer SET credit_exposure = :x, exposure_updated_at = :now WHERE id = :c",
        [{"x": round(exposure[c], 2), "now": now, "c": c} for c in customers],
    )
    lines = rows(
        conn,
        "SELECT l.order_id, l.line_no, l.item_id, l.quantity, l.unit_price, i.sku, i.name "
        f"FROM sales_order_line l JOIN item i ON i.id = l.item_id WHERE l.order_id IN ({marks})",
        params,
    )
    demand: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    by_order: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for ln in lines:
        d = demand[int(ln["item_id"])]
        d[0] += 1
        d[1] += int(ln["quantity"])
        by_order[int(ln["order_id"])].append(ln)
    execute(
        conn,
        "INSERT INTO item_demand (item_id, order_count, ordered_qty, last_order_at) "
        "VALUES (:item, :n, :qty, :now) ON CONFLICT (item_id) DO UPDATE SET "
        "order_count = item_demand.order_count + excluded.order_count, "
        "ordered_qty = item_demand.ordered_qty + excluded.ordered_qty, "
        "last_order_at = excluded.last_order_at",
        [{"item": i, "n": d[0], "qty": d[1], "now": now} for i, d in sorted(demand.items())],
    )
    docs = []
    for o in orders:
        body = "\n".join(
            [
                f"ORDER CONFIRMATION {o['order_number']}",
                f"customer {o['customer_id']}  date {o['order_date']}",
                "",
            ]
            + [
                f"{ln['line_no']:>3} {ln['sku']:<10} {str(ln['name'])[:40]:<40} "
                f"{ln['quantity']:>6} x {float(ln['unit_price']):>10.2f}"
                for ln in sorted(by_order[int(o["id"])], key=lambda r: int(r["line_no"]))
            ]
            + ["", f"total {float(o['total_amount']):.2f} EUR"]
        )
        docs.append({"o": o["id"], "b": body, "now": now})
    execute(
        conn,
        "INSERT INTO order_document (order_id, kind, body, created_at) VALUES (:o, 'confirmation', :b, :now)",
        docs,
    )
    return len(orders)
