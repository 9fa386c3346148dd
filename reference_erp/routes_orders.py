"""Order and discovery endpoints (order group and order queries)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import JSONResponse

from . import orders, shipping
from .auth import Principal, require
from .context import AppContext
from .db import page
from .models import MAX_ID, SalesOrderIn
from .routes_system import get_ctx

router = APIRouter()

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]


@router.post("/sales-orders", operation_id="create_sales_order", status_code=201, tags=["order"])
def create_sales_order(
    user: Annotated[Principal, Depends(require("sales", "integration"))],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    body: SalesOrderIn,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
    ] = None,
) -> JSONResponse:
    """Create an order: price, allocate FEFO from released unexpired lots, audit, acknowledge."""
    order, created = orders.create_order(ctx, user, body, idempotency_key)
    headers = {"Location": f"/sales-orders/{order['id']}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(order, status_code=201, headers=headers)


@router.post(
    "/sales-orders/{order_id}/ship", operation_id="ship_order", status_code=201, tags=["order"]
)
def ship_order(
    user: Annotated[Principal, Depends(require("warehouse"))],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    order_id: IdPath,
) -> dict[str, Any]:
    """Pick, ship and post goods issue: one shipment line per lot (per unit for serialised items) with its UDI."""
    return shipping.ship_order(ctx, user, order_id)


@router.get("/availability", operation_id="check_availability", tags=["query"])
def check_availability(
    _user: Annotated[Principal, Depends(require("sales", "warehouse", "integration", "manager"))],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    item_id: Annotated[int, Query(ge=1, le=MAX_ID)],
) -> dict[str, Any]:
    """Released, unexpired, unallocated stock of an item by lot, earliest expiry first."""
    with ctx.db.read() as conn:
        return orders.availability(ctx, conn, item_id)


@router.get("/sales-orders/{order_id}", operation_id="get_sales_order", tags=["query"])
def get_sales_order(
    _user: Annotated[Principal, Depends(require("sales", "warehouse", "integration", "manager"))],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    order_id: IdPath,
) -> dict[str, Any]:
    """An order with its lines, allocations and shipments."""
    with ctx.db.read() as conn:
        return orders.get_order(conn, order_id, batched=ctx.settings.lever("batching"))


@router.get("/customers/{customer_id}/orders", operation_id="list_customer_orders", tags=["query"])
def list_customer_orders(
    _user: Annotated[Principal, Depends(require("sales", "manager"))],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    customer_id: IdPath,
    limit: Annotated[int, Query(ge=1, le=200)] = 40,
) -> dict[str, Any]:
    """A customer's most recent orders (default 40), newest first."""
    with ctx.db.read() as conn:
        return orders.customer_orders(
            ctx, conn, customer_id, limit, batched=ctx.settings.lever("batching")
        )


# ---------------------------------------------------------------------- discovery
@router.get("/customers", operation_id="list_customers", tags=["discovery"])
def list_customers(
    _user: Annotated[Principal, Depends(require())],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Customers by id."""
    with ctx.db.read() as conn:
        return page(conn, "id, code, name, segment", "customer", {}, limit, offset)


@router.get("/items", operation_id="list_items", tags=["discovery"])
def list_items(
    _user: Annotated[Principal, Depends(require())],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Items by id."""
    with ctx.db.read() as conn:
        columns = "id, sku, name, category, serial_controlled"
        return page(conn, columns, "item", {}, limit, offset)


@router.get("/sales-orders", operation_id="list_sales_orders", tags=["discovery"])
def list_sales_orders(
    _user: Annotated[Principal, Depends(require())],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    status: Literal["open", "shipped", "invoiced", "closed"] | None = None,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Orders, newest first, optionally by status and customer."""
    with ctx.db.read() as conn:
        return orders.list_orders(conn, status, customer_id, limit, offset)
