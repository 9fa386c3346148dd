"""Routes: a request's path with its ids replaced, so that requests of one kind count together.

``GET /orders/4711/lines/3?expand=1`` and ``GET /orders/12/lines/9`` are one route,
``GET /orders/{id}/lines/{id}``. A path segment is an id when it is

- a number (``4711``, ``12.5``) or holds a run of three digits or more (``SO-2026-00042``,
  ``INV00042``; ``v1`` and ``html5`` stay);
- a UUID, a hex hash (8+ hex characters with a digit, or 16+), an e-mail address;
- a long token (20+ characters of letters, digits and ``-_.=~%`` with a digit, or 32+).

The query string and fragment are dropped, an absolute URL (a proxy's log) loses its scheme
and host, a trailing slash goes. Static assets (by extension) and health checks are told
apart by :func:`excluded`, so that the mix is the application's transactions.

>>> normalise("GET", "/api/v1/orders/4711/lines/3?expand=1")
('GET /api/v1/orders/{id}/lines/{id}', ('4711', '3'))
>>> normalise("POST", "https://erp.example/sale/SO-2026-00042/confirm/")
('POST /sale/{id}/confirm', ('SO-2026-00042',))
>>> normalise("GET", "/files/6f1c2b8e-1d2a-4a57-9a4e-0b3c9d2f7e11")[0]
'GET /files/{id}'
>>> excluded("/static/app.min.js?v=3"), excluded("/healthz"), excluded("/orders/1")
('static', 'health', None)
"""

from __future__ import annotations

import re

PLACEHOLDER = "{id}"
#: File extensions of static assets (a browser's page load, not a transaction).
STATIC_EXTENSIONS = (
    ".css",
    ".js",
    ".mjs",
    ".map",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
    ".ico",
    ".webp",
    ".avif",
    ".bmp",
    ".woff",
    ".woff2",
    ".ttf",
    ".otf",
    ".eot",
)
#: Paths of health checks, monitoring and crawlers' housekeeping.
HEALTH_PATHS = frozenset(
    {
        "/health",
        "/healthz",
        "/healthcheck",
        "/health-check",
        "/livez",
        "/readyz",
        "/ping",
        "/status",
        "/metrics",
        "/robots.txt",
        "/server-status",
        "/nginx_status",
        "/web/health",
        "/api/health",
    }
)
#: Paths longer than this are cut before they are split (a log may hold anything).
MAX_PATH = 2000

_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)
_HEX = re.compile(r"[0-9a-fA-F]{8,}")
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")
_DIGITS = re.compile(r"\d{3,}")
_TOKEN = re.compile(r"[A-Za-z0-9_\-.=~%]{20,}")


def is_id(segment: str) -> bool:
    """Whether a path segment is an id (a number, a code, a UUID, a hash, a token).

    >>> [is_id(s) for s in ("42", "v1", "INV00042", "orders", "deadbeef1", "a@b.c")]
    [True, False, True, False, True, True]
    """
    if segment.isalpha() and len(segment) < 16:
        return False  # a word (the common case, decided fast)
    if segment.isdigit() or _NUMBER.fullmatch(segment) or _DIGITS.search(segment):
        return True
    if "@" in segment or _UUID.fullmatch(segment):
        return True
    if _HEX.fullmatch(segment) and (len(segment) >= 16 or any(c.isdigit() for c in segment)):
        return True
    if _TOKEN.fullmatch(segment):
        return len(segment) >= 32 or any(c.isdigit() for c in segment)
    return False


def path_of(target: str) -> str:
    """The path of a request target: no query, no fragment, no scheme and host.

    >>> path_of("http://erp:8069/web/dataset/call_kw/?x=1#top"), path_of("/")
    ('/web/dataset/call_kw', '/')
    """
    path = target[:MAX_PATH].split("?", 1)[0].split("#", 1)[0]
    if "://" in path:
        rest = path.split("://", 1)[1]
        path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path


def excluded(target: str) -> str | None:
    """``"static"`` for a static asset, ``"health"`` for a health check, else None."""
    return excluded_path(path_of(target))


def excluded_path(path: str) -> str | None:
    """:func:`excluded` for a path already cut by :func:`path_of`."""
    lower = path.lower()
    if lower.endswith(STATIC_EXTENSIONS):
        return "static"
    if lower in HEALTH_PATHS:
        return "health"
    return None


def normalise(method: str, target: str) -> tuple[str, tuple[str, ...]]:
    """The route of a request (``METHOD /path/{id}``) and the ids it replaced, in order.

    A bare operation name (a CSV's, with no method) is its own route.
    """
    if not method:
        return target.strip()[:MAX_PATH], ()
    return normalise_path(method, path_of(target))


def normalise_path(method: str, path: str) -> tuple[str, tuple[str, ...]]:
    """:func:`normalise` for a path already cut by :func:`path_of`."""
    ids: list[str] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        if segment and is_id(segment):
            ids.append(segment)
            segments[i] = PLACEHOLDER
    return f"{method} {'/'.join(segments) or '/'}", tuple(ids)
