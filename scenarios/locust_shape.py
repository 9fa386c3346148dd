"""A Locust ``LoadTestShape`` that follows a :class:`~erpcap.scenarios.shapes.Shape`.

Imported by the locustfile only (it imports Locust). Locust calls :meth:`tick` about once a
second on the master (``Runner.shape_worker``); ``tick`` returns ``(users, spawn_rate)`` for
the step running now, or None once the shape has ended, which makes a headless Locust quit.

At each step change the shape appends ``{"kind": "step", "step": n, "users": u,
"duration_s": d}`` (steps numbered from 1; ``phase`` and ``classes`` for ``mixed-day``) to
``events.jsonl``, before Locust starts or stops users for it; at the end it appends
``{"kind": "stop", "reason": "shape complete"}``. A step that names its user classes
(``mixed-day``) makes ``tick`` return them as Locust's third element, so only they run.

With a ``--stop-when`` expression (:mod:`erpcap.scenarios.stop_when`), at the end of each
step that has a next one the shape compares the step's figures with it: Locust's aggregated
statistics (``runner.stats.total``, which on a master sums the workers' reports) are
snapshotted when the step's warm-up ends (erpcap/warmup.py, the analysis's rule) and at its
end, and the difference is judged. When it fires the shape appends ``{"kind": "stop",
"reason": "stop_when", "expr", "step", "users", "observed": {...}}`` and ends. Workers report
every 3 seconds, so with workers the window lags by up to that much.

Locust blocks inside ``tick``'s caller while it spawns users, so a step shorter than its
ramp (users / spawn rate) is cut short; the ``step`` events record what really happened.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from locust import LoadTestShape

from erpcap.rundir import RunDir
from erpcap.scenarios.shapes import Shape, Step
from erpcap.scenarios.stop_when import Snapshot, StopWhen, observe, parse_stop_when
from erpcap.warmup import warmup_s

log = logging.getLogger("erpcap.shape")


class StepLoadShape(LoadTestShape):
    """Follows :attr:`spec`, writing step events to :attr:`run`. Subclass via :func:`shape_class`."""

    abstract: ClassVar[bool] = True
    spec: ClassVar[Shape]
    run: ClassVar[RunDir]
    stop_when: ClassVar[StopWhen | None] = None

    def __init__(self) -> None:
        super().__init__()
        self._step = 0
        self._stopped = False
        #: Locust's totals when the current step began, and when its warm-up ended.
        self._at_start: Snapshot | None = None
        self._at_warm: Snapshot | None = None
        #: The step whose users of the previous step's classes have all stopped.
        self._drained = 0

    def tick(self) -> tuple[int, float] | tuple[int, float, list[type[Any]] | None] | None:
        """The users and spawn rate (and classes) for now; None when the shape is over."""
        elapsed = self.get_run_time()
        current = self.spec.step_at(elapsed)
        changed = self._step and current is not None and current[0] != self._step
        if changed and self._ceiling_passed(elapsed):
            return None
        if current is None:
            if not self._stopped:
                self._stopped = True
                self._event("stop", reason="shape complete", elapsed_s=round(elapsed, 3))
            return None
        number, step = current
        if number != self._step:
            self._step = number
            extra: dict[str, object] = {}
            if step.phase:
                extra = {"phase": step.phase, "classes": list(step.classes)}
            self._event("step", step=number, users=step.users, duration_s=step.duration_s, **extra)
            self._at_start = self._snapshot()
            self._at_warm = None
        if self._at_warm is None and elapsed >= self._warm_until(number, step):
            self._at_warm = self._snapshot()
        if step.classes:
            classes = self._classes(step)
            if self._draining(number):  # Locust keeps the users it has: stop them first
                return 0, self.spec.spawn_rate, classes
            return step.users, self.spec.spawn_rate, classes
        return step.users, self.spec.spawn_rate

    def _draining(self, number: int) -> bool:
        """Whether step ``number`` must still wait for the users of other classes to stop.

        Locust's dispatcher does not stop users of classes that a new tick leaves out (it
        only adds or removes users to reach the count), so a step whose classes differ from
        the previous step's first asks for 0 users, until none is left.
        """
        if number == 1 or self._drained == number or self.runner is None:
            return False
        if self.spec.steps[number - 2].classes == self.spec.steps[number - 1].classes:
            return False
        if self.runner.user_count > 0:
            return True
        self._drained = number
        return False

    def _warm_until(self, number: int, step: Step) -> float:
        """Run time at which step ``number``'s warm-up ends."""
        begins = sum(s.duration_s for s in self.spec.steps[: number - 1])
        return begins + warmup_s(step.duration_s)

    def _ceiling_passed(self, elapsed: float) -> bool:
        """At the end of a step with a next one: whether ``stop_when`` fires on its figures
        (and if so, the ``stop`` event is written)."""
        before, now = self._at_warm or self._at_start, self._snapshot()
        if self.stop_when is None or before is None or now is None or self._stopped:
            return False
        observed = observe(before, now)
        if not self.stop_when.fires(observed):
            return False
        self._stopped = True
        step = self.spec.steps[self._step - 1]
        shown = ["requests", "p95_ms", "error_rate", *self.stop_when.figures()]
        self._event(
            "stop",
            reason="stop_when",
            expr=self.stop_when.text,
            step=self._step,
            users=step.users,
            observed={key: observed.get(key) for key in dict.fromkeys(shown)},
            elapsed_s=round(elapsed, 3),
        )
        log.info("stopping early after step %d: %s", self._step, self.stop_when.text)
        return True

    def _snapshot(self) -> Snapshot | None:
        """Locust's aggregated totals now (None before a runner exists)."""
        if self.stop_when is None or self.runner is None:
            return None
        total = self.runner.stats.total
        return Snapshot(
            dict(total.response_times),
            int(total.num_requests),
            int(total.num_failures),
            float(total.total_response_time),
        )

    def _classes(self, step: Step) -> list[type[Any]] | None:
        """The Locust classes a step names (None, i.e. all, when one is unknown)."""
        if self.runner is None:
            return None
        by_name = self.runner.user_classes_by_name
        missing = [name for name in step.classes if name not in by_name]
        if missing:
            log.error("step %d names unknown user classes %s: running all", self._step, missing)
            return None
        return [by_name[name] for name in step.classes]

    def _event(self, kind: str, **fields: object) -> None:
        try:
            self.run.event(kind, **fields)
        except OSError:
            log.exception("could not write the %s event to %s", kind, self.run.path)


def shape_class(spec: Shape, run: RunDir, stop_when: str | None = None) -> type[StepLoadShape]:
    """A concrete shape class bound to ``spec``, ``run`` and the ``--stop-when`` expression
    (Locust instantiates it itself)."""
    attrs = {
        "abstract": False,
        "spec": spec,
        "run": run,
        "stop_when": parse_stop_when(stop_when) if stop_when else None,
    }
    return type("ErpcapShape", (StepLoadShape,), attrs)
