"""Problems for people who fix the sheets: a table with one row per problem (to send back to
a data manager as CSV or XLSX) and terminal lines that group repeated problems."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from fidelity.ratings.problems import Problem

if TYPE_CHECKING:
    import pandas as pd

    from fidelity.ratings.checks.run import CheckedSheets

__all__ = ["PROBLEM_COLUMNS", "ROWS_SHOWN", "grouped_lines", "problem_table"]

PROBLEM_COLUMNS = (
    "file",
    "row",
    "assessment",
    "rater",
    "item",
    "value",
    "allowed",
    "code",
    "severity",
    "message",
)
"""The columns of :func:`problem_table`; ``row`` is the spreadsheet row, the JSON Lines line
or the list index of the sheet, whichever its input has."""

ROWS_SHOWN = 20
"""How many rows a grouped line names before ``and N more``."""


def _place(p: Problem) -> int | None:
    s = p.sheet
    if s is None:
        return None
    for v in (s.row, s.line, s.index):
        if v is not None:
            return int(v)
    return None


def problem_table(
    problems: Iterable[Problem], checked: CheckedSheets | None = None
) -> pd.DataFrame:
    """One row per problem with :data:`PROBLEM_COLUMNS`; the value as text, as it was read.

    With ``checked`` (the sheets the problems were found in, checked with ``keep``), the
    declared metadata columns follow ``rater``, so that whoever fixes a sheet sees its
    ``interviewer`` or ``notes``; a problem with no sheet of its own leaves them empty."""
    import pandas as pd

    kept = checked.metadata if checked is not None else {}
    at = (
        {str(w): i for i, w in enumerate(checked.source.tolist())}
        if checked is not None and kept
        else {}
    )
    rows = []
    for p in problems:
        s = p.sheet
        i = at.get(s.where()) if s is not None and at else None
        rows.append(
            {
                "file": s.file if s is not None else None,
                "row": _place(p),
                "assessment": s.assessment if s is not None else None,
                "rater": s.rater if s is not None else None,
                "item": p.item,
                "value": None if p.value is None else str(p.value),
                "allowed": p.allowed,
                "code": p.code,
                "severity": p.severity,
                "message": p.message,
                **{k: None if i is None else col[i] for k, col in kept.items()},
            }
        )
    columns = list(PROBLEM_COLUMNS)
    columns[4:4] = [k for k in kept if k not in PROBLEM_COLUMNS]
    frame = pd.DataFrame(rows, columns=columns)
    frame["row"] = frame["row"].astype("Int64")
    return frame


def _key(p: Problem) -> tuple[Any, ...] | None:
    """Problems with the same key say the same thing about different sheets of one file;
    ``None`` for a problem that is never grouped (one without a sheet)."""
    if p.sheet is None or _place(p) is None:
        return None
    return (p.sheet.file, p.severity, p.code, p.item, p.message)


def grouped_lines(problems: Iterable[Problem]) -> Iterator[str]:
    """The problems as terminal lines, in order of first occurrence: a problem that repeats
    on several sheets of one file (the same code, item and message) is one line with the
    number of sheets and their rows; any other problem is its own line."""
    groups: dict[tuple[Any, ...], list[Problem]] = {}
    order: list[tuple[Any, ...] | Problem] = []
    for p in problems:
        key = _key(p)
        if key is None:
            order.append(p)
            continue
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(p)
    for entry in order:
        if isinstance(entry, Problem):
            yield str(entry)
            continue
        members = groups[entry]
        if len(members) == 1:
            yield str(members[0])
            continue
        yield _group_line(members)


def _group_line(members: list[Problem]) -> str:
    first = members[0]
    s = first.sheet
    assert s is not None
    unit = "rows" if s.row is not None else ("lines" if s.line is not None else "sheets")
    places = [str(_place(p)) for p in members]
    shown = ", ".join(places[:ROWS_SHOWN])
    more = f" and {len(places) - ROWS_SHOWN} more" if len(places) > ROWS_SHOWN else ""
    tag = "warning " if first.severity == "warning" else ""
    at = f" [{first.item}]" if first.item else ""
    where = s.file or "<sheets>"
    return (
        f"{where}: {tag}{first.code} {first.message}{at} — {len(members)} sheets: "
        f"{unit} {shown}{more}"
    )
