"""Derived instruments (``extends``) and their lint rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from versions_support import ROOT, _bundled

import fidelity
from fidelity.lint import check_instrument_file

EXAMPLES = ROOT / "examples" / "extending" / "instruments"


def test_derived_instrument_resolves_on_top_of_its_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIDELITY_INSTRUMENT_PATH", str(EXAMPLES))
    inst = fidelity.load_instrument("riverside-peer-support")
    base = _bundled("1.1.0")
    assert inst.extends == "enrich-peer-support@1.1.0"
    assert inst.id == "riverside-peer-support" and inst.version != base.version
    base_ids = [it.id for it in base.items]
    assert [it.id for it in inst.items][: len(base_ids)] == base_ids
    local = [it for it in inst.items if it.id not in base_ids]
    assert local and all(it.id.startswith("rs-") for it in local)
    assert inst.domains[: len(base.domains)] == base.domains
    assert inst.scoring == base.scoring
    # the derived hash covers the resolved content and the base spec
    assert inst.content_hash != base.content_hash
    again = fidelity.instrument.instrument_from_yaml(inst.to_yaml())
    assert again == inst and again.content_hash == inst.content_hash
    for entry in fidelity.list_instruments():
        if entry.id == "riverside-peer-support":
            assert check_instrument_file(entry.path) == [], entry.path


def test_derived_instrument_cannot_redefine_inherited_ids(tmp_path: Path) -> None:
    path = tmp_path / "local" / "1.0.0.yaml"
    path.parent.mkdir()
    path.write_text(
        "id: local\nversion: 1.0.0\ntitle: Local\ndescription: A variant.\n"
        "extends: enrich-peer-support@1.1.0\n"
        "items:\n"
        "  - id: rel-dependable\n    domain: reciprocity\n    text: Changed.\n"
        "    informants: [peer-worker]\n    scale: fidelity-4\n"
        "    anchors: {'1': a, '2': b, '3': c, '4': d}\n"
    )
    (p,) = check_instrument_file(path)
    assert p.code == "FI112" and p.line == 7 and "cannot be changed" in p.message


def test_extends_cycles_and_unknown_bases_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "instruments"
    for name, base in (("aaa", "bbb@1.0.0"), ("bbb", "aaa@1.0.0")):
        (root / name).mkdir(parents=True)
        (root / name / "1.0.0.yaml").write_text(
            f"id: {name}\nversion: 1.0.0\ntitle: T\ndescription: D.\nextends: {base}\n"
        )
    monkeypatch.setenv("FIDELITY_INSTRUMENT_PATH", str(root))
    problems = check_instrument_file(root / "aaa" / "1.0.0.yaml")
    assert problems[0].code == "FI112" and problems[0].line == 5
    assert "cycle" in str(problems[0])
    (root / "aaa" / "1.0.0.yaml").write_text(
        "id: aaa\nversion: 1.0.0\ntitle: T\ndescription: D.\nextends: nothing@1.0.0\n"
    )
    (p,) = check_instrument_file(root / "aaa" / "1.0.0.yaml")
    assert p.code == "FI112" and "cannot load base instrument nothing@1.0.0" in p.message
