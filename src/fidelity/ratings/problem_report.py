"""Problems for people who fix the sheets: a table with one row per problem (to send back to
a data manager as CSV or XLSX) and terminal lines that group repeated problems."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fidelity.ratings.problems import PROBLEM_COLUMNS, Problem, problem_table
from fidelity.ratings.problems import problem_row as _place

__all__ = ["PROBLEM_COLUMNS", "ROWS_SHOWN", "grouped_lines", "problem_table"]

ROWS_SHOWN = 20
"""How many rows a grouped line names before ``and N more``."""


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
