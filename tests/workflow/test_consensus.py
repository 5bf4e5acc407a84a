"""The consensus loop end to end on the example audit: discrepancies, pre-filled consensus
sheets in the input's format, filled in, validated, and used as the assessments' scores."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import fidelity
from fidelity.cli import app
from fidelity.consensus import OPEN_FILL, prepare_consensus
from fidelity.errors import SheetsInvalidError
from fidelity.ratings import read_sheets, validate

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "enrich-audit.csv"
INST = fidelity.load_instrument("enrich-peer-support@1.1.0")


@pytest.fixture(scope="module")
def prep():  # type: ignore[no-untyped-def]
    return prepare_consensus(INST, EXAMPLE)


def _raw() -> list[dict[str, object]]:
    """The example's sheets as JSON-typed records."""
    recs = list(read_sheets(EXAMPLE).records())
    for r in recs:
        r["consensus"] = r.get("consensus") == "true"
    return recs


def test_waiting_assessments_are_the_double_rated_ones_without_consensus(prep) -> None:  # type: ignore[no-untyped-def]
    recs = _raw()
    raters: dict[str, int] = {}
    done = set()
    for r in recs:
        if r["consensus"]:
            done.add(r["assessment"])
        else:
            raters[str(r["assessment"])] = raters.get(str(r["assessment"]), 0) + 1
    double = {a for a, n in raters.items() if n >= 2}
    assert {s["assessment"] for s in prep.sheets} == double - done
    assert set(prep.complete) == double & done
    assert all(s["consensus"] is True and s["rater"] == "consensus" for s in prep.sheets)


def test_discrepancies_match_the_raw_sheets_and_are_ordered(prep) -> None:  # type: ignore[no-untyped-def]
    recs = _raw()
    frame = prep.discrepancies
    for a, items in prep.open_items.items():
        a_recs = [r for r in recs if r["assessment"] == a]
        expected = [
            it.id for it in INST.items if len({repr(r["ratings"].get(it.id)) for r in a_recs}) > 1
        ]
        assert sorted(items) == sorted(expected)
        rows = frame[frame["assessment"] == a]
        diffs = rows.loc[rows["kind"] == "levels", "difference"].to_numpy()
        assert np.all(np.diff(diffs) <= 0)  # largest disagreements first
        for r in rows.itertuples():
            if r.kind == "levels":
                vals = [int(x["ratings"][r.item]) for x in a_recs]
                assert r.difference == max(vals) - min(vals)
                item = next(it for it in INST.items if it.id == r.item)
                assert r.low_anchor == " ".join(item.anchors[r.low_value].split())
                assert r.high_anchor == " ".join(item.anchors[r.high_value].split())
    # assessments come in input order, contiguously
    order = list(dict.fromkeys(frame["assessment"]))
    assert order == [a for a in prep.open_items if prep.open_items[a]]


def test_agreed_items_are_prefilled_and_open_ones_marked(prep) -> None:  # type: ignore[no-untyped-def]
    recs = _raw()
    for sheet in prep.sheets:
        a_recs = [r for r in recs if r["assessment"] == sheet["assessment"]]
        for item_id, value in sheet["ratings"].items():
            answers = {repr(r["ratings"].get(item_id)) for r in a_recs}
            if item_id in prep.open_items[sheet["assessment"]]:
                assert value is None
                assert sheet["comments"][item_id].startswith("open: ")
            else:
                assert len(answers) == 1
                assert repr(value) == answers.pop()


def _fill_csv(text: str, open_items: dict[str, list[str]]) -> str:
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        for item in open_items[row["assessment"]]:
            assert row[item] == ""
            row[item] = "2"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def _fill_json(text: str, open_items: dict[str, list[str]]) -> str:
    sheets = json.loads(text)
    for s in sheets:
        for item in open_items[s["assessment"]]:
            s["ratings"][item] = 2
    return json.dumps(sheets)


