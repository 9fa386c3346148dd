"""Locust users of a declarative scenario (issue 11: being built)."""

from __future__ import annotations

from typing import Any

from erpcap.scenarios.catalog import Scenario
from erpcap.scenarios.launch import LoadSettings


def rest_user_classes(scenario: Scenario, settings: LoadSettings) -> dict[str, type[Any]]:
    raise NotImplementedError(scenario.name)
