"""Sample sizes for reliability studies: how many subjects (interviews) to double-rate.

Closed forms, each for ``k`` raters per subject and a two-sided ``confidence`` level:

* :func:`icc_n_precision` -- subjects for an expected confidence-interval *width* ``w`` (upper
  minus lower limit) of the one-way ICC, Bonett (2002), Statistics in Medicine 21:1331-1335,
  doi:10.1002/sim.1108, eq. (6): ``n = 8 z² (1−ρ)² (1+(k−1)ρ)² / (k (k−1) w²) + 1``, plus
  ``5ρ`` when ``k = 2`` and ``ρ ≥ 0.7`` (the paper's small-sample correction);
* :func:`icc_n_assurance` -- subjects so that the width is at most ``w`` with probability
  ``assurance``, Zou (2012), Statistics in Medicine 31:3972-3981, doi:10.1002/sim.5466;
* :func:`icc_n_test` -- subjects to reject ``ρ = ρ0`` in favour of ``ρ1 > ρ0`` with the given
  power, Walter, Eliasziw & Donner (1998), Statistics in Medicine 17:101-110,
  doi:10.1002/(SICI)1097-0258(19980115)17:1<101::AID-SIM727>3.0.CO;2-E, eq. (4):
  ``n = 1 + 2k (z_α + z_β)² / ((k−1) ln(C0)²)``, ``C0 = (1 + kθ0) / (1 + kθ1)``, ``θ = ρ/(1−ρ)``;
* :func:`kappa_n_precision`, :func:`kappa_n_test` -- two raters, two categories with
  prevalence ``π``, from the large-sample variance of the intraclass kappa under the
  common-correlation model, Bloch & Kraemer (1989), Biometrics 45:269-287,
  doi:10.2307/2532052: ``V(κ) = (1−κ)/n · [(1−κ)(1−2κ) + κ(2−κ) / (2π(1−π))]``, used the way
  Donner & Eliasziw (1992), Statistics in Medicine 11:1511-1519, doi:10.1002/sim.4780111109
  and Cantor (1996), Psychological Methods 1:150-153, doi:10.1037/1082-989X.1.2.150 do:
  ``n = (z_α √V0 + z_β √V1)² / (κ1 − κ0)²`` for a test, ``n = z² V / (w/2)²`` for a width;
* :func:`kappa_n_gof` -- the goodness-of-fit approach of Donner & Eliasziw (1992) for the
  same design: the three outcomes (both negative, one positive, both positive) have
  probabilities ``P0 = (1−π)² + κπ(1−π)``, ``P1 = 2(1−κ)π(1−π)``, ``P2 = π² + κπ(1−π)``; the
  one-degree-of-freedom chi-square test of ``κ0`` has non-centrality ``n Σ (P_i(κ1) −
  P_i(κ0))² / P_i(κ0)``, and ``n`` is the smallest size whose non-central chi-square power
  reaches ``power`` at two-sided ``alpha``;
* :func:`icc_width_probability` and :func:`icc_expected_width` -- exact checks: the
  probability that the exact F interval of the one-way ICC (Searle 1971) is no wider than
  ``w`` with ``n`` subjects, and its expected width, from the distribution
  ``MSB/MSW ~ (1 + kθ) F(n−1, n(k−1))``.

Sizes are rounded up to whole subjects. Invalid arguments raise :class:`ValueError`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "icc_expected_width",
    "icc_n_assurance",
    "icc_n_precision",
    "icc_n_test",
    "icc_width_probability",
    "kappa_n_gof",
    "kappa_n_precision",
    "kappa_n_test",
    "kappa_variance",
]


def _z(p: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(p))


def _check(rho: float, k: int, width: float | None = None, confidence: float = 0.95) -> None:
    if not 0 <= rho < 1:
        raise ValueError(f"the expected ICC must be in [0, 1), not {rho}")
    if k < 2 or int(k) != k:
        raise ValueError(f"k (raters per subject) must be a whole number >= 2, not {k}")
    if width is not None and not 0 < width < 2:
        raise ValueError(f"the interval width must be in (0, 2), not {width}")
    if not 0 < confidence < 1:
        raise ValueError(f"the confidence level must be in (0, 1), not {confidence}")


def icc_n_precision(rho: float, k: int, width: float, confidence: float = 0.95) -> int:
    """Subjects for an expected width ``width`` of the ICC's interval (Bonett 2002).

    Example:
        >>> icc_n_precision(0.7, 2, 0.2)
        105
    """
    _check(rho, k, width, confidence)
    z = _z(0.5 + confidence / 2)
    n = 8 * z**2 * (1 - rho) ** 2 * (1 + (k - 1) * rho) ** 2 / (k * (k - 1) * width**2) + 1
    if k == 2 and rho >= 0.7:
        n += 5 * rho
    return math.ceil(n - 1e-9)


def icc_n_assurance(
    rho: float, k: int, width: float, confidence: float = 0.95, assurance: float = 0.8
) -> int:
    """Subjects so that the ICC's interval is at most ``width`` wide with probability
    ``assurance`` (Zou 2012, the closed form of the paper's assurance method).

    Example:
        >>> icc_n_assurance(0.7, 2, 0.2)
        124
    """
    _check(rho, k, width, confidence)
    if not 0.5 <= assurance < 1:
        raise ValueError(f"the assurance must be in [0.5, 1), not {assurance}")
    z, zg = _z(0.5 + confidence / 2), _z(assurance)
    a = (1 - rho) * (1 + (k - 1) * rho)
    root = math.sqrt(z**2 * a**2 + 2 * width * z * zg * a * abs(k - 2 + 2 * rho - 2 * k * rho))
    n = 1 + 2 * (z * a + root) ** 2 / (k * (k - 1) * width**2)
    return math.ceil(n - 1e-9)


def icc_n_test(
    rho0: float,
    rho1: float,
    k: int,
    alpha: float = 0.05,
    power: float = 0.8,
    tails: int = 1,
) -> int:
    """Subjects to reject ``ρ = rho0`` against ``ρ = rho1`` (Walter, Eliasziw & Donner 1998).

    Example:
        >>> icc_n_test(0.6, 0.8, 2)
        39
    """
    _check(rho0, k)
    _check(rho1, k)
    if rho0 == rho1:
        raise ValueError("rho0 and rho1 must differ")
    if tails not in (1, 2) or not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("tails must be 1 or 2, alpha and power in (0, 1)")
    za, zb = _z(1 - alpha / tails), _z(power)
    t0, t1 = rho0 / (1 - rho0), rho1 / (1 - rho1)
    c0 = (1 + k * t0) / (1 + k * t1)
    n = 1 + 2 * k * (za + zb) ** 2 / ((k - 1) * math.log(c0) ** 2)
    return math.ceil(n - 1e-9)


def _exact_widths(n: int, rho: float, k: int, confidence: float) -> NDArray[np.float64]:
    """Widths of the exact F interval of the one-way ICC at 20000 equally spaced quantiles of
    the distribution of ``MSB/MSW``, which is ``(1 + kθ) F(n−1, n(k−1))``."""
    from scipy import stats

    if n < 2 or int(n) != n:
        raise ValueError(f"n (subjects) must be a whole number >= 2, not {n}")
    d1, d2 = n - 1, n * (k - 1)
    a = (1 - confidence) / 2
    fu, fl = stats.f.ppf(1 - a, d1, d2), stats.f.ppf(a, d1, d2)
    scale = 1 + k * rho / (1 - rho)
    q = (np.arange(20000) + 0.5) / 20000
    f = scale * stats.f.ppf(q, d1, d2)
    lo = np.clip((f / fu - 1) / (f / fu + k - 1), -1 / (k - 1), 1)
    hi = np.clip((f / fl - 1) / (f / fl + k - 1), -1 / (k - 1), 1)
    return np.asarray(hi - lo, dtype=np.float64)


def icc_width_probability(
    n: int, rho: float, k: int, width: float, confidence: float = 0.95
) -> float:
    """Probability that the exact F interval of the one-way ICC from ``n`` subjects is at most
    ``width`` wide, when the true ICC is ``rho`` (exact, by integrating over the F
    distribution of ``MSB/MSW``)."""
    _check(rho, k, width, confidence)
    return float(np.mean(_exact_widths(n, rho, k, confidence) <= width))


def icc_expected_width(n: int, rho: float, k: int, confidence: float = 0.95) -> float:
    """Expected width of the exact F interval of the one-way ICC from ``n`` subjects when the
    true ICC is ``rho`` (exact, as :func:`icc_width_probability`): the quantity Bonett's
    (2002) sample size aims at.

    Example:
        >>> round(icc_expected_width(20, 0.85, 4), 3)
        0.205
    """
    _check(rho, k, None, confidence)
    return float(np.mean(_exact_widths(n, rho, k, confidence)))


def kappa_variance(kappa: float, prevalence: float, n: int = 1) -> float:
    """Large-sample variance of the intraclass kappa of two raters on two categories
    (Bloch & Kraemer 1989) with ``n`` subjects."""
    if not 0 < prevalence < 1:
        raise ValueError(f"the prevalence must be in (0, 1), not {prevalence}")
    if not -1 < kappa < 1:
        raise ValueError(f"kappa must be in (-1, 1), not {kappa}")
    pq = prevalence * (1 - prevalence)
    return (1 - kappa) / n * ((1 - kappa) * (1 - 2 * kappa) + kappa * (2 - kappa) / (2 * pq))


def kappa_n_precision(
    kappa: float, prevalence: float, width: float, confidence: float = 0.95
) -> int:
    """Subjects for an expected width ``width`` of kappa's Wald interval (two raters, two
    categories).

    Example:
        >>> kappa_n_precision(0.6, 0.3, 0.3)
        132
    """
    if not 0 < width < 2:
        raise ValueError(f"the interval width must be in (0, 2), not {width}")
    z = _z(0.5 + confidence / 2)
    return math.ceil(z**2 * kappa_variance(kappa, prevalence) / (width / 2) ** 2 - 1e-9)


def kappa_n_test(
    kappa0: float,
    kappa1: float,
    prevalence: float,
    alpha: float = 0.05,
    power: float = 0.8,
    tails: int = 1,
) -> int:
    """Subjects to reject ``κ = kappa0`` against ``κ = kappa1`` (two raters, two categories;
    Cantor 1996).

    Example:
        >>> kappa_n_test(0.4, 0.6, 0.3)
        141
    """
    if kappa0 == kappa1:
        raise ValueError("kappa0 and kappa1 must differ")
    if tails not in (1, 2) or not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("tails must be 1 or 2, alpha and power in (0, 1)")
    za, zb = _z(1 - alpha / tails), _z(power)
    v0, v1 = kappa_variance(kappa0, prevalence), kappa_variance(kappa1, prevalence)
    n = (za * math.sqrt(v0) + zb * math.sqrt(v1)) ** 2 / (kappa1 - kappa0) ** 2
    return math.ceil(n - 1e-9)


def _kappa_cells(kappa: float, p: float) -> NDArray[np.float64]:
    """Probabilities of (both negative, one positive, both positive) under the
    common-correlation model."""
    pq = p * (1 - p)
    return np.array([(1 - p) ** 2 + kappa * pq, 2 * (1 - kappa) * pq, p**2 + kappa * pq])


def kappa_n_gof(
    kappa0: float, kappa1: float, prevalence: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Subjects to reject ``κ = kappa0`` when ``κ = kappa1`` with the goodness-of-fit test of
    Donner & Eliasziw (1992) (two raters, two categories, two-sided ``alpha``).

    Example:
        >>> kappa_n_gof(0.4, 0.6, 0.3)
        191
    """
    from scipy import optimize, stats

    if kappa0 == kappa1:
        raise ValueError("kappa0 and kappa1 must differ")
    if not 0 < prevalence < 1 or not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("prevalence, alpha and power must be in (0, 1)")
    c0, c1 = _kappa_cells(kappa0, prevalence), _kappa_cells(kappa1, prevalence)
    if np.any(c0 <= 0) or np.any(c1 < 0):
        raise ValueError("kappa outside the range the prevalence allows")
    crit = stats.chi2.ppf(1 - alpha, 1)
    lam: float = optimize.brentq(lambda x: stats.ncx2.sf(crit, 1, x) - power, 1e-6, 1e4)
    return math.ceil(lam / float(np.sum((c1 - c0) ** 2 / c0)) - 1e-9)
