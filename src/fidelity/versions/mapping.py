"""Item mappings between versions: the ``changes.item_map`` declarations followed along the
``changes.previous`` chain, and the conflicts a declared map can have with the previous
version."""

from __future__ import annotations

from collections.abc import Callable

from fidelity.instrument import Instrument
from fidelity.instrument.catalog import load_instrument
from fidelity.versions.changes import MappingProblem
from fidelity.versions.semver import parse_version

__all__ = ["Loader", "chain", "item_mapping", "mapping_conflicts"]

Loader = Callable[[str], Instrument]
"""Loads an instrument by spec (``id@version``); the catalog's :func:`load_instrument` by
default. ``None`` in its place means: follow no chain beyond the two instruments given."""

_MAX_CHAIN = 64


def chain(old: Instrument, new: Instrument, loader: Loader | None) -> list[Instrument] | None:
    """Versions from ``new`` back to ``old`` following ``changes.previous`` (new first);
    ``None`` when no chain links them."""
    found = [new]
    current = new
    for _ in range(_MAX_CHAIN):
        if current.version == old.version:
            return found
        prev = current.changes.previous if current.changes is not None else None
        if prev is None:
            return None
        if prev == old.version:
            found.append(old)
            return found
        if loader is None or parse_version(prev) < parse_version(old.version):
            return None
        try:
            current = loader(f"{new.id}@{prev}")
        except Exception:  # a broken link only means we fall back to matching by id
            return None
        found.append(current)
    return None


def _step_map(prev: Instrument, cur: Instrument) -> dict[str, str | None]:
    """Map every item of ``prev`` to ``cur`` through ``cur.changes.item_map``; unlisted items
    keep their id when it still exists."""
    declared = dict(cur.changes.item_map) if cur.changes is not None else {}
    now = {it.id for it in cur.items}
    out: dict[str, str | None] = {}
    for it in prev.items:
        if it.id in declared:
            target = declared[it.id]
            out[it.id] = target if target in now else None
        else:
            out[it.id] = it.id if it.id in now else None
    return out


def _compose(lo: Instrument, versions: list[Instrument]) -> dict[str, str | None]:
    """Compose the step maps along ``versions`` (new first, as :func:`chain` gives them) into
    one map from the items of ``lo`` (the oldest) to the newest version's."""
    composed: dict[str, str | None] = {it.id: it.id for it in lo.items}
    for prev, cur in zip(reversed(versions[1:]), reversed(versions[:-1]), strict=True):
        step = _step_map(prev, cur)
        composed = {k: (step.get(v) if v is not None else None) for k, v in composed.items()}
    return composed


def _invert(composed: dict[str, str | None], hi: Instrument) -> dict[str, str | None]:
    """The map from ``hi``'s items back to the older version's (``None``: no counterpart)."""
    inverse: dict[str, str | None] = {it.id: None for it in hi.items}
    for k, v in composed.items():
        if v is not None:
            inverse[v] = k
    return inverse


def item_mapping(
    old: Instrument, new: Instrument, *, loader: Loader | None = load_instrument
) -> tuple[dict[str, str | None], str]:
    """Map each item of ``old`` to its counterpart in ``new``, and say where the map came from.

    Within one instrument id, the ``changes.item_map`` declarations are followed along the
    ``changes.previous`` chain (composed across several versions, inverted when ``new`` is
    the older one). Otherwise, and for items no declaration mentions, an item keeps its id.
    """
    if old.id == new.id and old.version != new.version:
        forward = parse_version(new.version) > parse_version(old.version)
        lo, hi = (old, new) if forward else (new, old)
        versions = chain(lo, hi, loader)
        if versions is not None:
            composed = _compose(lo, versions)
            via = " → ".join(i.version for i in reversed(versions))
            if forward:
                return composed, f"changes.item_map along {via}"
            return _invert(composed, hi), f"changes.item_map along {via}, inverted"
    ids = {it.id for it in new.items}
    return {it.id: (it.id if it.id in ids else None) for it in old.items}, "item ids"


def mapping_conflicts(old: Instrument, new: Instrument) -> list[MappingProblem]:
    """Conflicts between ``new``'s declared map and the items of ``old`` (direct step only):
    a key that is not an item of ``old``, or a target that another item of ``old`` still
    holds under its own id."""
    if new.changes is None or new.changes.previous != old.version:
        return []
    declared = new.changes.item_map
    old_ids = {it.id for it in old.items}
    out = [
        MappingProblem(key, f"item_map names {key!r}, which is not an item of {old.spec}")
        for key in declared
        if key not in old_ids
    ]
    new_ids = {it.id for it in new.items}
    for key, target in declared.items():
        if target is None or target == key:
            continue
        if target in old_ids and target not in declared and target in new_ids:
            out.append(
                MappingProblem(
                    key,
                    f"item_map maps {key!r} to {target!r}, but {old.spec} also has an item "
                    f"{target!r} that keeps its id; map {target!r} too (to null or elsewhere)",
                )
            )
    return out
