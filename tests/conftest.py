"""Test-suite settings.

Hypothesis explores new random examples on every run; CI sets ``HYPOTHESIS_PROFILE=ci`` to
replay a fixed, derandomized set of examples so that a landing run is reproducible.

Every XLSX workbook any test reads is read twice, on the reader's fast path and by its exact
reader alone, and the two segments must be equal.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("default", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def segment_key(seg: Any) -> Any:
    """Everything a segment holds, comparable with ``==`` (values with their types)."""
    import dataclasses

    import numpy as np

    def key(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            return (str(v.dtype), [(type(x).__name__, key(x)) for x in v.tolist()])
        if isinstance(v, dict):
            return sorted((k, key(x)) for k, x in v.items())
        if isinstance(v, list | tuple):
            return [key(x) for x in v]
        if isinstance(v, float) and v != v:
            return "nan"
        return v

    return [(f.name, key(getattr(seg, f.name))) for f in dataclasses.fields(seg)]


FAST_READS: list[str] = []
"""Names of the workbooks read on the fast path in this session (each checked against the
exact reader)."""


@pytest.fixture(autouse=True)
def _xlsx_paths_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every workbook a test reads is read by the fast path and by the exact reader alone,
    and the two segments must be equal."""
    from fidelity.ratings.readers import _xlsx_fast, xlsx

    real, fast_read = xlsx._read, _xlsx_fast.read_fast

    def both(name: str, data: bytes, *, fast: bool) -> Any:
        taken: list[bool] = []

        def spy(*args: Any) -> Any:
            grid = fast_read(*args)
            taken.append(grid is not None)
            return grid

        monkeypatch.setattr(xlsx, "read_fast", spy)
        seg = real(name, data, fast=fast)
        monkeypatch.setattr(xlsx, "read_fast", fast_read)
        if fast:
            assert segment_key(seg) == segment_key(real(name, data, fast=False)), name
            if any(taken):
                FAST_READS.append(name)
        return seg

    monkeypatch.setattr(xlsx, "_read", both)


@pytest.fixture(scope="session")
def key_of() -> Callable[[Any], Any]:
    """:func:`segment_key`: two segments are equal when their keys are."""
    return segment_key
