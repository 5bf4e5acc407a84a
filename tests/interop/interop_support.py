"""Shared helpers of the interop tests: random instruments (ids of every length, scales that
start below zero) and random valid sheets for them, and sheet normalisation for comparing
round trips."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import strategies as st

import fidelity
from fidelity.instrument import Instrument
from fidelity.ratings.checks.ids import id_flaw, id_key

DATA = Path(__file__).parents[1] / "data"
MINI = DATA / "lint" / "minimal.yaml"
REDCAP = DATA / "redcap"

_SLUG_PART = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=9)
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
"""Free text for sheet fields and comments: commas, quotes, newlines, pipes, any script."""
COMMENT_TEXT = TEXT.filter(lambda v: all(not c.isspace() or c in " \r\n\t" for c in v))
"""Free text a comment may be in every exchange format: FHIR strings hold no whitespace but
space, CR, LF and tab (the FHIR export refuses the rest, tested on its own)."""
ID_TEXT = TEXT.filter(lambda v: id_flaw(v) is None)
"""Free text an id may be: no spaces around it, no invisible or control character."""


@st.composite
def slugs(draw: st.DrawFn, prefix: str) -> str:
    parts = draw(st.lists(_SLUG_PART, min_size=1, max_size=5))
    return prefix + "-".join(parts)


@st.composite
def instruments(draw: st.DrawFn) -> Instrument:
    """A small valid instrument with random item ids (some longer than 26 characters)."""
    low = draw(st.integers(-2, 1))
    values = list(range(low, low + draw(st.integers(2, 5))))
    informants = ["peer", "sup", "person"][: draw(st.integers(1, 3))]
    ids = draw(st.lists(slugs("i"), min_size=1, max_size=6, unique=True))
    n_domains = draw(st.integers(1, min(3, len(ids))))
    items = []
    for k, item_id in enumerate(ids):
        asked = draw(st.lists(st.sampled_from(informants), min_size=1, unique=True))
        items.append(
            {
                "id": item_id,
                "domain": f"d{k % n_domains}",
                "text": f"Item {item_id}",
                "informants": asked,
                "scale": "s",
                "anchors": {str(v): f"anchor {v}, | {item_id}" for v in values},
                "allow_na": draw(st.booleans()),
                "required": draw(st.booleans()),
            }
        )
    mid = (values[0] + values[-1]) / 2
    data = {
        "id": draw(slugs("p")),
        "version": "1.0.0",
        "title": "Property instrument",
        "description": "Generated.",
        "informants": [{"id": i, "name": i.title()} for i in informants],
        "principles": [{"id": "p", "name": "P", "description": "A principle."}],
        "scales": [
            {
                "id": "s",
                "name": "Scale",
                "levels": [{"value": v, "label": f"L{v}", "anchor": f"a{v}"} for v in values],
                "codes": [{"code": "NA", "label": "Not applicable"}],
            }
        ],
        "domains": [
            {"id": f"d{d}", "name": f"Domain {d}", "principles": ["p"]} for d in range(n_domains)
        ],
        "items": items,
        "scoring": {
            "bands": [
                {"id": "low", "label": "Low", "lower": values[0], "upper": mid},
                {"id": "high", "label": "High", "lower": mid, "upper": values[-1]},
            ]
        },
    }
    return Instrument.model_validate(data)


@st.composite
def sheets(draw: st.DrawFn, inst: Instrument) -> list[dict[str, Any]]:
    """Random valid sheets for ``inst``: every optional field present or not, ratings a
    level, NA where allowed, or left out, comments with awkward text."""
    out = []
    spellings: dict[str, str] = {}
    for k in range(draw(st.integers(1, 6))):
        sheet: dict[str, Any] = {
            # unique per sheet (a repeated assessment and rater is a duplicate sheet)
            "assessment": f"{draw(ID_TEXT.filter(bool))}-{k}" if draw(st.booleans()) else f"a{k}",
            "rater": draw(st.sampled_from(["r1", "r2", "Rater, Three"])),
        }
        if draw(st.booleans()):
            sheet["instrument"] = inst.spec
        if draw(st.booleans()):
            site = draw(ID_TEXT.filter(bool))
            sheet["site"] = spellings.setdefault(id_key(site), site)  # one spelling per site
        informant = draw(st.none() | st.sampled_from([i.id for i in inst.informants]))
        if informant is not None:
            sheet["informant"] = informant
        if draw(st.booleans()):
            sheet["date"] = draw(st.dates()).isoformat()
        if draw(st.booleans()):
            sheet["consensus"] = draw(st.booleans())
        ratings: dict[str, Any] = {}
        comments: dict[str, str] = {}
        for it in inst.items:
            if informant is not None and informant not in it.informants:
                continue
            choices = [*inst.scale_of(it).values, *(["NA"] if it.allow_na else []), None]
            value = draw(st.sampled_from(choices))
            if value is not None:
                ratings[it.id] = value
            if draw(st.integers(0, 3)) == 0:
                comments[it.id] = draw(COMMENT_TEXT.filter(bool))
        sheet["ratings"] = ratings
        if comments:
            sheet["comments"] = comments
        out.append(sheet)
    return out


def mini() -> Instrument:
    return fidelity.load_instrument(MINI)


def same_scores(inst: Instrument, a: Any, b: Any) -> bool:
    """Whether two inputs give the same scores (the ``source`` column aside)."""
    fa = fidelity.score(inst, a).to_pandas().drop(columns=["source"], errors="ignore")
    fb = fidelity.score(inst, b).to_pandas().drop(columns=["source"], errors="ignore")
    return bool(fa.equals(fb))
