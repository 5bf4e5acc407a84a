"""Hostile and malformed sheet input: strict JSON (no NaN/Infinity, no duplicate keys), JSON
Lines split on line feeds only, strict CSV quoting, CR-only line endings, fields of any size,
the fast and exact CSV paths agreeing, and bounded time on huge headers and item lists."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fidelity.instrument import Instrument
from fidelity.ratings import Problem, read_sheets, validate
from fidelity.ratings.readers._common import MAX_COLUMNS, MAX_ITEM_IDS
from fidelity.ratings.readers.csv import _csv_fast, _csv_slow, _stray_quote_row

Codes = Callable[[list[Problem]], list[str]]
Write = Callable[[str, str], Path]

GOOD = {
    "instrument": "hand@1.0.0",
    "assessment": "A1",
    "rater": "r1",
    "ratings": {"a1": 4, "a2": 1, "a3": 0, "b1": 3, "b2": 1},
}


def _line(**changes: object) -> str:
    return json.dumps({**GOOD, **changes}, ensure_ascii=False)


# -- strict JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("field", ["date", "consensus", "instrument", "site", "informant"])
@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_json_nan_and_infinity_literals_are_refused_with_line_and_column(
    hand: Instrument, write: Write, field: str, literal: str, suffix: str
) -> None:
    text = _line()[:-1] + f', "{field}": {literal}}}'
    problems = validate(hand, write("s" + suffix, "\n" + text if suffix == ".json" else text))
    bad = [p for p in problems if p.code == "FR010"]
    assert len(bad) == 1, problems
    assert literal.lstrip("-") in bad[0].message
    assert "column" in bad[0].message
    if suffix == ".json":
        assert "line 2" in bad[0].message
    else:
        assert bad[0].sheet is not None and bad[0].sheet.line == 1


def test_a_nan_inside_a_string_is_just_text(hand: Instrument, write: Write) -> None:
    problems = validate(hand, write("s.jsonl", _line(site="NaN Infinity")))
    assert problems.ok, problems


@pytest.mark.parametrize(
    "text",
    [
        '{"assessment": "A1", "rater": "a", "rater": "b", "ratings": {}}',
        '{"assessment": "A1", "rater": "a", "ratings": {"a1": 4, "a1": 3}}',
        '{"assessment": "A1", "rater": "a", "comments": {"a1": "x", "a1": "y"}}',
    ],
)
@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_duplicate_keys_are_refused(
    hand: Instrument, write: Write, codes: Codes, text: str, suffix: str
) -> None:
    problems = validate(hand, write("s" + suffix, text))
    assert "FR010" in codes(problems)
    bad = next(p for p in problems if p.code == "FR010")
    assert "duplicate key" in bad.message


@given(key=st.text(min_size=1, max_size=8), depth=st.integers(0, 3))
@settings(max_examples=60, deadline=None)
def test_duplicate_keys_are_refused_at_any_depth(key: str, depth: int) -> None:
    from fidelity.ratings.readers.json import _loads

    inner = f"{{{json.dumps(key)}: 1, {json.dumps(key)}: 2}}"
    for _ in range(depth):
        inner = f'{{"x": [{inner}]}}'
    _, error = _loads(inner, line_numbers=True)
    assert error is not None and "duplicate key" in error


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c", "\r"])
def test_json_lines_keep_unicode_line_separators_inside_strings(
    hand: Instrument, write: Write, sep: str
) -> None:
    ok = _line(site=f"north{sep}side")
    problems = validate(hand, write("s.jsonl", ok + "\n" + _line(assessment="A2") + "\n"))
    # one line, one sheet: the separator is reported as a character no id may hold (FR206)
    assert [(p.code, p.sheet.line if p.sheet else None) for p in problems] == [("FR206", 1)]
    batch = read_sheets(write("t.jsonl", ok + "\n"))
    assert [r["site"] for r in batch.records()] == [f"north{sep}side"]


def test_json_lines_count_lines_by_line_feed(hand: Instrument, write: Write) -> None:
    text = _line(site="a\u2028b") + "\n" + "{broken\n"
    bad = [p for p in validate(hand, write("s.jsonl", text)) if p.code == "FR010"]
    assert [p.sheet.line for p in bad if p.sheet] == [2]


@given(site=st.text(st.characters(exclude_categories=["Cs"]), max_size=20))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_json_lines_read_any_site_text(site: str) -> None:
    from fidelity.ratings.readers.json import read_jsonl

    raw = (json.dumps({**GOOD, "site": site}, ensure_ascii=False) + "\n").encode()
    seg = read_jsonl("s.jsonl", raw)
    assert not seg.problems
    assert seg.fields["site"].tolist() == [site]


@pytest.mark.parametrize(
    "migrations",
    [
        [1, 2],
        "from somewhere",
        {"from": "hand@0.9.0"},
        [{"from": 3, "to": "hand@1.0.0"}],
        [{"to": "hand@1.0.0"}],
        [{"from": "hand@0.9.0", "to": ["x"]}],
        [],
        [{"from": "hand@0.9.0", "to": "hand@1.0.0"}, "x"],
    ],
)
def test_nonsense_migrations_are_refused(
    hand: Instrument, write: Write, codes: Codes, migrations: object
) -> None:
    problems = validate(hand, write("s.jsonl", _line(migrations=migrations)))
    assert codes(problems) == ["FR202"], problems
    assert problems[0].path.startswith("$.migrations")


@pytest.mark.parametrize("migrations", [None, [{"from": "hand@0.9.0", "to": "hand@1.0.0"}]])
def test_a_migrations_record_written_by_migrate_is_accepted(
    hand: Instrument, write: Write, migrations: object
) -> None:
    assert validate(hand, write("s.jsonl", _line(migrations=migrations))).ok


# -- CSV --------------------------------------------------------------------------------------

ROW = "hand@1.0.0,A1,r1,north,supervisor,2024-05-01,false,4,1,0,3,1"


@pytest.mark.parametrize("field", ['no"rth', 'north"', 'no""rth', 'n"o"rth'])
def test_a_quote_inside_an_unquoted_field_is_refused(
    hand: Instrument, write: Write, header: str, field: str
) -> None:
    text = f"{header}\n{ROW}\n{ROW.replace('A1', 'A2').replace('north', field)}\n{ROW}\n"
    problems = validate(hand, write("s.csv", text))
    bad = [p for p in problems if p.code == "FR024"]
    assert len(bad) == 1, problems
    assert bad[0].sheet is not None and bad[0].sheet.row == 3
    assert "quote" in bad[0].message


def test_a_quote_inside_an_unquoted_header_field_is_refused(
    hand: Instrument, write: Write, header: str, codes: Codes
) -> None:
    problems = validate(hand, write("s.csv", header.replace("site", 's"ite') + f"\n{ROW}\n"))
    assert codes(problems) == ["FR024"]


def test_cr_only_line_endings_are_read(hand: Instrument, write: Write, header: str) -> None:
    path = write("s.csv", "")
    path.write_bytes(f"{header}\r{ROW}\r{ROW.replace('A1', 'A2')}\r".encode())
    problems = validate(hand, path)
    assert problems.ok, problems
    assert [r["assessment"] for r in read_sheets(path).records()] == ["A1", "A2"]


@pytest.mark.parametrize("word", ["TRUE", "True", "tRuE", "FALSE", "False"])
def test_csv_consensus_in_any_case(hand: Instrument, write: Write, header: str, word: str) -> None:
    assert validate(hand, write("s.csv", f"{header}\n{ROW.replace('false', word)}\n")).ok


@pytest.mark.parametrize("size", [131_073, 200_000, 1_000_000])
def test_a_huge_comment_field_reads_on_both_paths(
    hand: Instrument, write: Write, header: str, size: int
) -> None:
    head = header + ",a1:comment"
    text = f"{head}\n{ROW},{'x' * size}\n"
    assert validate(hand, write("s.csv", text)).ok
    quoted = f'{head}\n{ROW},"{"x" * size},"\n{ROW.replace("A1", "A2")},\n'
    assert validate(hand, write("q.csv", quoted)).ok
    hdr = head.split(",")
    cols, _, problems = _csv_slow("q.csv", quoted, hdr)
    assert not problems
    assert len(cols[-1][0]) == size + 1


def test_a_quoted_field_open_at_the_end_of_the_file_is_refused(
    hand: Instrument, write: Write, header: str
) -> None:
    text = f'{header}\n{ROW}\n{ROW.replace("A1", "A2")[:-1]}"5'
    assert _csv_fast(text.encode(), header.split(",")) is None
    problems = validate(hand, write("s.csv", text))
    bad = [p for p in problems if p.code == "FR024"]
    assert len(bad) == 1 and bad[0].sheet is not None and bad[0].sheet.row == 3, problems


@pytest.mark.parametrize("blank", ["", "\n\n", "\n\n\n", "\r\n\r\n"])
def test_blank_lines_keep_the_row_numbers_of_a_file_without_quotes(
    hand: Instrument, write: Write, header: str, blank: str
) -> None:
    eol = "\r\n" if "\r" in blank else "\n"
    bad = ROW.replace("A1", "A2").replace("false", "maybe")
    text = eol.join([header, ROW, "", bad]) + (blank or eol)
    problems = validate(hand, write("s.csv", text))
    assert [(p.code, p.sheet.row if p.sheet else None) for p in problems] == [("FR202", 4)]


def test_the_codes_a_csv_reader_keeps_give_back_each_sheet_field(
    hand: Instrument, write: Write, header: str
) -> None:
    rows = [
        ROW.replace("A1", f"A{k % 3}").replace("north", ["north", "", "south"][k % 3])
        for k in range(7)
    ]
    for text in (f"{header}\n" + "\n".join(rows) + "\n", f"{header}\n{rows[0]}\n\n{rows[1]}\n"):
        seg = read_sheets(write("s.csv", text)).segments[0]
        assert {"assessment", "site", "informant"} <= set(seg.codes)
        for name, (col, codes, distinct) in seg.codes.items():
            assert col is seg.fields[name]
            assert [distinct[c] for c in codes.tolist()] == col.tolist()


_CELL = st.text(alphabet='ab,"\n\r 1', max_size=6)


@given(
    rows=st.lists(st.lists(_CELL, min_size=3, max_size=3), max_size=5),
    crlf=st.booleans(),
    raw_noise=st.text(alphabet='ab,"\n\r', max_size=30),
    use_noise=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_fast_and_exact_csv_paths_agree(
    rows: list[list[str]], crlf: bool, raw_noise: str, use_noise: bool
) -> None:
    """Whenever the fast path reads a file, the exact path reads the same cells without a
    problem."""
    header = ["assessment", "rater", "a1"]
    if use_noise:
        text = "assessment,rater,a1\n" + raw_noise
    else:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n" if crlf else "\n").writerows([header, *rows])
        text = buf.getvalue()
    slow_cols, slow_rows, problems = _csv_slow("s.csv", text, header)
    if _stray_quote_row(text.encode()) is not None:
        return  # refused before either path reads it
    fast = _csv_fast(text.encode(), header)
    if fast is None:
        return
    fast_cols, fast_rows = fast
    assert not problems
    assert fast_rows.tolist() == slow_rows.tolist()
    for f, s in zip(fast_cols, slow_cols, strict=True):
        assert np.asarray(f, dtype=object).tolist() == s.tolist()


# -- bounded size -----------------------------------------------------------------------------

_FIELDS_HEAD = "instrument,assessment,rater,site,informant,date,consensus"


@pytest.mark.parametrize("with_row", [False, True])
def test_a_header_beyond_the_column_limit_is_refused(
    hand: Instrument, write: Write, codes: Codes, with_row: bool
) -> None:
    n = MAX_COLUMNS + 1
    text = _FIELDS_HEAD + "," + ",".join(f"x{i}" for i in range(n)) + "\n"
    if with_row:
        text += "hand@1.0.0,A,r,s,supervisor,2024-01-01,false" + "," * n + "\n"
    problems = validate(hand, write("s.csv", text))
    assert codes(problems) == ["FR005"]
    assert f"{n + 7:,} columns" in problems[0].message


def test_a_header_at_the_column_limit_is_read(hand: Instrument, write: Write) -> None:
    n = MAX_COLUMNS - 7
    text = _FIELDS_HEAD + "," + ",".join(f"x{i}" for i in range(n)) + "\n"
    problems = validate(hand, write("s.csv", text))
    assert "FR005" not in [p.code for p in problems]


@pytest.mark.parametrize("layout", ["long", "jsonl", "json"])
def test_more_distinct_item_ids_than_the_limit_are_refused(
    hand: Instrument, write: Write, codes: Codes, layout: str
) -> None:
    n = MAX_ITEM_IDS + 1
    if layout == "long":
        path = write(
            "s.csv",
            "assessment,rater,item,value\n" + "".join(f"A,r,it{i},1\n" for i in range(n)),
        )
    else:
        sheets = [{"assessment": f"A{k}", "rater": "r", "ratings": {}} for k in range(4)]
        for i in range(n):
            sheets[i % 4]["ratings"][f"it{i}"] = 1
        text = json.dumps(sheets) if layout == "json" else "\n".join(json.dumps(s) for s in sheets)
        path = write("s." + layout, text)
    problems = validate(hand, path)
    assert codes(problems) == ["FR005"]
    assert f"{n:,} distinct item ids" in problems[0].message


def test_many_unknown_items_of_one_sheet_are_each_reported(
    hand: Instrument, write: Write, codes: Codes
) -> None:
    n = 1_000
    path = write(
        "s.csv", "assessment,rater,item,value\n" + "".join(f"A,r,it{i},1\n" for i in range(n))
    )
    problems = validate(hand, path)
    assert codes(problems).count("FR104") == n
    assert sorted(p.sheet.row for p in problems if p.code == "FR104" and p.sheet) == list(
        range(2, n + 2)
    )


# -- aggregated problems ----------------------------------------------------------------------


def test_unanswered_items_of_many_sheets_are_kept_aggregated(
    hand: Instrument, write: Write, header: str
) -> None:
    n = 3_000
    rows = "".join(f"hand@1.0.0,A{k},r1,,,,,,,,,\n" for k in range(n))
    problems = validate(hand, write("s.csv", f"{header}\n{rows}"))
    required = 4  # a1, a2, a3, b1 (b2 is optional)
    assert len(problems) == n * required and problems.ok
    assert len(problems._blocks) == 1 and not problems._concrete  # no object per warning
    groups = problems.groups()
    assert [(g.code, g.item, g.size) for g in groups] == [
        ("FR105", item, n) for item in ("a1", "a2", "a3", "b1")
    ]
    assert groups[0].first == problems[0]
    last = problems[-1]
    assert last.sheet is not None and last.sheet.row == n + 1 and last.item == "b1"
    assert problems[4:8] == [problems[k] for k in range(4, 8)]
    assert problems == list(problems) and len(problems.warnings) == len(problems)
    assert not problems.errors
    assert "by code: FR105 12000" in repr(problems)


_CELL_VALUES = st.sampled_from([None, 1, 4, 9, "x", "NA"])


@given(
    sheets=st.lists(
        st.fixed_dictionaries(
            {k: _CELL_VALUES for k in ("a1", "a2", "a3", "b1", "b2")},
            optional={"zz": st.just(1)},
        ),
        min_size=1,
        max_size=8,
    ),
    dup=st.booleans(),
)
@settings(max_examples=60, deadline=None)
def test_aggregated_problems_keep_the_order_of_sheets_and_items(
    hand: Instrument, sheets: list[dict[str, object]], dup: bool
) -> None:
    records = [
        {"assessment": f"A{k}", "rater": "r", "ratings": {i: v for i, v in s.items() if v}}
        for k, s in enumerate(sheets)
    ]
    if dup:
        records.append(dict(records[0]))
    problems = validate(hand, records)
    order = {k: j for j, k in enumerate(("a1", "a2", "a3", "b1", "b2"))}
    keys = [(p.sheet.index if p.sheet and p.sheet.index is not None else -1, p) for p in problems]
    assert [k for k, _ in keys] == sorted(k for k, _ in keys)
    for sheet in {k for k, _ in keys}:
        items = [order[p.item] for k, p in keys if k == sheet and p.item in order]
        assert items == sorted(items)
    required = ("a1", "a2", "a3", "b1")
    expected_missing = sum(1 for s in sheets for i in required if s[i] is None) + (
        sum(1 for i in required if sheets[0][i] is None) if dup else 0
    )
    assert sum(1 for p in problems if p.code == "FR105") == expected_missing
    assert len(problems.errors) + len(problems.warnings) == len(problems)
    assert sum(g.size for g in problems.groups()) == len(problems)


@pytest.mark.parametrize(
    "rows",
    [
        ["hand@1.0.0,,,,"],
        ["hand@1.0.0,A,r,a1,4", "hand@1.0.0,A,r,,"],
        ["hand@1.0.0,,r,a1,4", "hand@1.0.0,A,,a1,4"],
    ],
)
def test_long_rows_without_keys_are_reported_not_crashed_on(
    hand: Instrument, write: Write, rows: list[str]
) -> None:
    from fidelity.errors import SheetsInvalidError
    from fidelity.scoring import score

    path = write("s.csv", "instrument,assessment,rater,item,value\n" + "\n".join(rows) + "\n")
    problems = validate(hand, path)
    assert "FR201" in [p.code for p in problems]
    with pytest.raises(SheetsInvalidError):
        score(hand, path)
