"""The compiled instrument: what validation and scoring need from one instrument version, as
arrays, built once per content hash; and the strict JSON Schema of one sheet on a version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from fidelity._util.text import plain_list, short
from fidelity.instrument import Instrument, Item
from fidelity.ratings.sheet import ANSWERED, DATE_RE, NA

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

__all__ = ["CompiledInstrument", "compile_instrument", "describe_item", "sheet_schema"]


@dataclass(frozen=True, eq=False)
class CompiledInstrument:
    """Everything validation and scoring need from one instrument version, as arrays.

    Built once per content hash by :func:`compile_instrument` and reused: item order, the
    allowed values of each item, reverse/weight/required/NA flags, which informants are asked
    each item, domain membership and the bands. The strict JSON Schema validator is compiled
    on first use and kept here as well.
    """

    inst: Instrument
    item_ids: tuple[str, ...]
    index: Mapping[str, int]
    labels: tuple[str, ...]
    short_labels: tuple[str, ...]
    levels: tuple[frozenset[int], ...]
    lo: NDArray[np.float64]
    hi: NDArray[np.float64]
    allow_na: NDArray[np.bool_]
    required: NDArray[np.bool_]
    reverse: NDArray[np.bool_]
    weight: NDArray[np.float64]
    domain_ids: tuple[str, ...]
    domain_items: tuple[NDArray[np.intp], ...]
    min_answered: NDArray[np.int64]
    informant_ids: tuple[str, ...]
    asked: NDArray[np.bool_]
    """(informants + 1) x items: row k says which items informant k is asked; the last row
    (informant not given or unknown) asks every item."""
    allowed_words: tuple[str, ...]
    band_lower: NDArray[np.float64]
    band_upper: NDArray[np.float64]
    band_ids: tuple[str, ...]
    _validator: list[Draft202012Validator] = field(default_factory=list)

    @property
    def spec(self) -> str:
        """``id@version`` of the instrument."""
        return self.inst.spec

    @property
    def validator(self) -> Draft202012Validator:
        """The compiled strict JSON Schema validator of this version (built once)."""
        if not self._validator:
            from jsonschema import Draft202012Validator

            schema = sheet_schema(self.inst)
            Draft202012Validator.check_schema(schema)
            self._validator.append(Draft202012Validator(schema))
        return self._validator[0]

    def text_values(self, j: int) -> dict[str, tuple[float, int]]:
        """Accepted text spellings of item ``j``: level digits and ``NA`` if allowed."""
        out = {str(v): (float(v), ANSWERED) for v in self.levels[j]}
        if self.allow_na[j]:
            out["NA"] = (np.nan, NA)
        return out


_COMPILED: dict[str, CompiledInstrument] = {}


def compile_instrument(inst: Instrument) -> CompiledInstrument:
    """The :class:`CompiledInstrument` of ``inst``, built on first use and cached by content
    hash (two loads of the same file share one)."""
    key = inst.content_hash
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _compile(inst)
        _COMPILED[key] = compiled
    return compiled


def _compile(inst: Instrument) -> CompiledInstrument:
    items = inst.items
    scales = [inst.scale_of(it) for it in items]
    informant_ids = tuple(i.id for i in inst.informants)
    asked = np.ones((len(informant_ids) + 1, len(items)), dtype=bool)
    for k, inf in enumerate(informant_ids):
        asked[k] = [inf in it.informants for it in items]
    words = []
    for it, sc in zip(items, scales, strict=True):
        vals = [str(v) for v in sc.values] + (["NA"] if it.allow_na else [])
        words.append(f"one of {plain_list(vals)}")
    bands = sorted(inst.scoring.bands, key=lambda b: b.lower)
    index = {it.id: j for j, it in enumerate(items)}
    return CompiledInstrument(
        inst=inst,
        item_ids=tuple(index),
        index=index,
        labels=tuple(it.text for it in items),
        short_labels=tuple(short(it.text) for it in items),
        levels=tuple(frozenset(sc.values) for sc in scales),
        lo=np.array([sc.min for sc in scales], dtype=float),
        hi=np.array([sc.max for sc in scales], dtype=float),
        allow_na=np.array([it.allow_na for it in items], dtype=bool),
        required=np.array([it.required for it in items], dtype=bool),
        reverse=np.array([it.reverse for it in items], dtype=bool),
        weight=np.array([it.weight for it in items], dtype=float),
        domain_ids=tuple(d.id for d in inst.domains),
        domain_items=tuple(
            np.array([index[it.id] for it in inst.items_in(d.id)], dtype=np.intp)
            for d in inst.domains
        ),
        min_answered=np.array([d.min_answered for d in inst.domains], dtype=np.int64),
        informant_ids=informant_ids,
        asked=asked,
        allowed_words=tuple(words),
        band_lower=np.array([b.lower for b in bands], dtype=float),
        band_upper=np.array([b.upper for b in bands], dtype=float),
        band_ids=tuple(b.id for b in bands),
    )


def sheet_schema(inst: Instrument) -> dict[str, Any]:
    """The strict JSON Schema (2020-12) of one sheet on ``inst``.

    Item properties enumerate exactly the allowed values (level values, ``"NA"`` where the
    item allows it, ``null`` for missing); unknown items and fields are refused; the informant
    must be one of the instrument's, and an informant may rate only the items asked of them.
    JSON Schema compares numbers by value, so it accepts ``3.0`` for ``3``;
    :func:`~fidelity.ratings.checks.validate` is stricter and refuses ``3.0``. Cross-sheet
    rules (duplicates, consensus) and missing required items are checked by ``validate`` only.
    """
    text = {"type": "string", "minLength": 1}
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://fidelity.readthedocs.io/schemas/sheets/{inst.id}/{inst.version}"
        ".schema.json",
        "title": f"Rating sheet for {inst.title} ({inst.spec})",
        "description": "One rater's ratings of one assessment, generated from the instrument "
        f"{inst.spec} (content sha256 {inst.content_hash}). Values: a level value, 'NA' "
        "where allowed, or null for missing.",
        "x-instrument": inst.spec,
        "x-content-hash": inst.content_hash,
        "type": "object",
        "additionalProperties": False,
        "required": ["assessment", "rater", "ratings"],
        "properties": {
            "instrument": {"const": inst.spec},
            "assessment": text,
            "rater": text,
            "site": {"type": ["string", "null"], "minLength": 1},
            "informant": {"enum": [*(i.id for i in inst.informants), None]},
            "date": {"type": ["string", "null"], "pattern": DATE_RE.pattern},
            "round": {"type": ["string", "null"], "minLength": 1},
            "consensus": {"type": "boolean"},
            "ratings": {
                "type": "object",
                "additionalProperties": False,
                "properties": {it.id: _item_schema(inst, it) for it in inst.items},
            },
            "comments": {
                "type": "object",
                "propertyNames": {"enum": [it.id for it in inst.items]},
                "additionalProperties": {"type": "string"},
            },
            "migrations": {
                "description": "Provenance written by `fidelity migrate`.",
                "type": "array",
                "items": {"type": "object"},
            },
        },
    }
    conditions = _informant_conditions(inst)
    if conditions:
        schema["allOf"] = conditions
    return schema


def _item_schema(inst: Instrument, it: Item) -> dict[str, Any]:
    """One item's property: its title, a description with the anchors, the allowed values."""
    allowed: list[Any] = list(inst.scale_of(it).values)
    if it.allow_na:
        allowed.append("NA")
    allowed.append(None)
    anchors = "; ".join(f"{v} = {short(a, 200)}" for v, a in sorted(it.anchors.items()))
    return {
        "title": it.text.strip(),
        "description": f"Domain {it.domain}. Asked of: {', '.join(it.informants)}. "
        f"Levels: {anchors}"
        + ("; NA = not applicable" if it.allow_na else "")
        + (" (reverse-scored)" if it.reverse else ""),
        "enum": allowed,
    }


def _informant_conditions(inst: Instrument) -> list[dict[str, Any]]:
    """``if informant is X then the items not asked of X are null``, for each informant."""
    conditions = []
    for inf in (i.id for i in inst.informants):
        not_asked = [it.id for it in inst.items if inf not in it.informants]
        if not_asked:
            conditions.append(
                {
                    "if": {"required": ["informant"], "properties": {"informant": {"const": inf}}},
                    "then": {
                        "properties": {
                            "ratings": {"properties": {i: {"type": "null"} for i in not_asked}}
                        }
                    },
                }
            )
    return conditions


def describe_item(item: Item) -> str:
    """``id ("text…")`` for messages."""
    return f'{item.id} ("{short(item.text)}")'
