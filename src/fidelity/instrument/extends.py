"""Inheritance between instruments: resolving ``extends: <id>@<version>``.

How a derived file resolves:

* ``extends`` names one base instrument by exact ``id@version`` (a pinned version: a derived
  instrument never silently follows a newer base). The base is found through the catalog
  (bundled, ``FIDELITY_INSTRUMENT_PATH``, plugins) and may itself be derived; cycles and
  chains deeper than :data:`MAX_DEPTH` are refused.
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

from contextvars import ContextVar
from typing import Any

from pydantic import BaseModel, ValidationError

from fidelity.instrument._yaml import Located
from fidelity.instrument.model import (
    Citation,
    Domain,
    Informant,
    InstrumentError,
    InstrumentProblem,
    Item,
    Principle,
    Scale,
)

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

_STACK: ContextVar[tuple[str, ...]] = ContextVar("fidelity_extends_stack", default=())


def resolve_extends(located: Located) -> tuple[Located | None, list[InstrumentProblem]]:
    """Merge a derived file with its base; the result keeps line numbers of the derived file
    (inherited entries point at the ``extends`` line)."""
    from fidelity.instrument.catalog import CatalogError, load_instrument

    data: dict[str, Any] = located.data
    spec = data["extends"]
    ext_line = located.line_of(("extends",))

    def refuse(message: str) -> tuple[None, list[InstrumentProblem]]:
        return None, [
            InstrumentProblem("FI112", message, located.source, ext_line, "extends", spec)
        ]

    own_spec = f"{data.get('id')}@{data.get('version')}"
    stack = _STACK.get()
    if spec == own_spec or spec in stack:
        chain = " → ".join([*stack, own_spec, spec])
        return refuse(f"extends forms a cycle ({chain})")
    if len(stack) >= MAX_DEPTH:
        return refuse(f"extends chain is deeper than {MAX_DEPTH} instruments")
    token = _STACK.set((*stack, own_spec))
    try:
        base = load_instrument(spec)
    except CatalogError as exc:
        return refuse(f"cannot load base instrument {spec}: {exc}")
    except InstrumentError as exc:
        first = exc.problems[0] if exc.problems else "invalid"
        return refuse(f"base instrument {spec} is invalid: {first}")
    finally:
        _STACK.reset(token)
    if base.id == data.get("id"):
        return refuse(
            f"a derived instrument needs an id of its own, not {base.id!r}; to change "
            f"{base.id} itself, write its next version file instead"
        )

    base_data = base.model_dump(mode="json", exclude_defaults=True)
    merged: dict[str, Any] = {}
    lines: dict[tuple[str | int, ...], int] = {}
    if () in located.lines:
        lines[()] = located.lines[()]

    def copy_lines(src: tuple[str | int, ...], dst: tuple[str | int, ...]) -> None:
        n = len(src)
        for path, line in located.lines.items():
            if path[:n] == src:
                lines[dst + path[n:]] = line

    for key in OWN_KEYS:
        if key in data:
            merged[key] = data[key]
            copy_lines((key,), (key,))
    for key in INHERITED_KEYS:
        if key in data:
            merged[key] = data[key]
            copy_lines((key,), (key,))
        elif key in base_data:
            merged[key] = base_data[key]
            if ext_line is not None:
                lines[(key,)] = ext_line

    problems: list[InstrumentProblem] = []
    for section, model in LIST_SECTIONS.items():
        inherited = list(base_data.get(section, []))
        by_id = {
            entry["id"]: base_entry
            for entry, base_entry in zip(inherited, getattr(base, section), strict=True)
        }
        combined = list(inherited)
        section_line = located.lines.get((section,), ext_line)
        if section_line is not None:
            lines[(section,)] = section_line
        if ext_line is not None:
            for i in range(len(inherited)):
                lines[(section, i)] = ext_line
        own = data.get(section, [])
        for j, entry in enumerate(own):
            entry_id = entry.get("id") if isinstance(entry, dict) else None
            if isinstance(entry_id, str) and entry_id in by_id:
                try:
                    same = model.model_validate(entry) == by_id[entry_id]
                except ValidationError:
                    same = False
                if not same:
                    problems.append(
                        InstrumentProblem(
                            "FI112",
                            f"{section[:-1]} {entry_id!r} is inherited from {spec} and cannot "
                            "be changed in a derived instrument; give the local variant an id "
                            "of its own",
                            located.source,
                            located.line_of((section, j)),
                            f"{section}[{j}]",
                            entry_id,
                        )
                    )
                continue
            # an own entry keeps its own lines, at its index in the combined list
            copy_lines((section, j), (section, len(combined)))
            combined.append(entry)
        if combined:
            merged[section] = combined
    for key in data:
        if key not in merged and key not in LIST_SECTIONS:
            merged[key] = data[key]
            copy_lines((key,), (key,))
    if problems:
        return None, problems
    return Located(data=merged, lines=lines, source=located.source), []
