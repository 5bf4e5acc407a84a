"""Checks of instrument files (placeholder: the checks still live in the instrument model)."""

from fidelity.instrument.model import check_instrument_file, iter_problems

__all__ = ["check_instrument_file", "iter_problems"]
