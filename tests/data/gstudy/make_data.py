"""Regenerate the input data sets of the audit G-study oracle (run from the repository root):
``python tests/data/gstudy/make_data.py``; then ``Rscript tests/data/gstudy/make_reference.R``.

``brennan_synth4.csv`` is Brennan (2001), *Generalizability Theory*, Springer,
doi:10.1007/978-1-4757-3456-0, Synthetic Data Set No. 4 (Table 3.2, p. 73): 10 persons,
3 tasks, 4 raters nested in each task (p × (r:t)). The ``audit_*`` files are seeded synthetic
audits: sites, informant types, interviews nested in site × informant × round, a shared pool of
raters and some interviews rated twice.
"""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path("tests/data/gstudy")

# Brennan (2001), Table 3.2: rows are persons, columns raters 1-12 (raters 1-4 rate task 1,
# 5-8 task 2, 9-12 task 3)
BRENNAN_SYNTH4 = [
    [5, 6, 5, 5, 5, 3, 4, 5, 6, 7, 3, 3],
    [9, 3, 7, 7, 7, 5, 5, 5, 7, 7, 5, 2],
    [3, 4, 3, 3, 5, 3, 3, 5, 6, 5, 1, 6],
    [7, 5, 5, 3, 3, 1, 4, 3, 5, 3, 3, 5],
    [9, 2, 9, 7, 7, 7, 3, 7, 2, 7, 5, 3],
    [3, 4, 3, 5, 3, 3, 6, 3, 4, 5, 1, 2],
    [7, 3, 7, 7, 7, 5, 5, 7, 5, 5, 5, 4],
    [5, 8, 5, 7, 7, 5, 5, 4, 3, 2, 1, 1],
    [9, 9, 8, 8, 6, 6, 6, 5, 5, 8, 1, 1],
    [4, 4, 4, 3, 3, 5, 6, 5, 5, 7, 1, 1],
]


def brennan() -> pd.DataFrame:
    rows = [
        {"p": p + 1, "t": r // 4 + 1, "r": r + 1, "y": v}
        for p, vals in enumerate(BRENNAN_SYNTH4)
        for r, v in enumerate(vals)
    ]
    return pd.DataFrame(rows)


def audit(
    rng: np.random.Generator,
    n_sites: int,
    rounds: int,
    n_raters: int,
    double: float,
    sd: dict[str, float],
) -> pd.DataFrame:
    """One rating per row: site, informant, round, interview, rater, score."""
    informants = ["staff", "manager", "service-user"]
    rows = []
    u = {k: rng.normal(0, v, 3 * 2 * n_sites) for k, v in sd.items()}
    rater_effect = rng.normal(0, sd["rater"], n_raters)
    iv = 0
    for s in range(n_sites):
        for o in range(rounds):
            for fi, f in enumerate(informants):
                for _ in range(int(rng.integers(1, 5))):
                    iv += 1
                    true = 3 + u["site"][s] + u["informant"][fi]
                    true += u["site:informant"][s * 3 + fi] + u["site:round"][s * rounds + o]
                    true += 0.3 * o + rng.normal(0, sd["interview"])
                    k = 2 if rng.random() < double else 1
                    for r in rng.choice(n_raters, size=k, replace=False):
                        y = true + rater_effect[r] + rng.normal(0, sd["residual"])
                        rows.append(
                            {
                                "site": f"S{s + 1:02d}",
                                "informant": f,
                                "round": f"R{o + 1}",
                                "interview": f"A{iv:04d}",
                                "rater": f"rater{r + 1}",
                                "score": round(float(y), 3),
                            }
                        )
    return pd.DataFrame(rows)


def main() -> None:
    brennan().to_csv(OUT / "brennan_synth4.csv", index=False)
    rng = np.random.default_rng(20261203)
    sd = {
        "site": 0.5,
        "informant": 0.3,
        "site:informant": 0.25,
        "site:round": 0.2,
        "interview": 0.4,
        "rater": 0.3,
        "residual": 0.35,
    }
    audit(rng, 12, 1, 6, 0.3, sd).to_csv(OUT / "audit_one_round.csv", index=False)
    audit(rng, 20, 2, 8, 0.25, sd).to_csv(OUT / "audit_two_rounds.csv", index=False)
    weak = {**sd, "site": 0.05, "site:informant": 0.0, "site:round": 0.0}
    audit(rng, 15, 1, 5, 0.4, weak).to_csv(OUT / "audit_weak_sites.csv", index=False)


if __name__ == "__main__":
    main()
