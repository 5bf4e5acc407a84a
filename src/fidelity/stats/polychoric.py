"""Polychoric correlations and ordinal alpha.

Polychoric correlation (Olsson 1979, doi:10.1007/BF02296207), two-step estimator: each item's
answers are taken to be a latent standard normal variable cut at thresholds
``tau_c = Phi^-1(share of answers at or below category c)`` (from that item's own answers), and
for each pair of items the correlation of the bivariate normal that maximises the likelihood of
their contingency table (subjects who answered both) with the thresholds held fixed. The cell
probabilities are rectangles of the bivariate normal, from
:class:`scipy.stats.multivariate_normal` (bivariate CDF accurate to rounding), and the
likelihood is maximised by :func:`scipy.optimize.minimize_scalar` (bounded Brent) on (-1, 1)
to 1e-10 -- R ``optimize`` in psych stops at its default tolerance, about 1.2e-4, which is
where psych and this estimate may differ (measured on the reference data: at most 2.7e-5;
against R optimize on psych's own likelihood at tol = 1e-12: 3e-8).

Conventions, as R ``psych::polychoric`` (2.2.9) with its defaults: thresholds are *global*
(one set per item, used in every pair), over the categories observed in any item, so an item
that never uses the lowest or highest category gets an infinite threshold there; no
continuity correction is applied to empty cells (psych applies it only to pairwise
thresholds); a matrix that is not positive definite is smoothed as ``psych::cor.smooth`` does
(eigenvalues below machine epsilon set to 100 epsilon, then rescaled to a correlation matrix),
and ``smoothed`` says so. psych switches to thresholds pair by pair when the items' highest
observed categories differ, and in 2.2.9 that branch fails ("Something is wrong in
polycor"); here thresholds stay global, which is Olsson's estimator.

Ordinal alpha (Zumbo, Gadermann & Zeisser 2007, doi:10.22237/jmasm/1177992180; Gadermann,
Guhn & Zumbo 2012, doi:10.7275/n560-j767) is Cronbach's alpha of the polychoric correlation
matrix R: ``k/(k-1) * (1 - k / sum(R))``, which is ``psych::alpha(polychoric(x)$rho)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import optimize, special, stats

from fidelity.stats._resample import resample, with_bootstrap
from fidelity.stats.consistency import _items_matrix
from fidelity.stats.estimate import Estimate, FloatArray, check_confidence, undefined

if TYPE_CHECKING:
    from fidelity.stats.consistency import Items

__all__ = ["MAX_ORDINAL_CATEGORIES", "Polychoric", "ordinal_alpha", "polychoric"]

#: Ordinal alpha is for items with few ordered categories (psych refuses more than 8).
MAX_ORDINAL_CATEGORIES = 10

_RHO_TOL = 1e-10
_EDGE = 1.0 - 1e-9


@dataclass(frozen=True, eq=False)
class Polychoric:
    """The polychoric correlation matrix of a set of items, with its thresholds.

    ``rho`` is items × items (NaN where a pair has no estimate, and ``reason`` then says why);
    ``thresholds[j]`` are item j's cut points on the latent scale, one fewer than
    ``categories`` (``±inf`` for a category the item never reaches); ``n_pairs[i][j]`` is the
    number of subjects who answered both items; ``smoothed`` tells whether ``rho`` was made
    positive definite as ``psych::cor.smooth`` does.
    """

    items: tuple[str, ...]
    categories: tuple[float, ...]
    rho: FloatArray
    thresholds: tuple[tuple[float, ...], ...]
    n_pairs: tuple[tuple[int, ...], ...]
    smoothed: bool
    reason: str | None = None


def _codes(x: FloatArray, categories: FloatArray) -> Any:
    """Position of every answer among ``categories``; -1 for a missing answer."""
    codes = np.searchsorted(categories, np.where(np.isnan(x), categories[0], x))
    return np.where(np.isnan(x), -1, codes)


def _thresholds(codes: Any, q: int) -> FloatArray:
    """items × (q - 1) thresholds from each item's own answers."""
    k = codes.shape[1]
    out = np.empty((k, q - 1))
    for j in range(k):
        c = codes[:, j]
        counts = np.bincount(c[c >= 0], minlength=q).astype(np.float64)
        if counts.sum() == 0:  # no answers: no thresholds (the reason is given later)
            out[j] = np.nan
            continue
        cum = np.cumsum(counts)[:-1] / counts.sum()
        out[j] = special.ndtri(np.clip(cum, 0.0, 1.0))
    return out


