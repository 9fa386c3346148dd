"""The Universal Scalability Law (Gunther): X(N) = λN / (1 + σ(N − 1) + κN(N − 1)).

σ is contention (the serial fraction), κ coherency (crosstalk between units), λ the
throughput of one unit. The fit is non-linear least squares with σ, κ ∈ [0, 1] and λ ≥ 0,
by a small bounded Levenberg–Marquardt in numpy (three parameters, an analytic Jacobian:
no new dependency is worth it). Confidence intervals come from the fit's covariance
s²(JᵀJ)⁻¹ with Student's t; predictions carry a band by the delta method.

>>> fit = fit_usl([1, 18, 36, 72, 108, 144, 216],
...               [64.9, 995.9, 1652.4, 1853.2, 1828.9, 1775.0, 1702.2])
>>> f"{fit.sigma:.4g} {fit.kappa:.4g} {fit.lam:.4g} {fit.peak_n:.4g} {fit.peak_x:.4g}"
'0.02773 0.0001044 90 96.52 1884'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

#: Fewer measured points than this: the fit is shown, with a warning not to trust it.
MIN_TRUSTED_POINTS = 6
#: A fit explaining less of the variance than this is called poor.
MIN_R_SQUARED = 0.9
#: κ below this is the Amdahl case (κ = 0): no peak, a ceiling of λ / σ; σ below it is
#: linear scaling (σ = 0), not a ceiling at an absurd height from rounding noise.
_KAPPA_ZERO = 1e-10
#: σ below this is rounding noise of the fit: no contention (the linear case).
_SIGMA_ZERO = 1e-12

# Student's t, two-sided 95 %, for 1..30 degrees of freedom.
_T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t95(dof: int) -> float:
    """Student's t for a two-sided 95 % interval with ``dof`` degrees of freedom.

    >>> t95(4), round(t95(1000), 3)
    (2.776, 1.962)
    """
    if dof < 1:
        return math.inf
    if dof <= len(_T95):
        return _T95[dof - 1]
    z = 1.959964
    # Cornish-Fisher expansion in 1/dof, accurate to 1e-3 above 30 degrees of freedom.
    return z + (z**3 + z) / (4 * dof) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * dof**2)


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95 % interval."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Prediction:
    """X (units per second, or whatever the input's unit) at N, with a 95 % band."""

    n: float
    x: float
    x_low: float
    x_high: float


@dataclass(frozen=True)
class UslFit:
    """A USL fit: the coefficients with 95 % intervals, quality and the peak."""

    sigma: float
    kappa: float
    lam: float
    sigma_ci: Interval
    kappa_ci: Interval
    lam_ci: Interval
    r_squared: float
    points: int
    #: N at peak throughput, √((1 − σ) / κ) (at least 1); None in the Amdahl case (κ = 0).
    peak_n: float | None
    #: X at peak_n; in the Amdahl case the ceiling λ / σ (None when σ is 0 too: linear).
    peak_x: float | None
    warnings: tuple[str, ...]
    _covariance: tuple[tuple[float, ...], ...]
    _dof: int

    @property
    def amdahl(self) -> bool:
        """True when κ is 0: throughput rises to the ceiling λ / σ and never falls."""
        return self.kappa == 0.0

    def x(self, n: float) -> float:
        """The fitted throughput at ``n`` users."""
        return float(_model(np.array([float(n)]), self._params())[0])

    def predict(self, n: float) -> Prediction:
        """X at ``n`` with a 95 % band (delta method on the fit's covariance).

        >>> fit = fit_usl([1, 2, 4, 8, 16, 32], [10, 19.6, 37.7, 69.6, 119.0, 178.0])
        >>> p = fit.predict(64)
        >>> p.x_low < p.x < p.x_high
        True
        """
        params = self._params()
        x = self.x(n)
        grad = _jacobian(np.array([float(n)]), params)[0]
        cov = np.array(self._covariance, dtype=np.float64)
        var = float(grad @ cov @ grad)
        half = t95(self._dof) * math.sqrt(max(var, 0.0)) if math.isfinite(var) else math.inf
        return Prediction(n=float(n), x=x, x_low=max(x - half, 0.0), x_high=x + half)

    def response_time(self, n: float, think_time: float) -> tuple[float, float, float]:
        """R(N) = N / X(N) − Z with its band, from :meth:`predict` (seconds when X is per s).

        Returns ``(r, r_low, r_high)``; ``r_high`` is infinite when the X band reaches 0.
        """
        p = self.predict(n)
        r = n / p.x - think_time if p.x > 0 else math.inf
        r_low = n / p.x_high - think_time if p.x_high > 0 else math.inf
        r_high = n / p.x_low - think_time if p.x_low > 0 else math.inf
        return r, r_low, r_high

    def _params(self) -> Array:
        return np.array([self.sigma, self.kappa, self.lam], dtype=np.float64)


def _model(n: Array, p: Array) -> Array:
    sigma, kappa, lam = p
    return np.asarray(lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1)), dtype=np.float64)


def _jacobian(n: Array, p: Array) -> Array:
    """∂X/∂(σ, κ, λ) at each n."""
    sigma, kappa, lam = p
    d = 1 + sigma * (n - 1) + kappa * n * (n - 1)
    return np.column_stack(
        [-lam * n * (n - 1) / d**2, -lam * n * n * (n - 1) / d**2, n / d]
    ).astype(np.float64)


_LOWER = np.array([0.0, 0.0, 0.0])
_UPPER = np.array([1.0, 1.0, np.inf])


