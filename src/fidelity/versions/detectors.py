"""Change detectors: one small function per kind of change between two versions.

Every change is classified by what it does to rating sheets that already exist under the
older version:

``none``
    Wording only: text, guidance, anchors, labels, descriptions, citations, principle tags.
    Every existing sheet is valid under the new version and scores exactly the same.
``additive``
    Something new that leaves every existing sheet's scores unchanged once the sheet is
    migrated (re-pinned, renamed keys): an item added to an existing domain, an item renamed
    through ``changes.item_map``, a relaxed or merely advisory rule (``allow_na`` switched on,
    an informant added to an item, ``required`` switched either way).
``breaking``
    Some existing sheet would score differently, or would no longer validate: an item
    removed (with or without a mapping to ``null``), moved to another domain, re-scaled,
    reverse flag flipped, re-weighted relative to the other items it is averaged with; a
    domain added or removed; ``min_answered``, the overall rule or ``max_missing_domains``
    changed; band bounds or ids changed; ``allow_na`` switched off; an informant taken away
    from an item or from the instrument.

Why an added item is additive. Scoring (``fidelity.scoring``) leaves a missing answer out of
the domain's weighted mean and does not count it towards ``min_answered``, which is a count
of answered items. A sheet made under the older version lacks the new item, so for it the
item is missing: its domain keeps the same answered items, the same weighted mean and the
same count against the same ``min_answered``, hence the same domain, overall score and band.
This holds only while ``min_answered`` stays as it was (changing it is classified on its own,
as breaking) and the item lands in a domain that already existed (a new domain is missing for
old sheets, which counts against ``max_missing_domains``). ``required`` does not enter
scoring: an unanswered required item is a validation *warning*, so a new required item is
still additive, and migrated sheets carry a warning that it was not answered.

A detector takes the two versions (:class:`Versions`) and yields its :class:`Change` s;
:data:`fidelity.versions.diff.DETECTORS` lists them in the order ``diff`` runs them. Scales and
domains present in both versions are compared one pair at a time by the per-pair detectors of
:data:`SCALE_DETECTORS` and :data:`DOMAIN_DETECTORS`; items live in
:mod:`fidelity.versions.item_detectors`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from fidelity._util.text import short
from fidelity.instrument import Band, Domain, Instrument, Item, Scale
from fidelity.versions.changes import Change

__all__ = [
    "DOMAIN_DETECTORS",
    "SCALE_DETECTORS",
    "Found",
    "Versions",
    "overall_rules_agree",
]


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_HasId)


def _by_id(objs: Iterable[_T]) -> dict[str, _T]:
    return {o.id: o for o in objs}


def _only(these: Mapping[str, Any], other: Mapping[str, Any]) -> list[str]:
    """Ids of ``these`` that ``other`` lacks, in the order of ``these`` (the file order), so
    that the changes come in the same order on every run."""
    return [key for key in these if key not in other]


def _shared(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Ids both have, in the order of ``old``."""
    return [key for key in old if key in new]


@dataclass(frozen=True)
class Versions:
    """What every detector looks at: the two versions and how their items pair up."""

    old: Instrument
    new: Instrument
    item_map: dict[str, str | None]
    """Each item of ``old`` → its counterpart in ``new`` (``None``: no counterpart)."""
    old_items: dict[str, Item]
    new_items: dict[str, Item]
    old_scales: dict[str, Scale]
    new_scales: dict[str, Scale]
    targets: frozenset[str]
    """Items of ``new`` that some item of ``old`` maps to."""
    pairs: tuple[tuple[Item, Item], ...]
    """(old item, its counterpart) for every mapped item, in ``old``'s order."""

    @classmethod
    def of(cls, old: Instrument, new: Instrument, item_map: dict[str, str | None]) -> Versions:
        """The two versions with their items paired through ``item_map``."""
        old_items, new_items = _by_id(old.items), _by_id(new.items)
        pairs = tuple(
            (old_items[oid], new_items[nid]) for oid, nid in item_map.items() if nid is not None
        )
        return cls(
            old=old,
            new=new,
            item_map=item_map,
            old_items=old_items,
            new_items=new_items,
            old_scales=_by_id(old.scales),
            new_scales=_by_id(new.scales),
            targets=frozenset(v for v in item_map.values() if v is not None),
            pairs=pairs,
        )


