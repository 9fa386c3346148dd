"""The audit trail: who changed which record, how and why (21 CFR Part 11).

Every regulated insert or update writes its ``audit_log`` rows in the same transaction as the
change itself: the order, shipping, quality and finance transactions each collect theirs in
an :class:`AuditTrail` and write them in one statement.
"""

from __future__ import annotations

from typing import Any

from .db import Conn, execute

AUDIT_SQL = (
    "INSERT INTO audit_log (table_name, record_key, action, field, old_value, new_value, reason, changed_by, "
    "changed_at) VALUES (:t, :k, :a, :f, :o, :n, :r, :u, :at)"
)


def audit_row(
    table: str,
    key: Any,
    action: str,
    field: str | None,
    old: Any,
    new: Any,
    reason: str,
    user: str,
    at: str,
) -> dict[str, Any]:
    """One ``audit_log`` row as the parameters of :data:`AUDIT_SQL` (values as text)."""
    return {
        "t": table,
        "k": str(key),
        "a": action,
        "f": field,
        "o": None if old is None else str(old),
        "n": None if new is None else str(new),
        "r": reason,
        "u": user,
        "at": at,
    }


class AuditTrail:
    """The audit rows of one transaction: one user, one time, written in one statement.

    >>> trail = AuditTrail("qa", "2026-11-25 10:00:00")
    >>> trail.add("lot", 7, "update", "status", "quarantine", "released", "QA release")
    >>> trail.rows[0]["k"], trail.rows[0]["n"], trail.rows[0]["u"]
    ('7', 'released', 'qa')
    """

    def __init__(self, user: str, at: str) -> None:
        self.user = user
        self.at = at
        self.rows: list[dict[str, Any]] = []

    def add(
        self, table: str, key: Any, action: str, field: str | None, old: Any, new: Any, reason: str
    ) -> None:
        """Queue one row (written by :meth:`write`, in the order added)."""
        self.rows.append(audit_row(table, key, action, field, old, new, reason, self.user, self.at))

    def write(self, conn: Conn) -> None:
        """Insert the queued rows (nothing when there are none)."""
        execute(conn, AUDIT_SQL, self.rows)
