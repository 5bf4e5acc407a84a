"""Scaffolds for ``fidelity new``: the YAML texts are data files shipped in the package."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

import fidelity
from fidelity.instrument import instrument_from_yaml
from fidelity.versions import scaffold
from fidelity.versions.scaffold import SCHEMA_URL, scaffold_template


@pytest.mark.parametrize("name", ["new", "derived"])
def test_scaffold_data_files_load(name: str) -> None:
    resource = files("fidelity.versions") / "scaffolds" / f"{name}.yaml"
    assert resource.is_file()
    text = scaffold_template(name)
    assert text == resource.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema={schema}\n")
    assert "{id}" in text and "{version}" in text


def test_new_scaffold_is_a_valid_instrument_with_every_field_filled() -> None:
    text = scaffold("my-index", "0.1.0")
    assert text.startswith(f"# yaml-language-server: $schema={SCHEMA_URL}\n")
    assert not re.search(r"\{[a-z_]+\}", text)
    inst = instrument_from_yaml(text)
    assert inst.spec == "my-index@0.1.0" and inst.title == "My index"
    assert "fidelity lint <dir>/my-index/0.1.0.yaml" in text


def test_derived_scaffold_names_its_base_and_anchors_every_level() -> None:
    base = fidelity.load_instrument("enrich-peer-support@1.1.0")
    text = scaffold("local-index", "1.0.0", base=base)
    assert not re.search(r"\{[a-z_]+\}", text)
    assert f"extends: {base.spec}" in text and "id: local-index-local-item" in text
    first = base.items_in(base.domains[0].id)[0]
    for level in base.scale(first.scale).levels:
        assert f'"{level.value}": What level {level.value} ({level.label})' in text
