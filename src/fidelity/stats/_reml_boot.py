"""The parametric bootstrap of the crossed REML model, every refit at once.

The simulated data sets share the missing-data pattern, so the REML criterion of
:mod:`fidelity.stats.variance` and its analytic gradient are evaluated for all of them in one
batch (the ``k × k`` Schur complements stacked; the sums over subjects grouped by the
subjects' number of ratings, see :class:`_Batch`), and each is minimised over the variance
ratios ``gamma = theta**2 >= 0`` by projected Newton steps (Hessian from differences of the
analytic gradient, backtracking on the criterion) from the fitted model's ratios. The
convergence test is the first-order rule of :func:`~fidelity.stats.variance.fit_crossed`; a
data set on which the batch does not settle is refitted by ``fit_crossed`` alone.

Newton's method stops much closer to the optimum than the L-BFGS-B refits it replaces
(which stop at a projected gradient of 1e-7 in the ratios), so bootstrap components differ
from those at the level of L-BFGS-B's tolerance (up to about 1e-6 relative), not more.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from fidelity.stats.estimate import FloatArray
from fidelity.stats.variance import CrossedDesign, VarianceComponents, fit_crossed

_LOG_2PI = math.log(2.0 * math.pi)
_PROBE = 1e-5  # as fit_crossed: relative sd at which a zero component's slope is taken
_KKT = 1e-6  # as fit_crossed: first-order tolerance per rating
_ITERATIONS = 40

Rows = npt.NDArray[np.intp]
Mask = npt.NDArray[np.bool_]


def _cholesky(s: FloatArray) -> tuple[FloatArray, Mask]:
    """Cholesky factors of a batch of matrices; those not positive definite (rounding at
    extreme ratios: the Schur complement is at least I in exact arithmetic) flagged and
    replaced by I."""
    bad = ~np.all(np.isfinite(s), axis=(1, 2))
    s = np.where(bad[:, None, None], np.eye(s.shape[1])[None], s)
    try:
        return np.linalg.cholesky(s), bad
    except np.linalg.LinAlgError:
        bad |= ~(np.linalg.eigvalsh(s)[:, 0] > 0.0)
        s = np.where(bad[:, None, None], np.eye(s.shape[1])[None], s)
        try:
            return np.linalg.cholesky(s), bad
        except np.linalg.LinAlgError:
            eye = np.broadcast_to(np.eye(s.shape[1]), s.shape).copy()
            return eye, np.ones(s.shape[0], dtype=bool)


def _spd_inverse(chol: FloatArray) -> FloatArray:
    """Inverses from Cholesky factors L (B, k, k): L^-T L^-1, L^-1 by forward substitution
    over the rows (k vectorised steps; far cheaper than a LAPACK call per small matrix)."""
    k = chol.shape[1]
    linv = np.zeros_like(chol)
    eye = np.eye(k)
    for i in range(k):
        acc = eye[i][None, :] - (chol[:, i : i + 1, :i] @ linv[:, :i, :])[:, 0, :]
        linv[:, i, :] = acc / chol[:, i, i][:, None]
    return np.asarray(np.swapaxes(linv, 1, 2) @ linv, dtype=np.float64)


class _Batch:
    """The REML criterion of data sets ``y`` (B, n, k) on the pattern of ``d``.

    The subjects block of ``M`` is ``1 + theta_s**2 n_i``: it depends on a subject only
    through its number of ratings ``n_i``, which takes at most ``k`` values. Every sum over
    subjects in the criterion and its gradient is therefore a sum over these groups of
    sums fixed by the data (``inc_i inc_i'``, ``inc_i``, ``inc_i sy_i``, ``sy_i``,
    ``sy_i**2`` within each group), formed once per batch; an evaluation then costs
    ``O(k**3)`` per data set instead of ``O(n k**2)``.
    """

    def __init__(self, d: CrossedDesign, y: FloatArray) -> None:
        self.d = d
        yz = np.where(d.mask[None], y, 0.0)
        sy, self.ry = yz.sum(axis=2), yz.sum(axis=1)
        self.tot, self.ss = yz.sum(axis=(1, 2)), (yz * yz).sum(axis=(1, 2))
        sizes, group = np.unique(d.n_i, return_inverse=True)
        onehot = (group[:, None] == np.arange(sizes.size)[None, :]).astype(np.float64)
        self.m, self.cnt = sizes, onehot.sum(axis=0)
        # sum of inc_i inc_i' per group, flattened: sum_g c_g P_g is one matrix product
        self.pairs = np.einsum("ig,ik,il->gkl", onehot, d.inc, d.inc)
        self.flat = self.pairs.reshape(sizes.size, d.k * d.k)
        u = np.stack([sy[:, group == g] @ d.inc[group == g] for g in range(sizes.size)], 1)
        cols = (onehot.T @ d.inc) * sizes[:, None]
        # F_g = sum over the group of inc_i [n_i, sy_i]; T_g of [n_i, sy_i][n_i, sy_i]'
        self.f = np.stack([np.broadcast_to(cols, u.shape), u], axis=3)
        s1, s2 = sy @ onehot * sizes, (sy * sy) @ onehot
        nn = np.broadcast_to(self.cnt * sizes * sizes, s1.shape)
        self.t = np.stack([np.stack([nn, s1], -1), np.stack([s1, s2], -1)], -2)

    def evaluate(self, theta: FloatArray, rows: Rows) -> tuple[FloatArray, ...]:
        """Criterion, mean, residual variance and gradient in theta (B, 2) of data sets
        ``rows``, as :meth:`CrossedDesign._evaluate` (``inf`` where not positive definite)."""
        d, bsz = self.d, theta.shape[0]
        ts, tr = theta[:, 0], theta[:, 1]
        ry, tot, ss, f, t = self.ry[rows], self.tot[rows], self.ss[rows], self.f[rows], self.t[rows]
        a = 1.0 + (ts * ts)[:, None] * self.m[None, :]
        ia = 1.0 / a
        b = ts * tr
        b2 = (b * b)[:, None, None]
        both = (np.concatenate([ia, ia * ia]) @ self.flat).reshape(-1, d.k, d.k)
        schur, g_s = -b2 * both[:bsz], b2 * both[bsz:]
        diag = np.arange(d.k)
        schur[:, diag, diag] += 1.0 + (tr * tr)[:, None] * d.c_j[None, :]
        with np.errstate(all="ignore"):
            chol, bad = _cholesky(schur)
            inv = _spd_inverse(chol)
            logdet = (self.cnt * np.log(a)).sum(axis=1)
            logdet += 2.0 * np.log(chol[:, diag, diag]).sum(axis=1)
            q = np.stack([tr[:, None] * d.c_j[None, :], tr[:, None] * ry], axis=2)
            rhs = q - (b * ts)[:, None, None] * (ia[:, :, None, None] * f).sum(axis=1)
            w_r = inv @ rhs
            # per group: w_r' F_g and w_r' P_g w_r (the subjects' w_s in closed form)
            w_t = np.swapaxes(w_r, 1, 2)[:, None]
            wf = (w_t @ f) * ts[:, None, None, None]
            wpw = w_t @ (self.pairs[None] @ w_r[:, None])
            pp = (ts * ts)[:, None, None, None] * t
            bb = b[:, None, None, None]
            part = pp - bb * wf
            quad = (ia[:, :, None, None] * part).sum(axis=1) + np.swapaxes(w_r, 1, 2) @ q
            gram_s = part - bb * np.swapaxes(wf, 2, 3) + bb * bb * wpw
            gram_s = ((ia * ia)[:, :, None, None] * gram_s).sum(axis=1)
            xhx = d.big_n - quad[:, 0, 0]
            xy = tot - quad[:, 0, 1]
            mean = xy / xhx
            rss = np.maximum(ss - quad[:, 1, 1] - xy * xy / xhx, 0.0)
            dof = d.big_n - 1.0
            crit = logdet + np.log(xhx) + dof * (1.0 + _LOG_2PI + np.log(rss / dof))
            tr_ss = (self.cnt * ia).sum(axis=1) + (inv * g_s).sum(axis=(1, 2))
            tr_rr = np.trace(inv, axis1=1, axis2=2)
            gram_r = np.swapaxes(w_r, 1, 2) @ w_r
            grad = np.zeros_like(theta)
            for j, (gram, levels, trace, tj) in enumerate(
                ((gram_s, d.n, tr_ss, ts), (gram_r, d.k, tr_rr, tr))
            ):
                ww = gram[:, 1, 1] - 2.0 * mean * gram[:, 0, 1] + mean * mean * gram[:, 0, 0]
                inner = levels - trace - gram[:, 0, 0] / xhx
                g = 2.0 / tj * (inner - dof * ww / rss)
                grad[:, j] = np.where(tj > 0.0, g, 0.0)
        bad |= ~(rss > 0.0) | ~np.isfinite(crit)
        crit = np.where(bad, np.inf, crit)
        return crit, mean, rss / dof, grad

    def in_ratios(self, gamma: FloatArray, rows: Rows) -> tuple[FloatArray, FloatArray]:
        """Criterion and gradient in the variance ratios (slope at a zero ratio probed)."""
        theta = np.sqrt(np.maximum(gamma, 0.0))
        probe = np.maximum(theta, _PROBE)
        crit, _, _, grad = self.evaluate(theta, rows)
        low = np.any(theta < _PROBE, axis=1)
        if low.any():
            grad[low] = self.evaluate(probe[low], rows[low])[3]
        return crit, grad / (2.0 * probe)


def _kkt_ok(gamma: FloatArray, slope: FloatArray, crit: FloatArray, big_n: int) -> Mask:
    """fit_crossed's convergence rule: first-order conditions within 1e-6 per rating."""
    theta = np.sqrt(np.maximum(gamma, 0.0))
    kkt = np.where(theta > 0.0, np.abs(slope) * np.maximum(theta * theta, 1.0), -slope)
    return np.asarray(np.isfinite(crit) & np.all(kkt <= _KKT * big_n, axis=1))


