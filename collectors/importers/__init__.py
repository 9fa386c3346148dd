"""Importers: others' results and logs into a run directory (``erpcap import KIND PATH…``).

One module per source format; each registers in the ``erpcap.importers`` entry-point group
the way a plug-in's importer would (erpcap/plugins.py). See :mod:`.base` for the interface.
"""

from __future__ import annotations

from erpcap.collectors.importers.base import (
    Importer,
    ImportReport,
    default_importers,
    open_lines,
)

__all__ = ["ImportReport", "Importer", "default_importers", "open_lines"]