Found = Iterator[Change]


# ---------------------------------------------------------------------------------------------
# The instrument as a whole

_METADATA = ("title", "description", "license", "status")
_VERBATIM = ("license", "status")  # short values, reported as they are


def instrument_id(v: Versions) -> Found:
    """``instrument-id``: a different instrument (wording only, as far as sheets go)."""
    if v.old.id != v.new.id:
        yield Change(
            "instrument-id",
            "instrument",
            "none",
            f"id {v.old.id} → {v.new.id}",
            old=v.old.id,
            new=v.new.id,
        )


def instrument_metadata(v: Versions) -> Found:
    """``instrument-title``, ``-description``, ``-license``, ``-status``."""
    for attr in _METADATA:
        a, b = getattr(v.old, attr), getattr(v.new, attr)
        if a != b:
            plain = attr in _VERBATIM
            yield Change(
                f"instrument-{attr}",
                "instrument",
                "none",
                f"{attr} changed",
                old=a if plain else short(str(a)),
                new=b if plain else short(str(b)),
            )


def citations(v: Versions) -> Found:
    """``citations``: any change to the list of sources."""
    if v.old.citations != v.new.citations:
        yield Change("citations", "instrument", "none", "citations changed")


def extends(v: Versions) -> Found:
    """``extends``: another base instrument (its effects show up as the other changes)."""
    a, b = v.old.extends, v.new.extends
    if a != b:
        yield Change(
            "extends",
            "instrument",
            "none",
            f"base instrument {a or 'none'} → {b or 'none'} "
            "(its effects are listed as the changes below)",
            old=a,
            new=b,
        )


def principles(v: Versions) -> Found:
    """``principles``: names, descriptions or the set of principles."""
    if v.old.principles != v.new.principles:
        yield Change(
            "principles", "instrument", "none", "principles (names, descriptions or set) changed"
        )


def informants_added(v: Versions) -> Found:
    """``informant-added``: nobody's sheet names it yet."""
    old_inf, new_inf = _by_id(v.old.informants), _by_id(v.new.informants)
    for iid in _only(new_inf, old_inf):
        yield Change("informant-added", f"informant:{iid}", "none", f"informant {iid} added")


def informants_removed(v: Versions) -> Found:
    """``informant-removed``: sheets that name it no longer validate."""
    old_inf, new_inf = _by_id(v.old.informants), _by_id(v.new.informants)
    for iid in _only(old_inf, new_inf):
        yield Change(
            "informant-removed",
            f"informant:{iid}",
            "breaking",
            f"informant {iid} removed: sheets that name this informant no longer validate",
        )


def informants_reworded(v: Versions) -> Found:
    """``informant-wording``: name or description of an informant in both versions."""
    old_inf, new_inf = _by_id(v.old.informants), _by_id(v.new.informants)
    for iid in _shared(old_inf, new_inf):
        if old_inf[iid] != new_inf[iid]:
            yield Change(
                "informant-wording",
                f"informant:{iid}",
                "none",
                f"informant {iid}: name or description reworded",
            )


# ---------------------------------------------------------------------------------------------
# Scales

ScaleDetector = Callable[[str, Scale, Scale, Versions], Iterable[Change]]


def scale_levels(sid: str, a: Scale, b: Scale, v: Versions) -> Found:
    """``scale-levels``: other level values; breaking when an item of the new version uses
    the scale."""
    if a.values == b.values:
        return
    users = [it for it in v.new.items if it.scale == sid]
    yield Change(
        "scale-levels",
        f"scale:{sid}",
        "breaking" if users else "none",
        f"scale {sid}: level values {list(a.values)} → {list(b.values)}"
        + (f" (used by {len(users)} item(s))" if users else " (not used)"),
        domains=tuple(sorted({it.domain for it in users})),
        old=list(a.values),
        new=list(b.values),
    )


def scale_wording(sid: str, a: Scale, b: Scale, v: Versions) -> Found:
    """``scale-wording``: the same level values, other labels, anchors or codes."""
    if a.values == b.values and a != b:
        yield Change(
            "scale-wording",
            f"scale:{sid}",
            "none",
            f"scale {sid}: labels, anchors or codes reworded",
        )