def _newton_step(bt: _Batch, gamma: FloatArray, grad: FloatArray, rows: Rows
                 ) -> FloatArray:  # fmt: skip
    """Projected Newton direction (bounded coordinates with an outward slope held at 0)."""
    free = (gamma > 0.0) | (grad < 0.0)
    h = np.maximum(1e-6 * gamma, 1e-9)
    hess = np.empty((gamma.shape[0], 2, 2))
    for j in range(2):
        moved = gamma.copy()
        moved[:, j] += h[:, j]
        hess[:, :, j] = (bt.in_ratios(moved, rows)[1] - grad) / h[:, j : j + 1]
    hess = 0.5 * (hess + np.swapaxes(hess, 1, 2))
    pair = free[:, :, None] & free[:, None, :]
    hess = np.where(pair, hess, np.eye(2)[None])
    g = np.where(free, grad, 0.0)
    det = hess[:, 0, 0] * hess[:, 1, 1] - hess[:, 0, 1] ** 2
    convex = (hess[:, 0, 0] > 0) & (det > 0)
    with np.errstate(all="ignore"):
        step = np.stack([hess[:, 1, 1] * g[:, 0] - hess[:, 0, 1] * g[:, 1],
                         hess[:, 0, 0] * g[:, 1] - hess[:, 0, 1] * g[:, 0]], axis=1)  # fmt: skip
        step = step / det[:, None]
        # not convex there: a gradient step scaled by the curvature's size
        scale = np.maximum(np.abs(hess[:, [0, 1], [0, 1]]), 1e-12)
        step = np.where(convex[:, None], step, g / scale)
    return np.asarray(step, dtype=np.float64)


