"""Shared helpers of the versions tests: random small instruments and sheets, one-change
mutations, and small instrument files written to a temporary directory.

The property tests check the classification against the scoring engine itself: a change
classified ``none`` or ``additive`` never changes the scores of a sheet made under the older
version (once migrated), and a ``breaking`` one changes the scores, or the validity, of some
sheet.
"""

from __future__ import annotations

import copy
import math
import random
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

import fidelity
from fidelity.instrument import Instrument
from fidelity.ratings import check_sheets
from fidelity.versions import MigrationRefused, migrate_records, plan_migration

ROOT = Path(__file__).resolve().parent.parent.parent
BUNDLED = ROOT / "instruments"
MINIMAL = ROOT / "tests" / "data" / "lint" / "minimal.yaml"


# ---------------------------------------------------------------------------------------------
# Random small instruments and sheets


@st.composite
def instruments(draw: st.DrawFn) -> dict[str, Any]:
    """A small valid instrument (as data) with varied scoring features."""
    n_levels = draw(st.integers(2, 5))
    values = list(range(1, n_levels + 1))
    n_domains = draw(st.integers(1, 3))
    domains, items = [], []
    for d in range(n_domains):
        n_items = draw(st.integers(1, 4))
        domains.append(
            {
                "id": f"d{d}",
                "name": f"Domain {d}",
                "principles": ["p"],
                "min_answered": draw(st.integers(1, n_items)),
            }
        )
        for i in range(n_items):
            items.append(
                {
                    "id": f"d{d}-i{i}",
                    "domain": f"d{d}",
                    "text": f"Item {d}.{i}",
                    "informants": draw(
                        st.sampled_from([["peer"], ["sup"], ["peer", "sup"], ["peer", "sup"]])
                    ),
                    "scale": "s",
                    "anchors": {str(v): f"anchor {v}" for v in values},
                    "reverse": draw(st.booleans()),
                    "weight": draw(st.sampled_from([1.0, 1.0, 2.0, 0.5])),
                    "allow_na": draw(st.booleans()),
                    "required": draw(st.booleans()),
                }
            )
    lo, hi = float(values[0]), float(values[-1])
    mid = (lo + hi) / 2
    bands = [
        {"id": "low", "label": "Low", "lower": lo, "upper": mid},
        {"id": "high", "label": "High", "lower": mid, "upper": hi},
    ]
    return {
        "id": "prop",
        "version": "1.0.0",
        "title": "Property instrument",
        "description": "Generated.",
        "informants": [{"id": "peer", "name": "Peer"}, {"id": "sup", "name": "Supervisor"}],
        "principles": [{"id": "p", "name": "P", "description": "A principle."}],
        "scales": [
            {
                "id": "s",
                "name": "Scale",
                "levels": [{"value": v, "label": f"L{v}", "anchor": f"a{v}"} for v in values],
                "codes": [{"code": "NA", "label": "Not applicable"}],
            }
        ],
        "domains": domains,
        "items": items,
        "scoring": {
            "overall": draw(st.sampled_from(["mean_of_domains", "mean_of_items"])),
            "max_missing_domains": draw(st.integers(0, max(0, n_domains - 1))),
            "bands": bands,
        },
    }


def _inst(data: dict[str, Any]) -> Instrument:
    return Instrument.model_validate(data)


def _next(data: dict[str, Any], version: str = "1.1.0") -> dict[str, Any]:
    new = copy.deepcopy(data)
    new["version"] = version
    new["changes"] = {"previous": data["version"], "item_map": {}}
    return new


