"""Instrument model: every lint rule on a broken fixture, hashes, schema/model agreement."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

import fidelity
from fidelity._util.resources import load_schema
from fidelity.instrument import (
    Instrument,
    InstrumentError,
    instrument_from_yaml,
    read_instrument_file,
)
from fidelity.lint import check_instrument_file

DATA = Path(__file__).parent.parent / "data" / "lint"
MINIMAL = (DATA / "minimal.yaml").read_text()


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in text")


def _broken(tmp_path: Path, old: str, new: str, count: int = 1) -> tuple[Path, str]:
    assert old in MINIMAL, old
    text = MINIMAL.replace(old, new, count)
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    return path, text


# (case id, old, new, code, line marker in the new text, offending id, message fragment)
RULES = [
    (
        "duplicate-item",
        "  - id: c-pace",
        "  - id: c-goals",
        "FI101",
        ("id: c-goals", 2),
        "c-goals",
        "duplicate item id 'c-goals'",
    ),
    (
        "duplicate-domain",
        "  - id: choosing",
        "  - id: trusting",
        "FI101",
        ("id: trusting", 2),
        "trusting",
        "duplicate domain id",
    ),
    (
        "duplicate-band",
        "{id: high,",
        "{id: low,",
        "FI101",
        ("{id: low,", 2),
        "low",
        "duplicate band id 'low'",
    ),
    (
        "unknown-domain",
        "    domain: choosing\n    text: The person set the goals.",
        "    domain: deciding\n    text: The person set the goals.",
        "FI102",
        ("domain: deciding", 1),
        "c-goals",
        "unknown domain 'deciding'",
    ),
    (
        "unknown-scale",
        "    informants: [supervisor]\n    scale: four",
        "    informants: [supervisor]\n    scale: five",
        "FI102",
        ("scale: five", 1),
        "c-pace",
        "unknown scale 'five'",
    ),
    (
        "unknown-informant",
        "informants: [peer-worker, supervisor]",
        "informants: [peer-worker, carer]",
        "FI102",
        ("informants: [peer-worker, carer]", 1),
        "c-goals",
        "unknown informant 'carer'",
    ),
    (
        "unknown-principle-in-domain",
        "principles: [choice]",
        "principles: [autonomy]",
        "FI102",
        ("principles: [autonomy]", 1),
        "autonomy",
        "unknown principle 'autonomy'",
    ),
    (
        "unknown-tag",
        "principles: [diversity]",
        "principles: [equity]",
        "FI102",
        ("principles: [equity]", 1),
        "t-open",
        "unknown principle 'equity'",
    ),
    (
        "anchor-missing-level",
        'anchors: {"1": never, "2": rarely, "3": mostly, "4": always}\n  - id: c-goals',
        'anchors: {"1": never, "2": rarely, "3": mostly}\n  - id: c-goals',
        "FI104",
        ('anchors: {"1": never, "2": rarely, "3": mostly}', 1),
        "t-open",
        "no anchor for level(s) [4]",
    ),
    (
        "anchor-extra-level",
        'anchors: {"1": never, "2": rarely, "3": mostly, "4": always}\n    allow_na',
        'anchors: {"1": never, "2": rarely, "3": mostly, "4": always, "5": ever}\n    allow_na',
        "FI104",
        ('"5": ever', 1),
        "c-pace",
        "anchor(s) for level(s) [5] not on the scale",
    ),
    (
        "na-without-code",
        "    codes:\n      - {code: NA, label: Not applicable}\n",
        "",
        "FI105",
        ("allow_na: true", 1),
        "c-pace",
        "allows NA but scale 'four' defines no 'NA' code",
    ),
    (
        "levels-out-of-order",
        "{value: 3, label: Largely",
        "{value: 1, label: Largely",
        "FI106",
        ("levels:", 1),
        "four",
        "level values must strictly increase",
    ),
    (
        "domain-without-items",
        "    domain: trusting",
        "    domain: choosing",
        "FI107",
        ("- id: trusting", 1),
        "trusting",
        "domain 'trusting' has no items",
    ),
    (
        "min-answered-too-high",
        "min_answered: 2",
        "min_answered: 3",
        "FI107",
        ("min_answered: 3", 1),
        "choosing",
        "min_answered is 3 but the domain has only 2 item(s)",
    ),
    (
        "band-gap",
        "{id: moderate, label: Moderate, lower: 2,",
        "{id: moderate, label: Moderate, lower: 2.5,",
        "FI108",
        ("{id: moderate", 1),
        "moderate",
        "gap: scores from 2 up to 2.5 fall in no band",
    ),
    (
        "band-overlap",
        "{id: high, label: High, lower: 3,",
        "{id: high, label: High, lower: 2.75,",
        "FI108",
        ("{id: high", 1),
        "high",
        "overlap: 'high' starts at 2.75 before 'moderate' ends at 3",
    ),
    (
        "band-below-range",
        "{id: low, label: Low, lower: 1,",
        "{id: low, label: Low, lower: 0,",
        "FI108",
        ("{id: low", 1),
        "low",
        "below the lowest possible score 1",
    ),
    (
        "band-top-short",
        "{id: high, label: High, lower: 3, upper: 4}",
        "{id: high, label: High, lower: 3, upper: 3.5}",
        "FI108",
        ("{id: high", 1),
        "high",
        "scores above 3.5 up to the maximum 4 fall in no band",
    ),
    (
        "band-empty",
        "{id: low, label: Low, lower: 1, upper: 2}",
        "{id: low, label: Low, lower: 1, upper: 1}",
        "FI108",
        ("{id: low", 1),
        "low",
        "upper (1) must exceed lower (1)",
    ),
    (
        "principle-unmeasured",
        "principles: [choice]",
        "principles: [trust]",
        "FI109",
        ("- id: choice", 1),
        "choice",
        "principle 'choice' is not measured by any domain",
    ),
    (
        "cross-cutting-untagged",
        "    principles: [diversity]\n",
        "",
        "FI109",
        ("- id: diversity", 1),
        "diversity",
        "cross-cutting principle 'diversity' is not tagged on any item",
    ),
    (
        "item-map-unknown-target",
        "scoring:\n",
        "changes:\n  item_map: {old-item: gone-item}\nscoring:\n",
        "FI110",
        ("item_map", 1),
        "old-item",
        "maps 'old-item' to 'gone-item', which is not an item",
    ),
    (
        "item-map-duplicate-target",
        "scoring:\n",
        "changes:\n  item_map:\n    a-old: c-goals\n    b-old: c-goals\nscoring:\n",
        "FI110",
        ("b-old: c-goals", 1),
        "b-old",
        "maps both 'a-old' and 'b-old' to 'c-goals'",
    ),
    (
        "schema-missing-key",
        "title: Minimal instrument\n",
        "",
        "FI001",
        ("id: mini", 1),
        None,
        "'title' is a required property",
    ),
    (
        "schema-bad-slug",
        "  - id: c-pace",
        "  - id: C_Pace",
        "FI001",
        ("id: C_Pace", 1),
        "C_Pace",
        "does not match the required pattern",
    ),
    (
        "schema-unknown-key",
        "    allow_na: true",
        "    allow_na: true\n    colour: blue",
        "FI001",
        ("colour: blue", 1),
        "c-pace",
        "'colour' was unexpected",
    ),
    (
        "schema-wrong-type",
        "min_answered: 1",
        "min_answered: one",
        "FI001",
        ("min_answered: one", 1),
        "trusting",
        "'one' is not of type 'integer'",
    ),
    (
        "schema-enum",
        "overall: mean_of_domains",
        "overall: median",
        "FI001",
        ("overall: median", 1),
        None,
        "'median' is not one of the allowed values",
    ),
    (
        "schema-version",
        "version: 1.0.0",
        "version: '1.0'",
        "FI001",
        ("version: '1.0'", 1),
        None,
        "does not match the required pattern",
    ),
    (
        "yaml-tag",
        "title: Minimal instrument",
        "title: !!python/object/apply:os.system [ls]",
        "FI002",
        ("title:", 1),
        None,
        "YAML tag",
    ),
    (
        "yaml-merge-key",
        "  - id: c-pace\n",
        "  - <<: {weight: 2}\n    id: c-pace\n",
        "FI002",
        ("<<:", 1),
        None,
        "merge keys",
    ),
    (
        "yaml-duplicate-key",
        "title: Minimal instrument\n",
        "title: Minimal instrument\ntitle: Again\n",
        "FI005",
        ("title: Again", 1),
        None,
        "duplicate key 'title' (first on line",
    ),
    (
        "yaml-syntax",
        "title: Minimal instrument",
        "title: [unclosed",
        "FI000",
        None,
        None,
        "YAML syntax error",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "code", "marker", "ref", "fragment"),
    [pytest.param(*r[1:], id=r[0]) for r in RULES],
)
def test_each_lint_rule_names_file_line_and_id(
    tmp_path: Path,
    old: str,
    new: str,
    code: str,
    marker: tuple[str, int] | None,
    ref: str | None,
    fragment: str,
) -> None:
    path, text = _broken(tmp_path, old, new)
    problems = check_instrument_file(path)
    matching = [p for p in problems if p.code == code and fragment in p.message]
    assert matching, f"expected {code} with {fragment!r}, got: {[str(p) for p in problems]}"
    problem = matching[0]
    assert problem.file == str(path)
    if marker is not None:
        assert problem.line == _line_of(text, *marker), str(problem)
    else:
        assert problem.line is not None
    if ref is not None:
        assert problem.ref == ref
    rendered = str(problem)
    assert rendered.startswith(f"{path}:{problem.line}: {code} ")


def test_the_minimal_fixture_and_bundled_instruments_are_clean() -> None:
    assert check_instrument_file(DATA / "minimal.yaml") == []
    for entry in fidelity.list_instruments():
        if entry.source == "bundled":  # only warnings: REDCap names shortened from long ids
            codes = {p.code for p in check_instrument_file(entry.path)}
            assert codes <= {"FI301"}, entry.path


def test_all_problems_are_reported_not_just_the_first(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "    domain: choosing\n    text: The person set the goals.",
        "    domain: deciding\n    text: The person set the goals.",
    )
    text = text.replace("informants: [supervisor]", "informants: [carer]")
    path = tmp_path / "two.yaml"
    path.write_text(text)
    found = {(p.code, p.ref) for p in check_instrument_file(path)}
    # the moved item also leaves its old domain below min_answered
    assert found == {("FI102", "c-goals"), ("FI102", "c-pace"), ("FI107", "choosing")}


def test_instrument_error_message_lists_every_problem(tmp_path: Path) -> None:
    path, _ = _broken(tmp_path, "principles: [choice]", "principles: [autonomy]")
    with pytest.raises(InstrumentError) as info:
        read_instrument_file(path)
    text = str(info.value)
    assert "FI102" in text and "autonomy" in text and str(path) in text


def test_direct_construction_applies_the_same_rules() -> None:
    data = yaml.safe_load(MINIMAL)
    data["items"][0]["domain"] = "nowhere"
    with pytest.raises(ValidationError, match="unknown domain 'nowhere'"):
        Instrument.model_validate(data)


def test_models_are_immutable() -> None:
    inst = instrument_from_yaml(MINIMAL)
    with pytest.raises(ValidationError):
        inst.title = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        inst.items[0].weight = 3.0  # type: ignore[misc]


def test_lookups_and_score_range() -> None:
    inst = instrument_from_yaml(MINIMAL)
    assert inst.spec == "mini@1.0.0"
    assert [i.id for i in inst.items_in("choosing")] == ["c-goals", "c-pace"]
    assert inst.scale_of("c-pace").values == (1, 2, 3, 4)
    assert inst.score_range() == (1.0, 4.0)
    with pytest.raises(KeyError, match="no item 'x'; known: t-open, c-goals, c-pace"):
        inst.item("x")


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (1.0, "low"),
        (1.999, "low"),
        (2.0, "moderate"),
        (3.0, "high"),
        (4.0, "high"),
        (0.5, None),
        (4.01, None),
        (float("nan"), None),
    ],
)
def test_band_edges_are_closed_open_with_a_closed_top(score: float, band: str | None) -> None:
    found = instrument_from_yaml(MINIMAL).band_for(score)
    assert (found.id if found else None) == band


# --- content hash ----------------------------------------------------------------------------


def test_hash_ignores_yaml_layout_key_order_and_spelled_out_defaults() -> None:
    inst = instrument_from_yaml(MINIMAL)
    data = yaml.safe_load(MINIMAL)
    reordered = dict(reversed(list(data.items())))
    reordered["items"] = [dict(sorted(i.items(), reverse=True)) for i in data["items"]]
    for item in reordered["items"]:
        item.setdefault("reverse", False)
        item.setdefault("weight", 1.0)
    flow = yaml.safe_dump(reordered, default_flow_style=True, width=10_000)
    other = instrument_from_yaml(flow)
    assert other.content_hash == inst.content_hash
    assert other == inst


def test_hash_changes_with_content() -> None:
    inst = instrument_from_yaml(MINIMAL)
    other = instrument_from_yaml(
        MINIMAL.replace("The person set the pace.", "The person set the tempo.")
    )
    assert other.content_hash != inst.content_hash


def test_bundled_yaml_reformatted_keeps_its_hash() -> None:
    inst = fidelity.load_instrument("enrich-peer-support@1.0.0")
    assert inst.source is not None
    data = yaml.safe_load(Path(inst.source).read_text())
    again = instrument_from_yaml(json.dumps(data, indent=1, sort_keys=True))
    assert again.content_hash == inst.content_hash


# --- schema and model agree ------------------------------------------------------------------


def _mutations() -> list[tuple[str, Any]]:
    def drop(*path: Any) -> Any:
        def f(d: dict[str, Any]) -> None:
            target = d
            for p in path[:-1]:
                target = target[p]
            del target[path[-1]]

        return f

    def put(value: Any, *path: Any) -> Any:
        def f(d: dict[str, Any]) -> None:
            target = d
            for p in path[:-1]:
                target = target[p]
            target[path[-1]] = value

        return f

    return [
        ("missing id", drop("id")),
        ("missing items", drop("items")),
        ("extra top-level key", put(1, "colour")),
        ("bad slug", put("Bad Id", "id")),
        ("version not semver", put("1.0", "version")),
        ("version as number", put(1.0, "version")),
        ("status unknown", put("retired", "status")),
        ("empty title", put("", "title")),
        ("weight zero", put(0, "items", 0, "weight")),
        ("weight as text", put("2", "items", 0, "weight")),
        ("reverse as text", put("yes", "items", 0, "reverse")),
        ("level value as text", put("1", "scales", 0, "levels", 0, "value")),
        ("level value fractional", put(1.5, "scales", 0, "levels", 0, "value")),
        ("one level only", lambda d: d["scales"][0].update(levels=d["scales"][0]["levels"][:1])),
        ("unknown code", put("DK", "scales", 0, "codes", 0, "code")),
        ("overall unknown", put("median", "scoring", "overall")),
        ("no bands", put([], "scoring", "bands")),
        ("min_answered zero", put(0, "domains", 0, "min_answered")),
        ("anchor key not a level", put({"low": "x", "2": "y"}, "items", 0, "anchors")),
        ("informants empty", put([], "items", 0, "informants")),
        ("extra item key", put(True, "items", 0, "hidden")),
        ("bad doi", put("doi:10.1/x", "citations", 0, "doi")),
    ]


@pytest.mark.parametrize(("name", "mutate"), _mutations(), ids=[m[0] for m in _mutations()])
def test_schema_and_model_reject_the_same_broken_instruments(name: str, mutate: Any) -> None:
    data = yaml.safe_load(MINIMAL)
    broken = copy.deepcopy(data)
    mutate(broken)
    schema_errors = list(
        jsonschema.Draft202012Validator(load_schema("instrument")).iter_errors(broken)
    )
    assert schema_errors, f"schema accepted: {name}"
    with pytest.raises(ValidationError):
        Instrument.model_validate(broken)


def test_schema_and_model_accept_every_bundled_instrument() -> None:
    validator = jsonschema.Draft202012Validator(load_schema("instrument"))
    for entry in fidelity.list_instruments():
        data = yaml.safe_load(entry.path.read_text())
        assert list(validator.iter_errors(data)) == []
        Instrument.model_validate(data)


def test_bundled_files_declare_the_schema_for_editors() -> None:
    for entry in fidelity.list_instruments():
        if entry.source == "bundled":
            first = entry.path.read_text().splitlines()[0]
            assert first == "# yaml-language-server: $schema=../../schemas/instrument.schema.json"
            assert (entry.path.parent / "../../schemas/instrument.schema.json").resolve().is_file()


def test_informant_coverage_counts_items_asked_per_domain() -> None:
    inst = instrument_from_yaml(MINIMAL)
    assert inst.informant_coverage() == {
        "trusting": {"peer-worker": 1, "supervisor": 0},
        "choosing": {"peer-worker": 1, "supervisor": 2},
    }
    from fidelity.report.instrument_view import instrument_markdown

    page = instrument_markdown(inst)
    assert "| `trusting` | 1 | 1 | 0 ✗ |" in page
    assert "| `choosing` | 2 | 1 ✗ | 2 |" in page


def test_the_package_exports_the_same_names_less_the_whole_file_checks() -> None:
    import fidelity.instrument as pkg

    assert sorted(pkg.__all__) == sorted(
        [
            "EXTENDS_PATTERN",
            "SEMVER_PATTERN",
            "SLUG_PATTERN",
            "Band",
            "Citation",
            "Code",
            "Domain",
            "Informant",
            "Instrument",
            "InstrumentError",
            "InstrumentProblem",
            "Item",
            "Level",
            "Principle",
            "Scale",
            "Scoring",
            "instrument_from_yaml",
            "read_instrument_file",
        ]
    )
    for name in pkg.__all__:
        assert getattr(pkg, name) is not None
