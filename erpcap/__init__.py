"""erpcap: performance and capacity assessment for ERP upgrades.

The package is the spine (command line, configuration, run-directory I/O, pipeline); the
stages live beside it in the tree and install under this namespace: ``erpcap.scenarios``,
``erpcap.collectors``, ``erpcap.analysis``, ``erpcap.reports`` and the separate application
``erpcap.reference_erp``. Importing erpcap does no work and never imports locust.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
