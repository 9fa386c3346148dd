"""The verdict: one status and one sentence a manager can read."""

from __future__ import annotations

from typing import Any

from erpcap.analysis.latency import format_ms
from erpcap.analysis.rules import Slo
from erpcap.types import Finding


def verdict(
    overall: dict[str, Any],
    capacity: dict[str, Any],
    findings: list[Finding],
    quality: dict[str, Any],
    slo: Slo,
) -> dict[str, Any]:
    """``{"status": pass|warn|fail, "headline": str, "reasons": [str]}``.

    ``fail`` when any finding is critical or nothing was measured, ``warn`` when any is a
    warning, else ``pass``.
    """
    severities = {f.severity for f in findings}
    if overall["count"] == 0:
        return {
            "status": "fail",
            "headline": "No requests were recorded, so nothing can be judged.",
            "reasons": list(quality["missing"]),
        }
    status = "fail" if "critical" in severities else "warn" if "warning" in severities else "pass"
    target = slo.target_ms("order")
    parts = []
    within = capacity.get("max_users_within_slo")
    over = capacity.get("first_step_over_slo")
    if within:
        parts.append(
            f"Handled {within} concurrent users ({capacity['rps_within_slo']:.1f} req/s) "
            f"within the targets (p95 ≤ {format_ms(target)} for online work, "
            f"errors ≤ {slo.error_rate:.0%})"
        )
    elif capacity:
        parts.append("Even the lightest load step missed the targets")
    if over and within:
        parts.append(f"the targets broke at {over['users']} users")
    peak = capacity.get("peak")
    if peak and (not within or peak["users"] != within):
        parts.append(f"peak throughput {peak['rps']:.1f} req/s at {peak['users']} users")
    parts.append(f"{overall['error_rate']:.2%} errors overall")
    headline = "; ".join(parts) + "."
    headline = headline[0].upper() + headline[1:]
    reasons = [f.title for f in findings if f.severity in ("warning", "critical")]
    return {"status": status, "headline": headline, "reasons": reasons}
