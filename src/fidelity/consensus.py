"""Consensus meetings: where two (or more) raters of one assessment disagree, and a consensus
sheet pre-filled with everything they already agree on.

In a fidelity audit two raters score the same interview independently, then meet and agree a
consensus rating. :func:`prepare_consensus` finds every double-rated assessment that has no
consensus sheet yet and returns a :class:`ConsensusPrep` with

* ``discrepancies``: one row per assessment and item on which the raters differ, with every
  rater's value, the anchors of the lowest and the highest level given, the size of the
  difference in levels and the raters' comments, largest disagreements first (a difference
  between a level and ``NA`` or an empty cell has no size and comes after the numeric ones,
  ordered by kind);
* ``sheets``: one pre-filled consensus sheet per such assessment (``consensus`` true, rater
  ``consensus``): items on which every rater gave the same answer are filled in, the others are
  left empty and carry a comment ``open: rater-a 2, rater-b 4``, so the meeting decides only
  what is open.

Audit rounds are kept apart: one assessment id in two rounds is two assessments, each with
its own consensus sheet (carrying its ``round``), the discrepancy list gains a ``round``
column after ``assessment``, and the Markdown list has one section per round. An assessment
id whose sheets name a round on some sheets and none on others is refused
(:class:`ConsensusError`): which round its consensus belongs to is unknown.

The sheets are written in the format of the input (:meth:`ConsensusPrep.sheets_csv`,
:meth:`~ConsensusPrep.sheets_json`, :meth:`~ConsensusPrep.sheets_xlsx`, the latter from the
``fidelity template`` workbook with the open cells highlighted). Once filled in they validate
like any sheet (an item still empty is reported as unanswered, FR105) and
:meth:`fidelity.scoring.ScoreResult.by_assessment` uses them as the assessments' scores.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fidelity._util.text import md_text, safe_cell
from fidelity.errors import FidelityError, SheetsInvalidError
from fidelity.ratings.batch import as_batch
from fidelity.ratings.checks.run import CheckedSheets, check_sheets
from fidelity.ratings.sheet import ANSWERED, COMMENT_SUFFIX, FIELDS, NA
from fidelity.ratings.templates import template_columns, template_xlsx

if TYPE_CHECKING:
    import pandas as pd

    from fidelity.instrument import Instrument

__all__ = [
    "CONSENSUS_RATER",
    "DISCREPANCY_COLUMNS",
    "OPEN_FILL",
    "ConsensusError",
    "ConsensusPrep",
    "find_discrepancies",
    "prepare_consensus",
]


class ConsensusError(FidelityError, ValueError):
    """Sheets that cannot be prepared for consensus meetings as given (an assessment whose
    sheets name a round on some sheets and none on others)."""


CONSENSUS_RATER = "consensus"
"""The ``rater`` of a pre-filled consensus sheet."""

OPEN_FILL = "FFEB9C"
"""Background colour of the open cells of an XLSX consensus sheet."""

DISCREPANCY_COLUMNS = (
    "assessment",
    "site",
    "informant",
    "domain",
    "item",
    "text",
    "kind",
    "difference",
    "values",
    "low_rater",
    "low_value",
    "low_anchor",
    "high_rater",
    "high_value",
    "high_anchor",
    "comments",
)
"""Columns of the discrepancy list (with audit rounds, ``round`` follows ``assessment``).
``kind`` is ``levels`` (two different levels; ``difference``
is the distance in levels), ``NA`` (a level against not applicable) or ``missing`` (an answer
against an empty cell); ``values`` lists every rater's answer."""

_KIND_ORDER = {"levels": 0, "NA": 1, "missing": 2}


