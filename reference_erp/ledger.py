"""General-ledger postings guarded by the fiscal calendar.

Every posting looks up the fiscal period of its date and takes a shared lock on it
(``FOR SHARE`` on PostgreSQL), so a concurrent ``close_period`` (which locks the period
``FOR UPDATE``) either waits for the posting or makes it fail with 409 ``period_closed``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .context import AppContext
from .db import Conn, execute, insert_returning_id, one
from .errors import ApiError


def period_of(day: date) -> str:
    """The fiscal period code of a date.

    >>> period_of(date(2026, 3, 9))
    '2026-03'
    """
    return f"{day.year:04d}-{day.month:02d}"


def require_open_period(ctx: AppContext, conn: Conn, day: date) -> str:
    """Return the open period of ``day`` or raise 409."""
    code = period_of(day)
    row = one(
        conn,
        f"SELECT period, status FROM fiscal_period WHERE period = :p{ctx.db.dialect.for_share}",
        {"p": code},
    )
    if row is None:
        raise ApiError(
            409,
            "period_not_found",
            f"no fiscal period {code} for posting date {day.isoformat()}",
            {"period": code},
        )
    if row["status"] != "open":
        raise ApiError(
            409,
            "period_closed",
            f"fiscal period {code} is closed: postings are refused",
            {"period": code},
        )
    return code


def post_journal(
    ctx: AppContext,
    conn: Conn,
    day: date,
    source: str,
    source_id: int | None,
    description: str,
    lines: list[tuple[str, float, float]],
    user: str,
    now: str,
) -> int:
    """Post a balanced journal entry (lines: account code, debit, credit) and return its id."""
    period = require_open_period(ctx, conn, day)
    lines = [
        (acc, round(dr, 2), round(cr, 2)) for acc, dr, cr in lines if round(dr, 2) or round(cr, 2)
    ]
    if abs(sum(dr for _a, dr, _c in lines) - sum(cr for _a, _d, cr in lines)) > 0.005:
        raise ApiError(422, "unbalanced_entry", "debits and credits differ")
    entry_id = insert_returning_id(
        conn,
        "INSERT INTO journal_entry (period, entry_date, source, source_id, description, created_by, created_at) "
        "VALUES (:p, :d, :s, :sid, :desc, :u, :now)",
        {
            "p": period,
            "d": day.isoformat(),
            "s": source,
            "sid": source_id,
            "desc": description,
            "u": user,
            "now": now,
        },
    )
    params: list[dict[str, Any]] = [
        {"e": entry_id, "acc": acc, "dr": dr, "cr": cr} for acc, dr, cr in lines
    ]
    execute(
        conn,
        "INSERT INTO journal_line (entry_id, account_id, debit, credit) "
        "VALUES (:e, (SELECT id FROM gl_account WHERE code = :acc), :dr, :cr)",
        params,
    )
    return entry_id
