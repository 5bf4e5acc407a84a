"""Regenerate the example audit in this folder (seeded: the output is identical every time).

    python examples/make_example.py

Writes enrich-audit.csv (wide layout, what `make demo` validates and scores), the same sheets
as enrich-audit.json, and enrich-audit-truth.csv (the true domain levels per site that the
simulator drew). See README.md in this folder for the model and its parameters.
"""

from __future__ import annotations

from pathlib import Path

from fidelity import load_instrument
from fidelity.simulate import simulate_audit

INSTRUMENT = "enrich-peer-support@1.1.0"
SEED = 20240601
HERE = Path(__file__).resolve().parent


def main() -> None:
    inst = load_instrument(INSTRUMENT)
    audit = simulate_audit(
        inst,
        n_sites=24,
        informants=("peer-worker", "supervisor", "person-supported"),
        double_rated=1 / 3,
        consensus=0.5,
        rater_sd=0.5,
        seed=SEED,
    )
    audit.write_csv(HERE / "enrich-audit.csv")
    audit.write_json(HERE / "enrich-audit.json")
    audit.truth().round(4).to_csv(HERE / "enrich-audit-truth.csv", index=False, lineterminator="\n")
    print(
        f"{len(audit)} sheets ({int(audit.consensus.sum())} consensus), "
        f"{len(audit.assessment_ids)} interviews, {int(audit.double_rated.sum())} double-rated; "
        f"expected latent item ICC {audit.expected_icc():.3f}"
    )


if __name__ == "__main__":
    main()
