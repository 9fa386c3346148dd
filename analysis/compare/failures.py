"""Failure rates before and after, per transaction.

The latency verdicts cover successful requests only, so a change that makes a transaction
fail fast could pass for a gain. Each transaction's failure rate in A and B is set side by
side, with a two-proportion test; a significant rise (Holm-corrected, and by at least one
percentage point) becomes a warning next to the verdicts.
"""

from __future__ import annotations

from typing import Any

from erpcap.analysis.compare.load import Side
from erpcap.analysis.compare.stats import holm, two_proportions

#: The smallest rise of a failure rate worth a warning (one percentage point).
MIN_RISE = 0.01


def _rate(outcome: tuple[int, int]) -> dict[str, Any]:
    requests, failed = outcome
    return {"requests": requests, "failed": failed, "rate": round(failed / requests, 6)}


def compare_failures(a: Side, b: Side, *, alpha: float) -> dict[str, Any]:
    """``rows`` per transaction recorded in both runs (failed or not): the failure rate of A
    and B, the Holm-adjusted p of their difference and ``change`` (``higher``, ``lower`` or
    null); ``warnings``: one sentence per transaction that fails significantly more in B."""
    names = sorted(set(a.outcomes) & set(b.outcomes))
    rows: list[dict[str, Any]] = []
    for name in names:
        (na, fa), (nb, fb) = a.outcomes[name], b.outcomes[name]
        rows.append(
            {
                "name": name,
                "a": _rate(a.outcomes[name]),
                "b": _rate(b.outcomes[name]),
                "p": two_proportions(fa, na, fb, nb),
            }
        )
    warnings: list[str] = []
    for row, adjusted in zip(rows, holm([r["p"] for r in rows]), strict=True):
        row["p_adjusted"] = adjusted
        rise = row["b"]["rate"] - row["a"]["rate"]
        row["change"] = None
        if adjusted < alpha and abs(rise) >= MIN_RISE:
            row["change"] = "higher" if rise > 0 else "lower"
        if row["change"] == "higher":
            warnings.append(
                f"{row['name']} fails more often in B ({row['a']['rate']:.1%} → "
                f"{row['b']['rate']:.1%}, p = {adjusted:.2g}): its latencies cover "
                "successful requests only"
            )
    return {"rows": rows, "warnings": warnings}
