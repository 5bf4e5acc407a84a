"""Panics of compiled extensions built with PyO3 (python-calamine, pydantic-core, Polars).

PyO3 raises a Rust panic in Python as ``pyo3_runtime.PanicException``, a ``BaseException``
(so that ``except Exception`` does not swallow it) that no module exports: every extension
has its own. It is known by its name.
"""

from __future__ import annotations

__all__ = ["is_rust_panic"]


def is_rust_panic(exc: BaseException) -> bool:
    """Whether ``exc`` is a Rust panic raised through PyO3."""
    kind = type(exc)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"
