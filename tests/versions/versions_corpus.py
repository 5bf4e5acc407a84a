"""A seeded corpus of instrument pairs for the diff tests: a random base instrument and a
version that differs from it by one to five random changes (every kind of change ``diff``
knows, several at once, item maps with conflicts). Only ``random.Random(seed)`` decides, so a
seed always gives the same pair."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

from fidelity.instrument import Instrument

Data = dict[str, Any]


# ---------------------------------------------------------------------------------------------
# A random base instrument


def base_instrument(rnd: random.Random) -> Data:
    """A valid instrument with two scales of the same levels (``s``, ``t``), a scale with other
    levels over the same range (``u``, unused), one to three domains and optional parts."""
    n = rnd.randint(3, 5)
    values = list(range(1, n + 1))
    other = [1, *values[2:]]  # same range, one level fewer

    def scale(sid: str, vals: list[int], na: bool) -> Data:
        out: Data = {
            "id": sid,
            "name": f"Scale {sid}",
            "levels": [{"value": v, "label": f"L{v}", "anchor": f"a{v}"} for v in vals],
        }
        if na:
            out["codes"] = [{"code": "NA", "label": "Not applicable"}]
        return out

    domains, items = [], []
    for d in range(rnd.randint(1, 3)):
        k = rnd.randint(1, 4)
        domains.append(
            {
                "id": f"d{d}",
                "name": f"Domain {d}",
                "principles": ["p0"],
                "min_answered": rnd.randint(1, k),
            }
        )
        for i in range(k):
            sid = rnd.choice(["s", "s", "t"])
            item: Data = {
                "id": f"d{d}-i{i}",
                "domain": f"d{d}",
                "text": f"Item {d}.{i}",
                "informants": rnd.choice([["peer"], ["sup"], ["peer", "sup"], ["sup", "peer"]]),
                "scale": sid,
                "anchors": {str(v): f"anchor {v}" for v in values},
                "reverse": rnd.random() < 0.3,
                "weight": rnd.choice([1.0, 1.0, 2.0, 0.5]),
                "allow_na": rnd.random() < 0.4,
                "required": rnd.random() < 0.7,
            }
            if rnd.random() < 0.3:
                item["guidance"] = "Look for evidence."
            if rnd.random() < 0.3:
                item["principles"] = ["p1"]
            items.append(item)
    items[0]["principles"] = ["p1"]  # a cross-cutting principle must be tagged somewhere
    lo, hi = float(values[0]), float(values[-1])
    mid = (lo + hi) / 2
    data: Data = {
        "id": "gold",
        "version": "1.0.0",
        "status": rnd.choice(["released", "draft"]),
        "title": "Golden instrument",
        "description": "Generated.",
        "informants": [
            {"id": "peer", "name": "Peer"},
            {"id": "sup", "name": "Supervisor"},
            {"id": "fam", "name": "Family member"},
        ],
        "principles": [
            {"id": "p0", "name": "P0", "description": "A principle."},
            {"id": "p1", "name": "P1", "description": "Cross-cutting.", "cross_cutting": True},
        ],
        "scales": [scale("s", values, True), scale("t", values, True), scale("u", other, False)],
        "domains": domains,
        "items": items,
        "scoring": {
            "overall": rnd.choice(["mean_of_domains", "mean_of_items"]),
            "max_missing_domains": rnd.randint(0, len(domains) - 1),
            "bands": [
                {"id": "low", "label": "Low", "lower": lo, "upper": mid},
                {"id": "high", "label": "High", "lower": mid, "upper": hi},
            ],
        },
    }
    if rnd.random() < 0.5:
        data["license"] = "CC-BY-4.0"
    if rnd.random() < 0.5:
        data["citations"] = [{"id": "c1", "text": "A source."}]
    if rnd.random() < 0.5:
        data["scoring"]["rationale"] = "Why."
    return data


# ---------------------------------------------------------------------------------------------
# Mutations: each changes ``new`` in place (the result may be invalid: then it is undone)


def _item(new: Data, rnd: random.Random) -> Data:
    return rnd.choice(new["items"])


def _scale_of(new: Data, sid: str) -> Data:
    return next(s for s in new["scales"] if s["id"] == sid)


def _levels(new: Data, sid: str) -> list[int]:
    return [lv["value"] for lv in _scale_of(new, sid)["levels"]]


def m_metadata(new: Data, rnd: random.Random) -> None:
    key = rnd.choice(["id", "title", "description", "license", "status", "citations", "extends"])
    if key == "id":
        new["id"] = "gold-renamed"
    elif key == "license":
        new["license"] = rnd.choice([None, "MIT", "CC0-1.0"])
        if new["license"] is None:
            del new["license"]
    elif key == "status":
        new["status"] = "draft" if new.get("status") == "released" else "released"
    elif key == "citations":
        new["citations"] = [{"id": "c2", "text": "Another source."}]
    elif key == "extends":
        new["extends"] = rnd.choice(["base@1.0.0", "base@2.0.0"])
    else:
        new[key] = f"A {key} reworded at length, " * rnd.randint(1, 6)


def m_principles(new: Data, rnd: random.Random) -> None:
    new["principles"][rnd.randint(0, 1)]["description"] = "Reworded."


def m_informants(new: Data, rnd: random.Random) -> None:
    what = rnd.choice(["add", "remove", "reword"])
    if what == "add":
        new["informants"].append({"id": "manager", "name": "Manager"})
    elif what == "reword":
        rnd.choice(new["informants"])["name"] = "Renamed"
    else:
        victim = rnd.choice(["fam", "sup"])
        new["informants"] = [i for i in new["informants"] if i["id"] != victim]
        for it in new["items"]:
            it["informants"] = [i for i in it["informants"] if i != victim] or ["peer"]


def m_scales(new: Data, rnd: random.Random) -> None:
    what = rnd.choice(["levels-unused", "shift", "wording", "codes", "add", "remove"])
    if what == "levels-unused":
        _scale_of(new, "u")["levels"].pop(1)
    elif what == "shift":
        for sid in ("s", "t", "u"):
            for lv in _scale_of(new, sid)["levels"]:
                lv["value"] += 1
        for it in new["items"]:
            it["anchors"] = {str(int(k) + 1): v for k, v in it["anchors"].items()}
        for band in new["scoring"]["bands"]:
            band["lower"] += 1
            band["upper"] += 1
    elif what == "wording":
        _scale_of(new, rnd.choice("stu"))["levels"][0]["label"] = "Reworded"
    elif what == "codes":
        scale = _scale_of(new, rnd.choice("stu"))
        if scale.get("codes"):
            del scale["codes"]
        else:
            scale["codes"] = [{"code": "NA", "label": "N/A"}]
    elif what == "add":
        new["scales"].append({**copy.deepcopy(new["scales"][0]), "id": "w"})
    else:
        new["scales"] = [s for s in new["scales"] if s["id"] != rnd.choice("tu")]


def m_domains(new: Data, rnd: random.Random) -> None:
    what = rnd.choice(["add", "remove", "min", "wording", "order"])
    dom = rnd.choice(new["domains"])
    if what == "add":
        new["domains"].append({"id": "dx", "name": "Extra", "principles": ["p0"]})
        extra = copy.deepcopy(new["items"][0])
        extra.update(id="dx-item", domain="dx")
        new["items"].append(extra)
    elif what == "remove":
        new["domains"].remove(dom)
        new["items"] = [it for it in new["items"] if it["domain"] != dom["id"]]
        s = new["scoring"]
        s["max_missing_domains"] = min(s["max_missing_domains"], max(0, len(new["domains"]) - 1))
    elif what == "min":
        n = sum(it["domain"] == dom["id"] for it in new["items"])
        dom["min_answered"] = rnd.randint(1, max(1, n))
    elif what == "wording":
        dom[rnd.choice(["name", "description"])] = "Reworded domain"
    else:
        new["domains"].reverse()


def m_items(new: Data, rnd: random.Random) -> None:
    it = _item(new, rnd)
    what = rnd.choice(
        ["remove", "remove-null", "add", "rename", "rename-unmapped", "move", "order"]
    )
    if what in ("remove", "remove-null"):
        new["items"].remove(it)
        if what == "remove-null":
            new["changes"]["item_map"][it["id"]] = None
    elif what == "add":
        added = copy.deepcopy(it)
        added.update(id=f"new-{len(new['items'])}", text="A new item")
        added["required"] = rnd.random() < 0.5
        new["items"].insert(rnd.randint(0, len(new["items"])), added)
    elif what == "rename":
        new["changes"]["item_map"][it["id"]] = it["id"] + "-r"
        it["id"] += "-r"
    elif what == "rename-unmapped":
        it["id"] += "-x"
    elif what == "move":
        it["domain"] = rnd.choice(new["domains"])["id"]
    else:
        rnd.shuffle(new["items"])


def m_item_fields(new: Data, rnd: random.Random) -> None:
    it = _item(new, rnd)
    what = rnd.choice(
        ["rescale", "same-levels", "reverse", "na", "required", "informants", "wording"]
    )
    if what == "rescale":
        it["scale"] = "u"
        it["anchors"] = {str(v): f"anchor {v}" for v in _levels(new, "u")}
        it["allow_na"] = False
    elif what == "same-levels":
        it["scale"] = "t" if it["scale"] == "s" else "s"
    elif what == "reverse":
        it["reverse"] = not it.get("reverse", False)
    elif what == "na":
        it["allow_na"] = not it.get("allow_na", False)
    elif what == "required":
        it["required"] = not it.get("required", True)
    elif what == "informants":
        it["informants"] = rnd.choice(
            [["peer"], ["sup"], ["peer", "sup"], ["sup", "peer"], ["peer", "sup", "fam"]]
        )
    else:
        field = rnd.choice(["text", "guidance", "anchors", "principles"])
        if field == "anchors":
            key = rnd.choice(sorted(it["anchors"]))
            it["anchors"][key] = "A clearer anchor"
        elif field == "principles":
            it["principles"] = [] if it.get("principles") else ["p1"]
        else:
            it[field] = "Reworded."


def m_weights(new: Data, rnd: random.Random) -> None:
    what = rnd.choice(["one", "domain", "all"])
    factor = rnd.choice([2.0, 3.0, 0.5])
    if what == "one":
        _item(new, rnd)["weight"] = _item(new, rnd).get("weight", 1.0) * factor
    else:
        dom = rnd.choice(new["domains"])["id"]
        for it in new["items"]:
            if what == "all" or it["domain"] == dom:
                it["weight"] = it.get("weight", 1.0) * factor


def m_scoring(new: Data, rnd: random.Random) -> None:
    s = new["scoring"]
    what = rnd.choice(["overall", "missing", "rationale", "bounds", "ids", "wording"])
    if what == "overall":
        s["overall"] = "mean_of_items" if s["overall"] == "mean_of_domains" else "mean_of_domains"
    elif what == "missing":
        s["max_missing_domains"] = rnd.randint(0, max(0, len(new["domains"]) - 1))
    elif what == "rationale":
        s["rationale"] = "A new rationale."
    elif what == "bounds":
        cut = s["bands"][0]["upper"] + rnd.choice([-0.5, 0.5, 0.25])
        s["bands"][0]["upper"] = cut
        s["bands"][1]["lower"] = cut
    elif what == "ids":
        s["bands"][rnd.randint(0, 1)]["id"] = "top"
    else:
        s["bands"][rnd.randint(0, 1)][rnd.choice(["label", "rationale"])] = "Reworded"


def m_item_map(new: Data, rnd: random.Random) -> None:
    ids = [it["id"] for it in new["items"]]
    what = rnd.choice(["unknown", "onto-kept", "previous"])
    if what == "unknown":
        new["changes"]["item_map"]["ghost"] = rnd.choice(ids)
    elif what == "onto-kept" and len(ids) >= 2:
        a, b = rnd.sample(ids, 2)
        new["changes"]["item_map"][a] = b
    else:
        new["changes"]["previous"] = "0.9.0"


MUTATIONS: list[Callable[[Data, random.Random], None]] = [
    m_metadata,
    m_principles,
    m_informants,
    m_scales,
    m_domains,
    m_items,
    m_item_fields,
    m_weights,
    m_scoring,
    m_item_map,
]


def _valid(data: Data) -> Instrument | None:
    try:
        return Instrument.model_validate(data)
    except ValueError:
        return None


def pair(seed: int) -> tuple[Instrument, Instrument]:
    """The seed's pair of valid instruments: a base and a version with 1-5 changes."""
    rnd = random.Random(seed)
    data = base_instrument(rnd)
    old = _valid(data)
    assert old is not None, seed
    new = copy.deepcopy(data)
    new["version"] = rnd.choice(["1.0.1", "1.1.0", "2.0.0", "0.9.0"])
    new["changes"] = {"previous": data["version"], "item_map": {}}
    for _ in range(rnd.randint(1, 5)):
        before = copy.deepcopy(new)
        try:
            rnd.choice(MUTATIONS)(new, rnd)
        except (LookupError, StopIteration, ValueError):  # the part it changes is gone
            new = before
        if _valid(new) is None:
            new = before
    result = _valid(new)
    assert result is not None
    return (result, old) if rnd.random() < 0.15 else (old, result)
