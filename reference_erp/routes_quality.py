"""Receiving, lot release, lot trace and lot history endpoints."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query

from . import quality
from .auth import Principal, require
from .context import AppContext
from .db import page
from .models import MAX_ID, ReceiptIn, ReleaseIn
from .routes_orders import Limit, Offset
from .routes_system import get_ctx
from .views import lot_view

router = APIRouter()

LotId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/receipts", operation_id="receive_goods", status_code=201, tags=["order"])
def receive_goods(
    user: Annotated[Principal, Depends(require("warehouse", "qa"))],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    body: ReceiptIn,
) -> dict[str, Any]:
    """Receive goods into quarantine as a new lot."""
    return quality.receive_goods(ctx, user, body)


@router.post("/lots/{lot_id}/release", operation_id="release_lot", tags=["order"])
def release_lot(
    user: Annotated[Principal, Depends(require("qa"))],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    lot_id: LotId,
    body: ReleaseIn,
) -> dict[str, Any]:
    """QA usage decision (release or reject) signed electronically: password re-entered, meaning recorded."""
    return quality.release_lot(ctx, user, lot_id, body)


@router.get("/lots/{lot_id}/trace", operation_id="trace_lot", tags=["query"])
def trace_lot(
    _user: Annotated[Principal, Depends(require("qa", "manager"))],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    lot_id: LotId,
) -> dict[str, Any]:
    """Backward trace (component lots) and forward trace (shipments, consignees)."""
    return quality.trace_lot(ctx, lot_id)


@router.get("/lots/{lot_id}/history", operation_id="get_lot_history", tags=["query"])
def get_lot_history(
    _user: Annotated[Principal, Depends(require("qa", "manager"))],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    lot_id: LotId,
) -> dict[str, Any]:
    """Device history record: production, ledger, inspections, audit trail, signatures."""
    return quality.lot_history(ctx, lot_id)


@router.get("/lots", operation_id="list_lots", tags=["discovery"])
def list_lots(
    _user: Annotated[Principal, Depends(require())],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    item_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: Literal["quarantine", "released", "rejected"] | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Lots, optionally by item and status."""
    with ctx.db.read() as conn:
        found = page(conn, "*", "lot", {"item_id": item_id, "status": status}, limit, offset)
    return {"items": [lot_view(r) for r in found["items"]], "total": found["total"]}