def _levenberg_marquardt(n: Array, x: Array, start: Array) -> Array:
    """Least squares of x − X(n) from ``start``, each step projected into the bounds."""
    p = np.clip(start, _LOWER, _UPPER)
    sse = float(np.sum((x - _model(n, p)) ** 2))
    mu = 1e-3
    for _ in range(500):
        jac = _jacobian(n, p)
        resid = x - _model(n, p)
        jtj = jac.T @ jac
        grad = jac.T @ resid
        improved = False
        while mu < 1e16:
            damped = jtj + mu * np.diag(np.maximum(np.diag(jtj), 1e-300))
            try:
                step = np.linalg.solve(damped, grad)
            except np.linalg.LinAlgError:
                mu *= 10
                continue
            candidate = np.clip(p + step, _LOWER, _UPPER)
            if not np.all(np.isfinite(candidate)):
                mu *= 4
                continue
            with np.errstate(all="ignore"):
                new_sse = float(np.sum((x - _model(n, candidate)) ** 2))
            if new_sse <= sse:
                done = abs(sse - new_sse) <= 1e-15 * max(sse, 1e-300) or np.allclose(
                    candidate, p, rtol=1e-12, atol=1e-15
                )
                p, sse, mu, improved = candidate, new_sse, max(mu / 3, 1e-12), True
                if done:
                    return p
                break
            mu *= 4
        if not improved:
            return p
    return p


def fit_usl(users: Sequence[float], throughput: Sequence[float]) -> UslFit:
    """Fit the USL to measured (N, X) pairs; needs at least 3 points with N > 0.

    >>> fit_usl([1, 2], [1, 2])
    Traceback (most recent call last):
    ...
    ValueError: a USL fit needs at least 3 points, got 2
    """
    n = np.asarray(users, dtype=np.float64)
    x = np.asarray(throughput, dtype=np.float64)
    if n.shape != x.shape:
        raise ValueError("users and throughput differ in length")
    if n.size < 3:
        raise ValueError(f"a USL fit needs at least 3 points, got {n.size}")
    if np.any(n <= 0) or not np.all(np.isfinite(n)) or not np.all(np.isfinite(x)):
        raise ValueError("users must be more than 0 and every value finite")
    lam0 = float(np.max(x / n))
    best: Array | None = None
    best_sse = math.inf
    for sigma0, kappa0 in ((0.1, 1e-4), (0.01, 1e-6), (0.5, 0.01), (0.0, 0.0)):
        p = _levenberg_marquardt(n, x, np.array([sigma0, kappa0, lam0]))
        sse = float(np.sum((x - _model(n, p)) ** 2))
        if sse < best_sse:
            best, best_sse = p, sse
    assert best is not None
    if best[1] < _KAPPA_ZERO:
        best[1] = 0.0
    if best[0] < _SIGMA_ZERO:
        best[0] = 0.0  # rounding noise: the linear case, with no ceiling
    return _summarise(n, x, best)


def _summarise(n: Array, x: Array, p: Array) -> UslFit:
    sigma, kappa, lam = (float(v) for v in p)
    resid = x - _model(n, p)
    sse = float(np.sum(resid**2))
    sst = float(np.sum((x - x.mean()) ** 2))
    r_squared = 1 - sse / sst if sst > 0 else (1.0 if sse == 0 else 0.0)
    dof = int(n.size) - 3
    jac = _jacobian(n, p)
    if dof > 0:
        s2 = sse / dof
        cov = s2 * np.linalg.pinv(jac.T @ jac)
    else:
        cov = np.full((3, 3), np.inf)
    t = t95(dof)

    def interval(i: int, value: float, low: float, high: float) -> Interval:
        half = t * math.sqrt(max(float(cov[i, i]), 0.0)) if math.isfinite(cov[i, i]) else math.inf
        return Interval(value, max(value - half, low), min(value + half, high))

    if kappa > 0:
        # at least one user: with σ near 1 throughput is highest with a single user
        peak_n: float | None = max(1.0, math.sqrt((1 - sigma) / kappa))
        peak_x: float | None = float(_model(np.array([peak_n]), p)[0])
    else:
        peak_n = None
        peak_x = lam / sigma if sigma > 0 else None
    warnings: list[str] = []
    if n.size < MIN_TRUSTED_POINTS:
        warnings.append(
            f"only {n.size} points: too few to trust the fit "
            f"(measure at least {MIN_TRUSTED_POINTS} load levels)"
        )
    if r_squared < MIN_R_SQUARED:
        warnings.append(
            f"poor fit (R² = {r_squared:.3f} < {MIN_R_SQUARED}): the measurements do not follow "
            "the USL; check for unsteady steps or a limit outside the system (the load generator)"
        )
    if peak_n is not None and peak_n > float(n.max()) * 2:
        warnings.append(
            f"the peak (N ≈ {peak_n:.0f}) lies far beyond the largest measured load "
            f"({float(n.max()):g}): κ is an extrapolation"
        )
    return UslFit(
        sigma=sigma,
        kappa=kappa,
        lam=lam,
        sigma_ci=interval(0, sigma, 0.0, 1.0),
        kappa_ci=interval(1, kappa, 0.0, 1.0),
        lam_ci=interval(2, lam, 0.0, math.inf),
        r_squared=r_squared,
        points=int(n.size),
        peak_n=peak_n,
        peak_x=peak_x,
        warnings=tuple(warnings),
        _covariance=tuple(tuple(float(v) for v in row) for row in cov),
        _dof=dof,
    )
