"""Internal consistency, item–total statistics and item spread (public facade over
:mod:`fidelity.stats.consistency`).

``items`` is a subjects × items array-like (``NaN`` = missing) or a wide ``pandas.DataFrame``
whose columns are items (column names are used as item names).

* :func:`cronbach_alpha` -- Cronbach's alpha (Cronbach 1951, doi:10.1007/BF02310555) with the
  Feldt CI (Feldt 1965, doi:10.1007/BF02289703), standardized alpha, alpha if item deleted and
  corrected item–total correlations.
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

__all__ = [
    "FLOOR_CEILING_THRESHOLD",
    "MIN_ITEM_TOTAL_R",
    "ItemSpread",
    "cronbach_alpha",
    "item_spread",
    "item_total_statistics",
]
