"""Cross-reference rules one by one, their report order, and problems built from the registry."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from fidelity.codes import REGISTRY, rule
from fidelity.errors import InstrumentError, ProblemLike
from fidelity.instrument import Instrument, InstrumentProblem
from fidelity.instrument import rules as R
from fidelity.instrument.load import read_instrument
from fidelity.instrument.problems import Finding, dotted, finding, instrument_problem

DATA = Path(__file__).parent.parent / "data" / "lint"
MINIMAL = yaml.safe_load((DATA / "minimal.yaml").read_text())
MANY = DATA / "many-problems.yaml"


def _unchecked(data: dict[str, Any]) -> Instrument:
    """An instrument that breaks rules: the model collects the findings instead of raising."""
    sink: list[Finding] = []
    return Instrument.model_validate(data, context={"problems": sink})


def _many() -> Instrument:
    return _unchecked(yaml.safe_load(MANY.read_text()))


def _found(check: Callable[[Instrument], Iterable[Finding]], inst: Instrument) -> list[Any]:
    return [(f.code, f.ref, f.at) for f in check(inst)]


# -- one case per rule -----------------------------------------------------------------------


def test_every_rule_is_silent_on_a_valid_instrument() -> None:
    inst = _unchecked(MINIMAL)
    for code, check in R.RULES:
        assert list(check(inst)) == [], code


def test_the_table_holds_every_cross_reference_code_of_the_model() -> None:
    model_codes = {c for c in REGISTRY if c.startswith("FI1")} - {"FI111", "FI112"}
    table = [code for code, _ in R.RULES]
    assert len(table) == len(set(table)), "one function per rule"
    assert set(table) == model_codes
    assert model_codes >= R.ENTRY_RULES


def test_fi101_ids_are_unique() -> None:
    assert _found(R.ids_are_unique, _many()) == [
        ("FI101", "src", ("citations", 1, "id")),
        ("FI101", "c-goals", ("items", 3, "id")),
        ("FI101", "low", ("scoring", "bands", 3, "id")),
    ]


def test_fi102_references_resolve() -> None:
    found = _found(R.references_resolve, _many())
    assert found == [
        ("FI102", "ghost", ("domains", 0, "principles", 1)),
        ("FI102", "nobody", ("domains", 1, "principles", 0)),
        ("FI102", "t-open", ("items", 0, "domain")),
        ("FI102", "t-open", ("items", 0, "informants", 1)),
        ("FI102", "t-open", ("items", 0, "principles", 0)),
        ("FI102", "c-goals", ("items", 1, "scale")),
        ("FI102", "c-pace", ("items", 2, "informants", 0)),
    ]


def test_fi102_lists_known_ids_in_file_order() -> None:
    (first, *_) = [f for f in R.references_resolve(_many()) if f.at == ("items", 0, "domain")]
    assert first.message == (
        "item 't-open' belongs to unknown domain 'nowhere'; known: trusting, choosing, empty"
    )


def test_fi104_anchors_cover_scale() -> None:
    found = list(R.anchors_cover_scale(_many()))
    assert [(f.ref, f.at) for f in found] == [
        ("t-open", ("items", 0, "anchors")),
        ("c-pace", ("items", 2, "anchors")),
    ]
    assert found[1].message == (
        "item 'c-pace': no anchor for level(s) [0] and anchor(s) for level(s) [2, 3, 4] not on "
        "the scale; scale 'two' has levels [0, 1]"
    )


def test_fi105_na_needs_a_code() -> None:
    # t-open's scale defines NA; c-goals' scale is unknown (FI102 reports it)
    (only,) = R.na_needs_a_code(_many())
    assert (only.ref, only.at) == ("c-pace", ("items", 2, "allow_na"))
    assert only.message == "item 'c-pace' allows NA but scale 'two' defines no 'NA' code"


def test_fi106_scales_are_ordered() -> None:
    assert [f.message for f in R.scales_are_ordered(_many())] == [
        "scale 'four': level values must strictly increase, got [1, 3, 2, 4]",
        "scale 'four': code 'NA' listed 2 times",
    ]


def test_fi107_domains_can_be_scored() -> None:
    assert _found(R.domains_can_be_scored, _many()) == [
        ("FI107", "trusting", ("domains", 0, "min_answered")),
        ("FI107", "empty", ("domains", 2)),
    ]


def test_fi108_bands_cover_score_range() -> None:
    found = list(R.bands_cover_score_range(_many()))
    assert [(f.ref, f.at[-1]) for f in found] == [
        ("low", 3),
        ("low", "lower"),
        ("moderate", "lower"),
        ("high", "lower"),
        ("low", "upper"),
    ]
    assert "bands overlap: 'high' starts at 2.75" in found[3].message


def test_fi108_bands_beyond_both_ends() -> None:
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    data["scoring"]["bands"][0]["lower"] = 0
    data["scoring"]["bands"][-1]["upper"] = 5
    messages = [f.message for f in R.bands_cover_score_range(_unchecked(data))]
    assert messages == [
        "band 'low' starts at 0, below the lowest possible score 1",
        "band 'high' ends at 5, above the highest possible score 4",
    ]


def test_fi109_principles_are_measured() -> None:
    assert _found(R.principles_are_measured, _many()) == [
        ("FI109", "choice", ("principles", 1)),
        ("FI109", "diversity", ("principles", 2)),
    ]


def test_fi110_item_map_is_consistent() -> None:
    found = list(R.item_map_is_consistent(_many()))
    assert [f.ref for f in found] == ["a-old", "b-old", "y-old", "z-old", "a-old"]
    assert found[-1].message.startswith("item_map renames items in a cycle (a-old → b-old → a-old)")


def test_fi110_without_changes_finds_nothing() -> None:
    assert list(R.item_map_is_consistent(_unchecked(MINIMAL))) == []


# -- the checker -----------------------------------------------------------------------------


def test_findings_keep_the_report_order_of_the_lint_output() -> None:
    with pytest.raises(InstrumentError) as info:
        read_instrument(MANY)
    got = [[p.code, p.line, p.path, p.ref, p.message] for p in info.value.problems]
    expected = json.loads((DATA / "many-problems.expected.json").read_text(encoding="utf-8"))
    assert got == expected


def test_problems_of_one_domain_or_item_stand_together() -> None:
    found = R.cross_reference_findings(_many())
    entries = [f.at[:2] for f in found if f.code in R.ENTRY_RULES]
    assert entries == sorted(entries, key=lambda at: (at[0] != "domains", at[1]))
    codes = [f.code for f in found]
    assert codes.index("FI106") < codes.index("FI102") and codes[-1] == "FI110"


def test_direct_construction_joins_every_finding() -> None:
    data = yaml.safe_load(MANY.read_text())
    with pytest.raises(ValidationError) as info:
        Instrument.model_validate(data)
    text = str(info.value)
    assert "citations[1].id: duplicate citation id 'src' (first at citations[0])" in text
    assert "; changes.item_map.a-old: item_map renames items in a cycle" in text


# -- problems from the registry --------------------------------------------------------------


def test_problems_cannot_carry_an_unregistered_code() -> None:
    with pytest.raises(KeyError, match="'FI999' is not registered"):
        InstrumentProblem("FI999", "made up", "f.yaml")
    with pytest.raises(KeyError, match="not registered"):
        instrument_problem("FI103", file="f.yaml", detail="x")
    with pytest.raises(KeyError, match="not registered"):
        finding("FX101", at=(), ref=None, detail="x")
    for _code, check in R.RULES:
        for found in check(_many()):
            assert rule(found.code) is REGISTRY[found.code]


def test_problems_are_built_from_the_rule_template() -> None:
    p = instrument_problem(
        "FI105", file="f.yaml", line=3, path="items[0]", ref="a", item="a", scale="s"
    )
    assert p.message == "item 'a' allows NA but scale 's' defines no 'NA' code"
    assert (
        str(p) == "f.yaml:3: FI105 item 'a' allows NA but scale 's' defines no 'NA' code [items[0]]"
    )
    plain = instrument_problem("FI000", file="f.yaml", detail="cannot read file: gone")
    assert plain.message == "cannot read file: gone" and plain.where == "f.yaml"
    with pytest.raises(KeyError):
        instrument_problem("FI105", file="f.yaml", item="a")  # a template field is missing


def test_instrument_problem_follows_the_problem_protocol() -> None:
    p = InstrumentProblem("FI102", "m", "f.yaml", 4, "items[1]", "x")
    assert isinstance(p, ProblemLike)
    assert p.severity == rule("FI102").severity == "error"
    assert p.where == "f.yaml:4"
    assert p.to_dict() == {
        "code": "FI102",
        "message": "m",
        "file": "f.yaml",
        "line": 4,
        "path": "items[1]",
        "ref": "x",
    }
    json.dumps(p.to_dict(), allow_nan=False)


def test_dotted_paths() -> None:
    assert dotted(("items", 2, "anchors")) == "items[2].anchors"
    assert dotted(("changes", "item_map", "a-old")) == "changes.item_map.a-old"
    assert dotted(()) == ""
