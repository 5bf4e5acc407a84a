"""Internal consistency, item–total statistics and item spread (public facade over
:mod:`fidelity.stats.consistency`, :mod:`fidelity.stats.omega` and
:mod:`fidelity.stats.polychoric`).

``items`` is a subjects × items array-like (``NaN`` = missing) or a wide ``pandas.DataFrame``
whose columns are items (column names are used as item names).

* :func:`cronbach_alpha` -- Cronbach's alpha (Cronbach 1951, doi:10.1007/BF02310555) with the
  Feldt CI (Feldt 1965, doi:10.1007/BF02289703), standardized alpha, alpha if item deleted and
  corrected item–total correlations.
* :func:`omega_total` -- McDonald's omega (total) from a one-factor minres or maximum-likelihood
  model, as ``psych::omega(x, nfactors = 1)``, with a seeded percentile-bootstrap CI.
* :func:`ordinal_alpha`, :func:`polychoric` -- alpha of the polychoric correlations (Zumbo,
  Gadermann & Zeisser 2007, doi:10.22237/jmasm/1177992180), and those correlations with their
  thresholds, as ``psych::polychoric``.
* :func:`item_total_statistics` -- the per-item part of the above as a table.
* :func:`item_spread` -- share of answers at every level of the full scale, floor and ceiling
  shares, unused levels, and flags against commonly used criteria.
"""

from fidelity.stats.consistency import (
    FLOOR_CEILING_THRESHOLD,
    MIN_ITEM_TOTAL_R,
    ItemSpread,
    cronbach_alpha,
    item_spread,
    item_total_statistics,
)
from fidelity.stats.omega import omega_total
from fidelity.stats.polychoric import Polychoric, ordinal_alpha, polychoric

__all__ = [
    "FLOOR_CEILING_THRESHOLD",
    "MIN_ITEM_TOTAL_R",
    "ItemSpread",
    "Polychoric",
    "cronbach_alpha",
    "item_spread",
    "item_total_statistics",
    "omega_total",
    "ordinal_alpha",
    "polychoric",
]