@dataclass
class ConsensusPrep:
    """What a consensus meeting needs: the discrepancy list and the pre-filled sheets.

    Attributes:
        instrument: ``id@version`` of the instrument.
        discrepancies: one row per open assessment and item (see :data:`DISCREPANCY_COLUMNS`).
        sheets: the pre-filled consensus sheets as records (``ratings`` maps every item id to
            the agreed value, or ``None`` where the meeting must decide).
        open_items: for each assessment, the ids of its open items in instrument order; keyed
            by the assessment id, or ``"<id> (round <round>)"`` for sheets that name a round.
        complete: assessments already having a consensus sheet (left alone), keyed likewise.
    """

    instrument: str
    discrepancies: pd.DataFrame
    sheets: list[dict[str, Any]]
    open_items: dict[str, list[str]]
    complete: list[str] = field(default_factory=list)
    _inst: Instrument | None = field(default=None, repr=False)
    metadata: tuple[str, ...] = ()
    """The declared metadata columns (``keep``) the consensus sheets carry, after the items."""

    def discrepancies_csv(self) -> str:
        """The discrepancy list as CSV (cells that a spreadsheet would run are quoted with
        a leading apostrophe)."""
        return _safe_frame(self.discrepancies).to_csv(index=False, lineterminator="\n")

    def discrepancies_xlsx(self) -> bytes:
        """The discrepancy list as an XLSX workbook (every cell stored as a value)."""
        from openpyxl import Workbook
        from openpyxl.styles import Font

        book = Workbook()
        sheet = book.active
        sheet.title = "discrepancies"
        sheet.append(list(self.discrepancies.columns))
        for c in sheet[1]:
            c.font = Font(bold=True)
        for row in self.discrepancies.itertuples(index=False):
            sheet.append([_xlsx_value(v) for v in row])
            for c in sheet[sheet.max_row]:
                if isinstance(c.value, str):
                    c.data_type = "s"
        sheet.freeze_panes = "A2"
        buf = io.BytesIO()
        book.save(buf)
        return buf.getvalue()

    def discrepancies_markdown(self) -> str:
        """The discrepancy list as Markdown: one section per assessment, one table row per
        open item, largest differences first."""
        lines = [f"# Discrepancies for the consensus meeting ({self.instrument})", ""]
        if not self.open_items:
            return "\n".join([*lines, "No double-rated assessment is waiting for consensus.", ""])
        frame = self.discrepancies
        current: str | None = None
        for key, items in self.open_items.items():
            assessment, audit_round = _split_key(key)
            rows = frame[frame["assessment"] == assessment]
            if audit_round is not None:
                rows = rows[rows["round"] == audit_round]
                if audit_round != current:
                    lines += [f"## Round {_md(audit_round)}", ""]
                    current = audit_round
            level = "###" if audit_round is not None else "##"
            lines += [f"{level} {_md(assessment)}", ""]
            if not items:
                lines += ["The raters agree on every item: the consensus sheet is complete.", ""]
                continue
            lines += [
                "| item | difference | answers | lowest level | highest level | comments |",
                "|---|---|---|---|---|---|",
            ]
            for r in rows.itertuples(index=False):
                kind = str(r.kind)
                diff = kind if kind != "levels" else f"{float(str(r.difference)):g}"
                lines.append(
                    f"| {_md(r.item)} | {diff} | {_md(r.values)} | {_md(r.low_anchor)} "
                    f"| {_md(r.high_anchor)} | {_md(r.comments)} |"
                )
            lines.append("")
        return "\n".join(lines)

    def sheets_json(self) -> str:
        """The pre-filled consensus sheets as a JSON list."""
        return json.dumps(self.sheets, indent=2, ensure_ascii=False) + "\n"

    def sheets_csv(self) -> str:
        """The pre-filled consensus sheets in the wide CSV layout (the template's columns, then
        an ``<item>:comment`` column for every item that is open somewhere)."""
        columns, comment_items = self._columns()
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([*columns, *(f"{i}{COMMENT_SUFFIX}" for i in comment_items)])
        for rec in self.sheets:
            writer.writerow(_wide_row(rec, columns, comment_items))
        return buf.getvalue()

    def sheets_xlsx(self) -> bytes:
        """The pre-filled consensus sheets in the ``fidelity template`` workbook (drop-downs,
        anchors), with the open cells highlighted and their comment columns after the items."""
        from openpyxl import load_workbook
        from openpyxl.styles import Font, PatternFill

        if self._inst is None:
            raise ValueError("the XLSX sheets need the instrument; use prepare_consensus()")
        book = load_workbook(io.BytesIO(template_xlsx(self._inst)))
        sheet = book["ratings"]
        columns, comment_items = self._columns()
        extra = [*self.metadata, *(f"{item}{COMMENT_SUFFIX}" for item in comment_items)]
        for k, name in enumerate(extra, start=len(columns) - len(self.metadata) + 1):
            cell = sheet.cell(row=1, column=k, value=name)
            cell.font = Font(bold=True)
            cell.data_type = "s"
        fill = PatternFill("solid", fgColor=OPEN_FILL)
        where = {c: k for k, c in enumerate(columns, start=1)}
        kept = range(len(columns) - len(self.metadata) + 1, len(columns) + 1)
        for r, rec in enumerate(self.sheets, start=2):
            for k, value in enumerate(_wide_row(rec, columns, comment_items), start=1):
                shown = (value if k in kept else _xlsx_value(value)) if value else None
                cell = sheet.cell(row=r, column=k, value=shown)
                if isinstance(cell.value, str):
                    cell.data_type = "s"
            for item in self.open_items.get(_key(rec["assessment"], rec.get("round")), []):
                sheet.cell(row=r, column=where[item]).fill = fill
        buf = io.BytesIO()
        book.save(buf)
        return buf.getvalue()

    def _columns(self) -> tuple[list[str], list[str]]:
        if self._inst is not None:
            columns = template_columns(self._inst)
        else:
            ids = list(self.sheets[0]["ratings"]) if self.sheets else []
            columns = [*FIELDS, *ids]
        open_any = {i for items in self.open_items.values() for i in items}
        return [*columns, *self.metadata], [c for c in columns if c in open_any]


