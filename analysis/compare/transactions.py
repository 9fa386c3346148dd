"""Per transaction: did B's response times change against A's, beyond noise and beyond a
practical minimum?

A transaction is called ``faster`` (or ``slower``) only when three things agree:

1. the Mann-Whitney test says B's latencies are shifted (p below α after Holm's correction
   across the transactions tested),
2. the bootstrap interval of the p95 difference (B − A) lies wholly below (above) zero,
3. the p95 changed by at least the minimum practical effect (default 5 %), in the same
   direction as the ranks.

Otherwise it is ``no significant change``, with the reasons (in English) why not.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from erpcap.analysis.compare.load import Side
from erpcap.analysis.compare.stats import bootstrap_quantile_diff, holm, mann_whitney
from erpcap.analysis.rules import MIN_SAMPLES

FASTER = "faster"
SLOWER = "slower"
SAME = "no significant change"
VERDICTS = (FASTER, SLOWER, SAME)


def _ms(value_us: float) -> float:
    return round(value_us / 1000.0, 3)


def _summary(values: np.ndarray) -> dict[str, Any]:
    if not values.size:
        return {"count": 0, "p50_ms": None, "p95_ms": None}
    p50, p95 = np.percentile(values, [50, 95], method="linear")
    return {"count": int(values.size), "p50_ms": _ms(p50), "p95_ms": _ms(p95)}


def _relative(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or a <= 0:
        return None
    return round((b - a) / a, 4)


def rng_for(seed: int, name: str) -> np.random.Generator:
    """A generator of its own per transaction: results do not depend on the order or on
    which other transactions the runs hold."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def _test(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, alpha: float) -> dict[str, Any]:
    test = mann_whitney(a, b)
    diff, low, high = bootstrap_quantile_diff(a, b, rng, level=1.0 - alpha)
    return {
        "mann_whitney": {
            "u": test.u,
            "z": round(test.z, 4),
            "p": test.p,
            "p_adjusted": None,
            # the chance that a random A request took longer than a random B one
            "a_slower_share": round(test.superiority, 4),
        },
        "p95_diff_ms": _ms(diff),
        "p95_diff_ci_ms": [_ms(low), _ms(high)],
    }


def _judge(row: dict[str, Any], alpha: float, min_effect: float) -> None:
    """Set ``verdict`` and ``reasons`` from the tested row."""
    mw = row["mann_whitney"]
    p, share = mw["p_adjusted"], mw["a_slower_share"]
    low, high = row["p95_diff_ci_ms"]
    change = row["p95_change"]
    direction = FASTER if share > 0.5 else SLOWER
    reasons = []
    if p >= alpha:
        reasons.append(f"Mann-Whitney p = {p:.3g} (Holm-adjusted) is not below α = {alpha:g}")
    if low <= 0 <= high:
        reasons.append(f"the p95 difference's interval [{low:g}, {high:g}] ms includes 0")
    elif (high < 0) != (direction == FASTER):
        reasons.append("the p95 and the ranks moved in opposite directions")
    if change is None or abs(change) < min_effect:
        shown = "unknown" if change is None else f"{change:+.1%}"
        reasons.append(f"the p95 change ({shown}) is below the minimum effect {min_effect:.0%}")
    elif (change < 0) != (direction == FASTER):
        reasons.append("the p95 change and the ranks point in opposite directions")
    row["verdict"] = SAME if reasons else direction
    row["reasons"] = reasons


def compare_transactions(
    a: Side, b: Side, *, alpha: float, min_effect: float, seed: int
) -> dict[str, Any]:
    """The per-transaction block: ``rows`` (transactions in both runs, busiest first),
    ``only_in_a``, ``only_in_b``, and the number of transactions ``tested``."""
    common = sorted(set(a.latencies) & set(b.latencies))
    rows: list[dict[str, Any]] = []
    for name in common:
        xa, xb = a.latencies[name], b.latencies[name]
        sa, sb = _summary(xa), _summary(xb)
        row: dict[str, Any] = {
            "name": name,
            "group": a.groups.get(name) or b.groups.get(name),
            "a": sa,
            "b": sb,
            "p50_change": _relative(sa["p50_ms"], sb["p50_ms"]),
            "p95_change": _relative(sa["p95_ms"], sb["p95_ms"]),
            "mann_whitney": None,
            "p95_diff_ms": None,
            "p95_diff_ci_ms": None,
            "tested": False,
            "verdict": SAME,
            "reasons": [],
        }
        if xa.size < MIN_SAMPLES or xb.size < MIN_SAMPLES:
            row["reasons"] = [
                f"too few successful requests to test (A {xa.size}, B {xb.size}; "
                f"{MIN_SAMPLES} needed in each)"
            ]
        else:
            row.update(_test(xa, xb, rng_for(seed, name), alpha), tested=True)
        rows.append(row)
    tested = [r for r in rows if r["tested"]]
    for row, adjusted in zip(tested, holm([r["mann_whitney"]["p"] for r in tested]), strict=True):
        row["mann_whitney"]["p_adjusted"] = adjusted
        _judge(row, alpha, min_effect)
    rows.sort(key=lambda r: (-(r["a"]["count"] + r["b"]["count"]), r["name"]))
    return {
        "rows": rows,
        "tested": len(tested),
        "only_in_a": sorted(set(a.latencies) - set(b.latencies)),
        "only_in_b": sorted(set(b.latencies) - set(a.latencies)),
    }
