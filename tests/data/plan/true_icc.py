"""The true one-way ICC of every ENRICH 1.1.0 score under the bundled simulator, for the
planning coverage test (``tests/workflow/test_plan_coverage.py``).

The simulator has no closed form for the ICC of a domain *score* (items are rounded to
levels, clipped to the scale, some are NA or missing, informants are asked different items),
so it is estimated once from very large audits: every interview double-rated by two
different raters, ``N_SITES`` sites per audit, the simulator's defaults but for the rater
noise and the informants of each of ``SETTINGS``, ``N_AUDITS`` audits with their own seeds (and
so their own item offsets); the ICC(1,1) of each audit's score pairs, averaged over the
audits, with the standard error of that mean. Run from the repository root::

    python tests/data/plan/true_icc.py

It rewrites ``true_icc.json`` beside it (a few seconds).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import fidelity
from fidelity.ratings.compiled import compile_instrument
from fidelity.scoring import score_values
from fidelity.simulate import simulate_audit
from fidelity.stats.icc import icc

SPEC = "enrich-peer-support@1.1.0"
SETTINGS: tuple[tuple[float, tuple[str, ...] | None], ...] = (
    (0.5, None),  # every informant, the default audit
    (1.0, None),
    (0.5, ("peer-worker",)),  # one interview per site: the one-way model's independence holds
)
N_SITES = 5000
N_AUDITS = 40
SEED = 7001


def true_icc(rater_sd: float, informants: tuple[str, ...] | None) -> dict[str, dict[str, float]]:
    """Mean and standard error over the audits of each score's large-sample ICC(1,1)."""
    inst = fidelity.load_instrument(SPEC)
    c = compile_instrument(inst)
    names = [*c.domain_ids, "overall"]
    est = np.zeros((N_AUDITS, len(names)))
    for r in range(N_AUDITS):
        sim = simulate_audit(
            inst,
            N_SITES,
            informants=informants,
            double_rated=1.0,
            consensus=0,
            seed=SEED + r,
            rater_sd=rater_sd,
        )
        domains, overall = score_values(c, sim.values)
        # sheets come in pairs (first and second rater of each interview)
        pairs = np.column_stack([domains, overall]).reshape(-1, 2, len(names))
        est[r] = [icc(pairs[:, :, j], form="ICC(1,1)").value for j in range(len(names))]
    mean, se = est.mean(axis=0), est.std(axis=0, ddof=1) / np.sqrt(N_AUDITS)
    return {
        n: {"icc": round(float(m), 4), "se": round(float(s), 5)}
        for n, m, s in zip(names, mean, se, strict=True)
    }


def main() -> None:
    out = {
        "instrument": SPEC,
        "n_sites": N_SITES,
        "n_audits": N_AUDITS,
        "seed": SEED,
        "settings": [
            {"rater_sd": sd, "informants": inf, "icc": true_icc(sd, inf)} for sd, inf in SETTINGS
        ],
    }
    path = Path(__file__).with_suffix(".json")
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