def _cdf_grid(a: FloatArray, b: FloatArray, rho: float) -> FloatArray:
    """Phi2(a_i, b_j; rho) for cut points with -inf/+inf at both ends."""
    grid = np.zeros((a.size, b.size))
    grid[np.isposinf(a), :] = special.ndtr(b)  # Phi2(+inf, b) = Phi(b), Phi2(+inf, +inf) = 1
    grid[:, np.isposinf(b)] = special.ndtr(a)[:, None]
    ia = np.nonzero(np.isfinite(a))[0]
    ib = np.nonzero(np.isfinite(b))[0]
    if ia.size and ib.size:
        r = float(np.clip(rho, -_EDGE, _EDGE))
        mvn = stats.multivariate_normal(mean=[0.0, 0.0], cov=[[1.0, r], [r, 1.0]])
        pts = np.array([[a[i], b[j]] for i in ia for j in ib])
        vals = np.atleast_1d(mvn.cdf(pts)).reshape(ia.size, ib.size)
        grid[np.ix_(ia, ib)] = vals
    grid[np.isneginf(a), :] = 0.0
    grid[:, np.isneginf(b)] = 0.0
    return grid


def _neg_loglik(rho: float, ta: FloatArray, tb: FloatArray, table: FloatArray) -> float:
    a = np.concatenate(([-np.inf], ta, [np.inf]))
    b = np.concatenate(([-np.inf], tb, [np.inf]))
    f = _cdf_grid(a, b, rho)
    p = f[1:, 1:] - f[:-1, 1:] - f[1:, :-1] + f[:-1, :-1]
    use = (table > 0) & (p > 0)
    return -float(np.sum(table[use] * np.log(p[use])))


def _pair(ca: Any, cb: Any, ta: FloatArray, tb: FloatArray, q: int) -> tuple[float, int]:
    both = (ca >= 0) & (cb >= 0)
    n = int(both.sum())
    if n < 2:
        return math.nan, n
    table = np.bincount(ca[both] * q + cb[both], minlength=q * q).reshape(q, q).astype(float)
    if (table.sum(axis=1) > 0).sum() < 2 or (table.sum(axis=0) > 0).sum() < 2:
        return math.nan, n
    table /= n
    # the likelihood of (table, ta, tb) and of its transpose is the same function, but the
    # optimiser's path is not: fix one orientation by the data, so that the order of the
    # items (and of the subjects) cannot move the estimate within its tolerance
    if (*table.T.ravel(), *tb, *ta) < (*table.ravel(), *ta, *tb):
        table, ta, tb = table.T.copy(), tb, ta
    res = optimize.minimize_scalar(_neg_loglik, bounds=(-1.0, 1.0), method="bounded",
                                   args=(ta, tb, table), options={"xatol": _RHO_TOL})  # fmt: skip
    return float(res.x), n


def _smooth(r: FloatArray) -> tuple[FloatArray, bool]:
    """psych::cor.smooth: eigenvalues below machine epsilon raised to 100 epsilon."""
    vals, vecs = np.linalg.eigh(r)
    eps = float(np.finfo(np.float64).eps)
    if vals.min() >= eps:
        return r, False
    vals = np.where(vals < eps, 100.0 * eps, vals)
    vals = vals * r.shape[0] / vals.sum()
    s = (vecs * vals) @ vecs.T
    d = np.sqrt(np.diag(s))
    out = s / np.outer(d, d)
    np.fill_diagonal(out, 1.0)
    return out, True


