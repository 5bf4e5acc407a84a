"""McDonald's omega (total) from a one-factor model of the items' correlations.

``omega_t = 1 - sum(psi) / V``, where ``psi_i = 1 - lambda_i**2`` are the uniquenesses of the
one-factor model fitted to the item correlation matrix R and ``V`` is the sum of the entries of
R (the variance of the sum of the standardized items), with items whose loading is negative
reversed first -- exactly the ``omega.tot`` of R ``psych::omega(x, nfactors = 1)``
(McDonald 1999, *Test Theory: A Unified Treatment*, Erlbaum, ISBN 0805830758; Revelle &
Zinbarg 2009, doi:10.1007/s11336-008-9102-z). The model-based variant
``(sum lambda)**2 / ((sum lambda)**2 + sum psi)`` (lavaan / semTools style) is reported in
``details["omega_model"]``.

Estimators of the loadings, both with psych's conventions:

* ``"minres"`` (psych's default): minimum residual (Harman & Jones 1966,
  doi:10.1007/BF02289468), the loadings that minimise the sum of squared off-diagonal
  residuals ``sum_{i<j} (r_ij - lambda_i lambda_j)**2``, solved by
  :func:`scipy.optimize.leastsq` (MINPACK Levenberg-Marquardt, analytic Jacobian) from the
  principal-axis loadings with squared multiple correlations as communalities (psych's
  start). psych minimises the same criterion over the uniquenesses with L-BFGS-B, but hands
  the optimiser the *unweighted least squares* gradient (``diag(lambda lambda' + Psi - R)``),
  which is not the gradient of the off-diagonal criterion it evaluates, and stops at the
  default ``factr = 1e7`` with ``parscale = 0.01``; its answer is the minimum only to the
  optimiser's tolerance. Measured (psych 2.2.9): on the reference data sets
  (``tests/data/omega_polychoric``) psych's omega is within 1e-7 of the exact minimum and its
  loadings within 2e-6; on 285 random one-factor data sets of 3-15 items without a Heywood
  case (``psych_optimizer_probe.R`` there), 99% within 1.9e-6 and all within 6.1e-6.
  Differences in the fourth decimal come from other choices: the model-based omega below
  (1e-4 to 4e-3 on the reference sets), listwise instead of pairwise correlations, items with
  negative loadings not reversed in ``sum(R)``, a principal-axis iteration stopped at psych's
  ``min.err = 0.001``, or a Heywood case that psych bounds at 0.005 and reports as a number.
* ``"ml"``: maximum likelihood (Jöreskog 1967, doi:10.1007/BF02289658), minimising
  ``sum_{i>1} (log e_i - e_i)`` over the uniquenesses, where ``e_i`` are the eigenvalues of
  ``Psi^-1/2 R Psi^-1/2`` (psych's and ``factanal``'s concentrated criterion), by L-BFGS-B
  with its exact gradient and tight tolerances; the loadings are those of lavaan's one-factor
  CFA (standardized).

Uniquenesses are bounded below by 0.005, as in psych and ``factanal``: a solution at that
bound (minres: a loading of 0.9975 or more) is a Heywood case, and omega is then ``nan`` with
the item named, never a number from an improper solution. An optimiser that fails to converge
gives ``nan`` with its message.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize

from fidelity.stats._numeric import negligible, normalize
from fidelity.stats._resample import resample, with_bootstrap
from fidelity.stats.consistency import _items_matrix
from fidelity.stats.estimate import Estimate, FloatArray, check_confidence, undefined

if TYPE_CHECKING:
    from fidelity.stats.consistency import Items

__all__ = ["HEYWOOD_BOUND", "correlation_matrix", "fit_one_factor", "omega_total"]

Estimator = Literal["minres", "ml"]
Missing = Literal["listwise", "pairwise"]

#: Smallest uniqueness of a proper solution (psych's and R ``factanal``'s lower bound).
HEYWOOD_BOUND = 0.005


def correlation_matrix(x: FloatArray, missing: str = "pairwise") -> tuple[FloatArray, FloatArray]:
    """Pearson correlations of the columns of ``x`` (..., subjects, items; NaN = missing) and
    the pair counts, batched over leading axes.

    ``pairwise``: each correlation from the subjects who answered both items, with that
    subset's own means and standard deviations (R ``cor(use = "pairwise")``); ``listwise``
    (2-D ``x`` only): subjects with any missing answer dropped. A correlation with fewer than
    two subjects or without variance in its subset is NaN.
    """
    if missing == "listwise":
        x = x[~np.isnan(x).any(axis=1)]
    mask = (~np.isnan(x)).astype(np.float64)
    z = np.where(mask > 0, x, 0.0)
    zt, mt = np.swapaxes(z, -1, -2), np.swapaxes(mask, -1, -2)
    counts = mt @ mask
    sums = zt @ mask  # sums[i, j]: sum of item i over subjects who answered i and j
    sums_t = np.swapaxes(sums, -1, -2)
    with np.errstate(invalid="ignore", divide="ignore"):
        cross = zt @ z - sums * sums_t / counts
        ss = np.swapaxes(z * z, -1, -2) @ mask - sums * sums / counts  # item i over the pair
        scale = np.max(np.abs(z), axis=-2, initial=0.0)
        flat = negligible(ss, counts, scale[..., :, None])
        r = cross / np.sqrt(ss * np.swapaxes(ss, -1, -2))
    ok = (counts >= 2) & ~flat & ~np.swapaxes(flat, -1, -2)
    r = np.where(ok, np.clip(r, -1.0, 1.0), np.nan)
    d = np.arange(x.shape[-1])
    r[..., d, d] = np.where(counts[..., d, d] >= 2, 1.0, np.nan)
    return r, counts


def _positive_definite(r: FloatArray) -> bool:
    """Whether ``r`` is positive definite beyond rounding (smallest eigenvalue above 1e-10)."""
    return bool(np.linalg.eigvalsh(r)[0] > 1e-10)


def _smc_start(r: FloatArray) -> FloatArray:
    """Principal-axis loadings with squared multiple correlations as communalities."""
    smc = np.max(np.abs(r - np.eye(r.shape[0])), axis=1)  # psych's stand-in for a singular r
    if _positive_definite(r):
        smc = 1.0 - 1.0 / np.diag(np.linalg.inv(r))
    reduced = r.copy()
    np.fill_diagonal(reduced, np.clip(smc, 0.0, 1.0))
    vals, vecs = np.linalg.eigh(reduced)
    lam = vecs[:, -1] * math.sqrt(max(vals[-1], 1e-6))
    return np.asarray(lam if lam.sum() >= 0 else -lam, dtype=np.float64)


def _minres(r: FloatArray, start: FloatArray) -> tuple[FloatArray, str | None, dict[str, Any]]:
    k = r.shape[0]
    iu, ju = np.triu_indices(k, 1)
    target = r[iu, ju]

    def resid(lam: FloatArray) -> FloatArray:
        return np.asarray(lam[iu] * lam[ju] - target, dtype=np.float64)

    def jac(lam: FloatArray) -> FloatArray:
        out = np.zeros((iu.size, k))
        rows = np.arange(iu.size)
        out[rows, iu] = lam[ju]
        out[rows, ju] = lam[iu]
        return out

    lam, _cov, info_dict, message, status = optimize.leastsq(
        resid, start, Dfun=jac, full_output=True, ftol=1e-15, xtol=1e-15, gtol=0.0, maxfev=2000
    )
    lam = np.asarray(lam, dtype=np.float64)
    info = {"objective": float(np.sum(resid(lam) ** 2)), "evaluations": int(info_dict["nfev"])}
    if status not in (1, 2, 3, 4) or not np.all(np.isfinite(lam)):
        return lam, f"the minres fit did not converge: {message}", info
    return lam, None, info


def _ml(r: FloatArray, start: FloatArray) -> tuple[FloatArray, str | None, dict[str, Any]]:
    k = r.shape[0]

    def fg(psi: FloatArray) -> tuple[float, FloatArray]:
        sc = 1.0 / np.sqrt(psi)
        vals, vecs = np.linalg.eigh(r * np.outer(sc, sc))
        e = vals[:-1]
        f = -float(np.sum(np.log(np.maximum(e, 1e-300)) - e)) - 1.0 + k
        lam = np.sqrt(psi) * vecs[:, -1] * math.sqrt(max(vals[-1] - 1.0, 0.0))
        g = (lam * lam + psi - np.diag(r)) / psi**2
        return f, g

    psi0 = np.clip(1.0 - start**2, HEYWOOD_BOUND, 1.0)
    res = optimize.minimize(fg, psi0, jac=True, method="L-BFGS-B",
                            bounds=[(HEYWOOD_BOUND, 1.0)] * k,
                            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 5000})  # fmt: skip
    info = {"objective": float(res.fun), "evaluations": int(res.nfev)}
    psi = np.asarray(res.x, dtype=np.float64)
    if not res.success and not _stalled_at_optimum(res, psi):
        return (
            np.sqrt(np.maximum(1.0 - psi, 0.0)),
            f"the ML fit did not converge: {res.message}",
            info,
        )
    sc = 1.0 / np.sqrt(psi)
    vals, vecs = np.linalg.eigh(r * np.outer(sc, sc))
    lam = np.sqrt(psi) * vecs[:, -1] * math.sqrt(max(vals[-1] - 1.0, 0.0))
    return lam, None, info


def _stalled_at_optimum(res: Any, psi: FloatArray) -> bool:
    """Whether L-BFGS-B stopped only because its line search could not improve on rounding
    error: the projected gradient is then zero for all practical purposes."""
    if "ABNORMAL" not in str(res.message):
        return False
    g = np.asarray(res.jac, dtype=np.float64)
    low, high = psi <= HEYWOOD_BOUND * (1.0 + 1e-12), psi >= 1.0 - 1e-12
    projected = np.where(low, np.minimum(g, 0.0), np.where(high, np.maximum(g, 0.0), g))
    return bool(np.all(np.isfinite(projected)) and np.max(np.abs(projected)) <= 1e-6)


def fit_one_factor(
    r: FloatArray, estimator: Estimator = "minres", names: list[str] | None = None,
    start: FloatArray | None = None,
) -> tuple[FloatArray, str | None, dict[str, Any]]:  # fmt: skip
    """One-factor loadings of the correlation matrix ``r`` (sum of loadings made positive),
    why they are unusable (no convergence, a Heywood case) or None, and fit information."""
    if estimator not in ("minres", "ml"):
        raise ValueError(f"unknown estimator {estimator!r}; use 'minres' or 'ml'")
    if estimator == "ml" and not _positive_definite(r):
        singular = (
            "the correlation matrix is singular (some item is a linear combination of others), "
            "and the ML fit needs a positive-definite one; minres does not"
        )
        return np.full(r.shape[0], math.nan), singular, {}
    init = _smc_start(r) if start is None else start
    lam, why, info = (_minres if estimator == "minres" else _ml)(r, init)
    if lam.sum() < 0:
        lam = -lam
    if why is None:
        psi = 1.0 - lam**2
        bad = np.nonzero(psi <= HEYWOOD_BOUND * (1.0 + 1e-6))[0]
        if bad.size:
            names = names or [f"item{j + 1}" for j in range(r.shape[0])]
            which = ", ".join(names[j] for j in bad)
            why = (
                f"Heywood case: the uniqueness of {which} is at or below {HEYWOOD_BOUND} "
                "(a communality of 1 or more), so the one-factor solution is improper"
            )
    return lam, why, info


def _omega_from(r: FloatArray, lam: FloatArray) -> tuple[float, float]:
    key = np.where(lam < 0, -1.0, 1.0)
    total = float(key @ r @ key)
    psi = 1.0 - lam**2
    if not total > 0.0:
        return math.nan, math.nan
    s = float(np.abs(lam).sum())
    return 1.0 - float(psi.sum()) / total, s * s / (s * s + float(psi.sum()))


def _check(r: FloatArray, names: list[str], x: FloatArray, magnitude: float) -> str | None:
    """Why no one-factor model can be fitted to ``r``, if it cannot."""
    k = r.shape[0]
    empty = [nm for nm, col in zip(names, np.isnan(x).all(axis=0), strict=True) if col]
    if empty:
        return (
            f"item(s) {', '.join(empty)} have no answers; omega is a property of a fixed set "
            "of items, so remove the item(s) explicitly if they are not part of the scale"
        )
    flat = []
    for j, nm in enumerate(names):
        col = x[~np.isnan(x[:, j]), j]
        ss = float(((col - col.mean()) ** 2).sum()) if col.size else 0.0
        if col.size < 2 or negligible(ss, col.size, magnitude):
            flat.append(nm)
    if flat:
        return f"item(s) {', '.join(flat)} have no variance (or fewer than two answers)"
    if np.isnan(r).any():
        i, j = (int(v) for v in np.argwhere(np.isnan(r))[0])
        return (
            f"items {names[i]} and {names[j]} have fewer than two subjects in common with "
            "variance in both, so their correlation is undefined"
        )
    if k < 3:
        return "a one-factor model needs at least three items (with two it is not identified)"
    if float(r.sum() - np.trace(r)) <= 0.0:
        # no common factor to speak of, and which items a fit reverses depends on their order
        return "the items correlate negatively or not at all on average, so they form no scale"
    return None


#: Bootstrap refits whose Newton solution has a uniqueness below this are redone by
#: :func:`fit_one_factor` (near a Heywood case the two may part; elsewhere they agree).
_NEWTON_SAFE_PSI = 0.05
#: Largest number of per-subject products (float64) the counts path keeps (256 MB).
_FEATURES_MAX = 2**25


def _weighted_moments(feats: FloatArray, w: FloatArray, k: int) -> FloatArray:
    """Per resample (rows of the bootstrap counts ``w``), the pair counts, sums, cross
    products and sums of squares of :func:`correlation_matrix` (B, 4, k, k), from one
    matrix product with the features of :func:`_pair_features`."""
    iu, ju = np.triu_indices(k)
    t, kk = iu.size, k * k
    prod = w @ feats
    out = np.empty((w.shape[0], 4, k, k))
    for slot, lo in ((0, 0), (2, t + kk)):  # symmetric: upper triangle mirrored
        out[:, slot, iu, ju] = prod[:, lo : lo + t]
        out[:, slot, ju, iu] = prod[:, lo : lo + t]
    out[:, 1] = prod[:, t : t + kk].reshape(-1, k, k)
    out[:, 3] = prod[:, 2 * t + kk :].reshape(-1, k, k)
    return out


def _pair_features(z: FloatArray, m: FloatArray) -> FloatArray:
    """Per subject the products m_i m_j and z_i z_j (i <= j), z_i m_j and z_i**2 m_j (all
    i, j), with zeros where missing: bootstrap-weighted sums of them are the moments."""
    n, k = z.shape
    iu, ju = np.triu_indices(k)
    parts = (
        m[:, iu] * m[:, ju],
        (z[:, :, None] * m[:, None, :]).reshape(n, k * k),
        z[:, iu] * z[:, ju],
        ((z * z)[:, :, None] * m[:, None, :]).reshape(n, k * k),
    )
    return np.ascontiguousarray(np.concatenate(parts, axis=1))


def _weighted_correlations(z: FloatArray, feats: FloatArray, w: FloatArray) -> FloatArray:
    """:func:`correlation_matrix` (pairwise) of the resamples with bootstrap counts ``w``
    (B, n): the same sums, each a weighted sum over the distinct subjects."""
    k = z.shape[1]
    mom = _weighted_moments(feats, w, k)
    counts, sums, zz, sq = mom[:, 0], mom[:, 1], mom[:, 2], mom[:, 3]
    sums_t = np.swapaxes(sums, -1, -2)
    with np.errstate(invalid="ignore", divide="ignore"):
        cross = zz - sums * sums_t / counts
        ss = sq - sums * sums / counts
        # the scale of every resample is at most the full sample's: only a pair flat on that
        # bound needs the resample's own largest value
        full = np.max(np.abs(z), axis=0, initial=0.0)
        flat = negligible(ss, counts, full[None, :, None])
        for b in np.nonzero(flat.any(axis=(1, 2)))[0]:
            scale = np.max(np.abs(z[w[b] > 0]), axis=0, initial=0.0)
            flat[b] = negligible(ss[b], counts[b], scale[:, None])
        r = cross / np.sqrt(ss * np.swapaxes(ss, -1, -2))
    ok = (counts >= 2) & ~flat & ~np.swapaxes(flat, -1, -2)
    r = np.where(ok, np.clip(r, -1.0, 1.0), np.nan)
    d = np.arange(k)
    r[:, d, d] = np.where(counts[:, d, d] >= 2, 1.0, np.nan)
    return r


def _minres_newton(r: FloatArray, start: FloatArray) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Minres loadings of a batch of correlation matrices (B, k, k) by Newton's method on
    ``sum_{i<j} (lambda_i lambda_j - r_ij)**2`` from ``start``, and whether each converged
    to a minimum (finite, step at rounding level, positive definite Hessian)."""
    bsz, k = r.shape[0], r.shape[1]
    d = np.arange(k)
    lam = np.broadcast_to(start, (bsz, k)).copy()
    done = np.zeros(bsz, dtype=bool)
    pd = np.zeros(bsz, dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        for _ in range(40):
            outer = lam[:, :, None] * lam[:, None, :]
            resid = outer - r
            resid[:, d, d] = 0.0
            grad = np.einsum("bij,bj->bi", resid, lam)
            hess = 2.0 * outer - r
            hess[:, d, d] = (lam * lam).sum(axis=1)[:, None] - lam * lam
            try:
                chol_ok = np.all(np.isfinite(np.linalg.cholesky(hess)), axis=(1, 2))
                pd = chol_ok
            except np.linalg.LinAlgError:
                pd = np.linalg.eigvalsh(np.where(np.isfinite(hess), hess, 0.0))[:, 0] > 0
            try:
                step = np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:
                break
            step = np.where(done[:, None], 0.0, step)
            lam = lam - step
            small = np.all(np.abs(step) <= 1e-13 * np.maximum(np.abs(lam), 1.0), axis=1)
            done |= small & np.all(np.isfinite(lam), axis=1)
            if done.all():
                break
    return lam, done & pd


class _OmegaStatistic:
    """omega on a batch of (resampled) subjects × items matrices; NaN where undefined.

    ``on_index`` evaluates resamples given by row indices from bootstrap counts as weights:
    every correlation matrix of a chunk from one matrix product over the distinct subjects,
    and (minres) every one-factor fit by one batched Newton iteration from the full-sample
    loadings; a resample whose Newton fit is not a clean interior minimum is refitted by
    :func:`fit_one_factor` as before.
    """

    def __init__(self, estimator: Estimator, missing: str, start: FloatArray) -> None:
        self.estimator, self.missing, self.start = estimator, missing, start
        self._feats: tuple[int, FloatArray, FloatArray, FloatArray] | None = None

    def __call__(self, xb: FloatArray) -> FloatArray:
        if self.missing == "listwise":  # each resample drops its own incomplete subjects
            rb = np.stack([correlation_matrix(m, "listwise")[0] for m in xb])
        else:
            rb = correlation_matrix(xb, "pairwise")[0]
        return self._omegas(rb)

    def _omegas(self, rb: FloatArray) -> FloatArray:
        out = np.full(rb.shape[0], np.nan)
        usable = ~np.isnan(rb).any(axis=(1, 2))
        redo = usable.copy()
        if self.estimator == "minres" and usable.any():
            lam, good = _minres_newton(rb[usable], self.start)
            lam = np.where(lam.sum(axis=1, keepdims=True) < 0, -lam, lam)
            good &= np.all(1.0 - lam * lam > _NEWTON_SAFE_PSI, axis=1)
            idx = np.nonzero(usable)[0]
            for b, lb in zip(idx[good], lam[good], strict=True):
                out[b] = _omega_from(rb[b], lb)[0]
            redo[idx[good]] = False
        for b in np.nonzero(redo)[0]:
            lam1, why, _ = fit_one_factor(rb[b], self.estimator, start=self.start)
            out[b] = math.nan if why else _omega_from(rb[b], lam1)[0]
        return out

    def on_index(self, x: FloatArray, index: npt.NDArray[np.intp]) -> FloatArray:
        """omega on ``x[index[b]]`` for every row b of ``index``, from bootstrap counts (or,
        when the per-subject products would not fit in :data:`_FEATURES_MAX` values, from the
        gathered resamples in chunks)."""
        n, k = x.shape
        if n * (k * (k + 1) + 2 * k * k) > _FEATURES_MAX:
            step = max(1, 2**21 // max(n * k, 1))
            parts = [self(x[index[lo : lo + step]]) for lo in range(0, index.shape[0], step)]
            return np.concatenate(parts)
        if self._feats is None or self._feats[0] != id(x):
            keep = ~np.isnan(x).any(axis=1) if self.missing == "listwise" else None
            xs = x if keep is None else np.where(keep[:, None], x, np.nan)
            m = (~np.isnan(xs)).astype(np.float64)
            z = np.where(m > 0, xs, 0.0)
            self._feats = (id(x), z, m, _pair_features(z, m))
        _, z, _, feats = self._feats
        out = np.empty(index.shape[0])
        step = max(1, 2**21 // max(n, 1))
        for lo in range(0, index.shape[0], step):
            part = index[lo : lo + step]
            w = np.empty((part.shape[0], n))
            for i, row in enumerate(part):
                w[i] = np.bincount(row, minlength=n)
            rb = _weighted_correlations(z, feats, w)
            out[lo : lo + step] = self._omegas(rb)
        return out


def omega_total(
    items: Items,
    *,
    estimator: Estimator = "minres",
    missing: Missing = "pairwise",
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int | np.random.Generator | None = 0,
) -> Estimate:
    """McDonald's omega (total) of a subjects × items table, from a one-factor model.

    ``omega_t = 1 - sum(1 - lambda_i**2) / sum(R)`` with loadings ``lambda`` of the one-factor
    model fitted to the item correlation matrix R (items with a negative loading reversed in
    ``sum(R)``), as ``omega.tot`` of R ``psych::omega(x, nfactors = 1, fm = estimator)``;
    estimators and their conventions are described in :mod:`fidelity.stats.omega`.
    ``missing="pairwise"`` (default, as psych) or ``"listwise"``.

    CI: subject-level percentile bootstrap (Efron & Tibshirani 1993) with ``n_resamples``
    resamples (default 1000) from ``seed`` (default 0, so the interval is reproducible); a
    resample on which the model fails is skipped and counted in
    ``details["bootstrap"]["n_undefined"]``. ``n_resamples=0`` gives no interval (``ci_reason``
    says so). SE: the standard deviation of the bootstrap distribution. The resamples are
    evaluated from their bootstrap counts (weighted sums over the distinct subjects, the
    same correlations to rounding) and minres refits by Newton's method from the
    full-sample loadings, which stops at the exact minimum where ``leastsq`` stops at a
    gradient of ~1e-9 (bootstrap values differ from per-resample ``leastsq`` fits by ~1e-12
    on thousands of subjects, up to ~2e-9 on 25); resamples near a Heywood case, or where
    Newton's method does not settle at a minimum, are refitted by :func:`fit_one_factor`.

    Undefined (``nan`` with ``reason``): fewer than three items, an item without answers or
    without variance, a pair of items without two common subjects, a fit that does not
    converge, or a Heywood case (a uniqueness at its bound 0.005; the item is named). Infinite
    values are refused (:class:`ValueError`).

    ``details`` keys: ``estimator``, ``missing``, ``items``, ``loadings``, ``uniquenesses``,
    ``reversed_items`` (negative loadings), ``omega_model`` (``(sum |lambda|)**2 /
    ((sum |lambda|)**2 + sum psi)``, the model-based omega of lavaan/semTools), ``objective``,
    ``evaluations``; with a bootstrap, ``bootstrap`` holds its details.
    """
    conf = check_confidence(confidence)
    if missing not in ("listwise", "pairwise"):
        raise ValueError(f"unknown missing-data rule {missing!r}; use 'listwise' or 'pairwise'")
    if estimator not in ("minres", "ml"):
        raise ValueError(f"unknown estimator {estimator!r}; use 'minres' or 'ml'")
    raw, names = _items_matrix(items)
    n, k = raw.shape
    label = "maximum likelihood" if estimator == "ml" else "minres"
    method = f"McDonald's omega (total), one-factor {label} ({missing} correlations)"
    x, magnitude, _ = normalize(raw)
    n_used = int((~np.isnan(x).any(axis=1)).sum()) if missing == "listwise" else n
    details: dict[str, Any] = {"estimator": estimator, "missing": missing, "items": names}
    if k == 0 or n == 0:
        return undefined(method, f"{n} subject(s) and {k} item(s): nothing to fit", n, None,
                         n_items=k, **details)  # fmt: skip
    r, _ = correlation_matrix(x, missing)
    why = _check(r, names, x, magnitude)
    if why is not None:
        return undefined(method, why, n_used, None, n_items=k, **details)
    lam, why, info = fit_one_factor(r, estimator, names)
    details.update(info)
    if why is not None:
        return undefined(method, why, n_used, None, n_items=k, **details)
    omega, model = _omega_from(r, lam)
    if math.isnan(omega):
        return undefined(method, "the items' correlations sum to zero or less", n_used, None,
                         n_items=k, **details)  # fmt: skip
    details.update(
        loadings=[float(v) for v in lam], uniquenesses=[float(1.0 - v * v) for v in lam],
        reversed_items=[nm for nm, v in zip(names, lam, strict=True) if v < 0],
        omega_model=model,
    )  # fmt: skip
    return _with_interval(omega, method, x, details, estimator, missing, lam, n_used, k,
                          conf, n_resamples, seed)  # fmt: skip


def _with_interval(
    omega: float, method: str, x: FloatArray, details: dict[str, Any], estimator: Estimator,
    missing: str, lam: FloatArray, n_used: int, k: int, conf: float, n_resamples: int,
    seed: int | np.random.Generator | None,
) -> Estimate:  # fmt: skip
    if int(n_resamples) <= 0:
        why = "no interval: n_resamples=0 (the interval is a bootstrap one)"
        return Estimate(value=omega, method=method, n_subjects=n_used, n_raters=None,
                        details=details, n_items=k, ci_reason=why, se_reason=why)  # fmt: skip
    fn = _OmegaStatistic(estimator, missing, lam)
    bs = resample(x, fn, True, method, n_resamples=int(n_resamples),
                  confidence=conf, seed=seed, method="percentile", why=lambda: "")  # fmt: skip
    return with_bootstrap(omega, bs, method, details, n_subjects=n_used, n_raters=None,
                          confidence=conf, n_items=k)  # fmt: skip
