"""Inheritance between instruments: resolving ``extends: <id>@<version>``.

How a derived file resolves:

* ``extends`` names one base instrument by exact ``id@version`` (a pinned version: a derived
  instrument never silently follows a newer base). The base is found by a resolver the caller
  injects (:data:`BaseResolver`): the catalog passes its own loader (bundled,
  ``FIDELITY_INSTRUMENT_PATH``, plugins), so this module knows nothing of where instruments
  live. A base may itself be derived; cycles and chains deeper than :data:`MAX_DEPTH` are
  refused, whatever the resolver.
* The derived file has its own ``id`` (different from the base's), ``version``, ``title``,
  ``description``, ``status`` and ``changes``: its version history is its own.
* The id'd lists (``citations``, ``informants``, ``principles``, ``scales``, ``domains``,
  ``items``) are the base's entries, in the base's order, followed by the derived file's
  entries. An id is looked up in that combined list, so a derived item may sit in a base
  domain, use a base scale and name base informants and principles.
* A derived entry whose id is already in the base is accepted only when it is identical to
  the base's entry (so a resolved instrument written out in full reads back unchanged). A
  different entry with a base id is refused (FI112): inherited entries cannot be overridden;
  give the local variant its own id.
* ``license`` and ``scoring`` are inherited when the derived file leaves them out and replaced
  wholesale when it gives them.
* The resolved instrument records the base in its ``extends`` field, so its content hash
  covers the resolved content and the base spec.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from fidelity.errors import InstrumentError
from fidelity.instrument._yaml import Located, Path_
from fidelity.instrument.model import (
    Citation,
    Domain,
    Informant,
    Instrument,
    Item,
    Principle,
    Scale,
)
from fidelity.instrument.problems import InstrumentProblem, instrument_problem

__all__ = ["MAX_DEPTH", "BaseResolver", "merge_base", "no_base", "resolve_extends"]

MAX_DEPTH = 8
"""Longest chain of bases a derived instrument may have."""

LIST_SECTIONS: dict[str, type[BaseModel]] = {
    "citations": Citation,
    "informants": Informant,
    "principles": Principle,
    "scales": Scale,
    "domains": Domain,
    "items": Item,
}
OWN_KEYS = ("id", "version", "title", "description", "status", "extends", "changes")
INHERITED_KEYS = ("license", "scoring")

BaseResolver = Callable[[str], Instrument]
"""Loads a base instrument by its exact ``id@version``. It raises ``LookupError`` (such as
:class:`~fidelity.errors.CatalogError`) for a spec it cannot find and
:class:`~fidelity.errors.InstrumentError` for an invalid base; both become FI112 problems."""

_STACK: ContextVar[tuple[str, ...]] = ContextVar("fidelity_extends_stack", default=())
"""The derived instruments being resolved in this context, outermost first: a base is usually
loaded by the resolver through the same loader, so a chain of bases is a nested call."""


def no_base(spec: str) -> Instrument:
    """The resolver of a loader that knows no other instruments: every base is refused."""
    raise LookupError(
        "no base resolver was given (load a derived instrument through the catalog, "
        "fidelity.load_instrument, or pass resolve_base)"
    )


def resolve_extends(
    located: Located, resolve_base: BaseResolver
) -> tuple[Located | None, list[InstrumentProblem]]:
    """Load the base named by ``extends`` with ``resolve_base`` and merge the derived file onto
    it; ``(None, problems)`` when the base does not load or the merge is refused (FI112)."""
    spec: str = located.data["extends"]
    base, problems = _load_base(located, spec, resolve_base)
    if base is None:
        return None, problems
    return merge_base(located, base)


def _refusal(located: Located, spec: str, detail: str) -> list[InstrumentProblem]:
    return [
        instrument_problem(
            "FI112",
            file=located.source,
            line=located.line_of(("extends",)),
            path="extends",
            ref=spec,
            detail=detail,
        )
    ]


def _load_base(
    located: Located, spec: str, resolve_base: BaseResolver
) -> tuple[Instrument | None, list[InstrumentProblem]]:
    """The base instrument, guarded against cycles and over-long chains."""
    data: dict[str, Any] = located.data
    own_spec = f"{data.get('id')}@{data.get('version')}"
    stack = _STACK.get()
    if spec == own_spec or spec in stack:
        chain = " → ".join([*stack, own_spec, spec])
        return None, _refusal(located, spec, f"extends forms a cycle ({chain})")
    if len(stack) >= MAX_DEPTH:
        return None, _refusal(
            located, spec, f"extends chain is deeper than {MAX_DEPTH} instruments"
        )
    token = _STACK.set((*stack, own_spec))
    try:
        base = resolve_base(spec)
    except InstrumentError as exc:
        first = exc.problems[0] if exc.problems else "invalid"
        return None, _refusal(located, spec, f"base instrument {spec} is invalid: {first}")
    except LookupError as exc:
        return None, _refusal(located, spec, f"cannot load base instrument {spec}: {exc}")
    finally:
        _STACK.reset(token)
    if base.id == data.get("id"):
        detail = (
            f"a derived instrument needs an id of its own, not {base.id!r}; to change "
            f"{base.id} itself, write its next version file instead"
        )
        return None, _refusal(located, spec, detail)
    return base, []


@dataclass
class _Merge:
    """The merged document being built, with the line of every value: own values keep their
    lines, inherited ones point at the ``extends`` line."""

    derived: Located
    base: Instrument
    base_data: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[Path_, int] = field(default_factory=dict)

    @property
    def ext_line(self) -> int | None:
        return self.derived.line_of(("extends",))

    def copy_lines(self, src: Path_, dst: Path_) -> None:
        n = len(src)
        for path, line in self.derived.lines.items():
            if path[:n] == src:
                self.lines[dst + path[n:]] = line

    def take_own(self, key: str) -> None:
        self.data[key] = self.derived.data[key]
        self.copy_lines((key,), (key,))

    def inherit(self, key: str) -> None:
        self.data[key] = self.base_data[key]
        if self.ext_line is not None:
            self.lines[(key,)] = self.ext_line


def merge_base(
    located: Located, base: Instrument
) -> tuple[Located | None, list[InstrumentProblem]]:
    """The derived document ``located`` merged onto ``base`` (see the module docstring);
    FI112 for every derived entry that would change an inherited one."""
    data: dict[str, Any] = located.data
    merge = _Merge(located, base, base.model_dump(mode="json", exclude_defaults=True))
    if () in located.lines:
        merge.lines[()] = located.lines[()]
    for key in OWN_KEYS:
        if key in data:
            merge.take_own(key)
    for key in INHERITED_KEYS:
        if key in data:
            merge.take_own(key)
        elif key in merge.base_data:
            merge.inherit(key)
    problems: list[InstrumentProblem] = []
    for section, model in LIST_SECTIONS.items():
        problems.extend(_merge_section(merge, section, model))
    for key in data:
        if key not in merge.data and key not in LIST_SECTIONS:
            merge.take_own(key)
    if problems:
        return None, problems
    return Located(data=merge.data, lines=merge.lines, source=located.source), []


def _merge_section(merge: _Merge, section: str, model: type[BaseModel]) -> list[InstrumentProblem]:
    """Base entries of one id'd list, then the derived file's; an own entry with a base id is
    accepted only when identical to the base's."""
    located, ext_line = merge.derived, merge.ext_line
    inherited = list(merge.base_data.get(section, []))
    by_id = {
        entry["id"]: base_entry
        for entry, base_entry in zip(inherited, getattr(merge.base, section), strict=True)
    }
    combined = list(inherited)
    section_line = located.lines.get((section,), ext_line)
    if section_line is not None:
        merge.lines[(section,)] = section_line
    if ext_line is not None:
        for i in range(len(inherited)):
            merge.lines[(section, i)] = ext_line
    problems: list[InstrumentProblem] = []
    for j, entry in enumerate(located.data.get(section, [])):
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(entry_id, str) and entry_id in by_id:
            if not _same(model, entry, by_id[entry_id]):
                problems.append(_changed_inherited(merge, section, j, entry_id))
            continue
        # an own entry keeps its own lines, at its index in the combined list
        merge.copy_lines((section, j), (section, len(combined)))
        combined.append(entry)
    if combined:
        merge.data[section] = combined
    return problems


def _same(model: type[BaseModel], entry: Any, base_entry: BaseModel) -> bool:
    try:
        return model.model_validate(entry) == base_entry
    except ValidationError:
        return False


def _changed_inherited(merge: _Merge, section: str, j: int, entry_id: str) -> InstrumentProblem:
    spec = merge.derived.data["extends"]
    return instrument_problem(
        "FI112",
        file=merge.derived.source,
        line=merge.derived.line_of((section, j)),
        path=f"{section}[{j}]",
        ref=entry_id,
        detail=(
            f"{section[:-1]} {entry_id!r} is inherited from {spec} and cannot be changed in a "
            "derived instrument; give the local variant an id of its own"
        ),
    )
