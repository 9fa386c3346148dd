"""The verdict: one status and one sentence a manager can read."""

from __future__ import annotations

from typing import Any

from erpcap.analysis.rules import Slo
from erpcap.types import Finding
from erpcap.words import format_ms, format_percent, plural


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
            f"Handled {plural(within, 'concurrent user')} "
            f"({capacity['rps_within_slo']:.1f} successful req/s) within the targets "
            f"(p95 ≤ {format_ms(target)} for online work, errors ≤ {format_percent(slo.error_rate)})"
        )
    elif capacity.get("peak"):
        parts.append("Even the lightest load step missed the targets")
    elif capacity:
        parts.append("No load step had enough requests to judge")
    if over and within:
        parts.append(f"the targets broke at {over['users']} users")
    peak = capacity.get("peak")
    if peak and (not within or peak["users"] != within):
        if "ok_rps" in peak:
            parts.append(
                f"peak throughput {peak['ok_rps']:.1f} successful req/s at "
                f"{plural(peak['users'], 'user')}"
            )
        else:  # a capacity block of an analysis before 1.1 counted every request
            parts.append(
                f"peak throughput {peak['rps']:.1f} req/s at {plural(peak['users'], 'user')}"
            )
    parts.append(f"{overall['error_rate']:.2%} errors overall")
    headline = "; ".join(parts) + "."
    headline = headline[0].upper() + headline[1:]
    reasons = [f.title for f in findings if f.severity in ("warning", "critical")]
    return {"status": status, "headline": headline, "reasons": reasons}
