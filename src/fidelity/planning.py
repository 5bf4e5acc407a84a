"""Planning a reliability study: how many interviews to double-rate (public facade).

Closed forms from :mod:`fidelity.stats.plan` (cited there): :func:`icc_n_precision` (Bonett
2002), :func:`icc_n_assurance` (Zou 2012), :func:`icc_n_test` (Walter, Eliasziw & Donner
1998), :func:`kappa_n_precision` and :func:`kappa_n_test` (Bloch & Kraemer 1989, Cantor
1996), :func:`kappa_n_gof` (Donner & Eliasziw 1992) and the exact checks
:func:`icc_width_probability` and :func:`icc_expected_width`.

:func:`simulate_plan` answers the question for the audit as it will really run: for each
number of sites and share of double-rated interviews it simulates the audit with
:func:`fidelity.simulate.simulate_audit` (the rater noise ``rater_sd`` sets the true
reliability), scores every sheet, and computes each domain's and the overall score's
one-way ICC(1,1) (raters differ between interviews) on the double-rated interviews with its F
interval. It reports the mean ICC, the mean and 80th percentile of the interval's half-width,
and the share of simulated audits whose half-width is at most ``target``;
:func:`plan_replicates` returns the replicates of one option themselves. Replicate ``r`` of
option ``o`` draws from ``SeedSequence(seed).spawn`` so that the table is the same whatever
the number of ``processes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from fidelity.ratings.compiled import compile_instrument
from fidelity.scoring import score_values
from fidelity.simulate import simulate_audit
from fidelity.stats.icc import icc
from fidelity.stats.plan import (
    icc_expected_width,
    icc_n_assurance,
    icc_n_precision,
    icc_n_test,
    icc_width_probability,
    kappa_n_gof,
    kappa_n_precision,
    kappa_n_test,
    kappa_variance,
)

if TYPE_CHECKING:
    import pandas as pd

    from fidelity.instrument import Instrument

__all__ = [
    "PLAN_COLUMNS",
    "icc_expected_width",
    "icc_n_assurance",
    "icc_n_precision",
    "icc_n_test",
    "icc_width_probability",
    "kappa_n_gof",
    "kappa_n_precision",
    "kappa_n_test",
    "kappa_variance",
    "plan_replicates",
    "plan_summary",
    "simulate_plan",
]

PLAN_COLUMNS = (
    "n_sites",
    "double_rated",
    "score",
    "n_double",
    "n_pairs",
    "icc",
    "half_width",
    "half_width_80",
    "p_target",
    "n_defined",
    "item_reliability",
)
"""Columns of :func:`simulate_plan`'s table; ``score`` is a domain id or ``overall``,
``n_double`` the mean number of double-rated interviews, ``n_pairs`` the mean number of them
with the score from both raters (a domain or overall score is missing where too few items are
answered, see :mod:`fidelity.scoring`), ``n_defined`` the replicates whose
interval was defined, ``item_reliability`` the mean single-rater reliability of one item on
the simulator's latent scale (:meth:`fidelity.simulate.SimulatedAudit.expected_icc`), the true
reliability that the simulation's rater noise states."""


def _one_option(
    inst: Instrument, n_sites: int, share: float, seeds: list[int], kwargs: dict[str, Any]
) -> dict[str, NDArray[np.float64]]:
    """ICC, interval limits and half-width of every score in every replicate of one option."""
    c = compile_instrument(inst)
    names = [*c.domain_ids, "overall"]
    est = np.full((len(seeds), len(names)), np.nan)
    lo, hi = np.full_like(est, np.nan), np.full_like(est, np.nan)
    pairs = np.zeros_like(est)
    n_double = np.zeros(len(seeds))
    item_rel = np.zeros(len(seeds))
    for r, seed in enumerate(seeds):
        sim = simulate_audit(inst, n_sites, double_rated=share, seed=seed, consensus=0, **kwargs)
        domains, overall = score_values(c, sim.values)
        scores = np.column_stack([domains, overall])
        rated = np.flatnonzero(sim.double_rated)
        n_double[r] = rated.size
        item_rel[r] = sim.expected_icc()
        for j in range(len(names)):
            x = np.full((rated.size, 2), np.nan)
            for i, a in enumerate(rated):
                x[i] = scores[sim.sheet_assessment == a, j][:2]
            e = icc(x, form="ICC(1,1)")
            est[r, j] = e.value
            pairs[r, j] = e.n_subjects
            if e.ci is not None:
                lo[r, j], hi[r, j] = e.ci
    return {
        "icc": est,
        "lower": lo,
        "upper": hi,
        "half": (hi - lo) / 2,
        "n_double": n_double,
        "pairs": pairs,
        "rel": item_rel,
    }


def _option_seeds(seed: int, n_options: int, n_reps: int) -> list[list[int]]:
    """The replicate seeds of every option: option ``o`` draws from the ``o``-th child of
    ``SeedSequence(seed)``, so its replicates do not depend on the other options."""
    spawned = np.random.SeedSequence(seed).spawn(n_options)
    return [[int(v) for v in ss.generate_state(n_reps)] for ss in spawned]