def _wide_row(
    rec: dict[str, Any], columns: Sequence[str], comment_items: Sequence[str]
) -> list[str]:
    """One consensus sheet as a row of text cells."""
    row: list[str] = []
    for col in columns:
        if col in rec["ratings"]:
            v = rec["ratings"][col]
            row.append("" if v is None else str(v))
        elif col == "consensus":
            row.append("true")
        else:
            value = rec.get(col)
            row.append("" if value is None else str(value))
    comments = rec.get("comments", {})
    return [*row, *(comments.get(i, "") for i in comment_items)]


def _xlsx_value(v: Any) -> Any:
    """A cell value for openpyxl: digit strings as numbers (level values), NaN as empty."""
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, str) and v.isdigit() and len(v) < 10:
        return int(v)
    return v


def _safe_text(v: Any) -> Any:
    """A CSV cell no spreadsheet evaluates (:func:`fidelity._util.text.safe_cell`)."""
    return safe_cell(v)


def _safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(_safe_text)
    return out


def _md(v: Any) -> str:
    """A Markdown table cell: no markup, no line breaks, no column separators."""
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else md_text(v)


def _checked(inst: Instrument, sheets: Any, keep: Iterable[str] | str | None) -> CheckedSheets:
    checked = check_sheets(inst, as_batch(sheets), keep=keep)
    if not checked.problems.ok:
        raise SheetsInvalidError(checked.problems)
    return checked


def _answer_table(checked: CheckedSheets) -> list[list[str]]:
    """Every cell as the discrepancy list shows it: the level, ``NA`` or ``empty`` (sheets x
    items, as nested lists for fast scalar access)."""
    levels = np.where(np.isnan(checked.values), 0, checked.values).astype(np.int64).astype(str)
    other = np.where(checked.state == NA, "NA", "empty")
    table: list[list[str]] = np.where(checked.state == ANSWERED, levels, other).tolist()
    return table


_Key = tuple[str, str | None]


def _key(assessment: str, audit_round: str | None) -> str:
    """The name of an assessment in :attr:`ConsensusPrep.open_items`."""
    return assessment if audit_round is None else f"{assessment} (round {audit_round})"


def _split_key(key: str) -> _Key:
    if key.endswith(")") and " (round " in key:
        a, r = key[:-1].rsplit(" (round ", 1)
        return a, r
    return key, None


def _keys(checked: CheckedSheets) -> list[_Key]:
    """(assessment, round) of every sheet; an assessment id with and without a round is
    refused."""
    keys = [
        (str(a), None if r is None else str(r))
        for a, r in zip(checked.assessment.tolist(), checked.round.tolist(), strict=True)
    ]
    rounds: dict[str, set[str | None]] = {}
    for a, r in keys:
        rounds.setdefault(a, set()).add(r)
    mixed = sorted(a for a, rs in rounds.items() if None in rs and len(rs) > 1)
    if mixed:
        raise ConsensusError(
            f"assessment(s) {', '.join(mixed)} name an audit round on some sheets and none on "
            "others: give every sheet of an assessment its round"
        )
    return keys


