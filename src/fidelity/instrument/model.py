"""Instruments as data: the immutable pydantic models of a fidelity index.

The models check types and shapes; on validation they also run the cross-reference rules of
:mod:`fidelity.instrument.rules` (ids unique, references resolve, anchors cover the scale,
bands cover the score range), so a directly constructed :class:`Instrument` obeys the same
rules as one loaded from a file (:mod:`fidelity.instrument.load` places problems on lines).
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from fidelity._util.text import short
from fidelity.instrument.problems import dotted
from fidelity.instrument.rules import cross_reference_findings

__all__ = [
    "EXTENDS_PATTERN",
    "SEMVER_PATTERN",
    "SLUG_PATTERN",
    "Band",
    "Changes",
    "Citation",
    "Code",
    "Domain",
    "Informant",
    "Instrument",
    "Item",
    "Level",
    "Principle",
    "Scale",
    "Scoring",
]

SLUG_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
SEMVER_PATTERN = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"
_KEY_DIGITS = 18
"""Longest level value an anchor key may spell (levels are small whole numbers)."""
EXTENDS_PATTERN = SLUG_PATTERN[:-1] + "@" + SEMVER_PATTERN[1:]

Slug = Annotated[str, StringConstraints(strict=True, pattern=SLUG_PATTERN, max_length=64)]
Text = Annotated[str, StringConstraints(strict=True, min_length=1)]
Note = Annotated[str, StringConstraints(strict=True)]
Version = Annotated[str, StringConstraints(strict=True, pattern=SEMVER_PATTERN)]
Weight = Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)]
Bound = Annotated[float, Field(allow_inf_nan=False, strict=True)]


# ---------------------------------------------------------------------------------------------
# Models


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False)


class Citation(_Frozen):
    """A published source the instrument draws on."""

    id: Slug
    text: Text
    doi: Annotated[str, StringConstraints(strict=True, pattern=r"^10\.[0-9]{4,9}/\S+$")] | None = (
        None
    )
    url: Annotated[str, StringConstraints(strict=True, pattern=r"^https?://\S+$")] | None = None
    role: Note | None = None


class Informant(_Frozen):
    """Someone whose interview provides evidence (peer worker, supervisor, ...)."""

    id: Slug
    name: Text
    description: Note = ""


class Principle(_Frozen):
    """A principle of practice; a cross-cutting one is tagged on items across domains."""

    id: Slug
    name: Text
    description: Text
    cross_cutting: StrictBool = False


class Level(_Frozen):
    """One ordered point of a response scale with its generic behavioural anchor."""

    value: StrictInt
    label: Text
    anchor: Text


class Code(_Frozen):
    """A non-score answer a rater may give; ``NA`` (not applicable) is excluded by design."""

    code: Literal["NA"]
    label: Text
    description: Note = ""


class Scale(_Frozen):
    """A named response scale: ordered levels and allowed non-score codes."""

    id: Slug
    name: Text
    description: Note = ""
    levels: tuple[Level, ...] = Field(min_length=2)
    codes: tuple[Code, ...] = ()

    @property
    def values(self) -> tuple[int, ...]:
        """Level values in file order (increasing for a valid scale)."""
        return tuple(level.value for level in self.levels)

    @property
    def min(self) -> int:
        """Smallest level value."""
        return min(self.values)

    @property
    def max(self) -> int:
        """Largest level value."""
        return max(self.values)

    def allows_code(self, code: str) -> bool:
        """Whether the scale defines the non-score code ``code``."""
        return any(c.code == code for c in self.codes)


class Domain(_Frozen):
    """A group of items scored together; measures one or more principles."""

    id: Slug
    name: Text
    description: Note = ""
    principles: tuple[Slug, ...] = Field(min_length=1)
    min_answered: StrictInt = Field(default=1, ge=1)


class Item(_Frozen):
    """One rated item with its item-specific anchor at every level of its scale."""

    id: Slug
    domain: Slug
    text: Text
    guidance: Note = ""
    informants: tuple[Slug, ...] = Field(min_length=1)
    principles: tuple[Slug, ...] = ()
    scale: Slug
    anchors: dict[int, Text] = Field(min_length=2)
    reverse: StrictBool = False
    weight: Weight = 1.0
    allow_na: StrictBool = False
    required: StrictBool = True
    redcap: Annotated[str, StringConstraints(strict=True, min_length=1)] | None = None
    """The REDCap variable name, stable across versions; default: derived from the id.
    Checked by FI113-FI115 (:mod:`fidelity.instrument.redcap`)."""

    @field_validator("anchors", mode="before")
    @classmethod
    def _level_keys(cls, value: Any) -> Any:
        # Keys arrive as strings from YAML and JSON; only whole-number strings name a level.
        if not isinstance(value, Mapping):
            return value
        out: dict[Any, Any] = {}
        for key, text in value.items():
            if isinstance(key, str):
                stripped = key.strip()
                digits = stripped.removeprefix("-")
                if digits.isascii() and digits.isdigit() and len(digits) <= _KEY_DIGITS:
                    out[int(stripped)] = text
                    continue
                raise ValueError(
                    f"anchor key {short(repr(key), 40)} is not a level value (a whole number "
                    f"of at most {_KEY_DIGITS} digits)"
                )
            if isinstance(key, bool) or not isinstance(key, int):
                raise ValueError(f"anchor key {key!r} is not a level value (a whole number)")
            out[key] = text
        return out


class Band(_Frozen):
    """A closed-open interval of the overall score; the top band also includes its upper bound."""

    id: Slug
    label: Text
    lower: Bound
    upper: Bound
    rationale: Note = ""


class Scoring(_Frozen):
    """How domain scores combine into the overall score, and the overall bands."""

    overall: Literal["mean_of_domains", "mean_of_items"] = "mean_of_domains"
    max_missing_domains: StrictInt = Field(default=0, ge=0)
    bands: tuple[Band, ...] = Field(min_length=1)
    rationale: Note = ""


class Changes(_Frozen):
    """What changed since the previous version, and how item ids map across it."""

    previous: Version | None = None
    summary: Note = ""
    notes: tuple[Note, ...] = ()
    item_map: dict[Slug, Slug | None] = Field(default_factory=dict)


class Instrument(_Frozen):
    """One version of a fidelity index.

    Construct through :func:`fidelity.load_instrument` (or :func:`instrument_from_yaml`) so that
    problems are reported with file and line; constructing directly validates the same rules.
    """

    id: Slug
    version: Version
    status: Literal["draft", "released"] = "released"
    title: Text
    description: Text
    license: Note | None = None
    citations: tuple[Citation, ...] = ()
    informants: tuple[Informant, ...] = Field(min_length=1)
    principles: tuple[Principle, ...] = Field(min_length=1)
    scales: tuple[Scale, ...] = Field(min_length=1)
    domains: tuple[Domain, ...] = Field(min_length=1)
    items: tuple[Item, ...] = Field(min_length=1)
    scoring: Scoring
    changes: Changes | None = None
    extends: Annotated[str, StringConstraints(strict=True, pattern=EXTENDS_PATTERN)] | None = None
    """The base instrument (``id@version``) this one was derived from; the fields hold the
    resolved content (base entries first, then this instrument's own)."""

    _source: str | None = PrivateAttr(default=None)
    _hash: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _cross_references(self, info: ValidationInfo) -> Instrument:
        # A loader passes a list as context["problems"] to collect the findings with their
        # paths (it knows the lines); direct construction raises them as one ValueError.
        found = cross_reference_findings(self)
        if not found:
            return self
        sink = info.context.get("problems") if isinstance(info.context, dict) else None
        if isinstance(sink, list):
            sink.extend(found)
            return self
        raise ValueError("; ".join(f"{dotted(f.at)}: {f.message}" for f in found))

    def __eq__(self, other: object) -> bool:
        # Content equality: where the instrument was read from does not matter.
        if not isinstance(other, Instrument):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(self.content_hash)

    # -- display (short: the full content is thousands of lines) -------------------------------

    def __repr__(self) -> str:
        draft = " draft" if self.status == "draft" else ""
        return (
            f"<Instrument {self.spec}{draft}: {_count(self.domains, 'domain')}, "
            f"{_count(self.items, 'item')}, hash {self.content_hash[:12]}>"
        )

    __str__ = __repr__

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # What rich and devtools show (pydantic's default would list every field).
        yield None, self.spec
        yield "domains", len(self.domains)
        yield "items", len(self.items)
        yield "hash", self.content_hash[:12]

    def _repr_html_(self) -> str:
        """A compact summary for notebooks: title, spec, and the domains with item counts."""
        esc = html.escape
        rows = "".join(
            f"<tr><td><code>{esc(d.id)}</code></td><td>{esc(d.name)}</td>"
            f"<td style='text-align:right'>{len(self.items_in(d.id))}</td></tr>"
            for d in self.domains
        )
        base = f" · extends <code>{esc(self.extends)}</code>" if self.extends else ""
        return (
            f"<div><strong>{esc(self.title)}</strong><br>"
            f"<code>{esc(self.spec)}</code> · {esc(self.status)} · "
            f"{_count(self.items, 'item')} · hash <code>{self.content_hash[:12]}</code>{base}"
            "<table><thead><tr><th>domain</th><th>name</th><th>items</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )

    # -- identity -----------------------------------------------------------------------------

    @property
    def spec(self) -> str:
        """``id@version``, the form rating sheets pin."""
        return f"{self.id}@{self.version}"

    @property
    def source(self) -> str | None:
        """The file (or plugin resource) this instrument was loaded from, if any."""
        return self._source

    @property
    def content_hash(self) -> str:
        """sha256 of the canonical JSON form: independent of YAML layout, key order and of
        spelling out default values."""
        if self._hash is None:
            self._hash = hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()
        return self._hash

    def canonical_json(self) -> str:
        """Sorted-key, compact JSON of the content, defaults left out."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def to_yaml(self) -> str:
        """The instrument as a YAML document that loads back to an equal instrument."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)

    # -- lookups ------------------------------------------------------------------------------

    def item(self, item_id: str) -> Item:
        """The item with id ``item_id`` (KeyError naming the known ids otherwise)."""
        found: Item = _lookup(self.items, item_id, "item")
        return found

    def domain(self, domain_id: str) -> Domain:
        """The domain with id ``domain_id``."""
        found: Domain = _lookup(self.domains, domain_id, "domain")
        return found

    def scale(self, scale_id: str) -> Scale:
        """The scale with id ``scale_id``."""
        found: Scale = _lookup(self.scales, scale_id, "scale")
        return found

    def principle(self, principle_id: str) -> Principle:
        """The principle with id ``principle_id``."""
        found: Principle = _lookup(self.principles, principle_id, "principle")
        return found

    def items_in(self, domain_id: str) -> tuple[Item, ...]:
        """The items of one domain, in file order."""
        return tuple(i for i in self.items if i.domain == domain_id)

    def scale_of(self, item: Item | str) -> Scale:
        """The scale an item is rated on."""
        it = self.item(item) if isinstance(item, str) else item
        return self.scale(it.scale)

    def informant_coverage(self) -> dict[str, dict[str, int]]:
        """For each domain, how many of its items each informant is asked. A domain can be
        scored from one informant's interview only when that count reaches ``min_answered``."""
        return {
            d.id: {
                inf.id: sum(1 for it in self.items_in(d.id) if inf.id in it.informants)
                for inf in self.informants
            }
            for d in self.domains
        }

    def score_range(self) -> tuple[float, float]:
        """Smallest and largest possible overall score under the instrument's scoring rule."""
        return _score_range(self)

    def band_for(self, score: float) -> Band | None:
        """The band containing ``score`` (closed-open; the top band includes its upper bound)."""
        if math.isnan(score):
            return None
        bands = sorted(self.scoring.bands, key=lambda b: b.lower)
        for i, band in enumerate(bands):
            top = i == len(bands) - 1
            if band.lower <= score < band.upper or (top and score == band.upper):
                return band
        return None


def _lookup(pool: Iterable[Any], key: str, kind: str) -> Any:
    for obj in pool:
        if obj.id == key:
            return obj
    known = ", ".join(o.id for o in pool)
    raise KeyError(f"no {kind} {key!r}; known: {known}")


def _score_range(inst: Instrument) -> tuple[float, float]:
    scales = {s.id: s for s in inst.scales}

    def bounds(items: Iterable[Item]) -> tuple[float, float] | None:
        pairs = [(scales[i.scale].min, scales[i.scale].max) for i in items if i.scale in scales]
        if not pairs:
            return None
        return float(min(p[0] for p in pairs)), float(max(p[1] for p in pairs))

    if inst.scoring.overall == "mean_of_items" or inst.scoring.max_missing_domains > 0:
        b = bounds(inst.items)
        return b if b is not None else (math.nan, math.nan)
    per_domain = [bounds(i for i in inst.items if i.domain == d.id) for d in inst.domains]
    known = [b for b in per_domain if b is not None]
    if not known:
        return (math.nan, math.nan)
    return (sum(b[0] for b in known) / len(known), sum(b[1] for b in known) / len(known))


def _count(things: tuple[Any, ...], noun: str) -> str:
    return f"{len(things)} {noun}{'' if len(things) == 1 else 's'}"
