"""Problems found in rating sheets: where a sheet came from (:class:`SheetRef`), one problem
(:class:`Problem`), the list :func:`~fidelity.ratings.checks.validate` returns
(:class:`ProblemList`), and :func:`make_problem`, the one way problems are built.

Every problem carries a code registered in :mod:`fidelity.codes` (``FR0xx`` reading a file,
``FR1xx`` item values, ``FR2xx`` sheet fields, ``FR3xx`` relations between sheets);
:func:`make_problem` looks the code up, so an unregistered code cannot be emitted, and takes
the severity from the registry.
"""

from __future__ import annotations

import gc
import html
import json
import math
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, overload

import numpy as np
from numpy.typing import NDArray

from fidelity._util.text import short
from fidelity.codes import Severity, rule
from fidelity.columnar import to_arrow, to_polars

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    from fidelity.ratings.checks.run import CheckedSheets

__all__ = [
    "PROBLEM_COLUMNS",
    "Problem",
    "ProblemBlock",
    "ProblemGroup",
    "ProblemList",
    "Severity",
    "SheetRef",
    "json_kind",
    "jsonable",
    "make_problem",
    "problem_row",
    "problem_table",
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
    record: str | None = None
    """The record id of a sheet read from another system's export (a REDCap record)."""

    def where(self) -> str:
        """The location without the sheet's identity: ``audit.csv row 5`` (``export.csv row
        5, record A7--2`` for a REDCap record)."""
        base = self.file or "<sheets>"
        if self.record is not None and self.row is not None:
            return f"{base} row {self.row}, record {self.record}"
        if self.row is not None:
            return f"{base} row {self.row}"
        if self.line is not None:
            return f"{base} line {self.line}"
        if self.index is not None:
            return f"{base} [{self.index}]"
        return base

    def __str__(self) -> str:
        a, r = self.assessment, self.rater
        if a and r:
            return f"{self.where()} (assessment {a}, rater {r})"
        if a:
            return f"{self.where()} (assessment {a})"
        if r:
            return f"{self.where()} (rater {r})"
        return self.where()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "file": self.file,
            "row": self.row,
            "line": self.line,
            "index": self.index,
            "assessment": self.assessment,
            "rater": self.rater,
        } | ({"record": self.record} if self.record is not None else {})


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
        where = "<sheets>" if self.sheet is None else str(self.sheet)
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


def problem_row(p: Problem) -> int | None:
    """The row, line or list index of the problem's sheet, whichever its input has."""
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
                "row": problem_row(p),
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


@dataclass(frozen=True, eq=False)
class ProblemBlock:
    """Problems of one code repeated over many cells of one input, kept as arrays instead of
    one :class:`Problem` each (an audit of 100,000 blank sheets has millions of unanswered
    required items). Problem ``k`` is about local sheet ``rows[k]`` and instrument item
    ``cols[k]``; its message, label and allowed values are the item's, shared by every sheet,
    and its place comes from ``where(sheet, item id)``. :meth:`problem` builds it on request."""

    code: str
    severity: Severity
    rows: NDArray[np.intp]
    cols: NDArray[np.intp]
    items: Sequence[str]
    messages: Sequence[str]
    labels: Sequence[str]
    allowed: Sequence[str | None]
    where: Callable[[int, str], tuple[SheetRef, str]]
    places: Callable[[list[int], list[int]], list[tuple[SheetRef, str]]] | None = None
    """``where`` of many problems at once (their sheets and item indexes), if the input has it."""

    def __len__(self) -> int:
        return int(self.rows.size)

    def problem(self, k: int) -> Problem:
        """Problem ``k`` of the block, built like every other problem."""
        return self.problems(np.array([k], dtype=np.int64))[0]

    def problems(self, ks: NDArray[np.int64]) -> list[Problem]:
        """Problems ``ks`` of the block, built together."""
        items, messages, labels, allowed = self.items, self.messages, self.labels, self.allowed
        where, code, severity = self.where, self.code, self.severity
        rows, cols = self.rows[ks].tolist(), self.cols[ks].tolist()
        out = []
        collect = gc.isenabled()
        gc.disable()  # thousands of small objects, none in a cycle: no collection to run
        try:
            if self.places is not None:
                places = self.places(rows, cols)
            else:
                places = [where(i, items[j]) for i, j in zip(rows, cols, strict=True)]
            for (sheet, path), j in zip(places, cols, strict=True):
                item = items[j]
                out.append(
                    make_problem(
                        code,
                        message=messages[j],
                        sheet=sheet,
                        path=path,
                        item=item,
                        item_label=labels[j],
                        allowed=allowed[j],
                        severity=severity,
                    )
                )
        finally:
            if collect:
                gc.enable()
        return out


