"""The whole-column checks of ids agree with the per-id rules they stand in for: no id is
called plain that :func:`id_flaw` faults, and the keys of a batch of ids are their
:func:`id_key` one by one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fidelity.ratings.checks.ids import _all_plain, _keys, id_flaw, id_key

IDS = st.lists(
    st.one_of(
        st.text(max_size=5),
        st.sampled_from(["site-01", " a", "b ", "a b", "Zoë", "ZOË", "\u3000x", "x\n", "", " "]),
    ),
    max_size=6,
)


@given(IDS)
def test_a_column_is_plain_exactly_when_no_id_has_a_flaw(ids: list[str]) -> None:
    assert _all_plain(ids) == all(id_flaw(v) is None for v in ids)


@given(IDS)
def test_the_keys_of_a_column_are_the_keys_of_its_ids(ids: list[str]) -> None:
    assert _keys(ids) == [id_key(v) for v in ids]


def test_ascii_ids_are_keyed_by_their_lower_case() -> None:
    assert _keys(["Site-01", "RATER-2", ""]) == ["site-01", "rater-2", ""]
    assert not _all_plain(["ok", "two  ", "x"])
