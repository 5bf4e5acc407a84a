"""The table of change detectors: every kind of change has a detector, every detector reports
only the kinds it declares, and ``diff`` is the detectors' output in table order."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from versions_corpus import pair
from versions_support import KINDS as MUTATION_KINDS
from versions_support import _inst, _mutate, instruments

from fidelity.instrument import Instrument
from fidelity.versions import Change, diff
from fidelity.versions.detectors import DOMAIN_DETECTORS, SCALE_DETECTORS, Versions
from fidelity.versions.diff import DETECTORS, KINDS
from fidelity.versions.item_detectors import ITEM_DETECTORS
from fidelity.versions.mapping import item_mapping


def _by_row(old: Instrument, new: Instrument) -> list[tuple[tuple[str, ...], list[Change]]]:
    mapping, _ = item_mapping(old, new, loader=None)
    versions = Versions.of(old, new, mapping)
    return [(row.kinds, list(row.find(versions))) for row in DETECTORS]


def _check_table(old: Instrument, new: Instrument) -> None:
    rows = _by_row(old, new)
    for kinds, found in rows:
        assert {c.kind for c in found} <= set(kinds), (kinds, [c.kind for c in found])
    assert tuple(c for _, found in rows for c in found) == diff(old, new, loader=None).changes


def test_every_kind_has_exactly_one_detector() -> None:
    assert len(KINDS) == len(set(KINDS))
    assert all(row.kinds for row in DETECTORS)


def test_per_pair_tables_are_run_by_their_rows() -> None:
    names = {row.find.__name__ for row in DETECTORS}
    assert {"scales_changed", "domains_changed", "items_changed"} <= names
    assert len(SCALE_DETECTORS) == 3 and len(DOMAIN_DETECTORS) == 2
    assert [f.__name__ for f in ITEM_DETECTORS][-4:] == [
        "item_text",
        "item_guidance",
        "item_anchors",
        "item_principles",
    ]


def test_detectors_report_only_their_kinds_on_the_corpus() -> None:
    for seed in range(120):
        _check_table(*pair(seed))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    instruments(),
    st.lists(st.sampled_from(MUTATION_KINDS), min_size=1, max_size=3),
    st.integers(0, 10_000),
)
def test_diff_is_the_table_in_order(data: dict[str, Any], kinds: list[str], seed: int) -> None:
    rnd = random.Random(seed)
    current = data
    for kind in kinds:
        try:
            mutated = _mutate(current, kind, rnd)
            if mutated is not None:
                _inst(mutated)
                current = mutated
        except (KeyError, ValueError):  # a mutation that does not apply to the last one
            continue
    old, new = _inst(data), _inst(current)
    _check_table(old, new)
    _check_table(new, old)
