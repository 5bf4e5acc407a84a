"""Regenerate the input data sets of the REML ICC oracle (run from the repository root):
``python tests/data/reml_icc/make_data.py``; then ``Rscript tests/data/reml_icc/make_reference.R``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path("tests/data/reml_icc")


def save(name: str, x: np.ndarray) -> None:
    cols = [f"r{j + 1}" for j in range(x.shape[1])]
    pd.DataFrame(x, columns=cols).to_csv(
        OUT / f"{name}.csv", index=False, na_rep="NA", float_format="%.6f"
    )


def main() -> None:
    sf = pd.read_csv("tests/data/shrout_fleiss_1979.csv", comment="#")
    sf = sf[["judge1", "judge2", "judge3", "judge4"]].to_numpy(float)
    save("sf_complete", sf)
    y = sf.copy()
    y[0, 1] = np.nan
    y[3, 2] = np.nan
    save("sf_missing2", y)
    rng = np.random.default_rng(20261202)
    n, k = 40, 5  # 30% missing at random
    x = 3 + rng.normal(0, 1, (n, 1)) + rng.normal(0, 0.6, (1, k)) + rng.normal(0, 0.8, (n, k))
    x[rng.random((n, k)) < 0.3] = np.nan
    save("synth40x5_missing30", np.round(x, 3))
    n, k = 60, 3  # no rater effect: near the boundary
    x = 2 + rng.normal(0, 0.7, (n, 1)) + rng.normal(0, 0.5, (n, k))
    x[rng.random((n, k)) < 0.25] = np.nan
    save("synth60x3_norater", np.round(x, 3))
    n, k = 25, 6  # integer ratings without subject variance: subject component at 0
    x = rng.integers(1, 6, (n, k)).astype(float)
    x[rng.random((n, k)) < 0.2] = np.nan
    save("synth25x6_integer", x)
    n, k = 80, 8  # each subject rated by a random pair of 8 raters
    x = np.full((n, k), np.nan)
    severity = rng.normal(0, 0.5, k)
    for i in range(n):
        js = rng.choice(k, 2, replace=False)
        s = rng.normal(0, 1)
        x[i, js] = 5 + s + severity[js] + rng.normal(0, 0.7, 2)
    save("synth80x8_pairs", np.round(x, 3))


if __name__ == "__main__":
    main()
