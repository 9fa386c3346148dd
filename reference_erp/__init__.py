"""The reference ERP: a medical-device ERP core that erpcap load-tests.

A separate application (it imports nothing from the rest of erpcap): schema and data
generator (``seed``), and an HTTP service (``serve``) with ``legacy`` and ``upgraded``
profiles made of switchable levers. Run ``python -m erpcap.reference_erp --help``.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