def _fill_xlsx(data: bytes, open_items: dict[str, list[str]]) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    sheet = book["ratings"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        a = row[header.index("assessment")].value
        if a is None:
            continue
        for item in open_items[a]:
            cell = row[header.index(item)]
            assert cell.value is None
            assert cell.fill.fgColor.rgb.endswith(OPEN_FILL)
            cell.value = 2
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_the_whole_loop(prep, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    data = {"csv": prep.sheets_csv, "json": prep.sheets_json, "xlsx": prep.sheets_xlsx}[fmt]()
    blank = tmp_path / f"blank.{fmt}"
    blank.write_bytes(data if isinstance(data, bytes) else data.encode())
    # as written: valid, the open items reported as unanswered (warnings)
    problems = validate(INST, blank)
    assert problems and {p.code for p in problems} == {"FR105"}
    assert all(p.severity == "warning" for p in problems)
    filler = {"csv": _fill_csv, "json": _fill_json, "xlsx": _fill_xlsx}[fmt]
    filled = tmp_path / f"filled.{fmt}"
    out = filler(data, prep.open_items)  # type: ignore[operator]
    filled.write_bytes(out if isinstance(out, bytes) else out.encode())
    codes = {p.code for p in validate(INST, filled)}
    assert codes <= {"FR105"}  # only items both raters left empty may stay empty
    for s in read_sheets(filled).records():
        for item in prep.open_items[s["assessment"]]:
            assert s["ratings"][item] == 2
    result = fidelity.score(INST, [EXAMPLE, filled])
    by = result.by_assessment().set_index("assessment")
    alone = fidelity.score(INST, filled).to_pandas().set_index("assessment")
    for a in prep.open_items:
        assert by.loc[a, "basis"] == "consensus"
        assert by.loc[a, "overall"] == pytest.approx(alone.loc[a, "overall"], nan_ok=True)


def test_outputs_are_safe_to_open(tmp_path: Path) -> None:
    recs = _raw()[:2]
    assert recs[0]["assessment"] == recs[1]["assessment"]
    item = INST.items[0].id
    recs[0]["ratings"][item], recs[1]["ratings"][item] = 1, 4
    recs[0]["comments"] = {item: '=HYPERLINK("http://x") | <b>bold</b>'}
    prep = prepare_consensus(INST, recs)
    row = prep.discrepancies.iloc[0]
    assert row["item"] == item and row["difference"] == 3
    assert "'" + "rater-2: =HYPERLINK" not in prep.discrepancies_csv()
    assert "rater-2: =HYPERLINK" in prep.discrepancies_csv()
    md = prep.discrepancies_markdown()
    assert "<b>" not in md and "&lt;b&gt;" in md
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(prep.discrepancies_xlsx()))
    assert all(c.data_type != "f" for row in book.active.iter_rows() for c in row)


def test_formula_like_text_at_the_start_of_a_cell_is_quoted() -> None:
    from fidelity.consensus import _safe_text

    assert _safe_text("=1+1") == "'=1+1"
    assert _safe_text("-x") == "'-x"
    assert _safe_text("ok") == "ok"


def test_nothing_to_do_when_every_double_rating_has_consensus(prep) -> None:  # type: ignore[no-untyped-def]
    both = [*_raw(), *copy.deepcopy(prep.sheets)]
    for s in both[-len(prep.sheets) :]:
        for item in prep.open_items[s["assessment"]]:
            s["ratings"][item] = 2
    again = prepare_consensus(INST, both)
    assert again.sheets == [] and len(again.discrepancies) == 0
    assert "No double-rated assessment" in again.discrepancies_markdown()


def test_invalid_sheets_are_refused() -> None:
    recs = _raw()
    recs[0]["ratings"][INST.items[0].id] = 9
    with pytest.raises(SheetsInvalidError):
        prepare_consensus(INST, recs)


def test_cli_writes_the_meeting_files(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["consensus", str(EXAMPLE), "-o", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert names == [
        "consensus-sheets.csv",
        "discrepancies.csv",
        "discrepancies.md",
        "discrepancies.xlsx",
    ]
    assert "12 assessment(s) waiting for consensus" in result.output
    result = runner.invoke(
        app, ["consensus", str(EXAMPLE), "-o", str(tmp_path / "x"), "-f", "xlsx"]
    )
    assert (tmp_path / "x" / "consensus-sheets.xlsx").is_file()


def test_cli_refuses_invalid_input_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    text = EXAMPLE.read_text().splitlines()
    cells = text[1].split(",")
    cells[7] = "9"
    bad.write_text("\n".join([text[0], ",".join(cells), *text[2:]]) + "\n")
    result = CliRunner().invoke(app, ["consensus", str(bad), "-o", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "FR1" in result.output
    assert not (tmp_path / "m").exists()


def test_sheets_of_one_round_give_consensus_sheets_of_that_round() -> None:
    recs = [{**r, "round": "6m"} for r in _raw()]
    prep = prepare_consensus(INST, recs)
    assert prep.sheets and all(s["round"] == "6m" for s in prep.sheets)
    assert not validate(INST, [*recs, *prep.sheets]).errors


def _two_rounds(tmp_path: Path) -> Path:
    """A simulated two-round audit (no consensus sheets yet) as CSV."""
    from fidelity.simulate import simulate_rounds

    sim = simulate_rounds(INST, change={"site-02": 0.5}, seed=4, n_sites=6, consensus=0.0)
    return sim.write_csv(tmp_path / "rounds.csv")


def test_sheets_of_several_rounds_give_consensus_sheets_per_assessment_and_round(
    tmp_path: Path,
) -> None:
    sheets = _two_rounds(tmp_path)
    checked = fidelity.score(INST, sheets).to_pandas()
    double = checked[~checked["consensus"]].groupby(["assessment", "round"]).size()
    expected = {(a, r) for (a, r), n in double.items() if n >= 2}
    prep = prepare_consensus(INST, sheets)
    got = {(s["assessment"], s["round"]) for s in prep.sheets}
    assert got == expected and len(prep.sheets) == len(expected)
    assert {r for _, r in got} == {"baseline", "6m"}
    # an assessment id double-rated in both rounds gets a sheet in each
    both = {a for a, r in expected if r == "baseline"} & {a for a, r in expected if r == "6m"}
    assert both and all((a, r) in got for a in both for r in ("baseline", "6m"))
    keys = list(prep.open_items)
    assert all(k.endswith(("(round baseline)", "(round 6m)")) for k in keys)
    rounds_in_order = [k.rsplit("(round ", 1)[1] for k in keys]
    assert rounds_in_order == sorted(rounds_in_order, key=["baseline)", "6m)"].index)
    frame = prep.discrepancies
    assert list(frame.columns[:2]) == ["assessment", "round"]
    for key, items in prep.open_items.items():
        a, r = key[: -len(")")].rsplit(" (round ", 1)
        assert sorted(frame[(frame["assessment"] == a) & (frame["round"] == r)]["item"]) == sorted(
            items
        )
    md = prep.discrepancies_markdown()
    assert md.index("## Round baseline") < md.index("## Round 6m")
    # filled in, the consensus sheets of both rounds are valid beside the raters' sheets
    written = tmp_path / "consensus.csv"
    written.write_text(prep.sheets_csv())
    assert not validate(INST, [sheets, written]).errors


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cli_prepares_every_round_in_one_call(tmp_path: Path, fmt: str) -> None:
    sheets = _two_rounds(tmp_path)
    out = tmp_path / "m"
    result = CliRunner().invoke(app, ["consensus", str(sheets), "-o", str(out), "-f", fmt])
    assert result.exit_code == 0, result.output
    written = read_sheets(out / f"consensus-sheets.{fmt}")
    records = list(written.records())
    assert {r["round"] for r in records} == {"baseline", "6m"}
    assert all(r["consensus"] in (True, "true") for r in records)
    assert not validate(INST, written).errors
    table = (out / "discrepancies.csv").read_text().splitlines()
    assert table[0].startswith("assessment,round,site,")
    assert {line.split(",")[1] for line in table[1:]} == {"baseline", "6m"}
    from openpyxl import load_workbook

    book = load_workbook(out / "discrepancies.xlsx")
    header = [c.value for c in book["discrepancies"][1]]
    assert header[:2] == ["assessment", "round"]


def test_an_assessment_with_and_without_a_round_is_refused() -> None:
    from fidelity.consensus import ConsensusError

    recs = _raw()
    mixed = [{**r, "round": "6m"} if k % 2 else r for k, r in enumerate(recs)]
    with pytest.raises(ConsensusError, match="name an audit round on some sheets and none"):
        prepare_consensus(INST, mixed)
