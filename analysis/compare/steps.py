"""Steps side by side: when both runs are ladders, each load level measured in both, matched
by its user count, with its p95 and successful throughput (from findings.json)."""

from __future__ import annotations

from typing import Any


def _measured(findings: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The first measured step at each user count."""
    out: dict[int, dict[str, Any]] = {}
    for step in findings.get("steps") or []:
        users = step.get("users")
        if step.get("measured") and isinstance(users, int) and users not in out:
            out[users] = step
    return out


def _change(a: float | None, b: float | None) -> float | None:
    return round((b - a) / a, 4) if a and b is not None else None


def match_steps(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """``rows`` per user count measured in both runs (empty unless both are ladders of two or
    more measured steps), and the user counts measured in only one (``only_in_a``,
    ``only_in_b``).

    >>> a = {"steps": [{"users": 5, "measured": True, "p95_ms": 100.0, "ok_rps": 10.0},
    ...                {"users": 10, "measured": True, "p95_ms": 200.0, "ok_rps": 18.0}]}
    >>> b = {"steps": [{"users": 5, "measured": True, "p95_ms": 80.0, "ok_rps": 10.0},
    ...                {"users": 20, "measured": True, "p95_ms": 150.0, "ok_rps": 30.0}]}
    >>> out = match_steps(a, b)
    >>> [(r["users"], r["p95_change"]) for r in out["rows"]], out["only_in_a"], out["only_in_b"]
    ([(5, -0.2)], [10], [20])
    """
    sa, sb = _measured(a), _measured(b)
    if len(sa) < 2 or len(sb) < 2:
        return {"rows": [], "only_in_a": [], "only_in_b": [], "ladders": False}
    rows = []
    for users in sorted(set(sa) & set(sb)):
        x, y = sa[users], sb[users]
        rows.append(
            {
                "users": users,
                "a": {"step": x.get("step"), "p95_ms": x.get("p95_ms"), "ok_rps": x.get("ok_rps")},
                "b": {"step": y.get("step"), "p95_ms": y.get("p95_ms"), "ok_rps": y.get("ok_rps")},
                "p95_change": _change(x.get("p95_ms"), y.get("p95_ms")),
                "ok_rps_change": _change(x.get("ok_rps"), y.get("ok_rps")),
            }
        )
    return {
        "rows": rows,
        "only_in_a": sorted(set(sa) - set(sb)),
        "only_in_b": sorted(set(sb) - set(sa)),
        "ladders": True,
    }
