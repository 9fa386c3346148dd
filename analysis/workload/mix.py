"""The transaction mix: requests, statuses and the ids seen, per route.

Memory is bounded whatever the log: at most :data:`MAX_ROUTES` distinct routes are told
apart (later new ones count under :data:`OTHER`), and per route at most :data:`MAX_IDS`
distinct id tuples are kept for the feeders (later new ones are only counted).

>>> m = Mix()
>>> m.add("GET /orders/{id}", ("7",), 200); m.add("GET /orders/{id}", ("7",), 500)
>>> m.add("GET /", (), 200)
>>> [(r["route"], r["requests"], r["errors_5xx"]) for r in m.table(top=1)]
[('GET /orders/{id}', 2, 1), ('other', 1, 0)]
>>> m.ids("GET /orders/{id}", rows=10)
[('7',)]
"""

from __future__ import annotations

from typing import Any

OTHER = "other"
#: Distinct routes told apart; beyond, new routes count as OTHER (ids not normalised away).
MAX_ROUTES = 5_000
#: Distinct id tuples kept per route for its feeder.
MAX_IDS = 10_000


class Mix:
    """Per route: requests, 4xx and 5xx answers, and the id tuples seen (most seen first)."""

    def __init__(self) -> None:
        self.requests: dict[str, int] = {}
        self.client_errors: dict[str, int] = {}
        self.server_errors: dict[str, int] = {}
        self._ids: dict[str, dict[tuple[str, ...], int]] = {}
        self.statuses: dict[int, int] = {}
        self.overflow = 0  # requests of routes beyond MAX_ROUTES

    def add(self, route: str, ids: tuple[str, ...], status: int) -> None:
        if route not in self.requests and len(self.requests) >= MAX_ROUTES:
            self.overflow += 1
            route, ids = OTHER, ()
        self.requests[route] = self.requests.get(route, 0) + 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if 400 <= status < 500:
            self.client_errors[route] = self.client_errors.get(route, 0) + 1
        elif status >= 500:
            self.server_errors[route] = self.server_errors.get(route, 0) + 1
        if ids:
            seen = self._ids.setdefault(route, {})
            if ids in seen:
                seen[ids] += 1
            elif len(seen) < MAX_IDS:
                seen[ids] = 1

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def table(self, top: int) -> list[dict[str, Any]]:
        """The ``top`` routes by requests, then one ``other`` row folding the rest."""
        total = self.total or 1
        ranked = sorted(
            (r for r in self.requests if r != OTHER), key=lambda r: (-self.requests[r], r)
        )
        rows = [self._row(r, total) for r in ranked[:top]]
        rest = ranked[top:] + ([OTHER] if OTHER in self.requests else [])
        if rest:
            rows.append(
                {
                    "route": OTHER,
                    "routes": len(rest),
                    "requests": sum(self.requests[r] for r in rest),
                    "share": sum(self.requests[r] for r in rest) / total,
                    "errors_4xx": sum(self.client_errors.get(r, 0) for r in rest),
                    "errors_5xx": sum(self.server_errors.get(r, 0) for r in rest),
                }
            )
        return rows

    def _row(self, route: str, total: int) -> dict[str, Any]:
        method, _, path = route.partition(" ")
        n = self.requests[route]
        return {
            "route": route,
            "method": method if path else "",
            "path": path if path else route,
            "requests": n,
            "share": n / total,
            "errors_4xx": self.client_errors.get(route, 0),
            "errors_5xx": self.server_errors.get(route, 0),
            "distinct_ids": len(self._ids.get(route, {})),
        }

    def ids(self, route: str, rows: int) -> list[tuple[str, ...]]:
        """Up to ``rows`` id tuples of ``route``, the most requested first."""
        seen = self._ids.get(route, {})
        return sorted(seen, key=lambda k: -seen[k])[:rows]
