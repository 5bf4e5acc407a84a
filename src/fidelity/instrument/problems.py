"""Problems with an instrument file, built from the registry of codes (:mod:`fidelity.codes`).

A cross-reference rule knows the path of what is wrong but not the file or its lines, so it
yields a :class:`Finding`; the loader places each finding in its file as an
:class:`InstrumentProblem`. Both are built from a registered code: :func:`rule` refuses any
other, so an unregistered FI code cannot be emitted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fidelity.codes import Severity, rule

__all__ = ["Finding", "InstrumentProblem", "dotted", "finding", "instrument_problem"]

PathParts = tuple[str | int, ...]


@dataclass(frozen=True)
class InstrumentProblem:
    """One thing wrong with an instrument file, located to its line.

    ``code`` is stable (``FI0xx`` reading and schema, ``FI1xx`` cross-reference rules,
    ``FI2xx`` release rules) and ``ref`` is the offending id where there is one.
    """

    code: str
    message: str
    file: str
    line: int | None = None
    path: str = ""
    ref: str | None = None

    def __post_init__(self) -> None:
        rule(self.code)  # an unregistered code is a programming error

    @property
    def severity(self) -> Severity:
        """The severity of the code's rule: an error (the file does not load), or for the
        lint warnings on derived REDCap names (FI301, FI302) a warning."""
        return rule(self.code).severity

    @property
    def where(self) -> str:
        """``file:line``, or the file alone when the line is unknown."""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def __str__(self) -> str:
        at = f" [{self.path}]" if self.path else ""
        tag = "warning " if self.severity == "warning" else ""
        return f"{self.where}: {tag}{self.code} {self.message}{at}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "path": self.path,
            "ref": self.ref,
        }


def instrument_problem(
    code: str,
    *,
    file: str,
    line: int | None = None,
    path: str = "",
    ref: str | None = None,
    **fields: object,
) -> InstrumentProblem:
    """An :class:`InstrumentProblem` whose message is the registered rule's template filled
    with ``fields`` (``detail=...`` for codes without a template of their own)."""
    message = rule(code).message(**fields)
    return InstrumentProblem(code, message, file, line, path, ref)


@dataclass(frozen=True)
class Finding:
    """What a cross-reference rule found: the code, the path in the document, the message and
    the offending id. The loader turns it into an :class:`InstrumentProblem` with the line."""

    code: str
    at: PathParts
    message: str
    ref: str | None

    def __post_init__(self) -> None:
        rule(self.code)


def finding(code: str, *, at: PathParts, ref: str | None, **fields: object) -> Finding:
    """A :class:`Finding` whose message is the registered rule's template filled with
    ``fields``."""
    return Finding(code, at, rule(code).message(**fields), ref)


def dotted(path: Iterable[str | int]) -> str:
    """A document path as text: ``items[2].anchors``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