def _categories(x: FloatArray, categories: Any) -> FloatArray:
    present: FloatArray = np.unique(x[~np.isnan(x)])
    if categories is None:
        return present
    cats = np.asarray(categories, dtype=np.float64).reshape(-1)
    if np.any(np.diff(cats) <= 0):
        raise ValueError("categories must be given in increasing order without repeats")
    outside = np.setdiff1d(present, cats)
    if outside.size:
        raise ValueError(f"answers {outside[:5].tolist()} are not among the categories")
    return cats


def polychoric(items: Items, *, categories: Any = None) -> Polychoric:
    """Polychoric correlation matrix of ordinal items (conventions in
    :mod:`fidelity.stats.polychoric`), with each item's thresholds.

    ``categories``: the ordered categories of the scale (default: every value observed in any
    item). Unused categories carry no information and are left out of the likelihood. More
    than :data:`MAX_ORDINAL_CATEGORIES` categories, a single category, an item without
    answers, an item whose answers all fall in one category, or a pair without two common
    subjects give a matrix with NaN entries and a ``reason``. Infinite values are refused.
    """
    x, names = _items_matrix(items)
    cats = _categories(x, categories)
    used = np.unique(x[~np.isnan(x)])
    k = x.shape[1]
    q = int(used.size)
    nan = np.full((k, k), np.nan)
    items_t, cats_t = tuple(names), tuple(float(c) for c in cats)
    if q > MAX_ORDINAL_CATEGORIES:
        why = (f"{q} distinct answers: polychoric correlations are for ordinal items with at "
               f"most {MAX_ORDINAL_CATEGORIES} categories")  # fmt: skip
        return Polychoric(items_t, cats_t, nan, (), (), smoothed=False, reason=why)
    if q < 2:
        why = "the answers fall in fewer than two categories"
        return Polychoric(items_t, cats_t, nan, (), (), smoothed=False, reason=why)
    codes = _codes(x, used)
    tau = _thresholds(codes, q)
    rho = np.eye(k)
    counts = np.zeros((k, k), dtype=int)
    for i in range(k):
        counts[i, i] = int((codes[:, i] >= 0).sum())
        for j in range(i):
            rho[i, j], counts[i, j] = _pair(codes[:, i], codes[:, j], tau[i], tau[j], q)
            rho[j, i], counts[j, i] = rho[i, j], counts[i, j]
    reason = _matrix_reason(rho, counts, tau, names)
    smoothed = False
    if reason is None:
        rho, smoothed = _smooth(rho)
    full_tau = _expand(tau, used, cats)
    return Polychoric(items_t, cats_t, rho=rho, thresholds=full_tau,
                      n_pairs=tuple(tuple(int(v) for v in row) for row in counts),
                      smoothed=smoothed, reason=reason)  # fmt: skip


def _expand(tau: FloatArray, used: FloatArray, cats: FloatArray) -> tuple[tuple[float, ...], ...]:
    """Thresholds over the declared categories: an unused category repeats its neighbour's."""
    pos = np.searchsorted(used, cats, side="right") - 1  # used categories at or below each
    out = []
    for row in tau:
        full = np.concatenate(([-np.inf], row, [np.inf]))
        out.append(tuple(float(full[p + 1]) for p in pos[:-1]))
    return tuple(out)


def _matrix_reason(rho: FloatArray, counts: Any, tau: FloatArray, names: list[str]) -> str | None:
    empty = [nm for j, nm in enumerate(names) if counts[j, j] == 0]
    if empty:
        return f"item(s) {', '.join(empty)} have no answers"
    flat = [nm for j, nm in enumerate(names) if not np.isfinite(tau[j]).any()]
    if flat:
        return f"item(s) {', '.join(flat)} have all their answers in one category"
    if np.isnan(rho).any():
        i, j = (int(v) for v in np.argwhere(np.isnan(rho))[0])
        return f"items {names[i]} and {names[j]} have fewer than two subjects in common"
    return None


