"""The per-assessment and per-site tables of a :class:`~fidelity.scoring.ScoreResult`, built
from its arrays with one grouping of the sheets.

The sheets are grouped once (by assessment, and round when sheets name one), every sheet
tagged with its group's number; counts, first values and the consensus sheet's scores are
then numpy operations on those numbers. Means, standard deviations, minima and maxima are
left to pandas' grouped reductions (on the group numbers), so that every number is the one
those reductions give, to the last bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import pandas as pd

NO_SITE = "(no site)"
"""The site of sheets that name none, in the per-site tables."""
SITE_STATS = ("count", "mean", "std", "min", "max")


def assessment_table(
    keys: dict[str, NDArray[Any]],
    scores: NDArray[np.float64],
    consensus: NDArray[np.bool_],
    site: NDArray[Any],
    informant: NDArray[Any],
    decimals: int,
) -> tuple[dict[str, Any], NDArray[np.float64]]:
    """The columns of the per-assessment table but its band, and the assessments' scores
    (``scores``: one row per sheet, one column per score): per group of ``keys``, the first
    site and informant named, the basis, the number of sheets and the consensus sheet's scores
    (the first one's) or the mean of the raters' scores, rounded to ``decimals`` places."""
    group, table = assessment_groups(keys)
    n = len(next(iter(table.values())))
    means = grouped_means(scores, group)
    cons = np.flatnonzero(consensus)
    _, first = np.unique(group[cons], return_index=True)
    means[group[cons[first]]] = scores[cons[first]]
    has_consensus = np.zeros(n, dtype=bool)
    has_consensus[group[cons]] = True
    table["site"] = first_present(site, group, n)
    table["informant"] = first_present(informant, group, n)
    table["basis"] = basis_labels(np.bincount(group[~consensus], minlength=n), has_consensus)
    table["n_sheets"] = np.bincount(group, minlength=n).astype(np.int64)
    return table, np.round(means, decimals)


def assessment_groups(
    keys: dict[str, NDArray[Any]],
) -> tuple[NDArray[np.intp], dict[str, NDArray[Any]]]:
    """Every sheet's group number (groups in order of their first sheet; a missing key is a
    group of its own) and the groups' keys, one per group, as object columns."""
    import pandas as pd

    if len(keys) == 1:
        ((name, values),) = keys.items()
        if not pd.isna(values).any():  # one key, never missing: factorized directly
            number, uniques = pd.factorize(values)
            return number.astype(np.intp), {name: np.asarray(uniques, dtype=object)}
    groups = pd.DataFrame(keys).groupby(list(keys), sort=False, dropna=False)
    number = np.asarray(groups.ngroup(), dtype=np.intp)
    index = groups.size().index.to_frame(index=False).astype(object)
    return number, {name: index[name].to_numpy(dtype=object) for name in keys}


def site_codes(sites: NDArray[Any]) -> tuple[NDArray[np.intp], NDArray[Any]]:
    """Every row's site number and the sites in order (sheets without one as
    :data:`NO_SITE`), as pandas' sorted grouping orders them."""
    import pandas as pd

    named = np.where(pd.isna(sites), NO_SITE, sites).astype(object)
    number, uniques = pd.factorize(named, sort=True)
    return number.astype(np.intp), np.asarray(uniques, dtype=object)


def first_present(values: NDArray[Any], group: NDArray[np.intp], n: int) -> NDArray[Any]:
    """Per group, the value of its first sheet that has one (``None`` where none has), as
    pandas' grouped ``first`` gives it."""
    import pandas as pd

    out = np.full(n, None, dtype=object)
    rows = np.flatnonzero(~pd.isna(values))[::-1]
    first = np.full(n, -1, dtype=np.intp)
    first[group[rows]] = rows  # the last assignment wins: the first row of each group
    found = first >= 0
    out[found] = values[first[found]]
    return out


def grouped_means(values: NDArray[np.float64], group: NDArray[np.intp]) -> NDArray[np.float64]:
    """Per group (rows 0..n-1), the mean of each column over the group's rows, NaN left out."""
    import pandas as pd

    means: NDArray[np.float64] = (
        pd.DataFrame(values).groupby(group, sort=True).mean().to_numpy(dtype=float)
    )
    return means


def basis_labels(n_raters: NDArray[np.int64], consensus: NDArray[np.bool_]) -> NDArray[Any]:
    """``consensus``, ``single rating`` or ``mean of N raters`` per assessment."""
    counts, at = np.unique(n_raters, return_inverse=True)
    labels = ["single rating" if k <= 1 else f"mean of {k} raters" for k in counts.tolist()]
    basis: NDArray[Any] = np.array(labels, dtype=object)[at]
    basis[consensus] = "consensus"
    return basis


def site_spread(
    per: pd.DataFrame,
    cols: Sequence[str],
    decimals: int,
    codes: tuple[NDArray[np.intp], NDArray[Any]],
) -> pd.DataFrame:
    """Per site (sorted) and score (in ``cols`` order): n, mean, SD, min and max over the
    site's rows of ``per``, rounded to ``decimals`` places (``codes``: :func:`site_codes` of
    ``per``'s sites)."""
    import pandas as pd

    number, sites = codes
    grouped = per[list(cols)].astype(float).groupby(number, sort=True)
    # each statistic over every score at once (one pass each, not one per score and statistic)
    found = [getattr(grouped, stat)().to_numpy(dtype=float) for stat in SITE_STATS]
    n_sites = len(found[0])
    values = np.stack(found, axis=-1).reshape(n_sites * len(cols), len(SITE_STATS))
    data: dict[str, Any] = {
        "site": np.repeat(sites, len(cols)),
        "score": np.tile(np.array(list(cols), dtype=object), n_sites),
        "n": values[:, 0].astype(int),
    }
    for k, name in enumerate(("mean", "sd", "min", "max"), start=1):
        data[name] = np.round(values[:, k], decimals)
    return pd.DataFrame(data)


def informant_lists(site: NDArray[np.intp], informants: NDArray[Any], n_sites: int) -> NDArray[Any]:
    """Per site number, the informants of its interviews, sorted and joined by commas
    (``site`` and ``informants`` one per interview; missing informants left out)."""
    import pandas as pd

    present = ~pd.isna(informants)
    number, found = pd.factorize(informants[present])
    kinds, at = np.unique(
        np.array([str(v) for v in found.tolist()], dtype=object), return_inverse=True
    )
    kind = at[number] if len(number) else number  # text sorted as Python sorts it
    sets = np.zeros(n_sites, dtype=object)  # per site, a set of informants as the bits of an int
    if len(kinds) < 63:
        bits = np.zeros(n_sites, dtype=np.int64)
        np.bitwise_or.at(bits, site[present], np.left_shift(1, kind.astype(np.int64)))
        sets = bits.astype(object)
    else:
        for s, k in zip(site[present].tolist(), kind.tolist(), strict=True):
            sets[s] |= 1 << k
    words = kinds.tolist()
    distinct, where = np.unique(sets, return_inverse=True)
    labels = [", ".join(w for b, w in enumerate(words) if int(mask) >> b & 1) for mask in distinct]
    out: NDArray[Any] = np.array(labels, dtype=object)[where]
    return out
