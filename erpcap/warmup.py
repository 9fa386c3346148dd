"""The warm-up of a load step: the start of a step that no statistic counts.

One rule shared by the analysis (``erpcap.analysis.steps``, which leaves the warm-up out of
every step's figures) and the load shape's ``--stop-when`` check in the Locust process
(``erpcap.scenarios.locust_shape``), so that a ladder stops on the same window the report
later shows: the first 20 % of the step, at most 10 seconds.

>>> warmup_s(20.0), warmup_s(60.0), warmup_s(5.0)
(4.0, 10.0, 1.0)
"""

from __future__ import annotations

#: Fraction of each step left out as warm-up, and its upper bound in seconds.
WARMUP_FRACTION = 0.2
WARMUP_MAX_S = 10.0


def warmup_s(step_s: float) -> float:
    """Seconds at the start of a step of ``step_s`` seconds that are not measured."""
    return min(WARMUP_MAX_S, WARMUP_FRACTION * max(step_s, 0.0))
