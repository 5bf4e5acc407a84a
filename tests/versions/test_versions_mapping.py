"""Item mappings composed along a chain of versions."""

from __future__ import annotations

from pathlib import Path

import yaml
from versions_support import MINIMAL, _inst, _next

from fidelity.versions import item_mapping


def test_item_mapping_composes_along_a_chain(tmp_path: Path) -> None:
    data = yaml.safe_load(MINIMAL.read_text())
    v2 = _next(data, "1.1.0")
    v2["items"][1]["id"] = "c-aims"
    v2["changes"]["item_map"] = {"c-goals": "c-aims"}
    v3 = _next(v2, "1.2.0")
    v3["items"][1]["id"] = "c-purpose"
    v3["changes"]["item_map"] = {"c-aims": "c-purpose"}
    versions = {d["version"]: _inst(d) for d in (data, v2, v3)}
    mapping, source = item_mapping(
        versions["1.0.0"], versions["1.2.0"], loader=lambda s: versions[s.split("@")[1]]
    )
    assert mapping["c-goals"] == "c-purpose" and mapping["t-open"] == "t-open"
    assert "1.0.0 → 1.1.0 → 1.2.0" in source