def scale_codes(sid: str, a: Scale, b: Scale, v: Versions) -> Found:
    """``scale-codes``: codes (NA) added or taken away; what it does to items is their own
    ``item-na`` change."""
    a_codes, b_codes = {c.code for c in a.codes}, {c.code for c in b.codes}
    if a_codes != b_codes:
        yield Change(
            "scale-codes",
            f"scale:{sid}",
            "none",
            f"scale {sid}: codes {sorted(a_codes)} → {sorted(b_codes)} "
            "(items' allow_na changes are listed separately)",
        )


SCALE_DETECTORS: tuple[ScaleDetector, ...] = (scale_levels, scale_wording, scale_codes)
"""Run on every scale the two versions share, in this order."""


def scales_changed(v: Versions) -> Found:
    """The :data:`SCALE_DETECTORS` on every scale of both versions."""
    for sid in _shared(v.old_scales, v.new_scales):
        a, b = v.old_scales[sid], v.new_scales[sid]
        for detect in SCALE_DETECTORS:
            yield from detect(sid, a, b, v)


def scales_added(v: Versions) -> Found:
    """``scale-added``: no item of the old version can use it."""
    for sid in _only(v.new_scales, v.old_scales):
        yield Change("scale-added", f"scale:{sid}", "none", f"scale {sid} added")


def scales_removed(v: Versions) -> Found:
    """``scale-removed``: items that moved off it are reported as the items' changes."""
    used = {it.scale for it in v.new.items}
    for sid in _only(v.old_scales, v.new_scales):
        yield Change(
            "scale-removed",
            f"scale:{sid}",
            "none",
            f"scale {sid} removed" + (" (still named by items)" if sid in used else ""),
        )


# ---------------------------------------------------------------------------------------------
# Domains

DomainDetector = Callable[[str, Domain, Domain], Iterable[Change]]


def domains_added(v: Versions) -> Found:
    """``domain-added``: missing on every existing sheet."""
    old_dom, new_dom = _by_id(v.old.domains), _by_id(v.new.domains)
    for did in _only(new_dom, old_dom):
        yield Change(
            "domain-added",
            f"domain:{did}",
            "breaking",
            f"domain {did} added: it is missing for every existing sheet, which counts "
            "against max_missing_domains and changes how the overall score is formed",
            domains=(did,),
        )


def domains_removed(v: Versions) -> Found:
    """``domain-removed``."""
    old_dom, new_dom = _by_id(v.old.domains), _by_id(v.new.domains)
    for did in _only(old_dom, new_dom):
        yield Change(
            "domain-removed", f"domain:{did}", "breaking", f"domain {did} removed", domains=(did,)
        )


def domain_min_answered(did: str, a: Domain, b: Domain) -> Found:
    """``domain-min-answered``: changes which sheets have a domain score."""
    if a.min_answered != b.min_answered:
        yield Change(
            "domain-min-answered",
            f"domain:{did}",
            "breaking",
            f"domain {did}: min_answered {a.min_answered} → {b.min_answered}",
            domains=(did,),
            old=a.min_answered,
            new=b.min_answered,
        )


def domain_wording(did: str, a: Domain, b: Domain) -> Found:
    """``domain-wording``: name, description or principles."""
    if (a.name, a.description, a.principles) != (b.name, b.description, b.principles):
        yield Change(
            "domain-wording",
            f"domain:{did}",
            "none",
            f"domain {did}: name, description or principles changed",
            domains=(did,),
        )


DOMAIN_DETECTORS: tuple[DomainDetector, ...] = (domain_min_answered, domain_wording)
"""Run on every domain the two versions share, in this order."""


def domains_changed(v: Versions) -> Found:
    """The :data:`DOMAIN_DETECTORS` on every domain of both versions."""
    old_dom, new_dom = _by_id(v.old.domains), _by_id(v.new.domains)
    for did in _shared(old_dom, new_dom):
        for detect in DOMAIN_DETECTORS:
            yield from detect(did, old_dom[did], new_dom[did])


def domain_order(v: Versions) -> Found:
    """``domain-order``: the shared domains in another order."""
    old_ids, new_ids = {d.id for d in v.old.domains}, {d.id for d in v.new.domains}
    if [d.id for d in v.old.domains if d.id in new_ids] != [
        d.id for d in v.new.domains if d.id in old_ids
    ]:
        yield Change("domain-order", "instrument", "none", "domains reordered")


