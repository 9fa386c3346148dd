"""The USL fit: the published specsdm91 coefficients, Amdahl, linear, warnings, recovery."""

from __future__ import annotations

import math

import numpy as np
import pytest

from erpcap.analysis.capacity.usl import fit_usl

SPECSDM91_N = [1, 18, 36, 72, 108, 144, 216]
SPECSDM91_X = [64.9, 995.9, 1652.4, 1853.2, 1828.9, 1775.0, 1702.2]


def _sig4(value: float) -> str:
    return f"{value:.4g}"


def test_specsdm91_reproduces_the_published_coefficients_to_four_digits():
    fit = fit_usl(SPECSDM91_N, SPECSDM91_X)
    # R package usl: σ = 0.0277285, κ = 1.044e-4, λ = 89.9952; peak N ≈ 96.52, X ≈ 1884
    assert _sig4(fit.sigma) == _sig4(0.0277285)
    assert _sig4(fit.kappa) == _sig4(1.044e-4)
    assert _sig4(fit.lam) == _sig4(89.9952)
    assert fit.peak_n is not None and _sig4(fit.peak_n) == "96.52"
    assert fit.peak_x is not None and _sig4(fit.peak_x) == "1884"
    assert fit.r_squared > 0.98
    assert fit.warnings == ()
    assert not fit.amdahl
    for ci in (fit.sigma_ci, fit.kappa_ci, fit.lam_ci):
        assert ci.low < ci.value < ci.high


def test_amdahl_data_is_recognised_with_its_ceiling():
    n = np.array([1, 2, 4, 8, 16, 32, 64], dtype=float)
    x = 10 * n / (1 + 0.05 * (n - 1))
    fit = fit_usl(n, x)
    assert fit.amdahl and fit.kappa == 0.0
    assert fit.peak_n is None
    assert fit.sigma == pytest.approx(0.05, rel=1e-6)
    assert fit.peak_x == pytest.approx(10 / 0.05, rel=1e-6)  # the ceiling λ/σ


def test_linear_data_fits_with_no_contention_and_no_limit():
    n = [1.0, 2, 3, 5, 8, 13]
    fit = fit_usl(n, [7.5 * v for v in n])
    assert fit.sigma == pytest.approx(0.0, abs=1e-9)
    assert fit.kappa == 0.0
    assert fit.lam == pytest.approx(7.5, rel=1e-9)
    assert fit.peak_n is None and fit.peak_x is None
    assert fit.r_squared == pytest.approx(1.0)


def test_fewer_than_six_points_warns():
    fit = fit_usl([1, 4, 16, 64, 128], [10, 36, 110, 190, 180])
    assert any("too few to trust" in w for w in fit.warnings)


def test_a_poor_fit_warns():
    fit = fit_usl([1, 2, 3, 4, 5, 6, 7, 8], [50, 5, 60, 4, 70, 3, 65, 6])
    assert fit.r_squared < 0.9
    assert any("poor fit" in w for w in fit.warnings)


def test_fewer_than_three_points_or_bad_values_are_refused():
    with pytest.raises(ValueError, match="at least 3 points"):
        fit_usl([1, 2], [1, 2])
    with pytest.raises(ValueError, match="more than 0"):
        fit_usl([0, 1, 2], [0, 1, 2])


def test_noisy_synthetic_data_recovers_known_coefficients():
    rng = np.random.default_rng(20261204)
    sigma, kappa, lam = 0.04, 2e-4, 50.0
    n = np.array([1, 5, 10, 20, 30, 40, 60, 80, 100, 120], dtype=float)
    truth = lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))
    x = truth * (1 + rng.normal(0, 0.01, n.size))  # 1 % noise
    fit = fit_usl(n, x)
    assert fit.sigma == pytest.approx(sigma, rel=0.2)
    assert fit.kappa == pytest.approx(kappa, rel=0.2)
    assert fit.lam == pytest.approx(lam, rel=0.05)
    assert fit.sigma_ci.low <= sigma <= fit.sigma_ci.high
    assert fit.kappa_ci.low <= kappa <= fit.kappa_ci.high
    peak = math.sqrt((1 - sigma) / kappa)
    assert fit.peak_n == pytest.approx(peak, rel=0.1)


def test_predictions_carry_a_band_that_widens_beyond_the_data():
    fit = fit_usl(SPECSDM91_N, SPECSDM91_X)
    inside, beyond = fit.predict(72), fit.predict(432)
    assert inside.x_low < inside.x < inside.x_high
    assert beyond.x_low < beyond.x < beyond.x_high
    assert beyond.x_high - beyond.x_low > inside.x_high - inside.x_low
    assert fit.predict(96.52).x == pytest.approx(fit.peak_x, rel=1e-4)


def test_response_time_follows_the_response_time_law():
    fit = fit_usl(SPECSDM91_N, SPECSDM91_X)
    r, r_low, r_high = fit.response_time(300, think_time=0.05)
    assert r == pytest.approx(300 / fit.x(300) - 0.05)
    assert r_low < r < r_high
