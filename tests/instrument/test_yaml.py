"""The bounded safe YAML reader: plain data only, with the line of every problem."""

from __future__ import annotations

import time

import pytest

from fidelity.instrument import InstrumentError, instrument_from_yaml
from fidelity.instrument._yaml import MAX_BYTES, YamlError, read_yaml_text


def _billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_reads_plain_data_with_lines() -> None:
    doc = read_yaml_text("a: 1\nb:\n  - x\n  - {c: true, d: null}\n", source="f.yaml")
    assert doc.data == {"a": 1, "b": ["x", {"c": True, "d": None}]}
    assert doc.lines[("a",)] == 1
    assert doc.lines[("b", 1, "c")] == 4
    assert doc.line_of(("b", 1, "c", "missing")) == 4


def test_keys_are_strings_and_dates_stay_text() -> None:
    doc = read_yaml_text("1: one\nreleased: 2024-05-01\n", source="f.yaml")
    assert doc.data == {"1": "one", "released": "2024-05-01"}


@pytest.mark.parametrize(
    "text",
    [
        "x: !!python/object/apply:os.system ['echo pwned']\n",
        "x: !!python/name:os.system\n",
        "x: !custom 3\n",
        "x: !!binary aGVsbG8=\n",
        "x: !!set {a, b}\n",
    ],
)
def test_object_constructing_and_unknown_tags_are_refused(text: str) -> None:
    with pytest.raises(YamlError, match="YAML tag .* is not allowed") as info:
        read_yaml_text(text, source="evil.yaml")
    assert info.value.code == "FI002"
    assert str(info.value).startswith("evil.yaml:1: ")


def test_alias_bomb_is_refused_fast() -> None:
    start = time.perf_counter()
    with pytest.raises(YamlError, match="expands to more than") as info:
        read_yaml_text(_billion_laughs(), source="bomb.yaml")
    elapsed = time.perf_counter() - start
    assert info.value.code == "FI004"
    # fails on the budget, not after expanding 9**10 values (which would take hours)
    assert elapsed < 30


def test_small_alias_use_is_allowed() -> None:
    doc = read_yaml_text("base: &b {x: 1}\ncopy: *b\n", source="f.yaml")
    assert doc.data == {"base": {"x": 1}, "copy": {"x": 1}}


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(YamlError, match="nesting deeper"):
        read_yaml_text("[" * 200 + "]" * 200, source="deep.yaml")


def test_oversize_file_is_refused_before_parsing() -> None:
    big = "a: " + "x" * (MAX_BYTES + 10) + "\n"
    with pytest.raises(YamlError, match="limited to") as info:
        read_yaml_text(big, source="big.yaml")
    assert info.value.code == "FI003"


def test_duplicate_keys_are_refused_with_both_lines() -> None:
    with pytest.raises(YamlError, match=r"duplicate key 'a' \(first on line 1\)") as info:
        read_yaml_text("a: 1\nb: 2\na: 3\n", source="dup.yaml")
    assert info.value.line == 3


def test_syntax_error_and_empty_and_binary_files() -> None:
    with pytest.raises(YamlError, match="YAML syntax error") as info:
        read_yaml_text("a: [1, 2\nb: 3\n", source="s.yaml")
    assert info.value.line is not None
    with pytest.raises(YamlError, match="empty"):
        read_yaml_text("# only a comment\n", source="e.yaml")
    with pytest.raises(YamlError, match="not UTF-8"):
        read_yaml_text(b"\xff\xfe\x00garbage", source="b.yaml")


def test_instrument_loader_turns_reader_errors_into_problems() -> None:
    with pytest.raises(InstrumentError) as info:
        instrument_from_yaml(_billion_laughs(), source="bomb.yaml")
    (problem,) = info.value.problems
    assert problem.code == "FI004" and problem.file == "bomb.yaml"
