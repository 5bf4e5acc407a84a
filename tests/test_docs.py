"""The documentation cannot drift from the code: the format reference is generated from the
schema, the rule sections and tables from the registry of codes, and the examples in the docs
are real (they run as tests; see ``conftest.py`` at the root)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import fidelity
from fidelity.codes import REGISTRY
from fidelity.columnar import TABLES
from fidelity.instrument import instrument_from_yaml
from fidelity.report._docs import (
    API_MODULES,
    api_modules,
    conditionally_required,
    expand_rule_markers,
    expand_table_markers,
    schema_markdown,
    schema_objects,
)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SCHEMA = json.loads((ROOT / "schemas" / "instrument.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def format_reference() -> str:
    return schema_markdown(SCHEMA)


def _all_properties(node: Any, where: str = "") -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(where, name, property schema) for every property of every object, at any depth."""
    if isinstance(node, Mapping):
        for name, prop in node.get("properties", {}).items():
            yield where, name, prop
            yield from _all_properties(prop, f"{where}.{name}")
        for key, value in node.items():
            if key == "$defs":
                for def_name, sub in value.items():
                    yield from _all_properties(sub, def_name)
            elif key != "properties":
                yield from _all_properties(value, where)
    elif isinstance(node, list):
        for value in node:
            yield from _all_properties(value, where)


def _section(text: str, anchor: str) -> str:
    start = text.index(f"{{#{anchor}}}")
    nxt = text.find("\n## ", start)
    return text[start : nxt if nxt != -1 else len(text)]


def _row(section: str, name: str) -> str:
    rows = [line for line in section.splitlines() if line.startswith(f"| `{name}` |")]
    assert len(rows) == 1, f"property {name!r}: expected one row, found {len(rows)}"
    return rows[0]


def test_every_schema_property_appears_in_the_format_reference(format_reference: str) -> None:
    found = list(_all_properties(SCHEMA))
    assert len(found) > 50  # the walk really went through $defs
    for _where, name, _prop in found:
        assert f"| `{name}` |" in format_reference, name


def test_each_object_section_lists_its_properties_with_their_constraints(
    format_reference: str,
) -> None:
    objects = schema_objects(SCHEMA)
    assert {name for name, _ in objects} >= {"", "item", "domain", "scale", "level", "band"}
    for owner, obj in objects:
        section = _section(format_reference, owner or "top-level")
        required = set(obj.get("required", []))
        unless, other = conditionally_required(obj)
        for name, prop in obj["properties"].items():
            row = _row(section, name)
            assert ("**yes**" in row) == (name in required | unless), (owner, name)
            assert (f"unless `{other}` is given" in row) == (name in unless), (owner, name)
            if "default" in prop:
                default = prop["default"]
                shown = default if isinstance(default, str) else json.dumps(default)
                assert f"`{shown}`" in row, (owner, name)
            for value in prop.get("enum", []):
                assert f"`{value}`" in row, (owner, name, value)
            if "pattern" in prop:
                assert prop["pattern"] in row, (owner, name)
            if prop.get("description"):
                assert " ".join(prop["description"].split()) in row.replace("\\|", "|")
            description = row.rstrip(" |").rsplit(" | ", 1)[1]
            assert description.strip(), f"{owner or 'top level'}.{name} has no description"


def test_scalar_definitions_are_described_with_their_patterns(format_reference: str) -> None:
    section = _section(format_reference, "shared-value-types")
    assert SCHEMA["$defs"]["slug"]["pattern"] in section
    assert 'id="slug"' in section and 'id="text"' in section


def test_schema_markdown_links_only_to_sections_it_defines(format_reference: str) -> None:
    anchors = set(re.findall(r"\{#([a-z0-9-]+)\}", format_reference))
    anchors |= set(re.findall(r'id="([a-z0-9-]+)"', format_reference))
    for target in re.findall(r"\]\(#([^)]+)\)", format_reference):
        assert target in anchors, target


CODE = re.compile(r"\bF[IR]\d{3}\b")


def _codes_in(paths: Iterator[Path]) -> set[str]:
    return {code for path in paths for code in CODE.findall(path.read_text(encoding="utf-8"))}


def _rendered(page: str) -> str:
    """A reference page as the site shows it: markers filled in from the registry."""
    return expand_rule_markers((DOCS / "reference" / page).read_text(encoding="utf-8"))


