"""Payments, the close (invoice run, period close) and the close-window reports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query

from . import finance, finance_reports
from .auth import Principal, require
from .context import AppContext
from .models import InvoicingIn, PaymentIn
from .routes_system import get_ctx

router = APIRouter()

PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


@router.post("/payments", operation_id="record_payment", status_code=201, tags=["order"])
def record_payment(
    user: Annotated[Principal, Depends(require("finance"))],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    body: PaymentIn,
) -> dict[str, Any]:
    """Record a customer payment and apply it to open invoices, oldest first."""
    return finance.record_payment(ctx, user, body)


@router.post("/close/invoicing", operation_id="run_invoicing", tags=["close"])
def run_invoicing(
    user: Annotated[Principal, Depends(require("finance"))],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    body: Annotated[InvoicingIn | None, Body()] = None,
) -> dict[str, Any]:
    """Invoice shipped, not yet invoiced orders (``limit`` per run) with revenue schedules."""
    return finance.run_invoicing(ctx, user, body or InvoicingIn())


@router.post("/close/periods/{period}/close", operation_id="close_period", tags=["close"])
def close_period(
    user: Annotated[Principal, Depends(require("finance"))],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    period: Annotated[str, Path(pattern=PERIOD_PATTERN)],
) -> dict[str, Any]:
    """Close a fiscal period (idempotent); postings into it are refused afterwards."""
    return finance.close_period(ctx, user, period)


@router.get("/close/periods", operation_id="list_periods", tags=["discovery"])
def list_periods(
    _user: Annotated[Principal, Depends(require())],
    ctx: Annotated[AppContext, Depends(get_ctx)],
) -> dict[str, Any]:
    """Fiscal periods and their status."""
    with ctx.db.read() as conn:
        return finance.list_periods(conn)


@router.get("/reports/trial-balance", operation_id="trial_balance", tags=["close"])
def trial_balance(
    _user: Annotated[Principal, Depends(require("finance", "manager"))],
    ctx: Annotated[AppContext, Depends(get_ctx)],
    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
) -> dict[str, Any]:
    """Per account: the period's debits and credits and the closing balance (default: current period)."""
    return finance_reports.trial_balance(ctx, period)


@router.get("/reports/ar-aging", operation_id="ar_aging", tags=["close"])
def ar_aging(
    _user: Annotated[Principal, Depends(require("finance", "manager"))],
    ctx: Annotated[AppContext, Depends(get_ctx)],
) -> dict[str, Any]:
    """Open receivables in days-past-due buckets, per customer."""
    return finance_reports.ar_aging(ctx)


@router.get("/reports/inventory-valuation", operation_id="inventory_valuation", tags=["close"])
def inventory_valuation(
    _user: Annotated[Principal, Depends(require("finance", "manager"))],
    ctx: Annotated[AppContext, Depends(get_ctx)],
) -> dict[str, Any]:
    """Stock value by lot at standard cost, by quality status and expiry."""
    return finance_reports.inventory_valuation(ctx)
