"""Problems found in rating sheets: where a sheet came from (:class:`SheetRef`), one problem
(:class:`Problem`), the list :func:`~fidelity.ratings.checks.validate` returns
(:class:`ProblemList`), and :func:`make_problem`, the one way problems are built.

Every problem carries a code registered in :mod:`fidelity.codes` (``FR0xx`` reading a file,
``FR1xx`` item values, ``FR2xx`` sheet fields, ``FR3xx`` relations between sheets);
:func:`make_problem` looks the code up, so an unregistered code cannot be emitted, and takes
the severity from the registry.
"""

from __future__ import annotations

import html
import json
import math
import textwrap
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from fidelity._util.text import short
from fidelity.codes import Severity, rule

__all__ = [
    "Problem",
    "ProblemList",
    "Severity",
    "SheetRef",
    "json_kind",
    "jsonable",
    "make_problem",
]

_REPR_SHOWN = 5
"""Problems listed by ``repr(ProblemList)``."""
_HTML_SHOWN = 20
"""Problems listed by the notebook view of a :class:`ProblemList`."""
_LINE = 160
"""Longest line of ``repr(ProblemList)``."""


class SheetRef(NamedTuple):
    """Where a sheet came from: file and row (CSV/XLSX), line (JSON Lines) or list index, and
    the sheet's assessment and rater when known. Rows count records as a spreadsheet shows them
    (the header is row 1); indexes count from 0. (A named tuple: cheap to create by the
    hundred thousand when every cell of a large file has a problem.)"""

    file: str | None = None
    row: int | None = None
    line: int | None = None
    index: int | None = None  # type: ignore[assignment]  # shadows tuple.index on purpose
    assessment: str | None = None
    rater: str | None = None

    def where(self) -> str:
        """The location without the sheet's identity: ``audit.csv row 5``."""
        base = self.file or "<sheets>"
        if self.row is not None:
            return f"{base} row {self.row}"
        if self.line is not None:
            return f"{base} line {self.line}"
        if self.index is not None:
            return f"{base} [{self.index}]"
        return base

    def __str__(self) -> str:
        who = []
        if self.assessment:
            who.append(f"assessment {self.assessment}")
        if self.rater:
            who.append(f"rater {self.rater}")
        return self.where() + (f" ({', '.join(who)})" if who else "")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "file": self.file,
            "row": self.row,
            "line": self.line,
            "index": self.index,
            "assessment": self.assessment,
            "rater": self.rater,
        }


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the rating sheets (a :class:`fidelity.errors.ProblemLike`).

    ``code`` is stable and documented; ``sheet`` says where (``None`` for a problem with a
    whole file); ``path`` is the JSON path (``$[3].ratings['item-id']``) or the CSV/XLSX
    column; ``item`` and ``item_label`` are the item's id and text; ``value`` is the offending
    value as read; ``allowed`` says in plain words what would be accepted. Build problems with
    :func:`make_problem`.
    """

    code: str
    message: str
    sheet: SheetRef | None = None
    path: str = ""
    item: str | None = None
    item_label: str | None = None
    value: Any = None
    allowed: str | None = None
    severity: Severity = "error"

    @property
    def where(self) -> str:
        """The sheet's place (file and row or line, assessment and rater), or ``<sheets>``."""
        return str(self.sheet) if self.sheet is not None else "<sheets>"

    def __str__(self) -> str:
        where = self.where
        tag = "warning " if self.severity == "warning" else ""
        at = f" [{self.path}]" if self.path else ""
        return f"{where}: {tag}{self.code} {self.message}{at}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (the value is kept as read when it is JSON data)."""
        value = self.value
        plain = isinstance(value, str | int | float | bool | type(None))
        if not plain or (isinstance(value, float) and not math.isfinite(value)):
            value = repr(value)
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "sheet": self.sheet.to_dict() if self.sheet is not None else None,
            "path": self.path,
            "item": self.item,
            "item_label": self.item_label,
            "value": value,
            "allowed": self.allowed,
        }