def _groups(checked: CheckedSheets) -> tuple[dict[_Key, list[int]], list[_Key]]:
    """Rater sheets of every double-rated (assessment, round) without a consensus sheet, round
    by round (rounds and assessments in input order), and those that already have one."""
    keys = _keys(checked)
    done = {k for k, c in zip(keys, checked.consensus.tolist(), strict=True) if c}
    groups: dict[_Key, list[int]] = {}
    for s, (k, c) in enumerate(zip(keys, checked.consensus.tolist(), strict=True)):
        if not c:
            groups.setdefault(k, []).append(s)
    first_round = {r: n for n, r in enumerate(dict.fromkeys(r for _, r in keys))}
    double = sorted(
        ((k, rows) for k, rows in groups.items() if len(rows) >= 2),
        key=lambda kv: first_round[kv[0][1]],
    )
    waiting = {k: rows for k, rows in double if k not in done}
    return waiting, [k for k, _ in double if k in done]


def _comments(
    batch_comments: dict[int, dict[str, str]], rows: list[int], raters: list[str], item: str
) -> str:
    parts = [
        f"{r}: {batch_comments.get(s, {}).get(item, '')}"
        for s, r in zip(rows, raters, strict=True)
        if batch_comments.get(s, {}).get(item)
    ]
    return " | ".join(parts)


def _discrepancy_rows(
    inst: Instrument,
    checked: CheckedSheets,
    table: list[list[str]],
    a: str,
    rows: list[int],
    comments: dict[int, dict[str, str]],
) -> list[dict[str, Any]]:
    """The open items of one assessment."""
    raters = [str(checked.rater[s]) for s in rows]
    first = rows[0]
    out: list[dict[str, Any]] = []
    for j, item in enumerate(inst.items):
        answers = [table[s][j] for s in rows]
        if len(set(answers)) == 1:
            continue
        levels = [
            (int(checked.values[s, j]), r)
            for s, r in zip(rows, raters, strict=True)
            if checked.state[s, j] == ANSWERED
        ]
        kind = "levels" if len(levels) == len(rows) else ("NA" if "NA" in answers else "missing")
        lo = min(levels) if levels else None
        hi = max(levels) if levels else None
        out.append(
            {
                "assessment": a,
                "site": _text(checked.site[first]),
                "informant": _text(checked.informant[first]),
                "domain": item.domain,
                "item": item.id,
                "text": " ".join(item.text.split()),
                "kind": kind,
                "difference": float(hi[0] - lo[0]) if kind == "levels" and lo and hi else np.nan,
                "values": ", ".join(f"{r} {v}" for r, v in zip(raters, answers, strict=True)),
                "low_rater": lo[1] if lo else "",
                "low_value": lo[0] if lo else None,
                "low_anchor": " ".join(item.anchors.get(lo[0], "").split()) if lo else "",
                "high_rater": hi[1] if hi else "",
                "high_value": hi[0] if hi else None,
                "high_anchor": " ".join(item.anchors.get(hi[0], "").split()) if hi else "",
                "comments": _comments(comments, rows, raters, item.id),
            }
        )
    return out


def _text(v: Any) -> str:
    return "" if v is None or v is np.nan or (isinstance(v, float) and np.isnan(v)) else str(v)


def _sheet_comments(sheets: Any) -> dict[int, dict[str, str]]:
    """Every sheet's item comments, by sheet position in the batch."""
    return {
        s: rec["comments"] for s, rec in enumerate(as_batch(sheets).records()) if "comments" in rec
    }


