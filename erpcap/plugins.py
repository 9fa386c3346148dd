"""One way to extend erpcap: Python entry points, the built-ins registered exactly like a plug-in.

Each family of extensions is an entry-point group. A package adds to it in its own
``pyproject.toml``, and erpcap finds it once installed (``pip install acme-erpcap``)::

    [project.entry-points."erpcap.rules"]
    "50-acme.queue_deep" = "acme_erpcap.rules:queue_deep"

================  =========================  ==============================================
family            group                      an entry point names
================  =========================  ==============================================
``rules``         ``erpcap.rules``           a rule: ``rule(ctx) -> Iterable[Finding]``
``collectors``    ``erpcap.collectors``      a :class:`~erpcap.collectors.base.Collector`
                                             subclass (its ``name`` is its ``--collect`` name)
``sections``      ``erpcap.report_sections`` a report section (reports/sections.py)
``importers``     ``erpcap.importers``       an importer of others' results and logs
``sql_analyses``  ``erpcap.sql_analyses``    an SQL analysis: ``analysis(ctx) -> SqlBlock``
                                             (analysis/sql/context.py)
``sql_rules``     ``erpcap.sql_rules``       an SQL anti-pattern rule (analysis/sql/)
================  =========================  ==============================================

Entries load in the order of their names, which is why the built-ins' names start with a
number (``10-run.incomplete``): a plug-in picks its place among them. erpcap's own rules,
collectors and sections are declared in its pyproject.toml in these very groups. An entry
that does not load is one line naming it and its error, not a traceback.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from erpcap.errors import ErpcapError

#: Family → entry-point group.
GROUPS = {
    "rules": "erpcap.rules",
    "collectors": "erpcap.collectors",
    "sections": "erpcap.report_sections",
    "importers": "erpcap.importers",
    "sql_analyses": "erpcap.sql_analyses",
    "sql_rules": "erpcap.sql_rules",
}


class PluginError(ErpcapError):
    """An entry point that does not load, or loads something of the wrong kind."""

    exit_code = 2


def load(family: str) -> list[tuple[str, Any]]:
    """``(name, object)`` of every entry of ``family``, in the order of their names.

    >>> [name for name, _ in load("rules")][:2]
    ['10-run.incomplete', '20-errors.rate_high']
    """
    group = GROUPS[family]
    found = []
    for entry in sorted(metadata.entry_points(group=group), key=lambda e: e.name):
        try:
            found.append((entry.name, entry.load()))
        except Exception as exc:  # a plug-in's own bug: one line naming it
            raise PluginError(
                f"the {family} plug-in {entry.name!r} ({entry.value}) does not load: "
                f"{type(exc).__name__}: {exc}",
                hint=f"fix or uninstall the package that declares it in {group}",
            ) from exc
    return found
