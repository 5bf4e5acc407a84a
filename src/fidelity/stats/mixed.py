"""REML variance components of a model with any number of crossed or nested random factors.

The model for rating ``n`` is

    y_n = mu + sum_k u_k[level_k(n)] + e_n,   u_k ~ N(0, var_k I),  e_n ~ N(0, var_error),

one random intercept per *term* ``k`` (a factor such as ``site``, or an interaction or a
nested factor such as ``site:informant`` or ``interview``, given by the level of every
rating), any pattern of crossing, nesting and missing cells (Searle, Casella & McCulloch
1992, *Variance Components*, Wiley, doi:10.1002/9780470316856). The restricted likelihood
(Patterson & Thompson 1971, doi:10.1093/biomet/58.3.545) is written as ``lme4`` writes it
(Bates, Mächler, Bolker & Walker 2015, doi:10.18637/jss.v067.i01): with relative standard
deviations ``theta_k = sd_k / sd_error``, ``Lambda = diag(theta_k per level)`` and the sparse
indicator matrix ``Z`` of all terms,

    REML criterion = log|M| + log(1' H^-1 1) + (N - 1) (1 + log(2 pi rss / (N - 1))),
    M = I + Lambda Z' Z Lambda,  H = I + Z Lambda Lambda' Z'.

``M`` is sparse (one row per level of every term) and is factorised by block elimination,
terms with most levels first (:mod:`fidelity.stats._blocks`); no ``N × N`` matrix is formed.
The criterion is minimised over ``theta >= 0`` by ``scipy.optimize.minimize`` (L-BFGS-B) with
its analytic gradient (:mod:`fidelity.stats._blocks` gives the traces it needs); convergence
is judged by the slope in the variance ratios
``theta**2`` (one-sided at zero, where it decides a boundary estimate).

Standard errors are asymptotic: the inverse of the observed information, i.e. twice the
inverse Hessian of ``-2 log L_R`` in the variance parameters (``var_k`` and
``var_error``), by central differences at the optimum (SAS PROC MIXED's ``COVTEST`` and
Searle et al. 1992, sec. 6.3, use the same large-sample variance). A component on the
boundary (zero) has no such standard error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fidelity.stats._blocks import eliminate
from fidelity.stats.estimate import FloatArray

__all__ = ["MixedFit", "Term", "fit_components", "term_codes"]

_LOG_2PI = math.log(2.0 * math.pi)
_KKT_TOLERANCE = 1e-6
#: relative sd at which the slope of the criterion at a zero component is taken
_PROBE = 1e-5


@dataclass(frozen=True)
class Term:
    """One random term: its name and the level (0..n_levels-1) of every rating."""

    name: str
    codes: NDArray[np.intp]
    n_levels: int


def term_codes(name: str, labels: Iterable[object]) -> Term:
    """A :class:`Term` from any labels (equal labels = one level)."""
    _, codes = np.unique(np.asarray([str(v) for v in labels], dtype=object), return_inverse=True)
    codes = np.asarray(codes, dtype=np.intp).ravel()
    return Term(name, codes, int(codes.max()) + 1 if codes.size else 0)


@dataclass(frozen=True)
class MixedFit:
    """REML variance components of a random-intercepts model.

    Attributes:
        names: the terms, in the order given.
        variances: the variance of each term.
        error: the residual variance.
        se: asymptotic standard errors of ``variances`` (NaN on the boundary).
        se_error: asymptotic standard error of ``error``.
        mean: the estimated grand mean.
        n: the number of ratings.
        reml_criterion: ``-2`` restricted log-likelihood as ``lme4::REMLcrit`` reports it.
        converged: first-order optimality holds at the returned point.
    """

    names: tuple[str, ...]
    variances: tuple[float, ...]
    error: float
    se: tuple[float, ...]
    se_error: float
    mean: float
    n: int
    reml_criterion: float
    converged: bool

    def as_dict(self) -> dict[str, float]:
        """``{term: variance, ..., "residual": error}``."""
        return {**dict(zip(self.names, self.variances, strict=True)), "residual": self.error}


class _Design:
    """Fixed sparse sums of one model: ``Z'Z``, ``Z'1``, level counts."""

    def __init__(self, terms: Sequence[Term]) -> None:
        from scipy import sparse

        # the terms with most levels first: eliminating them first (nested terms such as
        # interviews have a diagonal block) keeps the fill-in of the factor small, so the
        # natural order serves and no ordering is computed per evaluation
        self.order = sorted(range(len(terms)), key=lambda k: -terms[k].n_levels)
        terms = [terms[k] for k in self.order]
        self.n = int(terms[0].codes.size)
        self.sizes = [t.n_levels for t in terms]
        offsets = np.cumsum([0, *self.sizes])
        cols = np.concatenate([t.codes + offsets[k] for k, t in enumerate(terms)])
        rows = np.tile(np.arange(self.n), len(terms))
        self.q = int(offsets[-1])
        self.z = sparse.csr_matrix(
            (np.ones(cols.size), (rows, cols)), shape=(self.n, self.q)
        ).tocsc()
        self.ztz = (self.z.T @ self.z).tocsr()
        self.zt1 = np.asarray(self.z.sum(axis=0)).ravel()

    def evaluate(self, theta: FloatArray, y: FloatArray) -> tuple[float, float, float, float]:
        """(REML criterion, mean, penalised rss, log|M| + log 1'H^-1 1) at ``theta``."""
        out = self._evaluate(theta, y, gradient=False)
        return out[0], out[1], out[2], out[3]

    def criterion_and_gradient(self, theta: FloatArray, y: FloatArray) -> tuple[float, FloatArray]:
        """The REML criterion at ``theta`` and its analytic gradient in ``theta``."""
        out = self._evaluate(theta, y, gradient=True)
        return out[0], out[4]

    def _evaluate(
        self, theta: FloatArray, y: FloatArray, gradient: bool
    ) -> tuple[float, float, float, float, FloatArray]:
        """Criterion, mean, rss, log terms and (if asked) the gradient. With
        ``w = M^-1 Lambda Z' [1, y]``, the derivative in ``theta_k`` is ``2 / theta_k`` times
        ``L_k - tr_k(M^-1) - |w_k1|**2 / 1'H^-1 1 - (N - 1) |w_ky - mean w_k1|**2 / rss``
        (``L_k`` levels of term ``k``, ``tr_k`` the trace over its block), and 0 at
        ``theta_k = 0``, where the criterion is even in ``theta_k``."""
        from scipy import sparse

        theta = np.asarray(theta, dtype=np.float64)
        nan = np.full(theta.size, math.nan)
        lam = np.repeat(theta[self.order], self.sizes)
        d = sparse.diags(lam)
        fact = eliminate(d @ self.ztz @ d + sparse.identity(self.q), self.sizes)
        if fact is None:
            return math.inf, math.nan, math.nan, math.nan, nan
        b = np.stack([lam * self.zt1, lam * (self.z.T @ y)], axis=1)
        w = fact.solve(b)
        quad = b.T @ w
        tot = float(y.sum())
        g = np.array([[self.n, tot], [tot, float(y @ y)]]) - quad
        xhx = float(g[0, 0])
        mean = float(g[0, 1]) / xhx
        rss = float(g[1, 1]) - float(g[0, 1]) ** 2 / xhx
        if not rss > 0.0 or not xhx > 0.0:
            return math.inf, mean, 0.0, math.nan, nan
        dof = self.n - 1.0
        logs = fact.logdet + math.log(xhx)
        crit = logs + dof * (1.0 + _LOG_2PI + math.log(rss / dof))
        if not gradient:
            return crit, mean, rss, logs, nan
        inv_diag = fact.inverse_diagonal()
        resid = w[:, 1] - mean * w[:, 0]
        grad = np.zeros(theta.size)
        offsets = np.cumsum([0, *self.sizes])
        for pos, k in enumerate(self.order):
            t = float(theta[k])
            if t <= 0.0:
                continue
            block = slice(offsets[pos], offsets[pos + 1])
            inner = self.sizes[pos] - float(inv_diag[block].sum())
            inner -= float(w[block, 0] @ w[block, 0]) / xhx
            inner -= dof * float(resid[block] @ resid[block]) / rss
            grad[k] = 2.0 / t * inner
        return crit, mean, rss, logs, grad


def _start(y: FloatArray, terms: Sequence[Term]) -> FloatArray:
    """Starting variance ratios from the spread of each term's level means."""
    total = float(np.var(y))
    if not total > 0:
        return np.ones(len(terms))
    out = []
    for t in terms:
        counts = np.bincount(t.codes, minlength=t.n_levels)
        sums = np.bincount(t.codes, weights=y, minlength=t.n_levels)
        means = sums[counts > 0] / counts[counts > 0]
        out.append(max(float(np.var(means)) / total, 1e-2))
    return np.asarray(out)


GradientFunction = Callable[[FloatArray], tuple[float, FloatArray]]


def _optimise(fun: GradientFunction, start: FloatArray) -> FloatArray:
    """Minimise the criterion over relative sds ``theta >= 0`` (as lme4 does) with its
    analytic gradient ``fun``, from variance ratios ``start``."""
    from scipy import optimize

    res = optimize.minimize(
        fun, np.sqrt(start), jac=True, method="L-BFGS-B", bounds=[(0.0, None)] * start.size,
        options={"ftol": 1e-13, "gtol": 1e-8, "maxiter": 1000},
    )  # fmt: skip
    return np.maximum(np.asarray(res.x, dtype=np.float64), 0.0)


def _ratio_slope(fun: GradientFunction, theta: FloatArray) -> FloatArray:
    """Slope of the criterion in the variance ratios ``theta**2``; at a zero ratio the
    one-sided slope, from the gradient at a small probe."""
    probe = np.maximum(theta, _PROBE)
    grad = fun(theta)[1]
    if np.any(theta < _PROBE):
        grad = np.where(theta < _PROBE, fun(probe)[1], grad)
    return np.asarray(grad / (2.0 * probe), dtype=np.float64)


def _deviance(design: _Design, y: FloatArray, params: FloatArray) -> float:
    """``-2 log L_R`` at variances ``params`` = (var_1, ..., var_K, var_error)."""
    ve = float(params[-1])
    if not ve > 0.0 or np.any(params[:-1] < 0.0):
        return math.inf
    crit, _, rss, logs = design.evaluate(np.sqrt(params[:-1] / ve), y)
    if not math.isfinite(crit):
        return math.inf
    return logs + (design.n - 1.0) * (_LOG_2PI + math.log(ve)) + rss / ve


def _standard_errors(design: _Design, y: FloatArray, params: FloatArray) -> FloatArray:
    """Asymptotic standard errors of the variance parameters: ``sqrt(diag(2 H^-1))``, with
    ``H`` the central-difference Hessian of the deviance over the parameters off the
    boundary; NaN for parameters on it (or when ``H`` is not positive definite)."""
    free = np.flatnonzero(params > 1e-10 * max(float(params.max()), 1e-300))
    out = np.full(params.size, math.nan)
    if free.size == 0:
        return out
    h = params[free] * 1e-4
    m = free.size
    hess = np.zeros((m, m))

    def at(*moves: tuple[int, float]) -> float:
        p = params.copy()
        for i, s in moves:
            p[free[i]] += s * h[i]
        return _deviance(design, y, p)

    f0 = at()
    for i in range(m):
        hess[i, i] = (at((i, 1.0)) - 2.0 * f0 + at((i, -1.0))) / (h[i] * h[i])
        for j in range(i):
            cross = at((i, 1.0), (j, 1.0)) - at((i, 1.0), (j, -1.0))
            cross -= at((i, -1.0), (j, 1.0)) - at((i, -1.0), (j, -1.0))
            hess[i, j] = hess[j, i] = cross / (4.0 * h[i] * h[j])
    if not np.all(np.isfinite(hess)):
        return out
    try:
        chol = np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        return out
    inv = np.linalg.inv(chol)
    out[free] = np.sqrt(2.0 * (inv * inv).sum(axis=0))
    return out


def fit_components(y: FloatArray, terms: Sequence[Term], *, se: bool = True) -> MixedFit:
    """REML fit of ``y = mu + sum_k u_k + e`` with the random ``terms`` (module docstring).

    ``y`` has no missing values; every term has at least two levels (checking that the
    design identifies each term is the caller's job: see
    :func:`fidelity.stats.gtheory.identify`). ``y`` is rescaled by a power of two before
    fitting, so values of any size fit alike. ``se`` adds the asymptotic standard errors.
    """
    y = np.asarray(y, dtype=np.float64)
    centre = float(y.mean())
    spread = float(np.abs(y - centre).max()) if y.size else 0.0
    unit = math.ldexp(1.0, math.frexp(spread)[1]) if spread > 0.0 else 1.0
    z = (y - centre) / unit
    design = _Design(terms)

    def fun(theta: FloatArray) -> tuple[float, FloatArray]:
        return design.criterion_and_gradient(theta, z)

    theta = _optimise(fun, _start(z, terms))
    crit, mean, rss, _ = design.evaluate(theta, z)
    ve = rss / (design.n - 1.0) if math.isfinite(crit) else math.nan
    slope = _ratio_slope(fun, theta) if math.isfinite(crit) else np.full(len(terms), np.nan)
    gamma = theta * theta
    kkt = np.where(gamma > 1e-9, np.abs(slope) * np.maximum(gamma, 1.0), -slope)
    converged = math.isfinite(crit) and bool(np.all(kkt <= _KKT_TOLERANCE * design.n))
    params = np.append(gamma * ve, ve)
    errors = _standard_errors(design, z, params) if se and math.isfinite(crit) else None
    if errors is None:
        errors = np.full(params.size, math.nan)
    u2 = unit * unit
    return MixedFit(
        names=tuple(t.name for t in terms),
        variances=tuple(float(v) * u2 for v in params[:-1]),
        error=float(ve) * u2,
        se=tuple(float(v) * u2 for v in errors[:-1]),
        se_error=float(errors[-1]) * u2,
        mean=mean * unit + centre,
        n=design.n,
        reml_criterion=crit + 2.0 * (design.n - 1.0) * math.log(unit),
        converged=converged,
    )
