"""Facts recorded in run.json: the host, package versions, and URLs with secrets removed."""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psutil

from erpcap import __version__

#: Packages whose versions a run records (what produced its numbers).
PACKAGES = ("locust", "pandas", "numpy", "pyarrow", "psutil", "plotly", "sqlglot")

#: Query parameters whose values are secrets.
_SECRET_PARAMS = {"password", "passwd", "pwd", "token", "access_token", "secret", "key", "apikey"}


def redact_url(url: str) -> str:
    """``url`` with any password in the user part or secret query value replaced by ``***``.

    >>> redact_url("postgresql://erp:s3cret@db:5432/erp?sslmode=require&password=x")
    'postgresql://erp:***@db:5432/erp?sslmode=require&password=%2A%2A%2A'
    >>> redact_url("http://127.0.0.1:8000")
    'http://127.0.0.1:8000'
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    query = parts.query
    if query:
        pairs = [
            (k, "***" if k.lower() in _SECRET_PARAMS else v)
            for k, v in parse_qsl(query, keep_blank_values=True)
        ]
        query = urlencode(pairs)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def host_facts() -> dict[str, Any]:
    """Cores and memory of the machine erpcap runs on, and its platform."""
    return {
        "cpu_count": psutil.cpu_count(logical=True),
        "cpu_physical": psutil.cpu_count(logical=False),
        "memory_bytes": psutil.virtual_memory().total,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }


def versions() -> dict[str, str]:
    found = {"erpcap": __version__}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
