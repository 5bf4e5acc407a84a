"""The reliability report's outputs stay as they were (JSON, Markdown and terminal text are
compared with files written before the report became typed rows), and its short views:
``repr``, the notebook HTML and ``rich``."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console

import fidelity
from fidelity.report import (
    ConsistencyRow,
    Design,
    ItemRow,
    ReliabilityReport,
    ScoreRow,
    SpreadRow,
    audit_report_markdown,
    reliability_report,
)
from fidelity.report.html_view import MAX_ROWS
from fidelity.stats.estimate import Estimate

MINIMAL = Path(__file__).parents[1] / "data" / "lint" / "minimal.yaml"
EXAMPLE = Path(__file__).parents[2] / "examples" / "enrich-audit.csv"
GOLDEN = Path(__file__).parent / "golden"


def _sheet(a: str, r: str, ratings: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"instrument": "mini@1.0.0", "assessment": a, "rater": r, "ratings": ratings, **kw}


def _crossed() -> list[dict[str, Any]]:
    rng = np.random.default_rng(1)
    sheets = [
        _sheet(f"a{k}", r, {i: int(rng.integers(1, 5)) for i in ("t-open", "c-goals", "c-pace")})
        for k in range(12)
        for r in ("ann", "bob")
    ]
    del sheets[5]["ratings"]["c-goals"], sheets[5]["ratings"]["c-pace"]
    return sheets


CASES = {
    "nested": lambda: [
        _sheet("a1", "ann", {"t-open": 1, "c-goals": 2, "c-pace": "NA"}),
        _sheet("a1", "bob", {"t-open": 1, "c-goals": 3, "c-pace": 4}),
        _sheet("a2", "cat", {"t-open": 4, "c-goals": 2, "c-pace": 2}),
        _sheet("a2", "dan", {"t-open": 2, "c-goals": 2, "c-pace": 2}),
        _sheet("a3", "ann", {"t-open": 3, "c-goals": 4, "c-pace": 1}),
        _sheet("a3", "cat", {"t-open": 3, "c-goals": 4, "c-pace": 1}),
        _sheet("a3", "consensus", {"t-open": 3, "c-goals": 4, "c-pace": 1}, consensus=True),
    ],
    "single": lambda: [_sheet("a1", "ann", {"t-open": 2, "c-goals": 2, "c-pace": 2})],
    "crossed": _crossed,
}


@pytest.fixture(scope="module")
def mini() -> fidelity.Instrument:
    return fidelity.load_instrument(MINIMAL)


@pytest.fixture(scope="module")
def example() -> ReliabilityReport:
    inst = fidelity.load_instrument("enrich-peer-support@1.1.0")
    return reliability_report(inst, EXAMPLE, n_bootstrap=20, seed=1)


def _mask(text: str) -> str:
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z?", "TS", text)
    text = re.sub(r"\b[0-9a-f]{64}\b", "HASH", text)
    text = re.sub(r"content hash [0-9a-f]{12}…", "content hash HASH…", text)
    text = text.replace(f"fidelity {fidelity.__version__}.", "fidelity VERSION.")
    text = text.replace(
        f'"fidelity_version": "{fidelity.__version__}"', '"fidelity_version": "VERSION"'
    )
    return text.replace(
        f"scored with fidelity {fidelity.__version__} at", "scored with fidelity VERSION at"
    )


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _terminal(report: ReliabilityReport, width: int) -> str:
    buf = io.StringIO()
    report.render(Console(file=buf, width=width, force_terminal=False, color_system=None))
    return buf.getvalue()


@pytest.mark.parametrize("case", sorted(CASES))
def test_outputs_equal_the_recorded_ones(mini: fidelity.Instrument, case: str) -> None:
    sheets = CASES[case]()
    report = reliability_report(mini, sheets, n_bootstrap=30)
    result = fidelity.score(mini, sheets)
    text = _mask(report.to_json())
    assert list(json.loads(text)) == list(json.loads((GOLDEN / f"{case}.json").read_text()))
    assert _close(json.loads(text), json.loads((GOLDEN / f"{case}.json").read_text()))
    markdown = _mask(audit_report_markdown(mini, result, report))
    assert markdown == (GOLDEN / f"{case}.md").read_text()
    assert _terminal(report, 120) == (GOLDEN / f"{case}.txt").read_text()


def test_rows_are_frozen_and_hold_estimates(example: ReliabilityReport) -> None:
    row = example.scores[0]
    assert isinstance(row, ScoreRow) and isinstance(row.icc, Estimate)
    assert isinstance(example.items[0], ItemRow) and isinstance(example.items[0].ac2, Estimate)
    assert isinstance(example.consistency[0], ConsistencyRow)
    assert isinstance(example.spread[0], SpreadRow) and isinstance(example.design, Design)
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.target = "x"  # type: ignore[misc]
    assert row["icc"] == row.to_dict()["icc"]
    assert row["icc"]["value"] == row.icc.value
    assert example.to_dict()["scores"][0] == row.to_dict()
    json.dumps(example.to_dict(), allow_nan=False)


def test_repr_is_a_short_summary(example: ReliabilityReport) -> None:
    text = repr(example)
    assert text.startswith("ReliabilityReport(enrich-peer-support@1.1.0")
    assert len(text.splitlines()) <= 5 and len(text) < 600
    assert "24 double-rated" in text and "ICC(1,1)" in text


class _Checker(HTMLParser):
    """Collects text and checks that every opened element is closed in order."""

    VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "col", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(markup: str) -> _Checker:
    checker = _Checker()
    checker.feed(markup)
    checker.close()
    assert checker.stack == []
    return checker


def test_html_view_is_bounded_well_formed_and_escaped(example: ReliabilityReport) -> None:
    markup = example._repr_html_()
    page = parse_html(markup)
    assert "script" not in page.tags
    assert page.tags.count("tr") <= 4 * (MAX_ROWS + 1)
    assert len(example.items) > MAX_ROWS and "more rows" in markup
    hostile = dataclasses.replace(
        example,
        provenance={**example.provenance, "instrument": "<script>alert(1)</script>"},
        design=dataclasses.replace(example.design, reason="a & b <i>"),
    )
    markup = hostile._repr_html_()
    page = parse_html(markup)
    assert "script" not in page.tags and "i" not in page.tags
    text = "".join(page.text)
    assert "<script>alert(1)</script>" in text and "a & b <i>" in text


def test_rich_renders_the_cli_tables_at_80_columns(example: ReliabilityReport) -> None:
    via_rich = io.StringIO()
    Console(file=via_rich, width=80, color_system=None).print(example)
    via_render = io.StringIO()
    example.render(Console(file=via_render, width=80, color_system=None))
    out = via_rich.getvalue()
    assert out == via_render.getvalue()
    assert max(len(line) for line in out.splitlines()) <= 80
    for title in ("Scores: inter-rater reliability", "Domains: internal consistency"):
        assert title in out


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def test_at_80_columns_no_cell_wraps_and_ids_and_intervals_stay_whole(
    example: ReliabilityReport,
) -> None:
    out = _lines(_terminal(example, 80))
    assert max(len(line) for line in out) <= 80
    assert "…" not in "\n".join(out)
    inst = fidelity.load_instrument("enrich-peer-support")
    for item in inst.items:  # every id in full, at the start of a row
        assert any(line.startswith(item.id + " ") for line in out), item.id
    row = next(line for line in out if line.startswith("overall "))
    value, low_text, high_text = row.split()[2:5]  # the ICC and its interval on one line
    assert float(value) == pytest.approx(example.scores[-1].icc.value, abs=0.005)
    low, high = float(low_text.strip("[,")), float(high_text.strip("]"))
    assert low <= float(value) <= high
    assert any(
        line.startswith("Items: agreement on double-rated assessments (1 of") for line in out
    )


def test_the_flags_legend_wraps_at_80_columns() -> None:
    from typer.testing import CliRunner

    from fidelity.cli import app

    result = CliRunner().invoke(
        app, ["reliability", str(EXAMPLE), "--bootstrap", "0"], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    legend = result.stderr.split("Flags:\n")[1].splitlines()
    assert max(len(line) for line in legend) <= 80
    assert any(line.startswith("      ") for line in legend)  # continuation lines indented
    joined = " ".join(line.strip() for line in legend)
    assert "doi:10.1016/j.jcm.2016.02.012" in joined  # a DOI is never broken


def test_a_wide_terminal_prints_each_table_whole(example: ReliabilityReport) -> None:
    out = _terminal(example, 200)
    assert "(1 of" not in out and "…" not in out


def test_redirected_output_reads_at_80_columns(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["PYTHONPATH"] = str(Path(fidelity.__file__).parents[1])
    legend = tmp_path / "err.txt"
    with target.open("w") as fh, legend.open("w") as err:
        subprocess.run(
            [sys.executable, "-m", "fidelity", "reliability", str(EXAMPLE), "--bootstrap", "20"],
            stdout=fh,
            stderr=err,
            env=env,
            check=True,
        )
    flags = legend.read_text(encoding="utf-8").split("Flags:\n")[1].splitlines()
    assert flags and max(len(line) for line in flags) <= 80
    heads = [line for line in flags if line.startswith("  ") and not line.startswith("   ")]
    assert len(heads) == len(fidelity.report.CRITERIA)
    lines = _lines(target.read_text(encoding="utf-8"))
    assert max(len(line) for line in lines) <= 80 and "…" not in "\n".join(lines)
    assert "\x1b[" not in target.read_text(encoding="utf-8")  # no colour codes in a file
    assert any(line.startswith("exp-supervision-values-experience ") for line in lines)