def _minimise(bt: _Batch, start: FloatArray, big_n: int) -> tuple[FloatArray, Mask]:
    """Ratios gamma (B, 2) minimising each data set's criterion, and which converged."""
    bsz = bt.ry.shape[0]
    gamma = np.broadcast_to(start, (bsz, 2)).copy()
    rows = np.arange(bsz)
    crit, grad = bt.in_ratios(gamma, rows)
    done = np.zeros(bsz, dtype=bool)
    for _it in range(_ITERATIONS):
        act = np.nonzero(~done & np.isfinite(crit))[0]
        if act.size == 0:
            break
        step = _newton_step(bt, gamma[act], grad[act], act)
        alpha = np.ones(act.size)
        new_g = np.maximum(gamma[act] - step, 0.0)
        scale = np.maximum(gamma[act].max(axis=1), 1.0)
        # a step at the level of rounding, or a predicted decrease below the criterion's
        # rounding: the optimum is reached as closely as the criterion can tell
        gain = 0.5 * np.abs((step * grad[act]).sum(axis=1))
        settled = (np.abs(new_g - gamma[act]).max(axis=1) <= 1e-10 * scale) | (
            gain <= 1e-16 * np.maximum(np.abs(crit[act]), 1.0)
        )
        new_c, new_grad = bt.in_ratios(new_g, act)
        for _half in range(12):  # backtrack where the criterion rose
            worse = ~(new_c <= crit[act]) & ~settled
            if not worse.any():
                break
            alpha[worse] *= 0.5
            new_g[worse] = np.maximum(gamma[act][worse] - alpha[worse, None] * step[worse], 0.0)
            new_c[worse], new_grad[worse] = bt.in_ratios(new_g[worse], act[worse])
        keep = (new_c <= crit[act]) & ~settled
        gamma[act[keep]], crit[act[keep]], grad[act[keep]] = (
            new_g[keep],
            new_c[keep],
            new_grad[keep],
        )
        done[act] = settled | ~keep | _kkt_tight(gamma[act], grad[act])
    return gamma, _kkt_ok(gamma, grad, crit, big_n)


