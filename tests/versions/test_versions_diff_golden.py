"""``diff`` gives, byte for byte, what it gave before it became a table of change detectors.

The seeded corpus of :mod:`versions_corpus` (pairs of instruments that differ by one to five
random changes) and the bundled version pairs are diffed, and the JSON of each
``diff(...).to_dict()`` is compared, as a sha256, with ``tests/data/versions/diff_golden.json``.
Those fingerprints were taken from the implementation that preceded the detector table. Since
then one thing changed on purpose: changes found by comparing sets of ids (informants, scales
and domains added, removed or changed) used to come in set order, which follows the string
hash and so differed from one run to the next; they now follow the files' order. The
fingerprints were re-taken after checking, on 8,000 pairs under two hash seeds, that nothing
but that order moved. Regenerate (only after a deliberate change of the output) with
``python tests/versions/test_versions_diff_golden.py``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from versions_corpus import pair

import fidelity
from fidelity.instrument import Instrument
from fidelity.versions import diff
from fidelity.versions.diff import KINDS

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "versions" / "diff_golden.json"
N_SEEDS = 400
BUNDLED_PAIRS = [
    ("enrich-peer-support@1.0.0", "enrich-peer-support@1.1.0"),
    ("enrich-peer-support@1.1.0", "enrich-peer-support@1.0.0"),
    ("enrich-peer-support@1.0.0", "enrich-peer-support@1.0.0"),
]

# ---------------------------------------------------------------------------------------------
# Fingerprints


def fingerprint(old: Instrument, new: Instrument, *, loader: bool) -> dict[str, Any]:
    d = diff(old, new) if loader else diff(old, new, loader=None)
    text = json.dumps(d.to_dict(), ensure_ascii=False)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return {"sha256": digest, "kinds": [c.kind for c in d.changes]}


def compute() -> dict[str, dict[str, Any]]:
    out = {f"seed-{s}": fingerprint(*pair(s), loader=False) for s in range(N_SEEDS)}
    for a, b in BUNDLED_PAIRS:
        old, new = fidelity.load_instrument(a), fidelity.load_instrument(b)
        out[f"{a} {b}"] = fingerprint(old, new, loader=True)
    return out


def test_diff_output_is_unchanged() -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    actual = compute()
    assert actual.keys() == expected.keys()
    wrong = [k for k in expected if actual[k] != expected[k]]
    assert not wrong, [(k, expected[k]["kinds"], actual[k]["kinds"]) for k in wrong[:5]]


def test_the_corpus_exercises_every_kind_of_change() -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    seen = Counter(k for v in expected.values() for k in v["kinds"])
    missing = set(KINDS) - set(seen)
    assert not missing


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pairs_are_reproducible(seed: int) -> None:
    assert pair(seed) == pair(seed)


if __name__ == "__main__":  # pragma: no cover - regenerates the recorded fingerprints
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(compute(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}", file=sys.stderr)