# ---------------------------------------------------------------------------------------------
# Scoring and bands


def overall_rules_agree(inst: Instrument) -> bool:
    """Whether ``mean_of_domains`` and ``mean_of_items`` give the same overall score for every
    sheet on this structure (so switching between them changes nothing).

    With one domain the two agree when the domain can only be missing with no item answered
    (``min_answered`` 1) or a missing domain makes the overall score missing anyway
    (``max_missing_domains`` 0). With several domains they agree only when every domain is
    scored only when complete (``min_answered`` = its number of items), all domains carry the
    same total weight (so the item mean is the mean of domain means), and a missing domain
    leaves no answered item behind for the item mean (``max_missing_domains`` 0, or
    single-item domains).
    """
    m = inst.scoring.max_missing_domains
    if len(inst.domains) == 1:
        return m == 0 or inst.domains[0].min_answered == 1
    totals = []
    for dom in inst.domains:
        members = inst.items_in(dom.id)
        if dom.min_answered != len(members):
            return False
        if m != 0 and len(members) != 1:
            return False
        totals.append(sum(it.weight for it in members))
    return all(math.isclose(t, totals[0], rel_tol=1e-12) for t in totals)


def scoring_overall(v: Versions) -> Found:
    """``scoring-overall``: the other rule; wording only when both rules agree on both
    structures."""
    a, b = v.old.scoring.overall, v.new.scoring.overall
    if a == b:
        return
    neutral = overall_rules_agree(v.old) and overall_rules_agree(v.new)
    yield Change(
        "scoring-overall",
        "scoring",
        "none" if neutral else "breaking",
        f"overall rule {a} → {b}"
        + (" (the two rules give the same score for every sheet here)" if neutral else ""),
        old=a,
        new=b,
    )


def scoring_max_missing(v: Versions) -> Found:
    """``scoring-max-missing-domains``."""
    a, b = v.old.scoring.max_missing_domains, v.new.scoring.max_missing_domains
    if a != b:
        yield Change(
            "scoring-max-missing-domains",
            "scoring",
            "breaking",
            f"max_missing_domains {a} → {b}",
            old=a,
            new=b,
        )


def scoring_wording(v: Versions) -> Found:
    """``scoring-wording``: the rationale."""
    if v.old.scoring.rationale != v.new.scoring.rationale:
        yield Change("scoring-wording", "scoring", "none", "scoring rationale reworded")


def _sorted_bands(inst: Instrument) -> list[Band]:
    return sorted(inst.scoring.bands, key=lambda b: b.lower)


def _bands_text(bands: Iterable[Band]) -> str:
    return " ".join(f"{b.id}[{b.lower:g},{b.upper:g})" for b in bands)


def band_bounds(v: Versions) -> Found:
    """``band-bounds``: other cut-points, so some scores fall in another band."""
    ob, nb = _sorted_bands(v.old), _sorted_bands(v.new)
    if [(b.lower, b.upper) for b in ob] != [(b.lower, b.upper) for b in nb]:
        yield Change(
            "band-bounds",
            "band:*",
            "breaking",
            "band bounds " + _bands_text(ob) + " → " + _bands_text(nb),
            old=[[b.lower, b.upper] for b in ob],
            new=[[b.lower, b.upper] for b in nb],
        )


def band_ids(v: Versions) -> Found:
    """``band-ids``: the same bounds under other ids (score outputs report band ids)."""
    ob, nb = _sorted_bands(v.old), _sorted_bands(v.new)
    same_bounds = [(b.lower, b.upper) for b in ob] == [(b.lower, b.upper) for b in nb]
    a, b = [x.id for x in ob], [x.id for x in nb]
    if same_bounds and a != b:
        yield Change(
            "band-ids",
            "band:*",
            "breaking",
            f"band ids {', '.join(a)} → {', '.join(b)} (score outputs report band ids)",
            old=a,
            new=b,
        )


def band_wording(v: Versions) -> Found:
    """``band-wording``: label or rationale of a band that keeps its id and place."""
    for a, b in zip(_sorted_bands(v.old), _sorted_bands(v.new), strict=False):
        if a.id == b.id and (a.label, a.rationale) != (b.label, b.rationale):
            yield Change(
                "band-wording", f"band:{b.id}", "none", f"band {b.id}: label or rationale reworded"
            )
