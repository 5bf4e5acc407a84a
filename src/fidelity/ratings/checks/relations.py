"""Relation checks between sheets, across all inputs of a batch (``FR3xx``): one sheet per
(assessment, rater), at most one consensus sheet per assessment, the sheets of one
assessment agree on its site and informant, and no id is spelled two ways
(:mod:`fidelity.ratings.checks.ids`).

An assessment is an (assessment id, round) pair: the sheets of one id in different audit
rounds are different assessments, so the same id and rater in two rounds is no duplicate."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from fidelity.ratings.checks._common import Factorized, Found, Order, factorize
from fidelity.ratings.checks.ids import check_near_duplicates, id_key
from fidelity.ratings.problems import SheetRef, make_problem

if TYPE_CHECKING:
    from fidelity.ratings.batch import SheetBatch

__all__ = ["check_relations"]

_Refs = Callable[[int], SheetRef]
"""The :class:`SheetRef` of a sheet by its number in the batch."""

_Coded = Callable[[str], tuple[NDArray[np.intp], list[Any]]]
"""The codes and distinct values of a checked field (factorized once for all checks)."""

_Detector = Callable[[dict[str, NDArray[Any]], NDArray[np.bool_], _Refs, Found, _Coded], None]


def check_relations(
    batch: SheetBatch,
    meta: dict[str, NDArray[Any]],
    found: Found,
    factorized: Factorized | None = None,
) -> None:
    """Run every relation check on the checked fields ``meta`` of all sheets of ``batch``.
    Sheets without an assessment or a rater take no part. ``factorized``: columns of
    ``meta`` whose codes were computed already."""
    import pandas as pd

    if meta["assessment"].size == 0:
        return
    refs = _global_refs(batch)
    keyed = np.asarray(pd.notna(meta["assessment"]) & pd.notna(meta["rater"]), dtype=bool)
    meta = {**meta, **_assessment_keys(meta)}
    coded = _coder(meta, factorized or {})
    for detect in _DETECTORS:
        detect(meta, keyed, refs, found, coded)
    check_near_duplicates(meta, refs, found, coded)


def _coder(meta: dict[str, NDArray[Any]], done: Factorized) -> _Coded:
    """:func:`factorize` of a field of ``meta``, each computed once (by array: ``key`` is the
    assessment itself when there are no rounds), or taken from ``done``."""

    def coded(name: str) -> tuple[NDArray[np.intp], list[Any]]:
        col = meta[name]
        known = done.get(id(col))
        if known is None or known[0] is not col:
            known = done[id(col)] = (col, factorize(col))
        return known[1]

    return coded


def _assessment_keys(meta: dict[str, NDArray[Any]]) -> dict[str, NDArray[Any]]:
    """``key``: one value per (assessment, round) pair; ``label``: how problems name it."""
    a = meta["assessment"]
    rounds = meta.get("round")
    if rounds is None or not np.not_equal(rounds, np.array(None, dtype=object)).any():
        return {"key": a, "label": a}
    key = np.empty(a.size, dtype=object)
    label = np.empty(a.size, dtype=object)
    codes: dict[tuple[Any, Any], int] = {}
    for i, (x, r) in enumerate(zip(a.tolist(), rounds.tolist(), strict=True)):
        key[i] = None if x is None else codes.setdefault((x, r), len(codes))
        label[i] = x if r is None or x is None else f"{x} (round {r})"
    return {"key": key, "label": label}


def _duplicates(
    meta: dict[str, NDArray[Any]],
    keyed: NDArray[np.bool_],
    refs: _Refs,
    found: Found,
    coded: _Coded,
) -> None:
    """FR301: the same (assessment, rater) pair twice; the first occurrence is named."""
    import pandas as pd

    key, rater = coded("key")[0], coded("rater")
    pair = key.astype(np.int64) * (len(rater[1]) + 1) + rater[0]
    dup = pd.Series(pair).duplicated(keep="first").to_numpy() & keyed
    if not dup.any():
        return
    frame = pd.DataFrame({"a": meta["key"], "r": meta["rater"]})
    first = frame[keyed].drop_duplicates(keep="first")
    first_pos = {
        (a, r): int(i) for i, a, r in zip(first.index, first["a"], first["r"], strict=True)
    }
    cons = meta["consensus"].astype(bool)
    for i in np.flatnonzero(dup).tolist():
        a, r = meta["key"][i], meta["rater"][i]
        if cons[i] and cons[first_pos[(a, r)]]:
            continue  # a second consensus sheet: FR302 says so
        first_ref = refs(first_pos[(a, r)]).where()
        found.append(
            (
                i,
                Order.DUPLICATE,
                make_problem(
                    "FR301",
                    fields={"assessment": meta["label"][i], "rater": r, "first": first_ref},
                    sheet=refs(i),
                ),
            )
        )


def _consensus(
    meta: dict[str, NDArray[Any]],
    keyed: NDArray[np.bool_],
    refs: _Refs,
    found: Found,
    coded: _Coded,
) -> None:
    """FR302: more than one consensus sheet for an assessment."""
    import pandas as pd

    cons = meta["consensus"].astype(bool) & keyed
    if not cons.any():
        return
    extra = pd.Series(meta["key"][cons]).duplicated(keep="first").to_numpy()
    idx = np.flatnonzero(cons)
    for k in np.flatnonzero(extra).tolist():
        i = int(idx[k])
        found.append(
            (
                i,
                Order.CONSENSUS,
                make_problem(
                    "FR302",
                    fields={"assessment": meta["label"][i]},
                    sheet=refs(i),
                    path="consensus",
                    value=True,
                ),
            )
        )


def _disagreements(
    meta: dict[str, NDArray[Any]],
    keyed: NDArray[np.bool_],
    refs: _Refs,
    found: Found,
    coded: _Coded,
) -> None:
    """FR303: sheets of one assessment name different sites or informants; each sheet that
    differs from the assessment's first sheet is reported."""
    key = coded("key")[0]
    for f in ("site", "informant"):
        bad = meta.get(f"bad_{f}")  # already reported (FR206, FR205): not compared
        judged = np.flatnonzero(keyed & ~bad.astype(bool) if bad is not None else keyed)
        if not judged.size:
            continue
        codes, uniques = coded(f)
        value = _blank_as_empty(codes, uniques)[judged]
        _, first_of_key, key_of_row = np.unique(key[judged], return_index=True, return_inverse=True)
        first = first_of_key[key_of_row]
        differs = value != value[first]
        if not differs.any():
            continue
        rows = judged[differs]
        firsts = ["" if v is None else v for v in meta[f][judged[first[differs]]].tolist()]
        for i, head in zip(rows.tolist(), firsts, strict=True):
            if _spelling_only(meta[f][i], head):
                continue  # FR305 names the two spellings
            found.append(
                (
                    int(i),
                    Order.DISAGREES,
                    make_problem(
                        "FR303",
                        fields={
                            "assessment": meta["label"][i],
                            "field": f,
                            "value": meta[f][i] or "(empty)",
                            "first": head or "(empty)",
                        },
                        sheet=refs(int(i)),
                        path=f,
                        value=meta[f][i],
                    ),
                )
            )


