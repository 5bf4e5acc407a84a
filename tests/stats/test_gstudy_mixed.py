"""REML variance components of random-intercept designs (fidelity.stats.mixed) and Brennan's
D-study rules (fidelity.stats.gtheory): a published G-study, R lme4 oracle values
(tests/data/gstudy, made by make_reference.R there), and the large-sample variance law."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fidelity.stats.gtheory import coefficients, identify, role
from fidelity.stats.mixed import Term, fit_components, term_codes

DATA = Path(__file__).parents[1] / "data" / "gstudy"
REFERENCE = pd.read_csv(DATA / "reference.csv", comment="#")

# Brennan (2001), Generalizability Theory, Springer, doi:10.1007/978-1-4757-3456-0:
# Synthetic Data Set No. 4 (Table 3.2, p. 73) analysed as p x (r:t); the G-study variance
# components as published (four decimals), and the D-study with n'r = 4, n't = 3:
# E rho^2 = .55, Phi = .46.
BRENNAN_COMPONENTS = {"p": 0.4731, "t": 0.3252, "r:t": 0.6475, "p:t": 0.5596, "residual": 2.3802}
BRENNAN_FACETS = {"p": "p", "t": "t", "r:t": "rt", "p:t": "pt", "residual": "prt"}


def brennan_terms() -> tuple[np.ndarray, list[Term]]:
    d = pd.read_csv(DATA / "brennan_synth4.csv")
    pt = [f"{p}:{t}" for p, t in zip(d["p"], d["t"], strict=True)]
    terms = [term_codes("p", d["p"]), term_codes("t", d["t"]), term_codes("r:t", d["r"]),
             term_codes("p:t", pt)]  # fmt: skip
    return d["y"].to_numpy(dtype=float), terms


def test_brennan_synthetic_4_components() -> None:
    y, terms = brennan_terms()
    fit = fit_components(y, terms)
    assert fit.converged
    for name, value in fit.as_dict().items():
        assert value == pytest.approx(BRENNAN_COMPONENTS[name], abs=5e-5)


def test_brennan_synthetic_4_d_study() -> None:
    c = coefficients(BRENNAN_COMPONENTS, BRENNAN_FACETS, measurement="p", sizes={"r": 4, "t": 3})
    assert round(c.e_rho2, 2) == 0.55
    assert round(c.phi, 2) == 0.46


def test_fixed_facet_moves_its_interaction_into_the_universe_score() -> None:
    # Brennan (2001), sec. 4.4: T fixed -> tau = p + pt / n't; t drops out; r:t stays in Delta
    v = BRENNAN_COMPONENTS
    c = coefficients(v, BRENNAN_FACETS, measurement="p", sizes={"r": 4, "t": 3}, fixed="t")
    assert c.universe == pytest.approx(v["p"] + v["p:t"] / 3)
    assert c.relative_error == pytest.approx(v["residual"] / 12)
    assert c.absolute_error == pytest.approx(v["residual"] / 12 + v["r:t"] / 12)
    assert role("t", "p", {"t": 3}, fixed="t") == ("none", 3.0)


@pytest.mark.parametrize("name", sorted(set(REFERENCE["dataset"]) - {"brennan_synth4"}))
def test_audit_components_match_lme4(name: str) -> None:
    from fidelity.stats.site_gstudy import site_g_study

    ref = REFERENCE[REFERENCE["dataset"] == name].set_index("term")
    d = pd.read_csv(DATA / f"{name}.csv", dtype=str)
    g = site_g_study(d.assign(score=d["score"].astype(float)), se=False)
    assert g.converged
    values = g.variances()
    for term, row in ref.iterrows():
        assert values[str(term)] == pytest.approx(row["variance"], abs=1e-6), term
    fitted = {c.name for c in g.components if not math.isnan(c.variance)}
    assert fitted == set(ref.index)


def test_brennan_matches_lme4() -> None:
    ref = REFERENCE[REFERENCE["dataset"] == "brennan_synth4"].set_index("term")["variance"]
    y, terms = brennan_terms()
    fit = fit_components(y, terms, se=False)
    got = fit.as_dict()
    for term, value in ref.items():
        assert got["r:t" if term == "t:r" else str(term)] == pytest.approx(value, abs=1e-6)
    crit = REFERENCE.loc[REFERENCE["dataset"] == "brennan_synth4", "reml_criterion"].iloc[0]
    assert fit.reml_criterion == pytest.approx(crit, abs=1e-6)


def test_standard_errors_follow_the_large_sample_variance_of_balanced_one_way() -> None:
    # balanced one-way design, interior REML = ANOVA: Var(error) = 2 s2e^2 / df_e and
    # Var(group) = (2 lam^2 / df_a + 2 s2e^2 / df_e) / n^2, lam = s2e + n s2a
    # (Searle, Casella & McCulloch 1992, sec. 3.6)
    rng = np.random.default_rng(5)
    a, n = 30, 4
    y = (rng.normal(0, 1, (a, 1)) + rng.normal(0, 1, (a, n))).ravel()
    fit = fit_components(y, [term_codes("g", np.repeat(np.arange(a), n))])
    s2e, s2a = fit.error, fit.variances[0]
    lam = s2e + n * s2a
    df_a, df_e = a - 1, a * (n - 1)
    assert fit.se_error == pytest.approx(math.sqrt(2 * s2e**2 / df_e), rel=1e-4)
    expected = math.sqrt((2 * lam**2 / df_a + 2 * s2e**2 / df_e) / n**2)
    assert fit.se[0] == pytest.approx(expected, rel=1e-4)


def test_boundary_component_has_no_standard_error() -> None:
    rng = np.random.default_rng(2)
    y = rng.normal(0, 1, 60)  # no group variance: REML at zero
    fit = fit_components(y, [term_codes("g", np.repeat(np.arange(12), 5))])
    assert fit.converged
    assert fit.variances[0] == 0.0
    assert math.isnan(fit.se[0])
    assert fit.se_error > 0


@pytest.mark.parametrize("scale, shift", [(1e-6, 3.0), (1e6, -2.0), (-2.5, 1e3)])
def test_components_scale_with_the_square_of_the_unit(scale: float, shift: float) -> None:
    y, terms = brennan_terms()
    base = fit_components(y, terms, se=False).as_dict()
    moved = fit_components(y * scale + shift, terms, se=False).as_dict()
    for name, value in base.items():
        assert moved[name] == pytest.approx(value * scale**2, rel=1e-6, abs=1e-9 * scale**2)


def test_identify_names_what_the_data_cannot_separate() -> None:
    site = np.repeat(np.arange(4), 2)
    one = term_codes("round", ["R1"] * 8)
    s = term_codes("site", site)
    s_again = term_codes("site:round", [f"{v}R1" for v in site])
    each = term_codes("interview", np.arange(8))
    ident = identify([s, one, s_again, each])
    assert [t.name for t in ident.kept] == ["site"]
    assert ident.merged["round"][0] is None
    assert ident.merged["site:round"][0] == "site"
    assert ident.merged["interview"][0] == "residual"
    assert "residual" in ident.merged["interview"][1]


@pytest.mark.parametrize("name", ["brennan", "audit_two_rounds"])
def test_block_elimination_matches_dense_algebra(name: str) -> None:
    from scipy import sparse

    from fidelity.stats._blocks import eliminate
    from fidelity.stats.mixed import _Design
    from fidelity.stats.site_gstudy import _table, _terms

    if name == "brennan":
        terms = brennan_terms()[1]
    else:
        d = pd.read_csv(DATA / f"{name}.csv", dtype=str)
        terms = identify(_terms(_table(d.assign(score=d["score"].astype(float))))).kept
    design = _Design(terms)
    lam = np.repeat(np.linspace(0.3, 1.2, len(terms))[design.order], design.sizes)
    m = sparse.diags(lam) @ design.ztz @ sparse.diags(lam) + sparse.identity(design.q)
    fact = eliminate(m, design.sizes)
    assert fact is not None
    dense = m.toarray()
    assert fact.logdet == pytest.approx(np.linalg.slogdet(dense)[1], rel=1e-12)
    b = np.random.default_rng(0).normal(size=(design.q, 2))
    assert np.allclose(fact.solve(b), np.linalg.solve(dense, b), rtol=1e-10, atol=1e-12)
    assert np.allclose(fact.inverse_diagonal(), np.diag(np.linalg.inv(dense)), rtol=1e-10)
