"""Property tests: random valid instruments load, round-trip through YAML, and keep their hash."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fidelity.instrument import Instrument, instrument_from_yaml

_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,.'", min_size=1, max_size=30).filter(
    lambda s: s.strip() == s and s != ""
)


@st.composite
def instruments(draw: st.DrawFn) -> dict[str, Any]:
    n_levels = draw(st.integers(2, 6))
    start = draw(st.integers(-2, 2))
    values = list(range(start, start + n_levels))
    has_na = draw(st.booleans())
    scale: dict[str, Any] = {
        "id": "scale",
        "name": draw(_words),
        "levels": [{"value": v, "label": f"L{v}", "anchor": draw(_words)} for v in values],
    }
    if has_na:
        scale["codes"] = [{"code": "NA", "label": "Not applicable"}]
    n_domains = draw(st.integers(1, 4))
    principles = [
        {"id": f"p{i}", "name": draw(_words), "description": draw(_words)} for i in range(n_domains)
    ]
    cross = draw(st.booleans())
    if cross:
        principles.append(
            {"id": "cross", "name": "Cross", "description": "x", "cross_cutting": True}
        )
    informants = [{"id": "peer-worker", "name": "Peer worker"}, {"id": "supervisor", "name": "Sup"}]
    domains, items = [], []
    for d in range(n_domains):
        n_items = draw(st.integers(1, 5))
        domain: dict[str, Any] = {"id": f"d{d}", "name": draw(_words), "principles": [f"p{d}"]}
        if draw(st.booleans()):
            domain["min_answered"] = draw(st.integers(1, n_items))
        domains.append(domain)
        for i in range(n_items):
            item: dict[str, Any] = {
                "id": f"d{d}-i{i}",
                "domain": f"d{d}",
                "text": draw(_words),
                "informants": draw(
                    st.lists(
                        st.sampled_from(["peer-worker", "supervisor"]),
                        min_size=1,
                        max_size=2,
                        unique=True,
                    )
                ),
                "scale": "scale",
                "anchors": {str(v): draw(_words) for v in values},
            }
            if draw(st.booleans()):
                item["reverse"] = draw(st.booleans())
            if draw(st.booleans()):
                item["weight"] = draw(st.floats(0.1, 5, allow_nan=False).map(lambda w: round(w, 3)))
            if has_na and draw(st.booleans()):
                item["allow_na"] = True
            if draw(st.booleans()):
                item["guidance"] = draw(_words)
            items.append(item)
    if cross:
        items[0]["principles"] = ["cross"]
    lo, hi = float(values[0]), float(values[-1])
    n_bands = draw(st.integers(1, 4))
    cuts = sorted(
        draw(st.lists(st.integers(1, 99), min_size=n_bands - 1, max_size=n_bands - 1, unique=True))
    )
    edges = [lo] + [round(lo + (hi - lo) * c / 100, 4) for c in cuts] + [hi]
    bands = [
        {"id": f"b{i}", "label": f"Band {i}", "lower": edges[i], "upper": edges[i + 1]}
        for i in range(n_bands)
    ]
    return {
        "id": "generated",
        "version": f"{draw(st.integers(0, 9))}.{draw(st.integers(0, 9))}.{draw(st.integers(0, 9))}",
        "title": draw(_words),
        "description": draw(_words),
        "informants": informants,
        "principles": principles,
        "scales": [scale],
        "domains": domains,
        "items": items,
        "scoring": {
            "overall": draw(st.sampled_from(["mean_of_domains", "mean_of_items"])),
            "bands": bands,
        },
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instruments())
def test_random_valid_instruments_load_and_round_trip(data: dict[str, Any]) -> None:
    inst = instrument_from_yaml(yaml.safe_dump(data, sort_keys=False))
    assert isinstance(inst, Instrument)
    again = instrument_from_yaml(inst.to_yaml())
    assert again == inst
    assert again.content_hash == inst.content_hash
    # a third trip is a fixed point of the YAML text itself
    assert again.to_yaml() == inst.to_yaml()


@settings(max_examples=40, deadline=None)
@given(instruments(), st.randoms(use_true_random=False))
def test_hash_ignores_key_order_and_layout(data: dict[str, Any], rnd: Any) -> None:
    inst = instrument_from_yaml(yaml.safe_dump(data))

    def shuffle(obj: Any) -> Any:
        if isinstance(obj, dict):
            keys = list(obj)
            rnd.shuffle(keys)
            return {k: shuffle(obj[k]) for k in keys}
        if isinstance(obj, list):
            return [shuffle(v) for v in obj]
        return obj

    text = yaml.safe_dump(shuffle(data), sort_keys=False, default_flow_style=rnd.random() < 0.5)
    assert instrument_from_yaml(text).content_hash == inst.content_hash


@settings(max_examples=40, deadline=None)
@given(instruments())
def test_every_score_in_range_has_exactly_one_band(data: dict[str, Any]) -> None:
    inst = instrument_from_yaml(yaml.safe_dump(data))
    lo, hi = inst.score_range()
    for k in range(101):
        score = lo + (hi - lo) * k / 100
        assert inst.band_for(score) is not None, score