def _prefilled(
    inst: Instrument,
    checked: CheckedSheets,
    table: list[list[str]],
    a: str,
    rows: list[int],
    open_ids: list[str],
) -> dict[str, Any]:
    """The pre-filled consensus sheet of one assessment."""
    first = rows[0]
    rec: dict[str, Any] = {"instrument": inst.spec, "assessment": a, "rater": CONSENSUS_RATER}
    for name in ("site", "informant"):
        if _text(getattr(checked, name)[first]):
            rec[name] = _text(getattr(checked, name)[first])
    dates = {_text(checked.date[s]) for s in rows}
    if len(dates) == 1 and "" not in dates:
        rec["date"] = dates.pop()
    rec["consensus"] = True
    ratings: dict[str, Any] = {}
    comments: dict[str, str] = {}
    raters = [str(checked.rater[s]) for s in rows]
    for j, item in enumerate(inst.items):
        answers = [table[s][j] for s in rows]
        if item.id in open_ids:
            ratings[item.id] = None
            comments[item.id] = "open: " + ", ".join(
                f"{r} {v}" for r, v in zip(raters, answers, strict=True)
            )
        elif answers[0] == "NA":
            ratings[item.id] = "NA"
        elif answers[0] == "empty":
            ratings[item.id] = None
        else:
            ratings[item.id] = int(answers[0])
    rec["ratings"] = ratings
    if comments:
        rec["comments"] = comments
    for name, col in checked.metadata.items():
        rec[name] = _agreed([col[s] for s in rows])
    return rec


def _agreed(values: list[Any]) -> Any:
    """A metadata column on the consensus sheet: the raters' value when their sheets agree,
    else their distinct values joined with `` | `` (in sheet order), so nothing is lost."""
    found = list(dict.fromkeys(v for v in values if v is not None and v != ""))
    if len(found) <= 1:
        return found[0] if found else None
    return " | ".join(str(v) for v in found)


def find_discrepancies(inst: Instrument, sheets: Any) -> pd.DataFrame:
    """The discrepancy list of every double-rated assessment still waiting for consensus
    (see :func:`prepare_consensus`)."""
    return prepare_consensus(inst, sheets).discrepancies


def prepare_consensus(
    inst: Instrument, sheets: Any, *, keep: Iterable[str] | str | None = None
) -> ConsensusPrep:
    """Discrepancy list and pre-filled consensus sheets for every assessment that has two or
    more rater sheets and no consensus sheet yet.

    ``sheets`` is anything :func:`fidelity.score` accepts. Invalid sheets raise
    :class:`~fidelity.errors.SheetsInvalidError` listing every problem (a consensus meeting on
    unchecked data would decide the wrong questions). ``keep`` declares metadata columns
    (``"interviewer,wave"``): each consensus sheet carries the raters' value, or their
    distinct values joined with `` | `` when the sheets disagree.

    Example:
        >>> import fidelity
        >>> from fidelity.consensus import prepare_consensus
        >>> inst = fidelity.load_instrument("enrich-peer-support@1.1.0")
        >>> prep = prepare_consensus(inst, "examples/enrich-audit.csv")
        >>> len(prep.sheets), len(prep.complete)
        (12, 12)
    """
    import pandas as pd

    batch = as_batch(sheets)
    checked = _checked(inst, batch, keep)
    groups, complete = _groups(checked)
    with_rounds = any(r is not None for r in checked.round.tolist())
    comments = _sheet_comments(batch)
    table = _answer_table(checked)
    rows: list[dict[str, Any]] = []
    out_sheets: list[dict[str, Any]] = []
    open_items: dict[str, list[str]] = {}
    for (a, audit_round), members in groups.items():
        found = _discrepancy_rows(inst, checked, table, a, members, comments)
        for r in found:
            r["round"] = audit_round
            r["_a"] = len(open_items)
        rows += found
        open_items[_key(a, audit_round)] = [r["item"] for r in found]
        sheet = _prefilled(inst, checked, table, a, members, [r["item"] for r in found])
        if audit_round is not None:
            sheet["round"] = audit_round
        out_sheets.append(sheet)
    columns = list(DISCREPANCY_COLUMNS)
    if with_rounds:
        columns.insert(1, "round")
    frame = pd.DataFrame(rows, columns=[*columns, "_a"])
    if len(frame):
        frame["_kind"] = frame["kind"].map(_KIND_ORDER)
        frame["_order"] = np.arange(len(frame))
        frame = (
            frame.sort_values(
                ["_a", "_kind", "difference", "_order"],
                ascending=[True, True, False, True],
                kind="stable",
            )
            .drop(columns=["_kind", "_order"])
            .reset_index(drop=True)
        )
    frame = frame.drop(columns=["_a"])
    done = [_key(a, r) for a, r in complete]
    return ConsensusPrep(
        inst.spec, frame, out_sheets, open_items, done, inst, tuple(checked.metadata)
    )
