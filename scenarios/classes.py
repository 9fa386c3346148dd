"""Which Locust user classes a scenario runs (imported inside the Locust process only).

One dispatch on :attr:`Scenario.kind`, so that every kind of scenario gets the same
recording, shapes, open model and workers:

- ``roles``: the reference ERP's role users (:mod:`erpcap.scenarios.users`);
- ``rest``: users built from a declarative YAML scenario (:mod:`erpcap.scenarios.rest_users`);
- ``locustfile``: the user classes of the user's own locustfile, untouched
  (:mod:`erpcap.scenarios.own_locustfile`).
"""

from __future__ import annotations

from typing import Any

from erpcap.scenarios.catalog import Scenario
from erpcap.scenarios.launch import LoadSettings


def user_classes_for(scenario: Scenario, settings: LoadSettings) -> dict[str, type[Any]]:
    """The concrete Locust user classes of ``scenario``, keyed by class name."""
    if scenario.kind == "rest":
        from erpcap.scenarios.rest_users import rest_user_classes

        return dict(rest_user_classes(scenario, settings))
    if scenario.kind == "locustfile":
        from erpcap.scenarios.own_locustfile import imported_user_classes

        return dict(imported_user_classes(scenario, settings))
    from erpcap.scenarios.users import user_classes

    return dict(user_classes(scenario, settings))
