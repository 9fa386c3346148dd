"""The operational laws and exact MVA (Jain's worked example)."""

from __future__ import annotations

import doctest

import pytest

from erpcap.analysis.capacity import laws


def test_doctests_pass():
    result = doctest.testmod(laws)
    assert result.attempted >= 10 and result.failed == 0


def test_mva_reproduces_jains_example():
    demands = [s * v for s, v in zip([0.125, 0.3, 0.2], [16, 10, 5], strict=True)]
    result = laws.mva(demands, think_time=4, users=20)
    assert result.response_time == pytest.approx(56.0, abs=0.05)
    assert result.throughput == pytest.approx(0.3332, abs=5e-5)
    # the response-time law holds exactly inside the model
    assert laws.response_time(20, result.throughput, 4) == pytest.approx(result.response_time)
    # the bottleneck (demand 3 s) is nearly saturated, within its bound
    assert laws.bottleneck(demands) == 1
    assert 0.99 < result.utilisations[1] <= 1.0
    assert result.throughput <= laws.throughput_ceiling(demands)
    assert sum(result.queue_lengths) == pytest.approx(
        laws.littles_law(result.throughput, result.response_time)
    )


def test_mva_stays_within_the_asymptotic_bounds():
    demands = [0.02, 0.05, 0.01]
    for users in (1, 5, 10, 50):
        result = laws.mva(demands, think_time=0.5, users=users)
        bounds = laws.asymptotic_bounds(demands, think_time=0.5, users=users)
        assert result.throughput <= bounds.x_max + 1e-12
        assert result.response_time >= bounds.r_min - 1e-12


def test_response_time_law_check_flags_a_saturated_generator():
    assert laws.check_response_time_law(100, 20, 1.0, 4) is None
    message = laws.check_response_time_law(100, 10, 1.0, 4)
    assert message is not None and "coordinated omission" in message
    more = laws.check_response_time_law(100, 40, 1.0, 4)
    assert more is not None and "more" in more


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        laws.service_demand(0.5, 0)
    with pytest.raises(ValueError):
        laws.mva([1.0], think_time=1, users=0)
