"""Regenerate the input data sets of the omega / polychoric oracle (run from the repository
root): ``python tests/data/omega_polychoric/make_data.py``; then
``Rscript tests/data/omega_polychoric/make_reference.R``.

Every set is subjects × items of integer answers (``NA`` = missing), drawn from a one-factor
model whose latent responses are cut at fixed thresholds.
"""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path("tests/data/omega_polychoric")


def save(name: str, x: np.ndarray) -> None:
    cols = [f"i{j + 1}" for j in range(x.shape[1])]
    pd.DataFrame(x, columns=cols).to_csv(
        OUT / f"{name}.csv", index=False, na_rep="NA", float_format="%.0f"
    )


def likert(
    rng: np.random.Generator, n: int, loadings: list[float], cuts: list[float]
) -> np.ndarray:
    lam = np.asarray(loadings)
    f = rng.normal(size=(n, 1))
    z = f * lam + rng.normal(size=(n, lam.size)) * np.sqrt(1.0 - lam**2)
    return (np.searchsorted(cuts, z) + 1).astype(float)


def main() -> None:
    rng = np.random.default_rng(20261202)
    save("likert6_n300", likert(rng, 300, [0.8, 0.7, 0.65, 0.6, 0.5, 0.4], [-1.5, -0.5, 0.4, 1.2]))
    x = likert(rng, 150, [0.75, 0.7, 0.6, 0.55, 0.45], [-1.0, 0.0, 1.0])
    x[rng.random(x.shape) < 0.1] = np.nan  # 10% missing at random
    save("likert5_n150_missing10", x)
    save("likert4_n80", likert(rng, 80, [0.85, 0.6, 0.5, 0.3], [-0.8, 0.3, 1.1]))
    # skewed answers: the items do not all reach the top category (psych then estimates
    # thresholds pair by pair, with a continuity correction for empty cells)
    save("skewed5_n60", likert(rng, 60, [0.7, 0.65, 0.6, 0.5, 0.5], [-0.2, 0.9, 1.8, 2.3]))
    save("binary6_n200", likert(rng, 200, [0.7, 0.6, 0.6, 0.5, 0.5, 0.4], [0.1]))


if __name__ == "__main__":
    main()
