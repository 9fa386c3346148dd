"""The scenario catalogue: names, groups, and mixes that match DOMAIN.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from erpcap.errors import BadInput
from erpcap.scenarios.catalog import (
    OPERATION_GROUPS,
    ROLES,
    expected_mix,
    get_scenario,
    group_of,
    load_scenario_file,
    resolve_scenario,
    scenario_names,
)
from erpcap.types import GROUPS

# DOMAIN.md group totals, percent: order / query / close.
DOMAIN_GROUPS = {"peak-order": (34, 52, 14), "month-end-close": (25, 33, 42)}


def test_names_and_unknown() -> None:
    assert {"demo-mix", "peak-order", "query", "month-end-close"} <= set(scenario_names())
    with pytest.raises(BadInput) as caught:
        get_scenario("peak")
    assert caught.value.one_line().startswith("unknown scenario 'peak' (use one of: demo-mix")


def test_groups_are_known() -> None:
    assert set(OPERATION_GROUPS.values()) <= set(GROUPS)
    assert group_of("login") == "auth" and group_of("unheard_of") == "other"


@pytest.mark.parametrize("name", ["demo-mix", "peak-order", "query", "month-end-close"])
def test_scenarios_use_their_roles_operations(name: str) -> None:
    scenario = get_scenario(name)
    assert scenario.users
    for mix in scenario.users:
        role = ROLES[mix.role]
        assert set(mix.tasks) <= role.operations, (mix.role, set(mix.tasks) - role.operations)
        assert all(op in OPERATION_GROUPS for op in mix.tasks)
        assert mix.weight > 0 and all(w > 0 for w in mix.tasks.values())
    assert scenario.to_dict()["name"] == name


@pytest.mark.parametrize("name", sorted(DOMAIN_GROUPS))
def test_expected_mix_matches_domain(name: str) -> None:
    scenario = get_scenario(name)
    mix = expected_mix(scenario)
    assert sum(mix.values()) == pytest.approx(1.0)
    for op, target in scenario.target_mix.items():
        assert mix.get(op, 0.0) == pytest.approx(target, abs=0.005), op
    groups = {g: 0.0 for g in ("order", "query", "close")}
    for op, share in mix.items():
        groups[group_of(op)] += share
    expected = DOMAIN_GROUPS[name]
    assert [round(groups[g] * 100) for g in ("order", "query", "close")] == list(expected)


def test_query_scenario_is_read_only() -> None:
    assert {group_of(op) for op in get_scenario("query").operations()} == {"query"}


def _scenario_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "customer-x.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_scenario_file(tmp_path: Path) -> None:
    path = _scenario_file(
        tmp_path,
        "description: measured from logs\n"
        "users:\n"
        "  - role: order_entry\n"
        "    weight: 3\n"
        "    tasks: {create_sales_order: 30, check_availability: 70}\n"
        "  - role: batch\n"
        "    fixed_count: 1\n"
        "    weight: 0\n"
        "    think_s: 0\n"
        "    tasks: {run_invoicing: 1}\n",
    )
    scenario = resolve_scenario(str(path))
    assert scenario.name == "customer-x" and scenario.description == "measured from logs"
    assert [m.role for m in scenario.users] == ["order_entry", "batch"]
    assert dict(scenario.users[0].tasks) == {"create_sales_order": 30.0, "check_availability": 70.0}
    assert scenario.users[1].fixed_count == 1 and scenario.users[1].think_mean() == 0.0
    assert resolve_scenario("peak-order").name == "peak-order"
    with pytest.raises(BadInput, match="unknown scenario"):
        resolve_scenario("no-such-thing")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("users: []\n", 1, "non-empty 'users'"),
        ("users:\n  - role: cfo\n    tasks: {ar_aging: 1}\n", 2, "unknown role 'cfo'"),
        ("users:\n  - role: qa\n    tasks: {create_sales_order: 1}\n", 3,
         "role qa cannot do 'create_sales_order'"),
        ("users:\n  - role: qa\n    tasks: {trace_lot: 0}\n", 3, "above 0"),
        ("users:\n  - role: qa\n    weight: 1.5\n    tasks: {trace_lot: 1}\n", 2, "whole number"),
        ("users:\n  - role: qa\n    tasks: {}\n", 2, "'tasks' must map"),
        ("name: x\nmix: 1\nusers:\n  - role: qa\n    tasks: {trace_lot: 1}\n", 1, "unknown key 'mix'"),
        ("users:\n  - role: qa\n    tasks: {trace_lot: 1}\n    pacing: 2\n", 2, "unknown key 'pacing'"),
    ],
)  # fmt: skip
def test_scenario_file_bad_input(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = _scenario_file(tmp_path, text)
    with pytest.raises(BadInput) as caught:
        load_scenario_file(path)
    assert (caught.value.path, caught.value.line) == (str(path), line), caught.value.one_line()
    assert message in caught.value.one_line()
