"""Variance components of the crossed two-way random-effects model by REML, on incomplete data.

The model for the rating of subject ``i`` by rater ``j`` is

    y_ij = mu + s_i + r_j + e_ij,  s_i ~ N(0, s2_subject), r_j ~ N(0, s2_rater),
    e_ij ~ N(0, s2_error),

with subjects and raters crossed and any pattern of missing cells (Searle, Casella &
McCulloch 1992, *Variance Components*, Wiley, doi:10.1002/9780470316856, ch. 6). The
restricted (residual) likelihood is that of Patterson & Thompson (1971),
doi:10.1093/biomet/58.3.545, written as ``lme4`` writes it (Bates, Mächler, Bolker & Walker
2015, doi:10.18637/jss.v067.i01): with relative standard deviations ``theta = (sd_subject,
sd_rater) / sd_error`` the error variance and the mean are profiled out, and

    REML criterion = log|M| + log(1' H^-1 1) + (N - 1) (1 + log(2 pi rss / (N - 1))),

where ``H = I + Z Lambda Lambda' Z'`` and ``M = I + Lambda' Z' Z Lambda``. ``M`` has a diagonal
subjects block, so ``log|M|`` and every solve cost one ``k × k`` Schur complement (``k`` raters)
and ``O(n k)`` work: no ``N × N`` matrix is formed. The criterion is minimised with its analytic
gradient by ``scipy.optimize.minimize`` (L-BFGS-B) over the variance ratios ``theta**2 >= 0``
(whose one-sided slope at zero decides a boundary estimate), then refined by Newton steps.

On complete data with non-negative ANOVA estimates the REML estimates are the ANOVA ones
(Searle et al. 1992, sec. 6.7), and the closed form is returned, exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from fidelity.stats._numeric import normalize
from fidelity.stats.estimate import FloatArray, as_matrix

__all__ = [
    "CrossedDesign",
    "VarianceComponents",
    "additive_residual_ss",
    "design_matrix",
    "design_reason",
    "fit_crossed",
    "parametric_bootstrap",
    "rescaled",
    "variance_components",
]

_LOG_2PI = math.log(2.0 * math.pi)
#: relative sd at which the slope of the criterion at a zero component is taken
_PROBE = 1e-5
#: first-order optimality: slope of the criterion per rating below this (in variance ratios)
_KKT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class VarianceComponents:
    """Variance components of the crossed subjects × raters random-effects model.

    Attributes:
        subject: variance between subjects (true-score variance).
        rater: variance between raters (rater severity / leniency).
        error: residual variance (subject × rater interaction confounded with error).
        mean: the estimated grand mean.
        n_subjects, n_raters, n_ratings: the design that was fitted (rows and columns
            without any rating are not part of it).
        method: ``"ANOVA (complete data; equal to REML)"`` or ``"REML"``.
        reml_criterion: ``-2`` times the restricted log-likelihood, as ``lme4`` reports it
            (``nan`` for the closed form on data where it is not needed).
        converged: whether the optimiser reported convergence (always true for the closed form).
        theta: the relative standard deviations (subject, rater) / error.
    """

    subject: float
    rater: float
    error: float
    mean: float
    n_subjects: int
    n_raters: int
    n_ratings: int
    method: str
    reml_criterion: float
    converged: bool
    theta: tuple[float, float]

    @property
    def total(self) -> float:
        """Variance of one rating: subject + rater + error."""
        return self.subject + self.rater + self.error


class CrossedDesign:
    """The missing-data pattern of a subjects × raters matrix and its fixed sums.

    ``x`` must have at least one rating in every row and column. Sums that depend on the
    ratings are kept apart from those that depend only on the pattern, so that refits on
    simulated data of the same pattern (parametric bootstrap) reuse the latter.
    """

    def __init__(self, x: FloatArray) -> None:
        self.mask = ~np.isnan(x)
        self.inc = self.mask.astype(np.float64)  # incidence matrix, n × k
        self.n_i = self.inc.sum(axis=1)
        self.c_j = self.inc.sum(axis=0)
        self.n, self.k = x.shape
        self.big_n = int(self.mask.sum())

    def sums(self, x: FloatArray) -> tuple[FloatArray, FloatArray, float, float]:
        """Per-subject and per-rater sums of ``x``, its total and its sum of squares."""
        xz = np.where(self.mask, x, 0.0)
        return xz.sum(axis=1), xz.sum(axis=0), float(xz.sum()), float((xz * xz).sum())

    def criterion(
        self, theta: FloatArray, sums: tuple[FloatArray, FloatArray, float, float]
    ) -> tuple[float, float, float]:
        """(REML criterion, mean, residual variance) at relative sds ``theta``."""
        crit, mean, ve, _ = self._evaluate(theta, sums, gradient=False)
        return crit, mean, ve

    def criterion_and_gradient(
        self, theta: FloatArray, sums: tuple[FloatArray, FloatArray, float, float]
    ) -> tuple[float, FloatArray]:
        """The REML criterion at ``theta`` and its analytic gradient."""
        crit, _, _, grad = self._evaluate(theta, sums, gradient=True)
        return crit, grad

    def _evaluate(
        self, theta: FloatArray, sums: tuple[FloatArray, FloatArray, float, float],
        gradient: bool,
    ) -> tuple[float, float, float, FloatArray]:  # fmt: skip
        """Criterion, mean, residual variance and (if asked) gradient at ``theta``.

        With ``w = M^-1 Lambda Z' [1, y]`` (the solves below), ``Z_j' H^-1 v = w_j / theta_j``
        and ``Z_j' H^-1 Z_j = (I - (M^-1)_jj) / theta_j**2``, so the derivative of the
        criterion in ``theta_j`` is ``2 / theta_j`` times ``n_j - tr (M^-1)_jj - |w_j1|**2 /
        1'H^-1 1 - (N - 1) |w_jy - mean w_j1|**2 / rss`` (``n_j`` levels of factor ``j``).
        """
        from scipy import linalg

        ts, tr = float(theta[0]), float(theta[1])
        sy, ry, tot, ss = sums
        a = 1.0 + ts * ts * self.n_i  # diagonal subjects block of M
        b = ts * tr  # off-diagonal block is b * inc
        schur = np.diag(1.0 + tr * tr * self.c_j) - (self.inc.T * (b * b / a)) @ self.inc
        nan2 = np.full(2, math.nan)
        try:
            chol = np.linalg.cholesky(schur)
        except np.linalg.LinAlgError:  # rounding at extreme theta: S >= I in exact arithmetic
            return math.inf, math.nan, math.nan, nan2
        logdet = float(np.log(a).sum()) + 2.0 * float(np.log(np.diag(chol)).sum())
        # right-hand sides Lambda Z' [1, y]
        p = np.stack([ts * self.n_i, ts * sy], axis=1)
        q = np.stack([tr * self.c_j, tr * ry], axis=1)
        rhs_r = q - b * (self.inc.T @ (p / a[:, None]))
        w_r = linalg.cho_solve((chol, True), rhs_r)
        w_s = (p - b * (self.inc @ w_r)) / a[:, None]
        quad = w_s.T @ p + w_r.T @ q  # (Lambda Z'u)' M^-1 (Lambda Z'v) for u, v in {1, y}
        g = np.array([[self.big_n, tot], [tot, ss]]) - quad
        xhx = float(g[0, 0])
        mean = float(g[0, 1]) / xhx
        rss = max(float(g[1, 1]) - float(g[0, 1]) ** 2 / xhx, 0.0)
        dof = self.big_n - 1.0
        if rss <= 0.0:
            return math.inf, mean, 0.0, nan2
        crit = logdet + math.log(xhx) + dof * (1.0 + _LOG_2PI + math.log(rss / dof))
        if not gradient:
            return crit, mean, rss / dof, nan2
        g_s = (self.inc.T * (b * b / (a * a))) @ self.inc
        tr_ss = float((1.0 / a).sum()) + float(np.trace(linalg.cho_solve((chol, True), g_s)))
        tr_rr = float(np.trace(linalg.cho_solve((chol, True), np.eye(self.k))))
        grad = np.zeros(2)
        for j, (wj, levels, trace, t) in enumerate(
            ((w_s, self.n, tr_ss, ts), (w_r, self.k, tr_rr, tr))
        ):
            if t > 0.0:
                resid = wj[:, 1] - mean * wj[:, 0]
                inner = levels - trace - float(wj[:, 0] @ wj[:, 0]) / xhx
                grad[j] = 2.0 / t * (inner - dof * float(resid @ resid) / rss)
        return crit, mean, rss / dof, grad


def _anova(x: FloatArray) -> tuple[float, float, float, float]:
    """(mean, subject, rater, error) ANOVA estimates of complete ``x`` (may be negative)."""
    n, k = x.shape
    g = float(x.mean())
    r, c = x.mean(axis=1), x.mean(axis=0)
    e = x - r[:, None] - c[None, :] + g
    msr = k * float(((r - g) ** 2).sum()) / (n - 1)
    msc = n * float(((c - g) ** 2).sum()) / (k - 1)
    mse = float((e * e).sum()) / ((n - 1) * (k - 1))
    return g, (msr - mse) / k, (msc - mse) / n, mse


def _start(x: FloatArray, design: CrossedDesign) -> FloatArray:
    """Starting relative sds from the variances of the row and column means."""
    sy, ry, tot, ss = design.sums(x)
    mean = tot / design.big_n
    total = ss / design.big_n - mean * mean
    if not total > 0:
        return np.array([1.0, 1.0])
    vs = float(np.var(sy / np.maximum(design.n_i, 1.0)))
    vr = float(np.var(ry / np.maximum(design.c_j, 1.0)))
    err = max(total - vs - vr, 0.1 * total)
    return np.asarray(np.sqrt(np.maximum(np.array([vs, vr]) / err, 1e-4)), dtype=np.float64)


def fit_crossed(
    x: FloatArray, *, design: CrossedDesign | None = None, start: FloatArray | None = None,
    closed_form: bool = True, polish: bool = True,
) -> VarianceComponents:  # fmt: skip
    """REML fit of the crossed model to ``x`` (every row and column has a rating; at least
    two of each, and more ratings than ``n + k - 1``, are the caller's check).

    ``closed_form``: return the ANOVA estimates on complete data when they are non-negative
    (they are the REML ones). ``polish``: refine the optimum by Newton steps (to ~1e-9 in
    theta instead of ~1e-7; not needed for bootstrap refits).
    """
    from scipy import optimize

    d = design or CrossedDesign(x)
    n, k = d.n, d.k
    if closed_form and d.big_n == n * k:
        mean, vs, vr, ve = _anova(x)
        if vs >= 0.0 and vr >= 0.0 and ve > 0.0:
            ratios = (math.sqrt(vs / ve), math.sqrt(vr / ve))
            return VarianceComponents(
                vs, vr, ve, mean, n, k, d.big_n, "ANOVA (complete data; equal to REML)",
                math.nan, True, ratios,
            )  # fmt: skip
    sums = d.sums(x)

    def objective(theta: FloatArray) -> float:
        return d.criterion(theta, sums)[0]

    def in_ratios(gamma: FloatArray) -> tuple[float, FloatArray]:
        # variance ratios gamma = theta**2: the criterion's slope at gamma_j = 0 is the
        # one-sided derivative that decides the boundary (in theta it is always 0 there)
        theta = np.sqrt(np.maximum(gamma, 0.0))
        probe = np.maximum(theta, _PROBE)
        crit, grad = d.criterion_and_gradient(theta, sums)
        if np.any(theta < _PROBE):
            grad = d.criterion_and_gradient(probe, sums)[1]
        return crit, grad / (2.0 * probe)

    t0 = _start(x, d) if start is None else start
    res = optimize.minimize(
        in_ratios, t0 * t0, jac=True, method="L-BFGS-B", bounds=[(0.0, None), (0.0, None)],
        options={"ftol": 1e-15, "gtol": 1e-10 if polish else 1e-7, "maxiter": 500},
    )  # fmt: skip
    theta = np.sqrt(np.maximum(np.asarray(res.x, dtype=np.float64), 0.0))
    if polish:
        theta = _polish(objective, theta)
    crit, mean, ve = d.criterion(theta, sums)
    ts, tr = float(theta[0]), float(theta[1])
    # the optimiser may stop at the limit of floating point (line search "abnormal"): judge
    # convergence by the first-order conditions at the returned point instead
    slope = in_ratios(theta * theta)[1]
    kkt = np.where(theta > 0.0, np.abs(slope) * np.maximum(theta * theta, 1.0), -slope)
    converged = math.isfinite(crit) and bool(np.all(kkt <= _KKT_TOLERANCE * d.big_n))
    return VarianceComponents(
        ts * ts * ve, tr * tr * ve, ve, mean, n, k, d.big_n, "REML", crit, converged, (ts, tr),
    )  # fmt: skip


def _polish(objective: Any, theta: FloatArray) -> FloatArray:
    """Newton steps with central-difference derivatives on the free (non-zero) coordinates.

    L-BFGS-B with forward-difference gradients stops where the criterion is flat to its
    rounding noise (~1e-7 in theta); central differences of step ``h`` have error O(h**2),
    so a few Newton steps bring theta to ~1e-9 of the optimum. A step is kept only when it
    does not increase the criterion.
    """
    free = np.flatnonzero(theta > 1e-8)
    best, f_best = theta.copy(), objective(theta)
    for _ in range(6):
        h = np.maximum(np.abs(best) * 1e-4, 1e-6)
        grad, hess = _derivatives(objective, best, free, h, f_best)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)) or np.any(np.linalg.eigvalsh(hess) <= 0):
            break
        cand = best.copy()
        cand[free] = np.maximum(best[free] - step, 0.0)
        f_cand = objective(cand)
        if not f_cand <= f_best:
            break
        done = np.all(np.abs(cand - best) <= 1e-12 * np.maximum(np.abs(best), 1.0))
        best, f_best = cand, f_cand
        if done:
            break
    return best


def _derivatives(
    objective: Any, theta: FloatArray, free: Any, h: FloatArray, f0: float
) -> tuple[FloatArray, FloatArray]:
    """Central-difference gradient and Hessian of ``objective`` over the ``free`` coordinates."""
    m = len(free)
    grad, hess = np.zeros(m), np.zeros((m, m))

    def at(*moves: tuple[int, float]) -> float:
        t = theta.copy()
        for i, s in moves:
            t[free[i]] += s * h[free[i]]
        return float(objective(t))

    for i in range(m):
        fp, fm = at((i, 1.0)), at((i, -1.0))
        hi = h[free[i]]
        grad[i] = (fp - fm) / (2.0 * hi)
        hess[i, i] = (fp - 2.0 * f0 + fm) / (hi * hi)
        for j in range(i):
            hj = h[free[j]]
            cross = at((i, 1.0), (j, 1.0)) - at((i, 1.0), (j, -1.0))
            cross -= at((i, -1.0), (j, 1.0)) - at((i, -1.0), (j, -1.0))
            hess[i, j] = hess[j, i] = cross / (4.0 * hi * hj)
    return grad, hess


def variance_components(x: Any) -> VarianceComponents:
    """Variance components (subject, rater, error) of a subjects × raters matrix by REML.

    ``x`` is a subjects × raters array-like (``NaN`` = missing) or a long table (see
    :func:`~fidelity.stats.estimate.as_matrix`); rows and columns without any rating are
    dropped. Any missing-data pattern is allowed as long as the design is connected enough
    to estimate the three components. The values agree with
    ``lme4::lmer(y ~ 1 + (1 | subject) + (1 | rater), REML = TRUE)`` (``VarCorr``); on
    complete data with non-negative ANOVA estimates the closed-form ANOVA estimates are
    returned, which are then the REML estimates. Raises :class:`ValueError` when the
    design is too small (fewer than two subjects or raters with ratings, or no degree of
    freedom left for the error).
    """
    x = design_matrix(as_matrix(x))
    z, _, unit = normalize(x)  # exact power-of-two rescaling: values of any size fit alike
    return rescaled(fit_crossed(z), x, z, unit)


def rescaled(vc: VarianceComponents, x: FloatArray, z: FloatArray, unit: float
             ) -> VarianceComponents:  # fmt: skip
    """``vc`` fitted to ``z`` (with ``x == z * unit + offset``) in the units of ``x``: the
    variances scale by ``unit**2`` and the REML criterion shifts by ``2 (N - 1) log unit``."""
    u2 = unit * unit
    offset = float(np.nanmean(x)) - float(np.nanmean(z)) * unit
    return replace(
        vc, subject=vc.subject * u2, rater=vc.rater * u2, error=vc.error * u2,
        mean=vc.mean * unit + offset,
        reml_criterion=vc.reml_criterion + 2.0 * (vc.n_ratings - 1) * math.log(unit),
    )  # fmt: skip


def design_matrix(x: FloatArray) -> FloatArray:
    """``x`` without empty rows and columns; :class:`ValueError` if too small to fit."""
    x = x[:, ~np.isnan(x).all(axis=0)] if x.size else x
    x = x[~np.isnan(x).all(axis=1)] if x.size else x
    reason = design_reason(x)
    if reason:
        raise ValueError(reason)
    return x


def design_reason(x: FloatArray) -> str | None:
    """Why the crossed model cannot be fitted to ``x`` (no empty rows or columns), else None."""
    n, k = x.shape if x.ndim == 2 else (0, 0)
    big_n = int((~np.isnan(x)).sum()) if x.size else 0
    if n < 2:
        return f"{n} subject(s) with ratings: the two-way model needs at least two subjects"
    if k < 2:
        return f"{k} rater(s) with ratings: the two-way model needs at least two raters"
    if big_n <= n + k - 1:
        return (
            f"{big_n} ratings of {n} subjects by {k} raters leave no degree of freedom for "
            "the error variance (more than subjects + raters - 1 ratings are needed)"
        )
    return None


def parametric_bootstrap(
    vc: VarianceComponents, design: CrossedDesign, n_boot: int, seed: int
) -> tuple[FloatArray, int]:
    """Rows (subject, rater, error) of ``n_boot`` REML refits to data simulated from ``vc``
    with the missing-data pattern of ``design`` (seeded by ``seed``), NaN rows for refits that
    did not converge; and how many did not."""
    rng = np.random.default_rng(seed)
    n, k = design.n, design.k
    sd = np.sqrt(np.array([vc.subject, vc.rater, vc.error]))
    start = np.asarray(vc.theta, dtype=np.float64)
    out = np.full((n_boot, 3), np.nan)
    failed = 0
    for b in range(n_boot):
        y = vc.mean + sd[0] * rng.standard_normal((n, 1)) + sd[1] * rng.standard_normal((1, k))
        y = y + sd[2] * rng.standard_normal((n, k))
        y[~design.mask] = np.nan
        fit = fit_crossed(y, design=design, start=start, closed_form=False, polish=False)
        if fit.converged:
            out[b] = (fit.subject, fit.rater, fit.error)
        else:
            failed += 1
    return out, failed


def additive_residual_ss(x: FloatArray) -> float:
    """Residual sum of squares of the fixed-effects fit ``y_ij = a_i + b_j`` to the observed
    cells of ``x`` (sparse least squares, ``scipy.sparse.linalg.lsqr``). Zero up to rounding
    when the ratings are exactly subject levels plus rater offsets: then the REML criterion
    has no minimum (it falls without bound as the error variance goes to 0)."""
    from scipy import sparse
    from scipy.sparse import linalg as splinalg

    i, j = np.nonzero(~np.isnan(x))
    n, k = x.shape
    rows = np.concatenate([np.arange(i.size), np.arange(i.size)])
    cols = np.concatenate([i, n + j])
    a = sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(i.size, n + k))
    y = x[i, j]
    y = y - y.mean()
    sol = splinalg.lsqr(a, y, atol=0.0, btol=0.0, conlim=1e12, iter_lim=20 * (n + k))[0]
    r = y - a @ sol
    return float(r @ r)