def _blank_as_empty(codes: NDArray[np.intp], uniques: list[Any]) -> NDArray[np.intp]:
    """``codes`` with the code of ``None`` replaced by that of empty text, if both occur (an
    empty field and an empty text are the same value when sheets are compared)."""
    if None not in uniques or "" not in uniques:
        return codes
    remap = np.arange(len(uniques), dtype=np.intp)
    remap[uniques.index(None)] = uniques.index("")
    return remap[codes]


def _spelling_only(value: Any, first: Any) -> bool:
    """Whether two values are two spellings of one id (reported as FR305, not FR303)."""
    return isinstance(value, str) and isinstance(first, str) and id_key(value) == id_key(first)


_DETECTORS: tuple[_Detector, ...] = (_duplicates, _consensus, _disagreements)
"""The relation checks, in the order their problems are reported for one sheet."""


def _global_refs(batch: SheetBatch) -> _Refs:
    """Where a sheet is, by its number across all inputs of ``batch``."""
    starts = []
    offset = 0
    for seg in batch.segments:
        starts.append(offset)
        offset += seg.n
    segs = batch.segments

    def ref(i: int) -> SheetRef:
        k = int(np.searchsorted(starts, i, side="right")) - 1
        return segs[k].ref(i - starts[k])

    return ref
