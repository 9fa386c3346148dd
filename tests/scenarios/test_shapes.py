"""Load shapes: durations, ladders, JSON round trips and YAML files with bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from erpcap.errors import BadInput
from erpcap.scenarios.catalog import ROLES, get_scenario
from erpcap.scenarios.shapes import (
    DAY_PHASES,
    LADDER_HOLD_S,
    SOAK_DEFAULT_S,
    Shape,
    Step,
    check_shape_fits,
    ladder,
    load_shape_file,
    parse_duration,
    shape_from_args,
    spike_shape,
    steps_shape,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), (90, 90.0), ("90s", 90.0), ("2m", 120.0), ("1h", 3600.0), ("1m30s", 90.0),
     ("1.5m", 90.0), ("500ms", 0.5), (" 2 m ", 120.0), ("1H", 3600.0)],
)  # fmt: skip
def test_parse_duration(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "2x", "m", "-5", "0", "0s", "1m30", True, "1.2.3s"])
def test_parse_duration_rejects(text: str | bool) -> None:
    with pytest.raises(BadInput):
        parse_duration(text)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("top", "expected"),
    [(1, [1]), (2, [1, 2]), (3, [1, 2, 3]), (8, [1, 2, 4, 8]), (9, [1, 2, 4, 8, 9]),
     (24, [1, 2, 4, 8, 12, 16, 20, 24])],
)  # fmt: skip
def test_ladder(top: int, expected: list[int]) -> None:
    assert ladder(top) == expected


def test_shape_from_args_kinds() -> None:
    steps = shape_from_args("steps", users=8, duration="2m")
    assert [s.users for s in steps.steps] == [1, 2, 4, 8]
    assert steps.total_duration() == pytest.approx(120.0)
    constant = shape_from_args("constant", users=5, duration="90s")
    assert constant.steps == (Step(5, 90.0),) and constant.kind == "constant"
    ramp = shape_from_args("ramp", users=50, duration="5m")
    assert ramp.spawn_rate == pytest.approx(50 / 300) and ramp.max_users() == 50
    assert shape_from_args().steps == (Step(10, 60.0),)


def test_shape_from_args_rejects() -> None:
    with pytest.raises(BadInput, match="unknown shape 'zigzag'"):
        shape_from_args("zigzag")
    with pytest.raises(BadInput, match="--users"):
        shape_from_args("constant", users=0)
    with pytest.raises(BadInput, match="--duration"):
        shape_from_args("constant", users=1, duration="forever")


def test_json_round_trip_and_step_at() -> None:
    shape = steps_shape([(2, 5.0), (4, 5.5)], spawn_rate=3)
    again = Shape.from_json(shape.to_json())
    assert again == shape
    assert shape.step_at(0.0) == (1, Step(2, 5.0))
    assert shape.step_at(5.0) == (2, Step(4, 5.5))
    assert shape.step_at(10.5) is None
    with pytest.raises(BadInput):
        Shape.from_json('{"kind": "steps"}')
    with pytest.raises(BadInput):
        Shape.from_json("[1]")


def test_shape_validation() -> None:
    with pytest.raises(BadInput):
        Shape("steps", ())
    with pytest.raises(BadInput):
        Shape("steps", (Step(1, 0.0),))
    with pytest.raises(BadInput):
        Shape("wave", (Step(1, 1.0),))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shape.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_steps(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "spawn_rate: 5\nsteps:\n  - {users: 5, duration: 20s}\n  - users: 10\n    duration: 1m\n",
    )
    shape = load_shape_file(path)
    assert shape == Shape("steps", (Step(5, 20.0), Step(10, 60.0)), 5.0)
    assert shape_from_args(str(path)) == shape  # a path is accepted where a kind is


def test_yaml_constant_and_ramp(tmp_path: Path) -> None:
    assert load_shape_file(_write(tmp_path, "constant: {users: 3, duration: 90}\n")).steps == (
        Step(3, 90.0),
    )
    ramp = load_shape_file(_write(tmp_path, "ramp:\n  users: 20\n  duration: 2m\n"))
    assert ramp.kind == "ramp" and ramp.spawn_rate == pytest.approx(20 / 120)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("steps:\n  - {users: 5, duration: 20s}\n  - {users: 10}\n", 3, "missing 'duration'"),
        ("steps:\n  - {users: 5, duration: 20s}\n\n  - {users: 7, duration: soon}\n", 4,
         "'soon' is not a duration"),
        ("steps:\n  - {users: -1, duration: 2s}\n", 2, "users must be"),
        ("steps:\n  - {users: 2, duration: 2s, rate: 4}\n", 2, "unknown key 'rate'"),
        ("steps: 5\n", 1, "non-empty list"),
        ("steps:\n  - 5\n", 1, "each step must be a mapping"),
        ("stairs: []\n", 1, "unknown key 'stairs'"),
        ("constant: {users: 1, duration: 1}\nramp: {users: 1, duration: 1}\n", 1, "exactly one"),
        ("spawn_rate: fast\nsteps:\n  - {users: 1, duration: 1}\n", 1, "spawn_rate"),
        ("steps:\n  - {users: 1, duration: 1\n", 3, "not valid YAML"),
        ("- 1\n- 2\n", 1, "expected a mapping"),
        ("ladder:\n  users: 8\n  levels: [1]\n", 2, "either users"),
        ("ladder:\n  users: 8\n  hold: 1m\n  duration: 2m\n", 2, "not both"),
        ("ladder:\n  levels: [1, 0]\n", 2, "above 0"),
        ("ladder:\n  users: 8\n  pause: 1m\n", 2, "unknown key 'pause' in ladder"),
        ("spike:\n  users: 10\n  duration: 1m\n  at: 50s\n  hold: 20s\n", 2, "end before"),
        ("spike:\n  users: 10\n", 2, "missing 'duration'"),
        ("spike:\n  users: 10\n  duration: 1m\n  multiple: x\n", 2, "multiple"),
        ("mixed-day: {users: 3, duration: 1m}\n", 1, "unknown key 'mixed-day'"),
    ],
)  # fmt: skip
def test_yaml_bad_input_names_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(BadInput) as caught:
        load_shape_file(path)
    err = caught.value
    assert err.path == str(path)
    assert err.line == line, err.one_line()
    assert message in err.one_line()
    assert err.one_line().startswith(f"{path}:{line}: ")


def test_yaml_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such shape file"):
        load_shape_file(tmp_path / "nope.yaml")


# -- ladder, spike, soak, mixed-day (issue 11) ---------------------------------------------


def test_ladder_holds_each_level() -> None:
    held = shape_from_args("ladder", users=24)
    assert [s.users for s in held.steps] == ladder(24) and held.kind == "ladder"
    assert {s.duration_s for s in held.steps} == {LADDER_HOLD_S}
    shared = shape_from_args("ladder", users=6, duration="2m")
    assert [(s.users, s.duration_s) for s in shared.steps] == [(1, 30.0), (2, 30.0), (4, 30.0), (6, 30.0)]  # fmt: skip


def test_spike_jumps_in_the_middle_and_comes_back() -> None:
    spike = shape_from_args("spike", users=10, duration="10m")
    assert [(s.users, s.duration_s) for s in spike.steps] == [(10, 240.0), (50, 120.0), (10, 240.0)]
    assert spike.spawn_rate >= 40  # the 40 extra users start within a second
    assert spike.total_duration() == 600.0
    with pytest.raises(BadInput, match="spike"):
        spike_shape(10, 60.0, at_s=50.0, hold_s=20.0)
    with pytest.raises(BadInput, match="multiple"):
        spike_shape(10, 60.0, multiple=1.0)


def test_soak_is_one_long_step() -> None:
    assert shape_from_args("soak", users=20).steps == (Step(20, SOAK_DEFAULT_S),)
    assert shape_from_args("soak", users=20, duration="8h").total_duration() == 8 * 3600.0


def test_mixed_day_phases_name_the_scenarios_classes() -> None:
    day = shape_from_args("mixed-day", users=20, duration="10m")
    assert [s.phase for s in day.steps] == [p.name for p in DAY_PHASES]
    assert day.total_duration() == pytest.approx(600.0)
    assert [s.users for s in day.steps] == [20, 12, 6]
    scenario = get_scenario("mixed-day")
    classes = {ROLES[m.role].class_name for m in scenario.users}
    assert {c for s in day.steps for c in s.classes} == classes  # every role works some time
    check_shape_fits(day, scenario)
    with pytest.raises(BadInput, match="scenario 'query' does not have"):
        check_shape_fits(day, get_scenario("query"))
    assert Shape.from_json(day.to_json()) == day  # classes and phases travel to Locust


def test_stop_when_needs_several_steps() -> None:
    with pytest.raises(BadInput, match="several steps"):
        check_shape_fits(shape_from_args("constant"), get_scenario("query"), stop_when="p95>1s")
    check_shape_fits(shape_from_args("ladder", users=4), get_scenario("query"), stop_when="p95>1s")


def test_yaml_ladder_spike_soak(tmp_path: Path) -> None:
    by_top = load_shape_file(_write(tmp_path, "ladder: {users: 8, hold: 30s}\n"))
    assert [(s.users, s.duration_s) for s in by_top.steps] == [(1, 30.0), (2, 30.0), (4, 30.0), (8, 30.0)]  # fmt: skip
    levels = load_shape_file(_write(tmp_path, "ladder:\n  levels: [5, 10]\n  duration: 1m\n"))
    assert [(s.users, s.duration_s) for s in levels.steps] == [(5, 30.0), (10, 30.0)]
    spike = load_shape_file(
        _write(tmp_path, "spike: {users: 10, multiple: 5, at: 2m, hold: 30s, duration: 6m}\n")
    )
    assert [(s.users, s.duration_s) for s in spike.steps] == [(10, 120.0), (50, 30.0), (10, 210.0)]
    soak = load_shape_file(_write(tmp_path, "spawn_rate: 2\nsoak: {users: 4, duration: 2h}\n"))
    assert soak.kind == "soak" and soak.steps == (Step(4, 7200.0),) and soak.spawn_rate == 2.0