def test_every_registered_code_is_raised_tested_and_documented_and_no_other_code_is_used() -> None:
    registered = set(REGISTRY)
    src = ROOT / "src" / "fidelity"
    raised = _codes_in(f for f in src.rglob("*.py") if (src / "codes") not in f.parents)
    assert {"FI000", "FI001", "FI101", "FI111"} <= raised
    assert registered - raised == set(), "registered, but raised by no check in src/fidelity"
    assert raised - registered == set(), "used in src/fidelity, but not registered"
    tested = _codes_in(f for f in (ROOT / "tests").rglob("*.py") if f != Path(__file__))
    assert registered - tested == set(), "registered, but no test triggers them"

    lint_rules, problem_codes = _rendered("lint-rules.md"), _rendered("problem-codes.md")
    for r in REGISTRY.values():
        anchor = r.code.lower()
        assert r.docs.endswith(f"#{anchor}")
        if r.family == "FI":
            assert r.docs.startswith("reference/lint-rules.md#")
            assert lint_rules.count(f"\n### {r.code} — {r.title} {{#{anchor}}}\n") == 1, r.code
            block = lint_rules.split(f"{{#{anchor}}}", 1)[1].split("\n### ", 1)[0]
            assert r.explanation in block
            tag = "warning " if r.severity == "warning" else ""
            assert f": {tag}{r.code} " in block, f"{r.code} has no example message"
        else:
            assert r.docs.startswith("reference/problem-codes.md#")
            row = f'| <span id="{anchor}"></span>{r.code} | {r.severity} | '
            assert problem_codes.count(row) == 1, r.code
    anchors = set(re.findall(r"\{#(f[ir]\d{3})\}", lint_rules))
    anchors |= set(re.findall(r'id="(f[ir]\d{3})"', problem_codes))
    assert anchors == {code.lower() for code in registered}, "documented but not registered"
    pages = [*DOCS.rglob("*.md"), ROOT / "README.md"]
    assert _codes_in(iter(pages)) <= registered, "named in the docs, but not registered"


def test_rule_markers_expand_from_the_registry() -> None:
    text = "intro\n\n<!-- rule FI105 -->\n\n<!-- rules FR3 -->\n"
    out = expand_rule_markers(text)
    assert out.startswith("intro\n\n### FI105 — NA allowed but not defined {#fi105}\n\n")
    assert REGISTRY["FI105"].explanation in out
    rows = [line for line in out.splitlines() if line.startswith("| <span")]
    assert [row.split("</span>")[1][:5] for row in rows] == [
        "FR301",
        "FR302",
        "FR303",
        "FR304",
        "FR305",
    ]
    assert expand_rule_markers("no markers") == "no markers"
    with pytest.raises(KeyError, match="FI999"):
        expand_rule_markers("<!-- rule FI999 -->")
    with pytest.raises(ValueError, match="FR9"):
        expand_rule_markers("<!-- rules FR9 -->")


def test_the_pipeline_guide_documents_every_table_from_its_schema() -> None:
    page = (DOCS / "pipelines.md").read_text(encoding="utf-8")
    markers = re.findall(r"^<!-- table-schema ([a-z_]+) -->$", page, flags=re.MULTILINE)
    assert markers == list(TABLES)
    out = expand_table_markers(page)
    assert "<!-- table-schema" not in out
    for name, spec in TABLES.items():
        for column in spec.columns:
            assert f"| `{column.name}` | {column.dtype} | {column.doc} |" in out, (name, column)
    with pytest.raises(ValueError, match="unknown table 'nope'"):
        expand_table_markers("<!-- table-schema nope -->")


def test_readme_starts_with_make_demo_then_make_test() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", readme, flags=re.MULTILINE | re.DOTALL)
    commands = [
        line.split("#", 1)[0].strip()
        for block in blocks
        for line in block.splitlines()
        if line.split("#", 1)[0].strip()
    ]
    assert commands[:2] == ["make demo", "make test"]


def _yaml_blocks(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    return re.findall(r"^```yaml\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_getting_started_example_instrument_is_valid() -> None:
    (block,) = _yaml_blocks(DOCS / "getting-started.md")
    inst = instrument_from_yaml(block, source="getting-started.md")
    assert inst.spec == "my-index@0.1.0"
    assert inst.score_range() == (1.0, 4.0)


def test_getting_started_shows_the_bundled_content_hash() -> None:
    text = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    inst = fidelity.load_instrument("enrich-peer-support@1.0.0")
    assert f"'{inst.content_hash[:16]}'" in text
    assert f"content hash {inst.content_hash}" in text


def test_api_pages_follow_the_modules_that_exist(tmp_path: Path) -> None:
    assert api_modules(tmp_path) == []
    (tmp_path / "catalog.py").write_text("")
    (tmp_path / "scoring").mkdir()
    (tmp_path / "scoring" / "__init__.py").write_text("")
    (tmp_path / "not_public.py").write_text("")
    assert api_modules(tmp_path) == ["fidelity.catalog", "fidelity.scoring"]
    real = api_modules(ROOT / "src" / "fidelity")
    assert real[:2] == ["fidelity.catalog", "fidelity.instrument"]
    assert all(m.split(".", 1)[1] in API_MODULES for m in real)


def test_hook_renders_sphinx_roles_as_code() -> None:
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    assert spec is not None and spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    html = "see :func:<code>icc</code> and :class:<code>~fidelity.stats.estimate.Estimate</code>"
    assert hooks.on_page_content(html) == "see <code>icc</code> and <code>Estimate</code>"


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="docs extras missing")
def test_site_builds_in_strict_mode(tmp_path: Path) -> None:
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or "mkdocs"
    run = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DISABLE_MKDOCS_2_WARNING": "true", "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    site = tmp_path / "site"
    assert (site / "reference" / "instrument-format" / "index.html").is_file()
    assert (site / "instruments" / "enrich-peer-support" / "1.0.0" / "index.html").is_file()
    assert (site / "schemas" / "instrument.schema.json").is_file()
    for module in api_modules(ROOT / "src" / "fidelity"):
        page = site / "api" / module.split(".", 1)[1] / "index.html"
        assert page.is_file(), module
