"""What every exchange format shares: the error they raise for input that cannot be mapped
(:class:`~fidelity.errors.InteropError`, kept in :mod:`fidelity.errors` so that the readers in
:mod:`fidelity.ratings.readers` raise it too) and the consensus flag as a bool."""

from __future__ import annotations

from fidelity.errors import InteropError

__all__ = ["InteropError", "consensus_flag"]


def consensus_flag(value: object) -> bool | None:
    """A sheet's ``consensus`` as a bool: JSON's true/false, or the text ``true``/``false`` in
    any case that CSV and XLSX sheets hold (as validation accepts it); ``None`` otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None
