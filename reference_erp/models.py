"""Request bodies: bounded, so that no input can reach the database as a 500.

Every id, quantity and amount has limits that fit the database types; every text is bounded
and may not carry NUL characters or lone surrogates (PostgreSQL refuses both).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

MAX_ID = 2**31 - 1


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode") from None
    return value


#: Bounded, database-safe strings (1 to N characters, no NUL, valid Unicode).
_CLEAN = AfterValidator(_clean_text)
Name = Annotated[str, Field(min_length=1, max_length=100), _CLEAN]
Secret = Annotated[str, Field(min_length=1, max_length=200), _CLEAN]
Short = Annotated[str, Field(min_length=1, max_length=60), _CLEAN]
Note = Annotated[str, Field(min_length=1, max_length=500), _CLEAN]

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Quantity = Annotated[int, Field(ge=1, le=100_000)]


class LoginIn(BaseModel):
    """Credentials for ``login``."""

    username: Name
    password: Secret


class OrderLineIn(BaseModel):
    """One order line: an item and a quantity in its unit of measure."""

    item_id: Id
    quantity: Quantity


class SalesOrderIn(BaseModel):
    """Body of ``create_sales_order``."""

    customer_id: Id
    ship_to_id: Id | None = None
    po_number: Short | None = None
    lines: list[OrderLineIn] = Field(min_length=1, max_length=50)


class ReceiptIn(BaseModel):
    """Body of ``receive_goods``: goods arrive into quarantine as a new lot."""

    item_id: Id
    quantity: Annotated[int, Field(ge=1, le=10_000)]
    supplier_id: Id | None = None


class ReleaseIn(BaseModel):
    """Body of ``release_lot``: the QA usage decision, signed with the re-entered password."""

    decision: Literal["release", "reject"]
    password: Secret
    meaning: Short
    reason: Note | None = None


class PaymentIn(BaseModel):
    """Body of ``record_payment``; ``payment_date`` defaults to today."""

    customer_id: Id
    amount: Annotated[float, Field(gt=0, le=1_000_000_000, allow_inf_nan=False)]
    reference: Short | None = None
    payment_date: date | None = None


class InvoicingIn(BaseModel):
    """Body of ``run_invoicing``: how many shipped orders to invoice at most."""

    limit: Annotated[int, Field(ge=1, le=5_000)] = 200
