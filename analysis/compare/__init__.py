"""Before and after: two runs compared per transaction and on capacity, with significance.

:func:`compare_runs` reads two analysed run directories (A, the baseline, and B, the change)
and returns the comparison document that ``erpcap compare`` prints, writes as JSON and
renders as HTML (docs/compare.md):

- ``transactions``: per transaction in both runs, count, p50 and p95 of A and B, the
  relative change, a Mann-Whitney test (Holm-corrected across transactions), a bootstrap
  interval of the p95 difference and a verdict (:mod:`.transactions`);
- ``capacity``: peak successful throughput with intervals, the largest load within the SLO,
  and the USL peaks when both runs have a fit (:mod:`.capacity`);
- ``failures``: each transaction's failure rate in A and B, tested (:mod:`.failures`);
- ``steps``: the load levels measured in both ladders, side by side (:mod:`.steps`);
- ``warnings``: what makes the two runs less comparable (another scenario, another shape),
  and transactions that fail significantly more often in B;
- ``regression``: true when a transaction is significantly slower or capacity dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from erpcap.analysis.compare.capacity import LOWER, compare_capacity
from erpcap.analysis.compare.failures import compare_failures
from erpcap.analysis.compare.load import Side, read_side
from erpcap.analysis.compare.steps import match_steps
from erpcap.analysis.compare.transactions import SLOWER, compare_transactions
from erpcap.errors import BadInput
from erpcap.rundir import iso

#: The version of the comparison document.
COMPARE_VERSION = "1.0"
#: The default seed of every bootstrap: the same two runs always give the same intervals.
SEED = 20261204


def _shape(findings: dict[str, Any]) -> list[int]:
    return [s["users"] for s in findings.get("steps") or [] if isinstance(s.get("users"), int)]


def _warnings(a: Side, b: Side) -> list[str]:
    out = []
    run_a, run_b = a.findings.get("run") or {}, b.findings.get("run") or {}
    if run_a.get("scenario") != run_b.get("scenario"):
        out.append(
            f"the runs used different scenarios (A {run_a.get('scenario')}, "
            f"B {run_b.get('scenario')}): the same transaction may carry other work"
        )
    shape_a, shape_b = _shape(a.findings), _shape(b.findings)
    if shape_a != shape_b:
        out.append(
            f"the runs had different load shapes (users per step: A {shape_a}, B {shape_b}): "
            "a transaction's latencies mix the change with the load"
        )
    if a.findings.get("slo") != b.findings.get("slo"):
        out.append(
            "the runs were analysed against different SLOs: the users within the SLO are "
            "not comparable (analyse both with the same --slo-p95-ms and --error-rate)"
        )
    return out


def _side_block(side: Side) -> dict[str, Any]:
    run = side.findings.get("run") or {}
    return {
        "path": str(side.path),
        "run_id": side.findings.get("run_id"),
        "scenario": run.get("scenario"),
        "started_at": run.get("started_at"),
        "requests_ok": int(sum(v.size for v in side.latencies.values())),
        "users_per_step": _shape(side.findings),
    }


def compare_runs(
    path_a: str | Path,
    path_b: str | Path,
    *,
    alpha: float = 0.05,
    min_effect: float = 0.05,
    seed: int = SEED,
) -> dict[str, Any]:
    """Compare run B against run A (both analysed); see the module docstring.

    Raises:
        BadInput: a folder is not an analysed run (or its findings are stale), a run has no
            successful request, or the runs have no transaction in common.
    """
    a, b = read_side("A", path_a), read_side("B", path_b)
    for side in (a, b):
        if not side.latencies:
            raise BadInput(
                f"run {side.label} has no successful requests to compare",
                path=side.path,
                hint="compare needs each request (requests.parquet); a run imported from a "
                "load tool's own statistics, or one whose requests all failed, cannot be tested",
            )
    transactions = compare_transactions(a, b, alpha=alpha, min_effect=min_effect, seed=seed)
    if not transactions["rows"]:
        raise BadInput(
            "the runs have no transaction in common "
            f"(A: {', '.join(sorted(a.latencies)[:5])}; B: {', '.join(sorted(b.latencies)[:5])})",
            path=b.path,
            hint="compare two runs of the same scenario",
        )
    capacity = compare_capacity(a, b, alpha=alpha, seed=seed)
    failures = compare_failures(a, b, alpha=alpha)
    slower = [r["name"] for r in transactions["rows"] if r["verdict"] == SLOWER]
    return {
        "version": COMPARE_VERSION,
        "generated_at": iso(),
        "a": _side_block(a),
        "b": _side_block(b),
        "alpha": alpha,
        "min_effect": min_effect,
        "seed": seed,
        "transactions": transactions,
        "capacity": capacity,
        "failures": failures["rows"],
        "steps": match_steps(a.findings, b.findings),
        "warnings": _warnings(a, b) + failures["warnings"],
        "regression": bool(slower) or capacity["verdict"] == LOWER,
    }
