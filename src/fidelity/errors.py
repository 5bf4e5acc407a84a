"""The one exception tree: every error fidelity raises on purpose is a :class:`FidelityError`.

Each class also keeps the built-in base it had before the tree existed (``ValueError``,
``LookupError``), so ``except ValueError`` code keeps working. Every error's ``problems`` are
values that share one small protocol, :class:`ProblemLike`: ``code``, ``message``,
``severity``, ``where`` and ``to_dict()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # the problem types live in the layers that find them
    from fidelity.codes import Severity
    from fidelity.instrument.problems import InstrumentProblem
    from fidelity.ratings.problems import ProblemList

__all__ = [
    "CatalogError",
    "FidelityError",
    "FidelityWarning",
    "InstrumentError",
    "InteropError",
    "LockError",
    "MigrationRefused",
    "ProblemLike",
    "SheetsInvalidError",
    "UnlockedReleaseWarning",
    "YamlError",
]


@runtime_checkable
class ProblemLike(Protocol):
    """What every problem value offers, whatever it is about (an instrument file, a rating
    sheet, a release, a migration)."""

    @property
    def code(self) -> str:
        """The stable code from :mod:`fidelity.codes` (``FI101``, ``FR202``)."""
        ...

    @property
    def message(self) -> str:
        """What is wrong, in words."""
        ...

    @property
    def severity(self) -> Severity:
        """``error`` or ``warning``."""
        ...

    @property
    def where(self) -> str:
        """Where it is: ``file:line``, ``file row N`` or a sheet's place."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        ...


class FidelityError(Exception):
    """The root of every error fidelity raises on purpose.

    ``problems`` lists every reason as :class:`ProblemLike` values (empty when the error is a
    single message, such as an unknown instrument id).
    """

    problems: Sequence[ProblemLike] = ()


class InstrumentError(FidelityError, ValueError):
    """An instrument file that cannot be loaded; ``problems`` lists every reason."""

    problems: list[InstrumentProblem]

    def __init__(self, problems: Sequence[InstrumentProblem]) -> None:
        self.problems = list(problems)
        head = (
            f"{len(problems)} problem(s) in instrument"
            if len(problems) != 1
            else "invalid instrument"
        )
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in problems))


class InteropError(FidelityError, ValueError):
    """An instrument or sheets that cannot be written in an exchange format (REDCap, FHIR), or
    a file in such a format that cannot be read as sheets (an edited dictionary, a label
    export).

    ``reasons`` lists every reason, one line each, naming the record, row and variable or the
    item; the message is those lines.
    """

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = list(reasons)
        super().__init__("\n".join(self.reasons))


class CatalogError(FidelityError, LookupError):
    """An instrument spec that is malformed or names no known instrument."""


class YamlError(FidelityError, ValueError):
    """A YAML document that cannot be read as plain instrument data."""

    def __init__(self, message: str, *, source: str, line: int | None = None, code: str) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.code = code
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class SheetsInvalidError(FidelityError, ValueError):
    """Raised by :func:`fidelity.score` when the sheets have errors; ``problems`` lists all."""

    problems: ProblemList

    def __init__(self, problems: ProblemList) -> None:
        self.problems = problems
        errors = problems.errors
        head = f"{len(errors)} error(s) in the rating sheets; nothing was scored"
        shown = "\n".join(f"  {p}" for p in errors[:20])
        more = f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{head}:\n{shown}{more}")


class MigrationRefused(FidelityError, ValueError):
    """A migration the declared mappings cannot support; ``reasons`` says why, one per line."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("migration refused:\n" + "\n".join(f"  {r}" for r in reasons))


class LockError(FidelityError, ValueError):
    """Released files that disagree with their lock entries (``FI201``), or do not load;
    ``problems`` lists each one. ``message`` is the text to show, one line per problem
    (by default each problem as it prints)."""

    problems: list[InstrumentProblem]

    def __init__(
        self, problems: Sequence[InstrumentProblem], *, message: str | None = None
    ) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in problems) if message is None else message)


class FidelityWarning(UserWarning):
    """The root of every warning fidelity issues on purpose (outside the problem lists)."""


class UnlockedReleaseWarning(FidelityWarning):
    """A released instrument version loaded from a directory without ``released.lock``, or
    one its lock does not list: it could change unnoticed. ``fidelity lock DIR`` records it.
    Issued once per directory (and per unlisted version) in a process."""
