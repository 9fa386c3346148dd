"""Analysis: pure functions over run-directory data — exact latency statistics, load steps,
resources, rules that turn them into findings, and the verdict.

The public entry point is :func:`analyze_run`; rules are plain functions (see
:mod:`erpcap.analysis.rules`) passed in as a tuple, the defaults included.
"""

from __future__ import annotations

from erpcap.analysis.rules import DEFAULT_RULES, Context, Slo
from erpcap.analysis.run import analyze_run

__all__ = ["DEFAULT_RULES", "Context", "Slo", "analyze_run"]