def _pool(inst: Instrument, seed: int, n_random: int = 160) -> list[dict[str, Any]]:
    """Sheets valid under ``inst``: structured ones that expose each kind of change, plus
    seeded random ones with NA and missing cells."""
    rng = random.Random(seed)
    scale = inst.scales[0]
    lo, hi = scale.min, scale.max
    items = list(inst.items)
    sheets: list[dict[str, Any]] = []

    def add(ratings: dict[str, Any], informant: str | None = None) -> None:
        sheet: dict[str, Any] = {
            "instrument": inst.spec,
            "assessment": f"a{len(sheets)}",
            "rater": "r",
            "ratings": {},
        }
        if informant is not None:
            sheet["informant"] = informant
        for it in items:
            v = ratings.get(it.id)
            if informant is not None and informant not in it.informants:
                continue
            if v == "NA" and not it.allow_na:
                v = lo
            sheet["ratings"][it.id] = v
        sheets.append(sheet)

    def best(it: Any) -> int:
        return lo if it.reverse else hi

    def worst(it: Any) -> int:
        return hi if it.reverse else lo

    add({it.id: best(it) for it in items})
    add({it.id: worst(it) for it in items})
    for v in scale.values:
        add({it.id: v for it in items})
    for it in items:
        for v in scale.values:
            add({o.id: (v if o.id == it.id else worst(o)) for o in items})
            add({o.id: (v if o.id == it.id else best(o)) for o in items})
        add({o.id: ("NA" if o.id == it.id else best(o)) for o in items})
        add({o.id: (None if o.id == it.id else best(o)) for o in items})
    for dom in inst.domains:
        members = inst.items_in(dom.id)
        for k in range(len(members) + 1):
            keep = {m.id for m in members[:k]}
            add({o.id: (best(o) if (o.domain != dom.id or o.id in keep) else None) for o in items})
    domain_ids = [dom.id for dom in inst.domains]
    for mask in range(1, 2 ** len(domain_ids)):
        gone = {d for k, d in enumerate(domain_ids) if mask >> k & 1}
        add({o.id: (None if o.domain in gone else best(o)) for o in items})
    for informant in ("peer", "sup"):
        add({it.id: best(it) for it in items}, informant)
        add({it.id: rng.choice(scale.values) for it in items}, informant)
    for _ in range(n_random):
        choice: dict[str, Any] = {}
        for it in items:
            r = rng.random()
            choice[it.id] = None if r < 0.15 else "NA" if r < 0.25 else rng.choice(scale.values)
        add(choice, rng.choice([None, None, "peer", "sup"]))
    return sheets


def _scores(inst: Instrument, sheets: list[dict[str, Any]]) -> Any:
    return fidelity.score(inst, sheets).to_pandas()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    return bool(a == b)


def _score_changes(old: Instrument, new: Instrument, sheets: list[dict[str, Any]]) -> list[str]:
    """Why (if at all) the sheets, made under ``old``, fare differently under ``new``: the
    migration is refused, a migrated sheet is invalid, or some score differs."""
    try:
        step = plan_migration(old, new, loader=None)
    except MigrationRefused as exc:
        return [f"refused: {r}" for r in exc.reasons]
    migrated, problems = migrate_records(sheets, step, at="t")
    if problems:
        return problems
    checked = check_sheets(new, migrated)
    if not checked.problems.ok:
        return [str(p) for p in checked.problems.errors]
    a, b = _scores(old, sheets), _scores(new, migrated)
    out = []
    shared = [d.id for d in old.domains if d.id in {x.id for x in new.domains}]
    if len(shared) != len(old.domains) or len(new.domains) != len(old.domains):
        out.append("domains differ")
    for col in [*shared, "overall", "band"]:
        for i, (x, y) in enumerate(zip(a[col].tolist(), b[col].tolist(), strict=True)):
            if not _same(x, y):
                out.append(f"sheet {i} {col}: {x} -> {y}")
    return out


# ---------------------------------------------------------------------------------------------
# Mutations: one change each


