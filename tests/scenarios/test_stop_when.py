"""``--stop-when``: the parser (bad input names the column) and the figures of a step taken
from two snapshots of Locust-style histograms."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from erpcap.errors import BadInput
from erpcap.scenarios.stop_when import Snapshot, observe, parse_stop_when, percentile_ms


@pytest.mark.parametrize(
    ("text", "fires", "holds"),
    [
        ("p95>2s or errors>5%", {"p95_ms": 2001.0, "error_rate": 0.0}, {"p95_ms": 2000.0, "error_rate": 0.05}),
        ("p95>=2s", {"p95_ms": 2000.0}, {"p95_ms": 1999.0}),
        ("p99 > 800ms and errors >= 1%", {"p99_ms": 900.0, "error_rate": 0.01}, {"p99_ms": 900.0, "error_rate": 0.009}),
        ("mean>1.5s or max>1m", {"mean_ms": 100.0, "max_ms": 60001.0}, {"mean_ms": 1500.0, "max_ms": 60000.0}),
        ("P50>1 AND errors>0.5% OR p90>3s", {"p90_ms": 3500.0}, {"p50_ms": 5000.0, "error_rate": 0.001}),
    ],
)  # fmt: skip
def test_expressions(text: str, fires: dict[str, float], holds: dict[str, float]) -> None:
    rule = parse_stop_when(text)
    assert rule.fires({**fires, "requests": 100})
    assert not rule.fires({**holds, "requests": 100})
    assert not rule.fires({**fires, "requests": 0})  # an empty step never fires


@pytest.mark.parametrize(
    ("text", "column", "what"),
    [
        ("p95>2x", 5, "duration"),
        ("p96>2s", 1, "expected one of"),
        ("p95 2s", 5, "> or >="),
        ("p95<2s", 4, "> or >="),
        ("errors>5", 8, "percentage"),
        ("errors>500%", 8, "at most 100%"),
        ("p95>2s xor errors>1%", 8, "'and' or 'or'"),
        ("p95>2s or", 10, "a term after"),
        ("p95>", 5, "a value"),
        ("   ", 1, "empty"),
    ],
)  # fmt: skip
def test_bad_expressions_name_the_column(text: str, column: int, what: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_stop_when(text)
    line = caught.value.one_line()
    assert f"column {column}:" in line and what in line, line
    assert "\n" not in line


def test_percentiles_match_the_inverted_cdf() -> None:
    rng = np.random.default_rng(7)
    samples = np.round(rng.lognormal(4.0, 0.8, 5000)).astype(int)
    values, counts = np.unique(samples, return_counts=True)
    histogram = dict(zip(values.tolist(), counts.tolist(), strict=True))
    for fraction in (0.5, 0.9, 0.95, 0.99):
        expected = float(np.percentile(samples, fraction * 100, method="inverted_cdf"))
        assert percentile_ms(histogram, fraction) == expected
    assert percentile_ms({}, 0.95) is None


def test_observe_takes_only_the_requests_between_two_snapshots() -> None:
    # before: 100 fast requests (warm-up); after: 100 more, of which 10 slow, 4 failed
    before = Snapshot({10: 100}, 100, 0, 1000.0)
    after = Snapshot({10: 190, 3000: 10}, 200, 4, 1000.0 + 90 * 10 + 10 * 3000)
    figures = observe(before, after)
    assert figures["requests"] == 100 and figures["error_rate"] == 0.04
    assert figures["p50_ms"] == 10.0 and figures["p90_ms"] == 10.0
    assert figures["p95_ms"] == 3000.0 and figures["max_ms"] == 3000.0
    assert figures["mean_ms"] == pytest.approx((900 + 30000) / 100)
    assert parse_stop_when("p95>2s").fires(figures)
    assert not parse_stop_when("p95>2s").fires(observe(after, after))  # nothing new


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--shape", "ladder", "--stop-when", "p95>2x"], "column 5: expected a duration"),
        (["--shape", "constant", "--stop-when", "p95>2s"], "needs a shape with several steps"),
        (["--shape", "mixed-day", "--scenario", "query"], "does not have"),
    ],
)
def test_the_cli_refuses_before_anything_starts(args: list[str], said: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "erpcap", "run", "--target", "http://127.0.0.1:9", *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert said in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