def simulate_plan(
    inst: Instrument,
    sites: Sequence[int] = (12, 24, 36),
    double_rated: Sequence[float] = (0.25, 1 / 3, 0.5),
    *,
    target: float = 0.2,
    n_reps: int = 100,
    seed: int = 20240601,
    processes: int = 1,
    **audit: Any,
) -> pd.DataFrame:
    """Expected interval half-width of each score's ICC for every design option, by
    simulating the audit (see the module docstring). ``audit`` passes keyword arguments on to
    :func:`~fidelity.simulate.simulate_audit` (``rater_sd``, ``site_sd``, ``informants``...).

    Example:
        >>> import fidelity
        >>> from fidelity.planning import simulate_plan
        >>> inst = fidelity.load_instrument("enrich-peer-support@1.1.0")
        >>> t = simulate_plan(inst, sites=[12], double_rated=[0.5], n_reps=4, seed=1)
        >>> list(t["score"])[-1], int(t["n_double"].iloc[0])
        ('overall', 18)
    """
    import pandas as pd

    if n_reps < 2:
        raise ValueError(f"n_reps must be at least 2, not {n_reps}")
    options = [(int(s), float(d)) for s in sites for d in double_rated]
    seeds = _option_seeds(seed, len(options), n_reps)
    jobs = [(inst, s, d, sd, audit) for (s, d), sd in zip(options, seeds, strict=True)]
    if processes > 1:
        with ProcessPoolExecutor(max_workers=processes) as pool:
            results = list(pool.map(_one_option, *zip(*jobs, strict=True)))
    else:
        results = [_one_option(*job) for job in jobs]
    names = [*compile_instrument(inst).domain_ids, "overall"]
    rows = []
    for (s, d), res in zip(options, results, strict=True):
        for j, name in enumerate(names):
            h = res["half"][:, j]
            ok = h[~np.isnan(h)]
            rows.append(
                {
                    "n_sites": s,
                    "double_rated": d,
                    "score": name,
                    "n_double": float(res["n_double"].mean()),
                    "n_pairs": float(res["pairs"][:, j].mean()),
                    "icc": float(np.nanmean(res["icc"][:, j])),
                    "half_width": float(ok.mean()) if ok.size else np.nan,
                    "half_width_80": float(np.quantile(ok, 0.8)) if ok.size else np.nan,
                    "p_target": float(np.mean(h <= target)),
                    "n_defined": int(ok.size),
                    "item_reliability": float(res["rel"].mean()),
                }
            )
    return pd.DataFrame(rows, columns=list(PLAN_COLUMNS))


def plan_replicates(
    inst: Instrument,
    n_sites: int,
    double_rated: float,
    *,
    n_reps: int = 100,
    seed: int = 20240601,
    **audit: Any,
) -> pd.DataFrame:
    """Every simulated audit behind one design option of :func:`simulate_plan`: one row per
    replicate and score with the ICC(1,1), its F interval (``lower``, ``upper``; NaN where
    undefined) and the number of interviews with both scores (``n_pairs``). With the same
    ``seed`` and ``n_reps`` these are the replicates that ``simulate_plan(inst, [n_sites],
    [double_rated])`` summarises, so its claims can be checked against a known true ICC.

    Example:
        >>> import fidelity
        >>> inst = fidelity.load_instrument("enrich-peer-support@1.1.0")
        >>> r = plan_replicates(inst, 12, 0.5, n_reps=3, seed=1)
        >>> list(r.columns), len(r)
        (['replicate', 'score', 'n_pairs', 'icc', 'lower', 'upper'], 18)
    """
    import pandas as pd

    if n_reps < 1:
        raise ValueError(f"n_reps must be at least 1, not {n_reps}")
    res = _one_option(
        inst, int(n_sites), float(double_rated), _option_seeds(seed, 1, n_reps)[0], audit
    )
    names = [*compile_instrument(inst).domain_ids, "overall"]
    return pd.DataFrame(
        {
            "replicate": np.repeat(np.arange(n_reps), len(names)),
            "score": names * n_reps,
            "n_pairs": res["pairs"].ravel().astype(int),
            "icc": res["icc"].ravel(),
            "lower": res["lower"].ravel(),
            "upper": res["upper"].ravel(),
        }
    )


def plan_summary(table: pd.DataFrame, score: str = "overall") -> list[str]:
    """One line per design option for ``score``, e.g. ``24 sites, 1/3 double-rated (~24
    interviews, ~24 with both trusting-relationships scores): ICC 0.81, half-width 0.13 (80% <=
    0.16)``."""
    from fractions import Fraction

    lines = []
    for r in table[table["score"] == score].itertuples(index=False):
        share = Fraction(float(str(r.double_rated))).limit_denominator(12)
        lines.append(
            f"{r.n_sites} sites, {share} double-rated (~{r.n_double:.0f} interviews, "
            f"~{r.n_pairs:.0f} with both {score} scores): "
            f"ICC {r.icc:.2f}, half-width {r.half_width:.2f} "
            f"(80% <= {r.half_width_80:.2f})"
        )
    return lines
