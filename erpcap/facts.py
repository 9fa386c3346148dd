"""Facts recorded in run.json: the host, package versions, and URLs with secrets removed."""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from typing import Any

import psutil

from erpcap import __version__
from erpcap.redact import redact_url

__all__ = ["host_facts", "redact_url", "versions"]

#: Packages whose versions a run records (what produced its numbers).
PACKAGES = ("locust", "pandas", "numpy", "pyarrow", "psutil", "plotly", "sqlglot")


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
