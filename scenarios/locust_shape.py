"""A Locust ``LoadTestShape`` that follows a :class:`~erpcap.scenarios.shapes.Shape`.

Imported by the locustfile only (it imports Locust). Locust calls :meth:`tick` about once a
second on the master (``Runner.shape_worker``); ``tick`` returns ``(users, spawn_rate)`` for
the step running now, or None once the shape has ended, which makes a headless Locust quit.

At each step change the shape appends ``{"kind": "step", "step": n, "users": u,
"duration_s": d}`` (steps numbered from 1) to ``events.jsonl``, before Locust starts or stops
users for it; at the end it appends ``{"kind": "stop", "reason": "shape complete"}``.

Locust blocks inside ``tick``'s caller while it spawns users, so a step shorter than its
ramp (users / spawn rate) is cut short; the ``step`` events record what really happened.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from locust import LoadTestShape

from erpcap.rundir import RunDir
from erpcap.scenarios.shapes import Shape

log = logging.getLogger("erpcap.shape")


class StepLoadShape(LoadTestShape):
    """Follows :attr:`spec`, writing step events to :attr:`run`. Subclass via :func:`shape_class`."""

    abstract: ClassVar[bool] = True
    spec: ClassVar[Shape]
    run: ClassVar[RunDir]

    def __init__(self) -> None:
        super().__init__()
        self._step = 0
        self._stopped = False

    def tick(self) -> tuple[int, float] | None:
        """The users and spawn rate for now; None when the shape is over."""
        current = self.spec.step_at(self.get_run_time())
        if current is None:
            if not self._stopped:
                self._stopped = True
                self._event(
                    "stop", reason="shape complete", elapsed_s=round(self.get_run_time(), 3)
                )
            return None
        number, step = current
        if number != self._step:
            self._step = number
            self._event("step", step=number, users=step.users, duration_s=step.duration_s)
        return step.users, self.spec.spawn_rate

    def _event(self, kind: str, **fields: object) -> None:
        try:
            self.run.event(kind, **fields)
        except OSError:
            log.exception("could not write the %s event to %s", kind, self.run.path)


def shape_class(spec: Shape, run: RunDir) -> type[StepLoadShape]:
    """A concrete shape class bound to ``spec`` and ``run`` (Locust instantiates it itself)."""
    return type("ErpcapShape", (StepLoadShape,), {"abstract": False, "spec": spec, "run": run})
