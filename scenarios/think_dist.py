"""Think-time distributions of declarative scenarios (pure functions, no Locust).

``think: 5s`` is TPC-C's negative exponential with a 5 s mean, truncated at ten times the
mean (:func:`erpcap.scenarios.think.think_time`). The other forms draw from a measured or a
chosen distribution: ``{constant: 3s}``, ``{uniform: [2s, 8s]}``, and ``{empirical: [0.8,
1.5, 4.2]}``, which samples the listed think times (seconds) with equal chance, as
``erpcap model`` writes them from an access log. Every draw is multiplied by ``scale``
(``--think-scale``).

>>> import random
>>> ThinkTime("uniform", (2.0, 8.0)).mean(), ThinkTime("empirical", (1.0, 2.0, 6.0)).mean()
(5.0, 3.0)
>>> ThinkTime("constant", (3.0,)).sample(random.Random(1), scale=0.5)
1.5
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from erpcap.scenarios.think import think_time

#: The distribution kinds, as the YAML names them.
KINDS = ("exponential", "constant", "uniform", "empirical")


@dataclass(frozen=True)
class ThinkTime:
    """A think-time distribution: ``kind`` (one of :data:`KINDS`) and its values in seconds:
    the mean (exponential), the value (constant), low and high (uniform), the samples
    (empirical)."""

    kind: str
    values: tuple[float, ...]

    def mean(self) -> float:
        """The mean think time in seconds (the exponential's before its 10x truncation)."""
        if self.kind == "uniform":
            return (self.values[0] + self.values[1]) / 2.0
        if self.kind == "empirical":
            return sum(self.values) / len(self.values)
        return self.values[0]

    def sample(self, rng: random.Random, *, scale: float = 1.0) -> float:
        """One think time in seconds, times ``scale``."""
        if self.kind == "exponential":
            return think_time(self.values[0], rng, scale=scale)
        if self.kind == "uniform":
            return rng.uniform(self.values[0], self.values[1]) * scale
        if self.kind == "empirical":
            return rng.choice(self.values) * scale
        return self.values[0] * scale

    def to_dict(self) -> dict[str, object]:
        """The YAML form, in seconds (for run.json)."""
        if self.kind in ("uniform", "empirical"):
            return {self.kind: list(self.values)}
        return {self.kind: self.values[0]}
