"""Service settings: profile, levers and connection URLs, passed from ``serve`` to workers.

The ``serve`` command resolves the settings once and hands them to every uvicorn worker as
JSON in the ``ERPCAP_ERP_SETTINGS`` environment variable (workers are separate processes).

>>> s = Settings.resolve("sqlite:///x.sqlite", "legacy", {"indexes": True})
>>> s.levers["indexes"], s.levers["pool"], s.workers
(True, False, 1)
>>> Settings.from_json(s.to_json()) == s
True
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

#: Every lever, in the order ``/profile`` and the docs list them.
LEVERS: tuple[str, ...] = ("indexes", "batching", "cache", "async", "pool", "workers", "replica")

#: What each profile switches on before ``--lever`` overrides.
PROFILES: dict[str, dict[str, bool]] = {
    "legacy": {name: False for name in LEVERS},
    "upgraded": {name: True for name in LEVERS},
}

#: The ``--sql-tags`` modes (sqltags.py).
SQL_TAGS = ("on", "op", "off")

ENV_SETTINGS = "ERPCAP_ERP_SETTINGS"
ENV_SECRET = "ERPCAP_ERP_SECRET"
#: The database URLs, when not given on the command line (where ``ps`` would show a password).
ENV_DB = "ERPCAP_ERP_DB"
ENV_REPLICA_DB = "ERPCAP_ERP_REPLICA_DB"
#: How help and messages name the command (erpcap sets ``erpcap erp``).
ENV_PROG = "ERPCAP_ERP_PROG"
DEFAULT_PROG = "python -m erpcap.reference_erp"


def prog_name() -> str:
    """The command as the user typed it: ``erpcap erp`` when erpcap started the reference ERP."""
    return os.environ.get(ENV_PROG) or DEFAULT_PROG


DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def parse_lever(text: str) -> tuple[str, bool]:
    """Parse ``NAME=on|off`` into ``(name, flag)``.

    >>> parse_lever("cache=off")
    ('cache', False)
    """
    name, sep, value = text.partition("=")
    name, value = name.strip().lower(), value.strip().lower()
    if not sep or name not in LEVERS:
        raise ValueError(
            f"bad --lever {text!r}: expected NAME=on|off with NAME one of {', '.join(LEVERS)}"
        )
    if value not in ("on", "off", "true", "false", "1", "0"):
        raise ValueError(f"bad --lever {text!r}: value must be on or off")
    return name, value in ("on", "true", "1")


def default_workers() -> int:
    """Worker count for the ``workers`` lever without ``--workers``: cores + 1, at most 8.

    The workers are CPU-bound (the database waits are short with the other levers on) and
    share the cores with the database: more processes than cores + 1 only add switching
    (measured in docs/benchmarks.md, "Reference ERP").
    """
    return max(2, min((os.cpu_count() or 1) + 1, 8))


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs to build the application."""

    db_url: str
    profile: str
    levers: dict[str, bool] = field(default_factory=dict)
    workers: int = 1
    redis_url: str | None = None
    amqp_url: str | None = None
    replica_url: str | None = None
    secret: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    #: Tag each statement with its operation and request (sqltags.py): ``on`` (operation and
    #: request), ``op`` (operation only) or ``off``. Not a lever: it is instrumentation, on in
    #: both profiles.
    sql_tags: str = "on"

    @classmethod
    def resolve(
        cls,
        db_url: str,
        profile: str,
        overrides: dict[str, bool] | None = None,
        *,
        workers: int | None = None,
        **kwargs: object,
    ) -> Settings:
        """Combine a profile with lever overrides and derive the worker count."""
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}: expected one of {', '.join(PROFILES)}")
        levers = dict(PROFILES[profile])
        levers.update(overrides or {})
        n = (workers or default_workers()) if levers["workers"] else 1
        return cls(db_url=db_url, profile=profile, levers=levers, workers=n, **kwargs)  # type: ignore[arg-type]

    def to_json(self) -> str:
        """Serialise for the worker environment."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        """Inverse of :meth:`to_json`."""
        return cls(**json.loads(text))

    def lever(self, name: str) -> bool:
        """True when lever ``name`` is on."""
        return bool(self.levers.get(name, False))
