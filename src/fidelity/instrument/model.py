"""Instruments as data: immutable models of a fidelity index and the checks every file must pass.

An instrument file is read with a bounded safe YAML reader, checked against
``schemas/instrument.schema.json``, validated into these pydantic models, and then checked for
cross-references (ids unique, references resolve, anchors cover the scale, bands cover the
score range). Every problem names the file, the line and the offending id.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
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
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from fidelity.errors import InstrumentError, YamlError
from fidelity.instrument._yaml import Located, read_yaml_text

__all__ = [
    "Band",
    "Citation",
    "Code",
    "Domain",
    "Informant",
    "Instrument",
    "InstrumentError",
    "InstrumentProblem",
    "Item",
    "Level",
    "Principle",
    "Scale",
    "Scoring",
    "check_instrument_file",
    "instrument_from_yaml",
]

SLUG_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
SEMVER_PATTERN = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"
EXTENDS_PATTERN = SLUG_PATTERN[:-1] + "@" + SEMVER_PATTERN[1:]

Slug = Annotated[str, StringConstraints(strict=True, pattern=SLUG_PATTERN, max_length=64)]
Text = Annotated[str, StringConstraints(strict=True, min_length=1)]
Note = Annotated[str, StringConstraints(strict=True)]
Version = Annotated[str, StringConstraints(strict=True, pattern=SEMVER_PATTERN)]
Weight = Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)]
Bound = Annotated[float, Field(allow_inf_nan=False, strict=True)]


# ---------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class InstrumentProblem:
    """One thing wrong with an instrument file, located to its line.

    ``code`` is stable (``FI0xx`` reading and schema, ``FI1xx`` cross-reference rules) and
    ``ref`` is the offending id where there is one.
    """

    code: str
    message: str
    file: str
    line: int | None = None
    path: str = ""
    ref: str | None = None

    @property
    def severity(self) -> Literal["error"]:
        """Always ``error``: every instrument problem stops loading."""
        return "error"

    @property
    def where(self) -> str:
        """``file:line``, or the file alone when the line is unknown."""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def __str__(self) -> str:
        at = f" [{self.path}]" if self.path else ""
        return f"{self.where}: {self.code} {self.message}{at}"

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


def _dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


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
                if stripped.lstrip("-").isdigit():
                    out[int(stripped)] = text
                    continue
                raise ValueError(f"anchor key {key!r} is not a level value (a whole number)")
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
        problems = _cross_reference_problems(self)
        if not problems:
            return self
        sink = info.context.get("problems") if isinstance(info.context, dict) else None
        if isinstance(sink, list):
            sink.extend(problems)
            return self
        raise ValueError("; ".join(f"{_dotted(loc)}: {msg}" for loc, _code, msg, _ref in problems))

    def __eq__(self, other: object) -> bool:
        # Content equality: where the instrument was read from does not matter.
        if not isinstance(other, Instrument):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(self.content_hash)

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


# ---------------------------------------------------------------------------------------------
# Cross-reference rules

_Found = tuple[tuple[str | int, ...], str, str, str | None]  # (path, code, message, ref)


def _cross_reference_problems(inst: Instrument) -> list[_Found]:
    out: list[_Found] = []

    def unknown(
        path: tuple[str | int, ...], ref: str, what: str, kind: str, value: str, known: Any
    ) -> None:
        out.append(
            (path, "FI102", f"{what} unknown {kind} {value!r}; known: {', '.join(known)}", ref)
        )

    def duplicates(*section: str) -> None:
        objs: Any = inst
        for part in section:
            objs = getattr(objs, part)
        name = section[-1]
        seen: dict[str, int] = {}
        for i, obj in enumerate(objs):
            key = obj.id
            if key in seen:
                out.append(
                    (
                        (*section, i, "id"),
                        "FI101",
                        f"duplicate {name[:-1]} id {key!r} (first at {name}[{seen[key]}])",
                        key,
                    )
                )
            else:
                seen[key] = i

    for section in ("citations", "informants", "principles", "scales", "domains", "items"):
        duplicates(section)
    duplicates("scoring", "bands")

    principles = {p.id: p for p in inst.principles}
    informants = {i.id for i in inst.informants}
    scales = {s.id: s for s in inst.scales}
    domains = {d.id for d in inst.domains}

    for si, scale in enumerate(inst.scales):
        values = scale.values
        if any(b <= a for a, b in itertools.pairwise(values)):
            out.append(
                (
                    ("scales", si, "levels"),
                    "FI106",
                    f"scale {scale.id!r}: level values must strictly increase, got {list(values)}",
                    scale.id,
                )
            )
        codes = Counter(c.code for c in scale.codes)
        for code, n in codes.items():
            if n > 1:
                out.append(
                    (
                        ("scales", si, "codes"),
                        "FI106",
                        f"scale {scale.id!r}: code {code!r} listed {n} times",
                        scale.id,
                    )
                )

    for di, dom in enumerate(inst.domains):
        for pi, pid in enumerate(dom.principles):
            if pid not in principles:
                unknown(
                    ("domains", di, "principles", pi),
                    pid,
                    f"domain {dom.id!r} measures",
                    "principle",
                    pid,
                    principles,
                )
        n_items = sum(1 for it in inst.items if it.domain == dom.id)
        if n_items == 0:
            out.append((("domains", di), "FI107", f"domain {dom.id!r} has no items", dom.id))
        elif dom.min_answered > n_items:
            out.append(
                (
                    ("domains", di, "min_answered"),
                    "FI107",
                    f"domain {dom.id!r}: min_answered is {dom.min_answered} but the domain has "
                    f"only {n_items} item(s)",
                    dom.id,
                )
            )

    for ii, item in enumerate(inst.items):
        if item.domain not in domains:
            unknown(
                ("items", ii, "domain"),
                item.id,
                f"item {item.id!r} belongs to",
                "domain",
                item.domain,
                domains,
            )
        for ni, inf in enumerate(item.informants):
            if inf not in informants:
                unknown(
                    ("items", ii, "informants", ni),
                    item.id,
                    f"item {item.id!r} names",
                    "informant",
                    inf,
                    informants,
                )
        for pi, pid in enumerate(item.principles):
            if pid not in principles:
                unknown(
                    ("items", ii, "principles", pi),
                    item.id,
                    f"item {item.id!r} is tagged with",
                    "principle",
                    pid,
                    principles,
                )
        item_scale = scales.get(item.scale)
        if item_scale is None:
            unknown(
                ("items", ii, "scale"),
                item.id,
                f"item {item.id!r} uses",
                "scale",
                item.scale,
                scales,
            )
            continue
        missing = [v for v in item_scale.values if v not in item.anchors]
        extra = [k for k in item.anchors if k not in item_scale.values]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"no anchor for level(s) {missing}")
            if extra:
                parts.append(f"anchor(s) for level(s) {extra} not on the scale")
            out.append(
                (
                    ("items", ii, "anchors"),
                    "FI104",
                    f"item {item.id!r}: {' and '.join(parts)}; scale {item_scale.id!r} has levels "
                    f"{list(item_scale.values)}",
                    item.id,
                )
            )
        if item.allow_na and not item_scale.allows_code("NA"):
            out.append(
                (
                    ("items", ii, "allow_na"),
                    "FI105",
                    f"item {item.id!r} allows NA but scale {item_scale.id!r} defines no 'NA' code",
                    item.id,
                )
            )

    measured = {pid for d in inst.domains for pid in d.principles}
    tagged = {pid for it in inst.items for pid in it.principles}
    for pi, pr in enumerate(inst.principles):
        if pr.cross_cutting and pr.id not in tagged and pr.id not in measured:
            out.append(
                (
                    ("principles", pi),
                    "FI109",
                    f"cross-cutting principle {pr.id!r} is not tagged on any item",
                    pr.id,
                )
            )
        elif not pr.cross_cutting and pr.id not in measured:
            out.append(
                (
                    ("principles", pi),
                    "FI109",
                    f"principle {pr.id!r} is not measured by any domain",
                    pr.id,
                )
            )

    out.extend(_band_problems(inst))

    if inst.changes is not None:
        item_ids = {it.id for it in inst.items}
        targets: dict[str, str] = {}
        for old, new in inst.changes.item_map.items():
            if new is None:
                continue
            if new not in item_ids:
                out.append(
                    (
                        ("changes", "item_map", old),
                        "FI110",
                        f"item_map maps {old!r} to {new!r}, which is not an item of this version",
                        old,
                    )
                )
            if new in targets:
                out.append(
                    (
                        ("changes", "item_map", old),
                        "FI110",
                        f"item_map maps both {targets[new]!r} and {old!r} to {new!r}",
                        old,
                    )
                )
            targets[new] = old
        out.extend(_item_map_cycles(inst.changes.item_map))
    return out


def _item_map_cycles(item_map: Mapping[str, str | None]) -> list[_Found]:
    """Renames that chase each other round (``a: b, b: a``): ambiguous for migration."""
    out: list[_Found] = []
    reported: set[str] = set()
    for start in item_map:
        seen = [start]
        node = item_map.get(start)
        while node is not None and node in item_map and node not in seen:
            seen.append(node)
            node = item_map[node]
        if node == start and len(seen) > 1 and not reported.intersection(seen):
            reported.update(seen)
            loop = " → ".join([*seen, start])
            out.append(
                (
                    ("changes", "item_map", start),
                    "FI110",
                    f"item_map renames items in a cycle ({loop}); rename through new ids "
                    "instead, so that each old id maps to one id that no other old item had",
                    start,
                )
            )
    return out


def _band_problems(inst: Instrument) -> list[_Found]:
    out: list[_Found] = []
    lo, hi = _score_range(inst)
    if math.isnan(lo):
        return out
    indexed = sorted(enumerate(inst.scoring.bands), key=lambda t: (t[1].lower, t[1].upper))
    for i, band in indexed:
        if band.upper <= band.lower:
            out.append(
                (
                    ("scoring", "bands", i),
                    "FI108",
                    f"band {band.id!r}: upper ({band.upper:g}) must exceed lower ({band.lower:g})",
                    band.id,
                )
            )
    first_i, first = indexed[0]
    if first.lower > lo:
        out.append(
            (
                ("scoring", "bands", first_i, "lower"),
                "FI108",
                f"bands leave a gap: scores from {lo:g} up to {first.lower:g} fall in no band "
                f"(lowest band {first.id!r})",
                first.id,
            )
        )
    elif first.lower < lo:
        out.append(
            (
                ("scoring", "bands", first_i, "lower"),
                "FI108",
                f"band {first.id!r} starts at {first.lower:g}, "
                f"below the lowest possible score {lo:g}",
                first.id,
            )
        )
    for (_pi, prev), (ci, cur) in itertools.pairwise(indexed):
        if cur.lower > prev.upper:
            out.append(
                (
                    ("scoring", "bands", ci, "lower"),
                    "FI108",
                    f"bands leave a gap: scores from {prev.upper:g} up to {cur.lower:g} fall in no "
                    f"band (between {prev.id!r} and {cur.id!r})",
                    cur.id,
                )
            )
        elif cur.lower < prev.upper:
            out.append(
                (
                    ("scoring", "bands", ci, "lower"),
                    "FI108",
                    f"bands overlap: {cur.id!r} starts at {cur.lower:g} before {prev.id!r} ends "
                    f"at {prev.upper:g}",
                    cur.id,
                )
            )
    last_i, last = indexed[-1]
    if last.upper < hi:
        out.append(
            (
                ("scoring", "bands", last_i, "upper"),
                "FI108",
                f"bands leave a gap: scores above {last.upper:g} up to the maximum {hi:g} fall in "
                f"no band (highest band {last.id!r})",
                last.id,
            )
        )
    elif last.upper > hi:
        out.append(
            (
                ("scoring", "bands", last_i, "upper"),
                "FI108",
                f"band {last.id!r} ends at {last.upper:g}, above the highest possible score {hi:g}",
                last.id,
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# Reading files


def _schema_problems(located: Located) -> list[InstrumentProblem]:
    from fidelity._util.resources import load_schema
    from fidelity._util.schema import validator_for

    validator = validator_for(load_schema("instrument"))
    out = []
    for err in sorted(
        validator.iter_errors(located.data), key=lambda e: list(map(str, e.absolute_path))
    ):
        path = tuple(err.absolute_path)
        ref = _ref_at(located.data, path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = err.schema.get("properties", {})
            extra = [k for k in err.instance if k not in allowed]
            if extra:
                path = (*path, extra[0])
        out.append(
            InstrumentProblem(
                code="FI001",
                message=f"schema: {_schema_message(err)}",
                file=located.source,
                line=located.line_of(path),
                path=_dotted(path),
                ref=ref,
            )
        )
    return out


def _schema_message(err: Any) -> str:
    if err.validator == "additionalProperties":
        return str(err.message)
    if err.validator == "enum":
        allowed = ", ".join(repr(v) for v in err.validator_value)
        return f"{err.instance!r} is not one of the allowed values ({allowed})"
    if err.validator == "pattern":
        return f"{err.instance!r} does not match the required pattern {err.validator_value}"
    return str(err.message)


def _ref_at(data: Any, path: tuple[Any, ...]) -> str | None:
    """The id of the innermost object on ``path`` that has one."""
    ref = None
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            ref = node["id"]
    return ref


def _pydantic_problems(exc: ValidationError, located: Located) -> list[InstrumentProblem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("[")))
        out.append(
            InstrumentProblem(
                code="FI010",
                message=f"model: {err['msg']}",
                file=located.source,
                line=located.line_of(loc),
                path=_dotted(loc),
                ref=_ref_at(located.data, loc),
            )
        )
    return out


def _validate_located(
    located: Located, *, schema: bool
) -> tuple[Instrument | None, list[InstrumentProblem]]:
    problems: list[InstrumentProblem] = []
    if schema:
        problems.extend(_schema_problems(located))
        if problems:
            return None, problems
    if not isinstance(located.data, dict):
        return None, [
            InstrumentProblem(
                "FI001",
                "an instrument file must hold a mapping at top level",
                located.source,
                located.line_of(()),
            )
        ]
    if "extends" in located.data:
        from fidelity.instrument.extends import resolve_extends

        resolved, problems = resolve_extends(located)
        if resolved is None:
            return None, problems
        located = resolved
    found: list[_Found] = []
    try:
        inst = Instrument.model_validate(located.data, context={"problems": found})
    except ValidationError as exc:
        return None, _pydantic_problems(exc, located)
    for path, code, message, ref in found:
        problems.append(
            InstrumentProblem(
                code, message, located.source, located.line_of(path), _dotted(path), ref
            )
        )
    if problems:
        return None, problems
    inst._source = located.source
    return inst, []


def instrument_from_yaml(text: str | bytes, *, source: str = "<string>") -> Instrument:
    """Parse and validate an instrument document; raise :class:`InstrumentError` listing every
    problem with its line."""
    try:
        located = read_yaml_text(text, source=source)
    except YamlError as exc:
        raise InstrumentError(
            [InstrumentProblem(exc.code, exc.message, exc.source, exc.line)]
        ) from exc
    inst, problems = _validate_located(located, schema=True)
    if inst is None:
        raise InstrumentError(problems)
    return inst


def read_instrument_file(path: str | Path) -> Instrument:
    """Load one instrument file; raise :class:`InstrumentError` naming the file and line."""
    p = Path(path)
    try:
        raw = _read_bounded(p)
    except OSError as exc:
        raise InstrumentError(
            [InstrumentProblem("FI000", f"cannot read file: {exc.strerror or exc}", str(p))]
        ) from exc
    return instrument_from_yaml(raw, source=str(p))


def _read_bounded(path: Path) -> bytes:
    from fidelity.instrument._yaml import MAX_BYTES

    with path.open("rb") as fh:
        return fh.read(MAX_BYTES + 1)


def check_instrument_file(path: str | Path) -> list[InstrumentProblem]:
    """Every problem in one instrument file (empty when it is valid): reading, schema,
    model and cross-reference rules, each with file and line; then the version rules of
    :func:`fidelity.versions.release_problems` (locked hash, semver bump, item mappings)."""
    try:
        inst = read_instrument_file(path)
    except InstrumentError as exc:
        return list(exc.problems)
    from fidelity.versions import release_problems

    return release_problems(inst, path)


def iter_problems(paths: Iterable[str | Path]) -> Iterator[InstrumentProblem]:
    """Problems across several files, file by file."""
    for path in paths:
        yield from check_instrument_file(path)
