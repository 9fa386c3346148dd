"""What every rule sees and returns: the SLO, the context of computed statistics, the type."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from erpcap.findings import Finding

#: Transactions (and steps) with fewer requests than this get no latency verdict of their own.
MIN_SAMPLES = 20


@dataclass(frozen=True)
class Slo:
    """Service-level objectives the analysis judges against.

    Defaults: p95 within 1 s for online work (order entry, queries), 2 s for a login, and
    20 s for period-close batch and reports (TPC-C allows its heavy Stock-Level 20 s);
    at most 1 % errors.
    """

    p95_ms: dict[str, float] = field(
        default_factory=lambda: {
            "order": 1000.0,
            "query": 1000.0,
            "auth": 2000.0,
            "close": 20000.0,
            "other": 1000.0,
        }
    )
    error_rate: float = 0.01
    #: Per-transaction targets, e.g. ``{"check_availability": {"p95_ms": 800.0,
    #: "p99_ms": 2000.0, "error_rate": 0.01}}`` (keys ``p50_ms``, ``p90_ms``, ``p95_ms``,
    #: ``p99_ms``, ``error_rate``): a declarative scenario's ``slo:``, which ``erpcap run``
    #: records in run.json. A transaction's own p95 target replaces its group's.
    transactions: dict[str, dict[str, float]] = field(default_factory=dict)

    def target_ms(self, group: str) -> float:
        return self.p95_ms.get(group, self.p95_ms["other"])

    def p95_target_ms(self, name: str, group: str) -> float:
        """The p95 target of transaction ``name``: its own, else its group's."""
        own = self.transactions.get(name, {}).get("p95_ms")
        return float(own) if own is not None else self.target_ms(group)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"p95_ms": dict(self.p95_ms), "error_rate": self.error_rate}
        if self.transactions:
            doc["transactions"] = {k: dict(v) for k, v in self.transactions.items()}
        return doc

    @classmethod
    def recorded(cls, meta: dict[str, Any]) -> Slo:
        """The default targets plus the per-transaction ones run.json records (``slo``)."""
        block = meta.get("slo")
        found = block.get("transactions") if isinstance(block, dict) else None
        targets: dict[str, dict[str, float]] = {}
        for name, values in (found or {}).items() if isinstance(found, dict) else ():
            if isinstance(values, dict):
                clean = {str(k): float(v) for k, v in values.items()
                         if k in TRANSACTION_TARGETS and isinstance(v, int | float)
                         and not isinstance(v, bool)}  # fmt: skip
                if clean:
                    targets[str(name)] = clean
        return cls(transactions=targets)


#: The keys of a per-transaction target (:attr:`Slo.transactions`).
TRANSACTION_TARGETS = ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "error_rate")


@dataclass(frozen=True)
class Context:
    """What the rules see: the statistics already computed for the run."""

    meta: dict[str, Any]
    overall: dict[str, Any]
    transactions: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    resources: dict[str, Any]
    errors: list[dict[str, Any]]
    slo: Slo
    #: Failed requests per cause (analysis/errors.py): connection, timeout, auth, …
    error_causes: dict[str, int] = field(default_factory=dict)
    #: The capacity block of findings.json (analysis/capacity/assess.py), with ``bottleneck``.
    capacity: dict[str, Any] = field(default_factory=dict)
    #: The statement statistics (``statements``) and slow-SQL block (``sql``), or None.
    statements: dict[str, Any] | None = None
    sql: dict[str, Any] | None = None


#: A rule: the context in, findings out (made from the rule's own FindingKind).
Rule = Callable[[Context], Iterable[Finding]]