def _mutate(data: dict[str, Any], kind: str, rnd: random.Random) -> dict[str, Any] | None:
    """``data``'s next version with one change of ``kind`` (None when it does not apply)."""
    new = _next(data)
    items = new["items"]
    by_domain: dict[str, list[dict[str, Any]]] = {}
    for it in items:
        by_domain.setdefault(it["domain"], []).append(it)
    doms = {d["id"]: d for d in new["domains"]}
    it = rnd.choice(items)
    multi = [d for d, members in by_domain.items() if len(members) >= 2]
    if kind == "wording":
        it["text"] += " (clarified)"
        it["anchors"]["1"] = "a clearer anchor"
        new["domains"][0]["name"] = "Renamed domain"
        new["title"] = "New title"
    elif kind == "add-item":
        d = rnd.choice(new["domains"])
        template = copy.deepcopy(by_domain[d["id"]][0])
        template.update(id="added-item", text="A new item", required=rnd.random() < 0.5)
        items.append(template)
    elif kind == "rename":
        old_id = it["id"]
        it["id"] = "renamed-item"
        new["changes"]["item_map"] = {old_id: "renamed-item"}
    elif kind in ("remove", "remove-mapped"):
        if not multi:
            return None
        d = rnd.choice(multi)
        victim = rnd.choice(by_domain[d])
        items.remove(victim)
        doms[d]["min_answered"] = min(doms[d]["min_answered"], len(by_domain[d]) - 1)
        if (
            doms[d]["min_answered"]
            != next(x for x in data["domains"] if x["id"] == d)["min_answered"]
        ):
            return None
        if kind == "remove-mapped":
            new["changes"]["item_map"] = {victim["id"]: None}
    elif kind == "move":
        if not multi or len(new["domains"]) < 2:
            return None
        d = rnd.choice(multi)
        mover = rnd.choice(by_domain[d])
        if doms[d]["min_answered"] > len(by_domain[d]) - 1:
            return None
        mover["domain"] = rnd.choice([x for x in doms if x != d])
    elif kind == "reverse":
        it["reverse"] = not it["reverse"]
    elif kind == "reweight":
        it["weight"] = it["weight"] * 3
    elif kind == "min-answered":
        d = rnd.choice(new["domains"])
        n = len(by_domain[d["id"]])
        options = [k for k in range(1, n + 1) if k != d["min_answered"]]
        if not options:
            return None
        d["min_answered"] = rnd.choice(options)
    elif kind == "overall":
        s = new["scoring"]
        s["overall"] = "mean_of_items" if s["overall"] == "mean_of_domains" else "mean_of_domains"
    elif kind == "max-missing":
        n = len(new["domains"])
        options = [k for k in range(0, n) if k != new["scoring"]["max_missing_domains"]]
        if not options:
            return None
        new["scoring"]["max_missing_domains"] = rnd.choice(options)
    elif kind == "band-ids":
        new["scoring"]["bands"][1]["id"] = "top"
    elif kind == "na-off":
        allowing = [x for x in items if x["allow_na"]]
        if not allowing:
            return None
        rnd.choice(allowing)["allow_na"] = False
    elif kind == "na-on":
        closed = [x for x in items if not x["allow_na"]]
        if not closed:
            return None
        rnd.choice(closed)["allow_na"] = True
    elif kind == "informant-off":
        both = [x for x in items if len(x["informants"]) == 2]
        if not both:
            return None
        rnd.choice(both)["informants"] = [rnd.choice(["peer", "sup"])]
    elif kind == "informant-on":
        one = [x for x in items if len(x["informants"]) == 1]
        if not one:
            return None
        rnd.choice(one)["informants"] = ["peer", "sup"]
    elif kind == "required":
        it["required"] = not it["required"]
    elif kind == "add-domain":
        new["domains"].append({"id": "extra", "name": "Extra", "principles": ["p"]})
        extra = copy.deepcopy(items[0])
        extra.update(id="extra-item", domain="extra")
        items.append(extra)
    else:  # pragma: no cover
        raise AssertionError(kind)
    return new


KINDS = [
    "wording",
    "add-item",
    "rename",
    "remove",
    "remove-mapped",
    "move",
    "reverse",
    "reweight",
    "min-answered",
    "overall",
    "max-missing",
    "band-ids",
    "na-off",
    "na-on",
    "informant-off",
    "informant-on",
    "required",
    "add-domain",
]


def _bundled(version: str) -> Instrument:
    return fidelity.load_instrument(f"enrich-peer-support@{version}")


def _write_versions(tmp_path: Path, *docs: dict[str, Any]) -> list[Path]:
    folder = tmp_path / "instruments" / docs[0]["id"]
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for doc in docs:
        path = folder / f"{doc['version']}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        out.append(path)
    return out


def _minimal() -> dict[str, Any]:
    return yaml.safe_load(MINIMAL.read_text())


def _line(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return n
    raise AssertionError(needle)


def _sheet(inst: Instrument, value: Any = 3, **extra: Any) -> dict[str, Any]:
    ratings = {it.id: value if (value != "NA" or it.allow_na) else 2 for it in inst.items}
    return {"instrument": inst.spec, "assessment": "a1", "rater": "r1", "ratings": ratings, **extra}
