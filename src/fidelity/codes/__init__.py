"""The registry of every problem code: ``FI`` codes for instrument files, ``FR`` codes for
rating sheets.

Each code is declared once, here, with its severity, title, explanation and documentation
anchor; problems are built from it (:func:`rule` refuses an unregistered code), and the rule
tables of the reference pages are generated from it, so the code, the messages and the docs
cannot drift apart. This module is the bottom layer: it imports nothing from fidelity.
"""

from __future__ import annotations

from collections.abc import Iterator

from fidelity.codes import instrument as _instrument
from fidelity.codes import sheets as _sheets
from fidelity.codes._rule import Rule, Severity

__all__ = ["REGISTRY", "Rule", "Severity", "rule", "rules"]

REGISTRY: dict[str, Rule] = {r.code: r for r in (*_instrument.RULES, *_sheets.RULES)}
"""Every code, by code, in documentation order."""


def rule(code: str) -> Rule:
    """The registered rule for ``code``; a ``KeyError`` naming the code when there is none
    (an unregistered code is a programming error)."""
    try:
        return REGISTRY[code]
    except KeyError:
        raise KeyError(f"problem code {code!r} is not registered in fidelity.codes") from None


def rules(family: str | None = None) -> Iterator[Rule]:
    """The registered rules in documentation order, optionally of one family (``FI``/``FR``)."""
    return (r for r in REGISTRY.values() if family is None or r.family == family)
