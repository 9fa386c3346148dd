"""The open model's schedule (scenarios/rate.py) and arrival clock (scenarios/arrival_clock.py):
pure, with a fake clock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from random import Random

import pytest

from erpcap.errors import BadInput
from erpcap.scenarios.arrival_clock import ArrivalClock
from erpcap.scenarios.rate import (
    RateStep,
    Schedule,
    arrival_offsets,
    load_rate_file,
    parse_rate,
    rate_from_args,
)


@pytest.mark.parametrize(
    ("text", "per_s"), [("30/s", 30.0), ("600/m", 10.0), ("7200/h", 2.0), ("2.5 / S", 2.5)]
)
def test_parse_rate(text: str, per_s: float) -> None:
    assert parse_rate(text) == pytest.approx(per_s)


@pytest.mark.parametrize("text", ["30", "30/d", "-3/s", "fast", "/s", ""])
def test_parse_rate_rejects(text: str) -> None:
    with pytest.raises(BadInput, match="is not a rate"):
        parse_rate(text)


def test_rate_from_args_constant_and_pool() -> None:
    text, pool = rate_from_args("120/m", users=None, duration="30s")
    schedule = Schedule.from_json(text)
    assert schedule.steps == (RateStep(2.0, 30.0, 2.0),)
    assert (pool.kind, pool.max_users(), pool.total_duration()) == ("constant", 10, 30.0)
    assert schedule.max_users == 10  # the default pool: max(10, 2/s x 2 s)
    _, big = rate_from_args("50/s", users=None, duration=None)
    assert (big.max_users(), big.total_duration()) == (100, 60.0)
    _, chosen = rate_from_args("50/s", users=7, duration="5s")
    assert chosen.max_users() == 7 and chosen.spawn_rate >= 7


def test_rate_from_args_rejects() -> None:
    with pytest.raises(BadInput, match="neither a rate nor a file"):
        rate_from_args("fast", users=None, duration=None)
    with pytest.raises(BadInput, match="--users"):
        rate_from_args("5/s", users=0, duration=None)
    with pytest.raises(BadInput, match="--duration"):
        rate_from_args("5/s", users=None, duration="soon")
    with pytest.raises(BadInput, match="never sends"):
        rate_from_args("0/s", users=None, duration="5s")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rate.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rate_file_forms(tmp_path: Path) -> None:
    steps = _write(tmp_path, "max_users: 40\nsteps:\n  - {rate: 10/s, duration: 2m}\n"
                             "  - {rate: 30/s, duration: 5m, ramp: true}\n")  # fmt: skip
    schedule = load_rate_file(steps)
    assert schedule.steps == (RateStep(10.0, 120.0, 10.0), RateStep(30.0, 300.0, 10.0))
    assert schedule.max_users == 40
    text, pool = rate_from_args(str(steps), users=None, duration=None)
    assert (pool.kind, [s.users for s in pool.steps]) == ("steps", [40, 40])
    assert [s.duration_s for s in pool.steps] == [120.0, 300.0]
    assert Schedule.from_json(text) == schedule
    _, override = rate_from_args(str(steps), users=8, duration=None)
    assert override.max_users() == 8
    ramp = load_rate_file(_write(tmp_path, "ramp: {from: 0/s, to: 30/s, duration: 5m}\n"))
    assert ramp.steps == (RateStep(30.0, 300.0, 0.0),)
    assert ramp.steps[0].rate_at(150.0) == pytest.approx(15.0)
    constant = load_rate_file(_write(tmp_path, "constant: {rate: 600/m, duration: 90}\n"))
    assert constant.steps == (RateStep(10.0, 90.0, 10.0),)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("steps:\n  - {rate: 10/s, duration: 1m}\n  - {rate: fast, duration: 1m}\n", 3,
         "'fast' is not a rate"),
        ("steps:\n  - {rate: 10/s, duration: 1m}\n  - {rate: 5/s, duration: soon}\n", 3,
         "not a duration"),
        ("steps:\n  - {rate: 10/s}\n", 2, "missing 'duration'"),
        ("steps:\n  - {rate: 10/s, duration: 1m, users: 3}\n", 2, "unknown key 'users'"),
        ("steps:\n  - {rate: 10/s, duration: 1m, ramp: yes please}\n", 2, "ramp must be"),
        ("steps: []\n", 1, "non-empty list"),
        ("speed: 10/s\n", 1, "unknown key 'speed'"),
        ("constant: {rate: 1/s, duration: 1}\nramp: {from: 0/s, to: 1/s, duration: 1}\n", 1,
         "exactly one"),
        ("max_users: 0\nconstant: {rate: 1/s, duration: 1}\n", 1, "max_users"),
        ("\nramp: {from: 0/s, duration: 1m}\n", 2, "missing 'to'"),
        ("constant: {rate: 0/s, duration: 1m}\n", 1, "never sends"),
        ("steps:\n  - {rate: 1/s, duration: 1m\n", 3, "not valid YAML"),
    ],
)  # fmt: skip
def test_rate_file_bad_input_names_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(BadInput) as caught:
        rate_from_args(str(path), users=None, duration=None)
    err = caught.value
    assert err.one_line().startswith(f"{path}:{line}: "), err.one_line()
    assert message in err.one_line()
    assert "\n" not in err.one_line()


def test_rate_file_and_duration_conflict(tmp_path: Path) -> None:
    path = _write(tmp_path, "constant: {rate: 1/s, duration: 1m}\n")
    with pytest.raises(BadInput, match="--duration does not apply"):
        rate_from_args(str(path), users=None, duration="2m")


def test_arrivals_follow_the_schedule() -> None:
    """Poisson arrivals: the count per step near rate x duration, gaps near exponential."""
    schedule = Schedule((RateStep(20.0, 50.0, 20.0), RateStep(60.0, 50.0, 20.0)))
    offsets = list(arrival_offsets(schedule, Random(5)))
    first = [t for t in offsets if t < 50.0]
    ramp = [t - 50.0 for t in offsets if t >= 50.0]
    assert len(first) == pytest.approx(1000, rel=0.1)
    assert len(ramp) == pytest.approx(schedule.steps[1].expected(), rel=0.1)  # 2000
    # the ramp's second half holds more than its first: 50 vs 30 per second on average
    late = sum(1 for t in ramp if t >= 25.0)
    assert late / (len(ramp) - late) == pytest.approx(50 / 30, rel=0.15)
    gaps = [b - a for a, b in zip(first, first[1:], strict=False)]
    assert sum(gaps) / len(gaps) == pytest.approx(1 / 20, rel=0.1)
    cv = (sum((g - 0.05) ** 2 for g in gaps) / len(gaps)) ** 0.5 / 0.05
    assert cv == pytest.approx(1.0, rel=0.15)  # exponential gaps: sd = mean
    assert offsets == list(arrival_offsets(schedule, Random(5)))  # seeded: deterministic


def test_clock_on_time_users_send_every_arrival() -> None:
    """Users always free: each takes the next arrival when the last one was sent; none drop."""
    schedule = Schedule((RateStep(10.0, 10.0, 10.0),))
    clock = ArrivalClock(schedule, Random(2), start=1000.0)
    now, sent = 1000.0, []
    while (due := clock.take(now)) is not None:
        assert due >= 1000.0
        now = max(now, due)  # the user sleeps until the arrival is due, sends, is free again
        sent.append(due)
    totals = clock.totals(1010.0)
    assert totals["dropped"] == 0
    assert totals["sent"] == totals["intended"] == len(sent)
    assert sent == sorted(sent)


def test_clock_drops_what_a_busy_pool_could_not_send() -> None:
    """One user, stuck for 3 s: the arrivals more than 1 s overdue are dropped, the rest are
    sent late (keeping their due time), and the counts add up by step."""
    schedule = Schedule((RateStep(10.0, 5.0, 10.0), RateStep(10.0, 5.0, 10.0)))
    offsets = list(arrival_offsets(schedule, Random(9)))
    clock = ArrivalClock(schedule, Random(9), start=0.0, drop_after_s=1.0)
    first = clock.take(0.0)
    assert first == offsets[0]
    stuck_until = offsets[0] + 3.0  # the request of the first arrival took 3 s
    late = clock.take(stuck_until)
    assert late is not None and stuck_until - 1.0 <= late < stuck_until  # sent late
    expected_drops = sum(1 for t in offsets[1:] if t < stuck_until - 1.0)
    assert expected_drops > 5
    assert clock.drain_drops() == {1: expected_drops}
    assert clock.drain_drops() == {}
    clock.expire(9.0)  # nobody free again until the end: the ticker drops what is overdue
    dropped_late = clock.drain_drops()
    assert sum(dropped_late.values()) == sum(1 for t in offsets if late < t < 8.0)
    totals = clock.totals(10.0)
    assert totals["intended"] == len(offsets)
    assert totals["sent"] == 2
    assert totals["dropped"] == len(offsets) - 2
    assert [s["intended"] for s in totals["steps"]] == [
        sum(1 for t in offsets if t < 5.0),
        sum(1 for t in offsets if t >= 5.0),
    ]


def test_clock_stopped_early_counts_only_what_was_due() -> None:
    """A load stopped at 4 s: arrivals due later are not intended; one taken but not yet due
    (its user was stopped while waiting) is not sent."""
    schedule = Schedule((RateStep(5.0, 10.0, 5.0),))
    offsets = list(arrival_offsets(schedule, Random(4)))
    clock = ArrivalClock(schedule, Random(4), start=0.0)
    taken = [clock.take(t) for t in (0.0, 0.0, 0.0)]  # three free users at the start
    totals = clock.totals(offsets[1] + 0.001)  # stopped between the 2nd and 3rd arrival
    assert taken == offsets[:3]
    assert totals == {"intended": 2, "sent": 2, "dropped": 0,
                      "steps": [{"step": 1, "intended": 2, "sent": 2, "dropped": 0}]}  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate", "30"], "--rate '30' is neither a rate nor a file"),
        (["--rate", "5/s", "--shape", "steps"], "--shape does not apply with --rate"),
        (["--rate", "{file}"], "{file}:3: rate 'fast' is not a rate"),
    ],
)
def test_cli_bad_rate_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    """Bad --rate input: one line naming what (and the file and line), exit 2, before any
    load starts (the target's port is closed)."""
    path = _write(
        tmp_path, "steps:\n  - {rate: 10/s, duration: 1m}\n  - {rate: fast, duration: 1m}\n"
    )
    argv = [a.format(file=path) for a in args]
    done = subprocess.run(
        [sys.executable, "-m", "erpcap", "run", "--target", "http://127.0.0.1:9", *argv,
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message.format(file=path) in lines[0], done.stderr
    assert "Traceback" not in done.stderr
