"""The user's own locustfile as a scenario (issue 11: being built)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from erpcap.errors import BadInput
from erpcap.scenarios.catalog import Scenario
from erpcap.scenarios.launch import LoadSettings


def load_locustfile_scenario(path: str | Path) -> Scenario:
    raise BadInput(f"{path}: own locustfiles are not built yet")


def imported_user_classes(scenario: Scenario, settings: LoadSettings) -> dict[str, type[Any]]:
    raise NotImplementedError(scenario.name)
