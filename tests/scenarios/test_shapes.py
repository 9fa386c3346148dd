"""Load shapes: durations, ladders, JSON round trips and YAML files with bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from erpcap.errors import BadInput
from erpcap.scenarios.shapes import (
    Shape,
    Step,
    ladder,
    load_shape_file,
    parse_duration,
    shape_from_args,
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