class ProblemGroup(NamedTuple):
    """One kind of problem and how often it occurs: the same code with the same message (for
    an item-level problem, on the same item) on many sheets or cells. ``first`` is the
    first of them, in the order of the list, and ``size`` how many there are."""

    code: str
    severity: Severity
    message: str
    item: str | None
    size: int
    first: Problem


class ProblemList(Sequence[Problem]):
    """The problems :func:`~fidelity.ratings.checks.validate` found: a read-only sequence of
    :class:`Problem` (compares equal to a list of the same problems) with
    ``errors``/``warnings`` views and :meth:`groups`.

    ``ok`` is true when there is no error (warnings, such as unanswered required items, do not
    stop scoring).

    Repeated problems are stored aggregated: validation keeps the unanswered required items
    of an input as one :class:`ProblemBlock` (arrays of sheets and items) and the list holds,
    per problem, only where to find it (two small integers). Every problem is still there:
    ``len``, indexing, slicing and iteration give each :class:`Problem`, built when asked for;
    :meth:`groups` summarizes without building them."""

    __slots__ = ("_blocks", "_concrete", "_pos", "_src")

    def __init__(self, problems: Iterable[Problem] = ()) -> None:
        self._concrete: list[Problem] = list(problems)
        self._blocks: list[ProblemBlock] = []
        self._src: NDArray[np.int32] | None = None
        """Per problem: -1 for ``_concrete``, else the block's index (``None``: all concrete)."""
        self._pos: NDArray[np.int64] | None = None
        """Per problem: its index in ``_concrete`` or in its block."""

    @classmethod
    def _of(
        cls,
        concrete: list[Problem],
        blocks: list[ProblemBlock],
        src: NDArray[np.int32],
        pos: NDArray[np.int64],
    ) -> ProblemList:
        out = cls(concrete)
        out._blocks, out._src, out._pos = blocks, src, pos
        return out

    def __len__(self) -> int:
        return len(self._concrete) if self._src is None else int(self._src.size)

    def _at(self, k: int) -> Problem:
        if self._src is None or self._pos is None:
            return self._concrete[k]
        b, pos = int(self._src[k]), int(self._pos[k])
        return self._concrete[pos] if b < 0 else self._blocks[b].problem(pos)

    @overload
    def __getitem__(self, k: int) -> Problem: ...
    @overload
    def __getitem__(self, k: slice) -> list[Problem]: ...
    def __getitem__(self, k: int | slice) -> Problem | list[Problem]:
        if isinstance(k, slice):
            return [self._at(i) for i in range(*k.indices(len(self)))]
        n = len(self)
        if not -n <= k < n:
            raise IndexError("problem index out of range")
        return self._at(k % n)

    def __iter__(self) -> Iterator[Problem]:
        if self._src is None or self._pos is None:
            return iter(self._concrete)
        return self._iter_blocks(self._src, self._pos)

    def _iter_blocks(self, src: NDArray[np.int32], pos: NDArray[np.int64]) -> Iterator[Problem]:
        """Every problem in order, those of blocks built a few thousand at a time."""
        concrete = self._concrete
        for start in range(0, src.size, 4096):
            s, p = src[start : start + 4096], pos[start : start + 4096]
            built = {
                b: iter(self._blocks[b].problems(p[s == b])) for b in np.unique(s[s >= 0]).tolist()
            }
            for b, k in zip(s.tolist(), p.tolist(), strict=True):
                yield concrete[k] if b < 0 else next(built[b])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __add__(self, other: Iterable[Problem]) -> ProblemList:
        return ProblemList([*self, *other])

    def copy(self) -> ProblemList:
        """A shallow copy (the blocks are shared: they are never changed)."""
        if self._src is None or self._pos is None:
            return ProblemList(self._concrete)
        return ProblemList._of(list(self._concrete), self._blocks, self._src, self._pos)

    def append(self, problem: Problem) -> None:
        """Add a problem at the end."""
        self.extend([problem])

    def extend(self, problems: Iterable[Problem]) -> None:
        """Add problems at the end."""
        more = list(problems)
        if self._src is not None and self._pos is not None and more:
            start = len(self._concrete)
            self._src = np.concatenate((self._src, np.full(len(more), -1, dtype=np.int32)))
            self._pos = np.concatenate((self._pos, np.arange(start, start + len(more))))
        self._concrete.extend(more)

    def to_pandas(self) -> pd.DataFrame:
        """One row per problem (:data:`PROBLEM_COLUMNS`), to send to whoever fixes the
        sheets."""
        return problem_table(self)

    def to_arrow(self, provenance: Mapping[str, Any] | None = None) -> pa.Table:
        """:meth:`to_pandas` as a typed Arrow table (the ``problems`` schema of
        :data:`fidelity.columnar.TABLES`), ``provenance`` in its metadata."""
        return to_arrow(self.to_pandas(), "problems", provenance or {})

    def to_polars(self) -> pl.DataFrame:
        """:meth:`to_arrow` as a Polars DataFrame (needs Polars)."""
        return to_polars(self.to_arrow())

    def _severities(self) -> NDArray[np.bool_]:
        """Per problem, whether it is an error (without building block problems)."""
        concrete = np.array([p.severity == "error" for p in self._concrete], dtype=bool)
        if self._src is None or self._pos is None:
            return concrete
        block = np.array([b.severity == "error" for b in self._blocks] + [False], dtype=bool)
        out = block[self._src]  # -1 picks the padding; concrete ones are set next
        mine = self._src < 0
        out[mine] = concrete[self._pos[mine]] if concrete.size else False
        return out

    def _select(self, keep: NDArray[np.bool_]) -> ProblemList:
        if self._src is None or self._pos is None:
            return ProblemList(p for p, k in zip(self._concrete, keep.tolist(), strict=True) if k)
        return ProblemList._of(self._concrete, self._blocks, self._src[keep], self._pos[keep])

    @property
    def errors(self) -> ProblemList:
        """Problems that stop scoring."""
        return self._select(self._severities())

    @property
    def warnings(self) -> ProblemList:
        """Problems that are reported but do not stop scoring."""
        return self._select(~self._severities())

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return not self._severities().any()

    def _codes(self) -> Counter[str]:
        """How many problems have each code (without building block problems)."""
        if self._src is None or self._pos is None:
            return Counter(p.code for p in self._concrete)
        mine = self._src < 0
        counts = Counter(self._concrete[i].code for i in self._pos[mine].tolist())
        for b, n in Counter(self._src[~mine].tolist()).items():
            counts[self._blocks[b].code] += n
        return counts

    def groups(self) -> list[ProblemGroup]:
        """The problems grouped by code, message and item, in order of first appearance,
        with how many there are: a summary of a long list. Block problems are counted from
        their arrays, not built one by one."""
        Key = tuple[str, str, str | None]
        first: dict[Key, int] = {}
        counts: Counter[Key] = Counter()
        n = len(self)
        src = self._src if self._src is not None else np.full(n, -1, dtype=np.int32)
        pos = self._pos if self._pos is not None else np.arange(n)
        for k in np.flatnonzero(src < 0).tolist():
            p = self._concrete[int(pos[k])]
            key = (p.code, p.message, p.item)
            first.setdefault(key, k)
            counts[key] += 1
        for b, block in enumerate(self._blocks):
            at = np.flatnonzero(src == b)
            cols = block.cols[pos[at]]
            js, firsts, sizes = np.unique(cols, return_index=True, return_counts=True)
            for j, f, size in zip(js.tolist(), firsts.tolist(), sizes.tolist(), strict=True):
                key = (block.code, block.messages[j], block.items[j])
                first[key] = min(first.get(key, n), int(at[f]))
                counts[key] += size
        out = []
        for key, k in sorted(first.items(), key=lambda kv: kv[1]):
            p = self._at(k)
            out.append(ProblemGroup(p.code, p.severity, p.message, p.item, counts[key], p))
        return out

    def _summary(self) -> tuple[str, str]:
        """``(counts by severity, counts by code)`` in words."""
        n_errors = int(self._severities().sum())
        head = (
            f"{len(self)} problem{'s' if len(self) != 1 else ''} "
            f"({n_errors} error(s), {len(self) - n_errors} warning(s))"
        )
        counts = sorted(self._codes().items())
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
