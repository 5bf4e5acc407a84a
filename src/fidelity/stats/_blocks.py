"""Block elimination of ``M = I + Lambda Z'Z Lambda`` for random-intercept designs: its log
determinant, solves, and the traces of the diagonal blocks of ``M^-1`` that the REML gradient
needs, without forming ``M^-1``.

Levels are eliminated one term at a time, the term with most levels first, for as long as the
term's block of the current Schur complement is diagonal (it is for the first term, and stays
so for terms nested in one another, such as interviews in site × informant in sites); the
rest is factorised densely. The traces come from the inverse's entries on the pattern of each
Schur complement only (Takahashi, Fagan & Chin 1973; Erisman & Tinney 1975,
doi:10.1145/360680.360704): with ``M_t = [[D, C], [C', R]]`` and ``Z = M_(t+1)^-1``,
``diag((M_t^-1)_DD) = 1/D + diag(C Z C') / D**2`` and ``(M_t^-1)_DR = -D^-1 C Z``, and
``C Z C'`` on its diagonal needs ``Z`` only where ``C'C`` is non-zero, inside the pattern of
``M_(t+1)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Eliminated", "eliminate"]

FloatArray = NDArray[np.float64]


@dataclass
class _Step:
    d: FloatArray  # the diagonal block
    c: Any  # sparse coupling to the rest (n_block x n_rest)
    size: int


@dataclass
class Eliminated:
    """The factorisation: ``steps`` of diagonal eliminations, then a dense Cholesky factor."""

    steps: list[_Step]
    chol: FloatArray
    logdet: float

    def solve(self, b: FloatArray) -> FloatArray:
        """``M^-1 b`` (``b`` has one row per level, in elimination order)."""
        from scipy import linalg

        parts = []
        rest = b
        for s in self.steps:
            head, rest = rest[: s.size], rest[s.size :]
            parts.append(head)
            rest = rest - s.c.T @ (head / s.d[:, None])
        out = linalg.cho_solve((self.chol, True), rest) if rest.shape[0] else rest
        for s, head in zip(reversed(self.steps), reversed(parts), strict=True):
            out = np.vstack([(head - s.c @ out) / s.d[:, None], out])
        return np.asarray(out, dtype=np.float64)

    def inverse_diagonal(self) -> FloatArray:
        """The diagonal of ``M^-1``, in elimination order."""
        from scipy import linalg, sparse

        n_last = self.chol.shape[0]
        z_dense = (
            linalg.cho_solve((self.chol, True), np.eye(n_last)) if n_last else np.zeros((0, 0))
        )
        z = sparse.csr_matrix(z_dense)
        diags = [np.diag(z_dense)]
        for k in range(len(self.steps) - 1, -1, -1):
            s = self.steps[k]
            diag, off = _level(s, z)
            diags.append(diag)
            if k:  # the inverse on this level's pattern, for the level before it
                z = sparse.bmat([[sparse.diags(diag), off], [off.T, z]], format="csr")
        return np.concatenate(list(reversed(diags)))


def _level(s: _Step, z: Any) -> tuple[FloatArray, Any]:
    """The diagonal of the inverse's block of this level, ``1/D + diag(C Z C') / D**2``, and
    its coupling block ``-D^-1 C Z`` on the pattern of ``C``, from the triples ``(i, k, j)``
    with ``k`` and ``j`` in the pattern of row ``i`` of ``C`` (so ``Z`` is read only on the
    pattern of ``C'C``)."""
    from scipy import sparse

    c = s.c.tocsr()
    c.sort_indices()
    n_rest = c.shape[1]
    p = np.diff(c.indptr)
    sq = p * p
    total = int(sq.sum())
    row = np.repeat(np.arange(c.shape[0]), sq)
    t = np.arange(total) - np.repeat(np.cumsum(sq) - sq, sq)
    width = np.repeat(p, sq)
    a = c.indptr[row] + t // np.maximum(width, 1)
    b = c.indptr[row] + t % np.maximum(width, 1)
    kk, jj = c.indices[a], c.indices[b]
    zc = z.tocoo()
    keys = zc.row.astype(np.int64) * n_rest + zc.col
    order = np.argsort(keys)
    keys, zval = keys[order], zc.data[order]
    want = kk.astype(np.int64) * n_rest + jj
    pos = np.minimum(np.searchsorted(keys, want), max(keys.size - 1, 0))
    zkj = np.where(keys[pos] == want, zval[pos], 0.0) if keys.size else np.zeros(total)
    prod = c.data[a] * zkj  # C_ik Z_kj
    inner = np.bincount(row, weights=prod * c.data[b], minlength=c.shape[0])
    diag = 1.0 / s.d + inner / (s.d * s.d)
    off = sparse.csr_matrix(
        (-prod / s.d[row], (row, jj)), shape=(c.shape[0], n_rest)
    )  # duplicates (over k) are summed
    return diag, off


def eliminate(m: Any, blocks: list[int]) -> Eliminated | None:
    """Factorise the sparse symmetric positive definite ``m`` whose levels come in ``blocks``
    (sizes, most levels first); ``None`` when it is not positive definite in floating point."""
    from scipy import sparse

    steps: list[_Step] = []
    cur = sparse.csr_matrix(m)
    logdet = 0.0
    for size in blocks[:-1]:
        head = cur[:size, :size]
        if head.nnz != int(np.count_nonzero(head.diagonal())) or cur.shape[0] - size <= 0:
            break
        d = head.diagonal().astype(np.float64)
        if np.any(d <= 0.0):
            return None
        c = cur[:size, size:].tocsr()
        rest = cur[size:, size:]
        cur = (rest - c.T @ sparse.diags(1.0 / d) @ c).tocsr()
        logdet += float(np.log(d).sum())
        steps.append(_Step(d, c, size))
    dense = cur.toarray()
    try:
        chol = np.linalg.cholesky(dense) if dense.size else np.zeros((0, 0))
    except np.linalg.LinAlgError:
        return None
    logdet += 2.0 * float(np.log(np.diag(chol)).sum()) if dense.size else 0.0
    if not math.isfinite(logdet):
        return None
    return Eliminated(steps, chol, logdet)
