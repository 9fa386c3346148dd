"""What the plan's mappings share: the candidate recommendation, and readers of the
findings and of the bottleneck block."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from erpcap.analysis.plan.gain import Relief
from erpcap.findings import Quantity


@dataclass
class Candidate:
    """A recommendation before ranking: its category, template values and evidence."""

    id: str
    values: dict[str, Quantity]
    evidence: dict[str, Any]
    subject: dict[str, str]
    relief: Relief = field(default_factory=Relief)


def findings_with(doc: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """The document's findings whose id starts with ``prefix``."""
    return [f for f in doc.get("findings") or [] if str(f.get("id", "")).startswith(prefix)]


def bottleneck_of(doc: dict[str, Any]) -> dict[str, Any]:
    """``capacity.bottleneck``, or an empty dict when attribution gave none."""
    return ((doc.get("capacity") or {}).get("bottleneck")) or {}


def bottleneck_ids(doc: dict[str, Any], kinds: tuple[str, ...]) -> list[str]:
    """Ids of the ``bottleneck.*`` findings about one of ``kinds``."""
    ids = []
    for f in findings_with(doc, "bottleneck."):
        kind = str((f.get("evidence") or {}).get("kind") or f.get("id", ""))
        if any(k in kind for k in kinds):
            ids.append(str(f["id"]))
    return sorted(set(ids))