def _alpha_of(rho: FloatArray) -> float:
    k = rho.shape[0]
    total = float(rho.sum())
    # sum(R) is the variance of the sum of standardised items: at or within rounding of zero
    # (an R whose items cancel out) alpha is a ratio of noise, not a number
    return k / (k - 1.0) * (1.0 - k / total) if total > 1e-8 * k else math.nan


def ordinal_alpha(
    items: Items,
    *,
    categories: Any = None,
    confidence: float = 0.95,
    n_resamples: int = 0,
    seed: int | np.random.Generator | None = 0,
) -> Estimate:
    """Ordinal alpha: Cronbach's alpha of the polychoric correlation matrix.

    ``k/(k-1) * (1 - k / sum(R))`` with R from :func:`polychoric` (Zumbo, Gadermann & Zeisser
    2007, doi:10.22237/jmasm/1177992180; Gadermann, Guhn & Zumbo 2012,
    doi:10.7275/n560-j767); it equals ``psych::alpha(psych::polychoric(x)$rho)``. Missing
    answers: each correlation uses the subjects who answered both items (pairwise).

    CI: none by default (``n_resamples=0``; ``ci_reason`` says so), because every resample
    re-estimates k(k-1)/2 correlations; ``n_resamples=B`` gives a subject-level percentile
    bootstrap from ``seed`` (default 0).

    Undefined (``nan`` with ``reason``): fewer than two items, or any reason
    :func:`polychoric` gives (too many categories, an item without answers or with all its
    answers in one category, a pair without common subjects). Infinite values are refused.

    ``details`` keys: ``items``, ``categories``, ``polychoric`` (the matrix, nested lists),
    ``thresholds``, ``smoothed``; with a bootstrap, ``bootstrap``.
    """
    conf = check_confidence(confidence)
    x, names = _items_matrix(items)
    k = x.shape[1]
    method = "ordinal alpha (polychoric correlations, pairwise)"
    n_sub = int((~np.isnan(x)).any(axis=1).sum())
    if k < 2:
        return undefined(method, f"{k} item(s): alpha needs at least two items", n_sub, None,
                         n_items=k)  # fmt: skip
    if n_sub == 0:
        return undefined(method, "no answers", 0, None, n_items=k)
    pc = polychoric(x, categories=categories)
    details: dict[str, Any] = {"items": names, "categories": list(pc.categories)}
    if pc.reason is not None:
        return undefined(method, pc.reason, n_sub, None, n_items=k, **details)
    value = _alpha_of(pc.rho)
    details.update(polychoric=pc.rho.tolist(), thresholds=[list(t) for t in pc.thresholds],
                   smoothed=pc.smoothed)  # fmt: skip
    if math.isnan(value):
        why = "the polychoric correlations sum to zero (or within rounding of it)"
        return undefined(method, why, n_sub, None, n_items=k, **details)
    if int(n_resamples) <= 0:
        why = "no interval unless n_resamples > 0 (a bootstrap re-estimates every correlation)"
        return Estimate(value=value, method=method, n_subjects=n_sub, n_raters=None,
                        details=details, n_items=k, ci_reason=why, se_reason=why)  # fmt: skip

    def stat(m: FloatArray) -> FloatArray:
        p = polychoric(m, categories=pc.categories)
        return np.asarray(math.nan if p.reason else _alpha_of(p.rho))

    bs = resample(x, stat, False, method, n_resamples=int(n_resamples), confidence=conf,
                  seed=seed, method="percentile", why=lambda: "")  # fmt: skip
    return with_bootstrap(value, bs, method, details, n_subjects=n_sub, n_raters=None,
                          confidence=conf, n_items=k)  # fmt: skip