def make_problem(
    code: str,
    /,
    *,
    message: str | None = None,
    fields: Mapping[str, object] | None = None,
    sheet: SheetRef | None = None,
    path: str = "",
    item: str | None = None,
    item_label: str | None = None,
    value: Any = None,
    allowed: str | None = None,
    severity: Severity | None = None,
) -> Problem:
    """A :class:`Problem` with the registered ``code``.

    The message is ``message``, or the rule's template filled with ``fields`` (give one of
    the two). The severity is the rule's unless ``severity`` overrides it on purpose. An
    unregistered code raises ``KeyError``: it is a programming error, never a sheet problem.
    """
    registered = rule(code)
    if (message is None) == (fields is None):
        raise TypeError(f"{code}: give either a message or the fields of its template")
    text = message if message is not None else registered.message(**dict(fields or {}))
    # Positional on purpose: this is the one place a Problem is built, and validation builds
    # one warning per unanswered cell (tens of thousands on a large audit).
    return Problem(
        code, text, sheet, path, item, item_label, value, allowed, severity or registered.severity
    )


def jsonable(v: Any) -> Any:
    """A bad value as a problem keeps it: JSON scalars as they are, anything else as JSON text
    cut to 80 characters."""
    if isinstance(v, str | int | float | bool | type(None)):
        return v
    text = json.dumps(v, default=repr)
    return text if len(text) <= 80 else text[:79] + "…"


def json_kind(v: Any) -> str:
    """The kind of a JSON value in words, for messages: ``a number``, ``text``, ``a list``."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, int | float):
        return "a number"
    if isinstance(v, str):
        return "text"
    if isinstance(v, list):
        return "a list"
    return "an object" if isinstance(v, dict) else type(v).__name__


class ProblemList(list[Problem]):
    """The problems :func:`~fidelity.ratings.checks.validate` found: a plain list with
    ``errors``/``warnings`` views.

    ``ok`` is true when there is no error (warnings, such as unanswered required items, do not
    stop scoring)."""

    @property
    def errors(self) -> list[Problem]:
        """Problems that stop scoring."""
        return [p for p in self if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems that are reported but do not stop scoring."""
        return [p for p in self if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return all(p.severity != "error" for p in self)

    def _summary(self) -> tuple[str, str]:
        """``(counts by severity, counts by code)`` in words."""
        n_errors = sum(1 for p in self if p.severity == "error")
        head = (
            f"{len(self)} problem{'s' if len(self) != 1 else ''} "
            f"({n_errors} error(s), {len(self) - n_errors} warning(s))"
        )
        counts = sorted(Counter(p.code for p in self).items())
        return head, "by code: " + ", ".join(f"{code} {n}" for code, n in counts)

    def __repr__(self) -> str:
        """A summary that fits on one screen: counts by severity and code, the first few."""
        if not self:
            return "<ProblemList: no problems>"
        head, by_code = self._summary()
        lines = [f"<ProblemList: {head}"]
        lines += textwrap.wrap(
            by_code, _LINE, initial_indent="  ", subsequent_indent="    ", max_lines=3
        )
        lines += [f"  {short(str(p), _LINE)}" for p in self[:_REPR_SHOWN]]
        if len(self) > _REPR_SHOWN:
            lines.append(f"  ... and {len(self) - _REPR_SHOWN} more")
        return "\n".join(lines) + ">"

    def _repr_html_(self) -> str:
        """The notebook view: the summary and a table of the first problems, escaped."""
        if not self:
            return "<p><strong>ProblemList</strong>: no problems</p>"
        heads = ("where", "severity", "code", "message", "path")
        rows = [
            "<tr>"
            + "".join(
                f"<td>{html.escape(short(str(cell), 300))}</td>"
                for cell in (p.where, p.severity, p.code, p.message, p.path)
            )
            + "</tr>"
            for p in self[:_HTML_SHOWN]
        ]
        more = len(self) - _HTML_SHOWN
        return "\n".join(
            [
                f"<p><strong>ProblemList</strong>: {html.escape('; '.join(self._summary()))}</p>",
                "<table>",
                "<thead><tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr></thead>",
                "<tbody>",
                *rows,
                "</tbody>",
                "</table>",
                *([f"<p>… and {more} more</p>"] if more > 0 else []),
            ]
        )
