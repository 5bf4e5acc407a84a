"""The audit simulator: reproducible, shaped as asked, valid, and honest about its truth."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import fidelity
from fidelity.ratings import validate
from fidelity.simulate import simulate_audit, simulate_rounds

ROOT = Path(__file__).parent.parent
ENRICH = fidelity.load_instrument("enrich-peer-support@1.1.0")


def test_same_seed_same_audit_other_seed_other_audit() -> None:
    a = simulate_audit(ENRICH, n_sites=6, seed=11)
    b = simulate_audit(ENRICH, n_sites=6, seed=11)
    c = simulate_audit(ENRICH, n_sites=6, seed=12)
    assert a.sheets == b.sheets
    assert np.array_equal(a.true_site, b.true_site)
    assert a.sheets != c.sheets


def test_shape_of_the_default_audit() -> None:
    sim = simulate_audit(ENRICH, seed=1)
    assert len(sim.sites) == 24 and len(sim.assessment_ids) == 72
    assert int(sim.double_rated.sum()) == 24
    assert int(sim.consensus.sum()) == 12
    assert len(sim) == 72 + 24 + 12
    raters = {}
    for s in sim.sheets:
        raters.setdefault(s["assessment"], []).append(s["rater"])
    assert all(len(set(r)) == len(r) for r in raters.values())  # two different raters
    assert sim.truth().shape == (24, 1 + len(ENRICH.domains))
    assert set(sim.assessment_informant) == {"peer-worker", "supervisor", "person-supported"}


def test_simulated_sheets_are_valid_with_only_missing_answer_warnings() -> None:
    sim = simulate_audit(ENRICH, n_sites=10, seed=4)
    problems = validate(ENRICH, sim.sheets)
    assert problems.ok and {p.code for p in problems} <= {"FR105"}
    assert len(problems) > 0  # some cells are missing by design
    # and the same through the wide CSV layout
    frame_problems = validate(ENRICH, sim.to_pandas())
    assert [p.code for p in frame_problems] == [p.code for p in problems]


def test_empty_cells_follow_the_informants_and_na_only_where_allowed() -> None:
    sim = simulate_audit(ENRICH, n_sites=20, seed=9, p_na=0.5)
    allow_na = np.array([it.allow_na for it in ENRICH.items])
    assert not sim.na[:, ~allow_na].any() and sim.na[:, allow_na].any()
    for s in sim.sheets[:30]:
        asked = {it.id for it in ENRICH.items if s["informant"] in it.informants}
        assert set(s["ratings"]) == asked


def test_consensus_sheets_record_the_rounded_truth() -> None:
    sim = simulate_audit(ENRICH, n_sites=8, seed=2, p_missing=0.0)
    reverse = np.array([it.reverse for it in ENRICH.items])
    for s in np.flatnonzero(sim.consensus):
        a = sim.sheet_assessment[s]
        truth = np.clip(np.round(sim.true_item[a]), 1, 4)
        truth = np.where(reverse, 5 - truth, truth)
        got = sim.values[s]
        given = ~np.isnan(got)
        assert np.array_equal(got[given], truth[given])


def test_expected_icc_is_recovered_from_the_latent_ratings() -> None:
    """One-way ICC(1,1) on the double-rated interviews' latent ratings matches the truth the
    simulator reports (a check on what a later reliability test will rely on)."""
    sim = simulate_audit(
        ENRICH, n_sites=300, seed=21, double_rated=1.0, consensus=0.0, p_missing=0.0
    )
    pairs = sim.latent.reshape(-1, 2, sim.latent.shape[1])  # assessment x rater x item
    estimates = []
    for j in range(pairs.shape[2]):
        x = pairs[:, :, j]
        x = x[~np.isnan(x).any(axis=1)]
        n, k = x.shape
        grand = x.mean()
        msb = k * ((x.mean(axis=1) - grand) ** 2).sum() / (n - 1)
        msw = ((x - x.mean(axis=1, keepdims=True)) ** 2).sum() / (n * (k - 1))
        estimates.append((msb - msw) / (msb + (k - 1) * msw))
    assert np.mean(estimates) == pytest.approx(sim.expected_icc(), abs=0.03)


def test_more_rater_noise_means_less_reliability() -> None:
    quiet = simulate_audit(ENRICH, n_sites=30, seed=3, rater_sd=0.2)
    noisy = simulate_audit(ENRICH, n_sites=30, seed=3, rater_sd=1.0)
    assert quiet.expected_icc() > noisy.expected_icc()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown informant"):
        simulate_audit(ENRICH, informants=["nurse"])
    with pytest.raises(ValueError, match="fractions"):
        simulate_audit(ENRICH, double_rated=1.5)


def test_the_shipped_example_is_what_the_script_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_example", ROOT / "examples" / "make_example.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    for name in ("enrich-audit.csv", "enrich-audit.json", "enrich-audit-truth.csv"):
        assert (tmp_path / name).read_bytes() == (ROOT / "examples" / name).read_bytes(), name


def test_module_entry_point(tmp_path: Path) -> None:
    from fidelity.simulate import main

    assert (
        main(
            [
                "--sites",
                "2",
                "--seed",
                "1",
                "--csv",
                str(tmp_path / "a.csv"),
                "--json",
                str(tmp_path / "a.json"),
                "--truth",
                str(tmp_path / "t.csv"),
            ]
        )
        == 0
    )
    assert validate(ENRICH, tmp_path / "a.csv").ok


def test_repeated_informants_are_refused() -> None:
    inst = fidelity.load_instrument("enrich-peer-support")
    with pytest.raises(ValueError, match=r"\['supervisor'\] listed more than once"):
        simulate_audit(inst, informants=["supervisor", "supervisor"])


# Audit rounds with a known change


def test_rounds_are_seeded_and_the_first_round_is_the_one_round_audit() -> None:
    inst = fidelity.load_instrument("enrich-peer-support")
    change = {"site-02": 0.5, "site-03": {"reciprocity": -1.0}}
    a = simulate_rounds(inst, ("baseline", "6m", "12m"), change, seed=7, n_sites=6)
    b = simulate_rounds(inst, ("baseline", "6m", "12m"), change, seed=7, n_sites=6)
    assert np.array_equal(a.values, b.values, equal_nan=True) and a.rater == b.rater
    one = simulate_audit(inst, seed=7, n_sites=6)
    assert np.array_equal(a.values[: len(one)], one.values, equal_nan=True)
    assert a.assessment_round is not None
    assert sorted(set(a.assessment_round)) == ["12m", "6m", "baseline"]
    other = simulate_rounds(inst, ("baseline", "6m", "12m"), change, seed=8, n_sites=6)
    assert not np.array_equal(a.values, other.values, equal_nan=True)


def test_rounds_re_rate_the_same_interviews_moved_by_the_change() -> None:
    inst = fidelity.load_instrument("enrich-peer-support")
    sim = simulate_rounds(inst, ("b", "6m", "12m"), {"site-02": 0.5}, seed=3, n_sites=4)
    n_a = len(sim.assessment_ids) // 3
    domain = np.array([[d.id for d in inst.domains].index(it.domain) for it in inst.items])
    for k in (1, 2):
        shift = sim.true_item[k * n_a : (k + 1) * n_a] - sim.true_item[:n_a]
        expected = k * sim.true_change[1][sim.assessment_site[:n_a]][:, domain]
        assert np.allclose(shift, expected)
    assert sim.assessment_ids[:n_a] == sim.assessment_ids[n_a : 2 * n_a]
    assert min(d for d, r in zip(sim.date, sim.to_pandas()["round"], strict=True) if r == "6m") \
        >= "2024-08-01"  # fmt: skip


def test_round_sheets_are_valid_and_name_their_round(tmp_path: Path) -> None:
    inst = fidelity.load_instrument("enrich-peer-support")
    sim = simulate_rounds(inst, change={"site-01": 0.4}, seed=2, n_sites=3)
    assert not validate(inst, sim.sheets).errors
    assert {s["round"] for s in sim.sheets} == {"baseline", "6m"}
    frame = sim.to_pandas()
    assert list(frame.columns[:8]) == [*fidelity.ratings.FIELDS]
    assert not validate(inst, sim.write_csv(tmp_path / "r.csv")).errors
    assert "round" not in simulate_audit(inst, n_sites=2).to_pandas()


def test_bad_round_arguments() -> None:
    inst = fidelity.load_instrument("enrich-peer-support")
    with pytest.raises(ValueError, match="distinct"):
        simulate_rounds(inst, ("a", "a"))
    with pytest.raises(ValueError, match="site 'nowhere'"):
        simulate_rounds(inst, change={"nowhere": 1.0})
    with pytest.raises(ValueError, match="domain 'nope'"):
        simulate_rounds(inst, change={"site-01": {"nope": 1.0}})


def test_module_entry_point_writes_rounds_with_a_change(tmp_path: Path) -> None:
    from fidelity.simulate import main

    out = tmp_path / "r.csv"
    args = ["--sites", "3", "--rounds", "baseline,6m", "--change", "site-02=0.5", "--csv", str(out)]
    assert main(args) == 0
    assert not validate(ENRICH, out).errors
    frame = fidelity.score(ENRICH, out).to_pandas()
    assert set(frame["round"]) == {"baseline", "6m"}
    same = simulate_rounds(ENRICH, ("baseline", "6m"), {"site-02": 0.5}, n_sites=3)
    assert out.read_text() == same.to_pandas().to_csv(index=False, lineterminator="\n")
    with pytest.raises(SystemExit):
        main(["--rounds", "a,b", "--change", "site-02"])
