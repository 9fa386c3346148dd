"""Scenarios: workloads, load shapes and the Locust process that runs them.

This package never imports Locust (it monkey-patches the standard library with gevent);
only :mod:`erpcap.scenarios.locustfile` and the modules it alone imports (``users``,
``locust_shape``, ``recorder``) do, inside the Locust subprocess. Launch that process with
:func:`locust_command`.
"""

from __future__ import annotations

from erpcap.scenarios.catalog import (
    OPERATION_GROUPS,
    Scenario,
    expected_mix,
    get_scenario,
    group_of,
    load_scenario_file,
    resolve_scenario,
    scenario_names,
)
from erpcap.scenarios.launch import LoadSettings, locust_command, locustfile_path
from erpcap.scenarios.shapes import (
    Shape,
    Step,
    load_shape_file,
    parse_duration,
    shape_from_args,
)

__all__ = [
    "OPERATION_GROUPS",
    "LoadSettings",
    "Scenario",
    "Shape",
    "Step",
    "expected_mix",
    "get_scenario",
    "group_of",
    "load_scenario_file",
    "resolve_scenario",
    "load_shape_file",
    "locust_command",
    "locustfile_path",
    "parse_duration",
    "scenario_names",
    "shape_from_args",
]
