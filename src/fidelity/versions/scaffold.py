"""Scaffolds for ``fidelity new``: a new instrument file, or one derived from a base, valid as
it stands and commented for the person who fills it in.

The texts are data files (``scaffolds/new.yaml``, ``scaffolds/derived.yaml``) holding
``str.format`` fields in braces; they ship inside the package.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fidelity.instrument import Instrument

__all__ = ["SCHEMA_URL", "scaffold", "scaffold_template"]

SCHEMA_URL = "https://fidelity.readthedocs.io/schemas/instrument.schema.json"
"""Where editors find the instrument JSON Schema (the first line of every scaffold)."""

_ITEM_ID_MAX = 64


@cache
def scaffold_template(name: str) -> str:
    """The text of ``scaffolds/<name>.yaml`` (``new`` or ``derived``), fields unfilled."""
    return (files("fidelity.versions") / "scaffolds" / f"{name}.yaml").read_text(encoding="utf-8")


def _derived(inst_id: str, base: Instrument, fields: dict[str, str]) -> str:
    """The derived scaffold: one local item in the base's first domain, on that domain's
    first item's scale and informant."""
    domain = base.domains[0]
    first = base.items_in(domain.id)[0]
    scale = base.scale(first.scale)
    anchors = "\n".join(
        f'      "{lv.value}": What level {lv.value} ({lv.label}) looks like for this item.'
        for lv in scale.levels
    )
    return scaffold_template("derived").format(
        **fields,
        base=base.spec,
        base_title=base.title,
        item_id=f"{inst_id}-local-item"[:_ITEM_ID_MAX].rstrip("-"),
        domain=domain.id,
        informant=first.informants[0],
        scale=scale.id,
        anchors=anchors,
    )


def scaffold(inst_id: str, version: str, *, base: Instrument | None = None) -> str:
    """The text of a new, valid instrument file with explanatory comments (derived from
    ``base`` when given)."""
    fields = {
        "schema": SCHEMA_URL,
        "id": inst_id,
        "version": version,
        "title": inst_id.replace("-", " ").capitalize(),
        "path": f"<dir>/{inst_id}/{version}.yaml",
    }
    if base is None:
        return scaffold_template("new").format(**fields)
    return _derived(inst_id, base, fields)