def _kkt_tight(gamma: FloatArray, grad: FloatArray) -> Mask:
    """First-order conditions well inside the L-BFGS-B refits' (projected gradient 1e-7)."""
    kkt = np.where(gamma > 0.0, np.abs(grad) * np.maximum(gamma, 1.0), -grad)
    return np.asarray(np.all(kkt <= 1e-9, axis=1))


def parametric_bootstrap_batched(
    vc: VarianceComponents, design: CrossedDesign, n_boot: int, seed: int
) -> tuple[FloatArray, int]:
    """As :func:`fidelity.stats.variance.parametric_bootstrap` (same simulated data sets for
    the same ``seed``), with the refits done together in batches."""
    rng = np.random.default_rng(seed)
    n, k = design.n, design.k
    sd = np.sqrt(np.array([vc.subject, vc.rater, vc.error]))
    start = np.asarray(vc.theta, dtype=np.float64) ** 2
    out = np.full((n_boot, 3), np.nan)
    failed = 0
    chunk = max(1, 2**20 // max(n * k, 1))
    for lo in range(0, n_boot, chunk):
        size = min(chunk, n_boot - lo)
        draws = rng.standard_normal((size, n + k + n * k))  # the sequential draws, in order
        y = vc.mean + sd[0] * draws[:, :n, None] + sd[1] * draws[:, None, n : n + k]
        y = y + sd[2] * draws[:, n + k :].reshape(size, n, k)
        bt = _Batch(design, y)
        gamma, ok = _minimise(bt, start, design.big_n)
        rows = np.arange(size)
        _crit, _mean, ve, _ = bt.evaluate(np.sqrt(gamma), rows)
        for b in np.nonzero(~ok)[0]:  # the batch did not settle: the one-at-a-time fit
            y[b][~design.mask] = np.nan
            fit = fit_crossed(y[b], design=design, start=np.sqrt(start), closed_form=False,
                              polish=False)  # fmt: skip
            gamma[b], ve[b], ok[b] = np.array(fit.theta) ** 2, fit.error, fit.converged
        vals = np.stack([gamma[:, 0] * ve, gamma[:, 1] * ve, ve], axis=1)
        out[lo : lo + size] = np.where(ok[:, None], vals, np.nan)
        failed += int((~ok).sum())
    return out, failed
