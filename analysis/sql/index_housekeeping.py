"""Duplicate and unused indexes of the whole database, as findings and data.

An ERP database may hold thousands of indexes: all of them are kept in the data, the largest
:data:`MAX_FINDINGS` of each kind become findings, and a note says how many more there are.
"""

from __future__ import annotations

from typing import Any

import psycopg

from erpcap.analysis.sql import index_catalog as catalog
from erpcap.analysis.sql.index_findings import DUPLICATE, UNUSED, size_text
from erpcap.findings import Finding, Phrase, Quantity, Subject, phrase

#: Findings per kind (duplicate, unused), the largest indexes first.
MAX_FINDINGS = 10


def housekeeping(
    conn: psycopg.Connection[Any], findings: list[Finding], notes: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    """(duplicates, unused, statistics reset time); findings and notes appended."""
    existing = catalog.indexes(conn)
    duplicates = sorted(
        catalog.duplicate_indexes(existing), key=lambda d: (-d.redundant.bytes, d.redundant.name)
    )
    duplicate_items = []
    for number, dup in enumerate(duplicates):
        item = _duplicate(dup)
        duplicate_items.append(item)
        if number < MAX_FINDINGS:
            findings.append(_duplicate_finding(dup, item))
    reset = catalog.stats_reset(conn)
    since = reset.isoformat() if reset else None
    unused = sorted(
        catalog.unused_indexes(conn, existing), key=lambda u: (-u.index.bytes, u.index.name)
    )
    unused_items = []
    for number, found in enumerate(unused):
        item = _unused(found, since)
        unused_items.append(item)
        if number < MAX_FINDINGS:
            findings.append(_unused_finding(found, item, _since(reset)))
    for kind, count in (("duplicate", len(duplicates)), ("unused", len(unused))):
        if count > MAX_FINDINGS:
            notes.append(
                f"{count} {kind} indexes: the {MAX_FINDINGS} largest are findings, all are "
                "listed in the data."
            )
    return duplicate_items, unused_items, since


def _duplicate(dup: catalog.Duplicate) -> dict[str, Any]:
    index = dup.redundant
    return {
        "index": index.name,
        "kept": dup.kept.name,
        "table": f"{index.schema}.{index.table}",
        "columns": list(index.keys),
        "bytes": index.bytes,
        "definition": index.definition,
    }


def _duplicate_finding(dup: catalog.Duplicate, item: dict[str, Any]) -> Finding:
    index = dup.redundant
    return DUPLICATE.make(
        "info",
        subject=Subject("index", index.name),
        evidence=item,
        values={
            "index": Quantity(index.name),
            "kept": Quantity(dup.kept.name),
            "table": Quantity(item["table"]),
            "columns": Quantity(list(index.keys), "list"),
            "size": Quantity(size_text(index.bytes)),
        },
    )


def _unused(found: catalog.UnusedIndex, since: str | None) -> dict[str, Any]:
    index = found.index
    return {
        "index": index.name,
        "table": f"{index.schema}.{index.table}",
        "bytes": index.bytes,
        "table_bytes": found.table_bytes,
        "idx_scan": found.scans,
        "stats_reset": since,
        "definition": index.definition,
    }


def _unused_finding(found: catalog.UnusedIndex, item: dict[str, Any], since: Phrase) -> Finding:
    index = found.index
    return UNUSED.make(
        "info",
        subject=Subject("index", index.name),
        evidence=item,
        values={
            "index": Quantity(index.name),
            "table": Quantity(item["table"]),
            "size": Quantity(size_text(index.bytes)),
            "table_size": Quantity(size_text(found.table_bytes)),
        },
        phrases={"since": since},
    )


def _since(reset: Any) -> Phrase:
    """Since when the scans count, in words.

    >>> _since(None)["en"]
    'the statistics began (they were never reset)'
    """
    if reset is None:
        return phrase(
            en="the statistics began (they were never reset)",
            zh_CN="统计信息开始收集（从未重置）",
        )
    when = f"{reset:%Y-%m-%d %H:%M %Z}".strip()
    return phrase(
        en=f"the statistics were last reset ({when})", zh_CN=f"统计信息上次重置（{when}）"
    )
