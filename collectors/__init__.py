"""Collectors: samplers of host, process and database metrics that write to a run directory.

Each collector runs in its own thread in the orchestrating process and never fails the run
(see :mod:`erpcap.collectors.base`). Build one from a ``--collect`` spec::

    collector = parse_collect_spec("psutil:interval=0.5")
    collector.start(run)
    collector.watch("erp", erp_process.pid)   # psutil only
    ...
    collector.stop()
"""

from __future__ import annotations

from erpcap.collectors.base import (
    Collector,
    Registry,
    default_registry,
    labels_json,
    metric_row,
    parse_collect_spec,
)

__all__ = [
    "Collector",
    "Registry",
    "default_registry",
    "labels_json",
    "metric_row",
    "parse_collect_spec",
]
