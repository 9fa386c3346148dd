"""Evidence of the capacity blocks (bottleneck, candidates, plan) said in a few words.

The analysis writes its evidence as data: numbers, shares, per-role figures, the statements
and transactions involved. The findings section shows such data as ``key value`` pairs
(reports/html.py, :func:`~erpcap.reports.html.evidence_items`); here the shapes the
capacity stages use get a reading of their own, so that a consultant can check them at a
glance: shares as percentages, statements by their id, a database as one line.

>>> evidence_rows({"wait_classes": {"cpu": 0.9167, "lock": 0.05}, "empty": [],
...                "statements": [{"fingerprint_id": "f8e0", "fingerprint": "select …"}]})
[('wait_classes', 'cpu 92% · lock 5%'), ('statements', 'f8e0')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from erpcap.reports import capacity_data as cd
from erpcap.reports.html import evidence_items


def _is_share_map(value: Mapping[str, Any]) -> bool:
    numbers = [cd.number(v) for v in value.values()]
    return bool(numbers) and all(n is not None and 0 <= n <= 1 for n in numbers)


def _shares(value: Mapping[str, Any]) -> str:
    return " · ".join(f"{k} {cd.share(v)}" for k, v in value.items())


def _database(db: Mapping[str, Any]) -> str:
    """One database at the step: busy sessions, wait classes, lock relations, connections."""
    parts = [str(db.get("source") or db.get("instance") or "db")]
    if cd.number(db.get("busy_sessions")) is not None:
        parts.append(f"busy sessions {cd.significant(db['busy_sessions'], 3)}")
    for key in ("wait_classes", "top_waits", "lock_relations"):
        value = db.get(key)
        if isinstance(value, Mapping) and value:
            parts.append(f"{key} {_shares(value)}")
        elif isinstance(value, list) and value:
            parts.append(f"{key} {_text(key, value)}")
    if cd.number(db.get("connections")) is not None:
        limit = db.get("max_connections")
        shown = cd.significant(db["connections"], 4)
        parts.append(f"connections {shown}" + (f" / {cd.significant(limit, 4)}" if limit else ""))
    return " · ".join(parts)


def _text(key: str, value: Any) -> str:
    """``value`` of evidence ``key`` in a few words."""
    shares = "share" in key or key in ("wait_classes", "top_waits", "lock_relations")
    if isinstance(value, Mapping) and shares and _is_share_map(value):
        return _shares(value)
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        if all("share" in v for v in value):  # [{wait, share}]
            named = (next((str(x) for k, x in v.items() if k != "share"), "") for v in value)
            return " · ".join(
                f"{n} {cd.share(v.get('share'))}".strip() for n, v in zip(named, value, strict=True)
            )
        if all("fingerprint_id" in v for v in value):  # statements: their ids
            return ", ".join(str(v["fingerprint_id"]) for v in value)
        if key == "databases":
            return "; ".join(_database(v) for v in value)
        if all("name" in v for v in value):  # transactions
            return ", ".join(str(v["name"]) for v in value)
    if isinstance(value, float):
        return cd.significant(value, 4)
    return evidence_items({"": value})[0][1]


def evidence_rows(evidence: Any, *, skip: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Evidence as (key, text) rows; empty values (null, ``[]``) and ``skip`` left out."""
    if not isinstance(evidence, Mapping):
        return evidence_items(evidence)
    left_out = set(skip)
    return [
        (str(k), _text(str(k), v))
        for k, v in evidence.items()
        if str(k) not in left_out and not _empty(v)
    ]


def _empty(value: Any) -> bool:
    if isinstance(value, float):
        return value != value
    return value is None or (isinstance(value, str | list | dict) and not value)
