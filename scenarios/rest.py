"""Declarative YAML scenarios for any REST or JSON-RPC ERP (issue 11: being built)."""

from __future__ import annotations

from pathlib import Path

from erpcap.errors import BadInput
from erpcap.scenarios.catalog import Scenario


def load_rest_scenario(path: str | Path) -> Scenario:
    raise BadInput(f"{path}: declarative scenarios are not built yet")
