"""The audit G-study (REML variance components of sites, informant types, interviews, raters)
against a statsmodels MixedLM baseline, and the generic REML engine on complete subjects ×
raters data against pingouin and the specialised two-way REML.

Cases (seeded):

1. audit design at 100, 1,000 and 10,000 interviews (the rated units; about 7.5 interviews
   per site: three informant types, one to four interviews each; 30% of interviews rated
   twice by a pool of 20 raters): ``site_g_study`` with and without the standard errors vs
   ``statsmodels`` ``MixedLM`` fitted by REML with one variance component per term (one group
   holding every rating, ``vc_formula`` per term), the faithful general-purpose baseline. It
   builds dense design matrices, so it runs only up to ``STATSMODELS_MAX_N`` interviews
   (larger sizes are reported as skipped); the largest absolute difference of the variance
   components is shown beside the times;
2. complete subjects × 10 raters at 100, 1,000 and 10,000 subjects: the generic engine
   (``fidelity.stats.mixed.fit_components`` with terms subject and rater, no standard errors)
   vs ``pingouin.intraclass_corr`` (ANOVA; its long table built outside the timing) and vs
   the specialised crossed REML (``fidelity.reliability.variance_components``); ICC(A,1)
   from the generic components is checked against pingouin's ICC(A,1).

Times are the best of a few repeats (``time.perf_counter``); ratio = peer time / our time.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._timing import best_time
from fidelity import reliability as rel
from fidelity.stats.mixed import fit_components, term_codes
from fidelity.stats.site_gstudy import site_g_study

SEED = 12_031
SIZES = (100, 1_000, 10_000)
STATSMODELS_MAX_N = 1_000
SD = {"site": 0.5, "informant": 0.3, "site:informant": 0.25, "interview": 0.4, "rater": 0.3,
      "residual": 0.35}  # fmt: skip
TERMS = ("site", "informant", "site:informant", "interview", "rater")


def audit(n_interviews: int, seed: int = SEED) -> pd.DataFrame:
    """A seeded audit with about ``n_interviews`` interviews, one row per rating."""
    rng = np.random.default_rng(seed)
    per = rng.integers(1, 5, size=(n_interviews, 3))  # interviews per site and informant
    total = np.cumsum(per.sum(axis=1))
    n_sites = int(np.searchsorted(total, n_interviews)) + 1
    site = np.repeat(np.arange(n_sites), per[:n_sites].sum(axis=1))
    inf = np.concatenate([np.repeat(np.arange(3), p) for p in per[:n_sites]])
    m = site.size
    effects = {k: rng.normal(0, v, 3 * n_sites + m + 20) for k, v in SD.items()}
    true = 3 + effects["site"][site] + effects["informant"][inf]
    true += effects["site:informant"][3 * site + inf] + effects["interview"][:m]
    twice = rng.random(m) < 0.3
    rows = np.concatenate([np.arange(m), np.flatnonzero(twice)])
    first = rng.integers(0, 20, m)
    second = (first[twice] + rng.integers(1, 20, int(twice.sum()))) % 20
    rater = np.concatenate([first, second])
    score = true[rows] + effects["rater"][rater] + rng.normal(0, SD["residual"], rows.size)
    return pd.DataFrame({
        "site": site[rows].astype(str), "informant": inf[rows].astype(str),
        "interview": rows.astype(str), "rater": rater.astype(str), "score": score,
    })  # fmt: skip


def _statsmodels(d: pd.DataFrame) -> dict[str, float]:
    import statsmodels.formula.api as smf

    long = d.assign(si=d["site"] + ":" + d["informant"], g=0)
    vc = {"site": "0 + C(site)", "informant": "0 + C(informant)", "site:informant": "0 + C(si)",
          "interview": "0 + C(interview)", "rater": "0 + C(rater)"}  # fmt: skip
    model = smf.mixedlm("score ~ 1", long, groups="g", re_formula="0", vc_formula=vc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(reml=True)
    out = dict(zip(model.exog_vc.names, (float(v) for v in fit.vcomp), strict=True))
    return {**out, "residual": float(fit.scale)}


def _audit_rows(rows: list[dict[str, Any]]) -> None:
    print(f"{'interviews':>10} {'ratings':>8} {'ours (s)':>9} {'+SE (s)':>8} "
          f"{'statsmodels (s)':>16} {'ratio':>7} {'max |dvc|':>10}")  # fmt: skip
    for n in SIZES:
        d = audit(n)
        if n <= 1_000:
            ours = best_time(lambda d=d: site_g_study(d, se=False), budget=1.0, repeats=3)
        else:  # one run: a fit takes seconds
            start = time.perf_counter()
            site_g_study(d, se=False)
            ours = time.perf_counter() - start
        start = time.perf_counter()
        g = site_g_study(d)
        with_se = time.perf_counter() - start
        row: dict[str, Any] = {"n_interviews": n, "n_ratings": len(d), "ours_s": ours,
                               "ours_with_se_s": with_se, "converged": g.converged}  # fmt: skip
        line = f"{n:>10} {len(d):>8} {ours:>9.3f} {with_se:>8.3f}"
        if n <= STATSMODELS_MAX_N:
            start = time.perf_counter()
            sm = _statsmodels(d)
            row["statsmodels_s"] = time.perf_counter() - start
            row["ratio"] = row["statsmodels_s"] / ours
            v = g.variances()
            row["max_abs_diff"] = max(abs(v[k] - sm[k]) for k in (*TERMS, "residual"))
            line += (f" {row['statsmodels_s']:>16.2f} {row['ratio']:>7.1f} "
                     f"{row['max_abs_diff']:>10.1e}")  # fmt: skip
        else:
            row["statsmodels_s"] = None
            line += f" {'skipped':>16}"
        print(line)
        rows.append(row)


def _complete(n: int, k: int = 10, seed: int = SEED) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 3 + rng.normal(0, 1, (n, 1)) + rng.normal(0, 0.6, (1, k)) + rng.normal(0, 0.8, (n, k))


def _complete_rows(rows: list[dict[str, Any]]) -> None:
    import pingouin as pg

    print(f"{'subjects':>8} {'generic (s)':>12} {'pingouin (s)':>13} {'ratio':>7} "
          f"{'crossed REML (s)':>17} {'|dICC|':>8}")  # fmt: skip
    for n in SIZES:
        x = _complete(n)
        i, j = np.nonzero(np.ones_like(x, dtype=bool))
        long = pd.DataFrame({"subject": i, "rater": j, "rating": x[i, j]})
        terms = [term_codes("subject", i), term_codes("rater", j)]
        y = x[i, j]
        ours = best_time(
            lambda y=y, terms=terms: fit_components(y, terms, se=False), budget=1.0, repeats=3
        )
        peer = best_time(
            lambda long=long: pg.intraclass_corr(
                long, targets="subject", raters="rater", ratings="rating"
            ),
            budget=1.0,
            repeats=3,
        )
        special = best_time(lambda x=x: rel.variance_components(x), budget=1.0, repeats=3)
        fit = fit_components(y, terms, se=False)
        vs, vr = fit.variances
        icc_a1 = vs / (vs + vr + fit.error)
        table = pg.intraclass_corr(long, targets="subject", raters="rater", ratings="rating")
        icc2 = float(table.set_index("Type").loc["ICC(A,1)", "ICC"])
        rows.append({"n": n, "generic_s": ours, "pingouin_s": peer, "ratio": peer / ours,
                     "crossed_reml_s": special, "abs_diff_icc_a1": abs(icc_a1 - icc2)})  # fmt: skip
        print(f"{n:>8} {ours:>12.4f} {peer:>13.4f} {peer / ours:>7.2f} {special:>17.4f} "
              f"{abs(icc_a1 - icc2):>8.1e}")  # fmt: skip


def main() -> dict[str, Any]:
    audit_rows: list[dict[str, Any]] = []
    _audit_rows(audit_rows)
    complete: list[dict[str, Any]] = []
    _complete_rows(complete)
    return {"audit": audit_rows, "complete": complete}
