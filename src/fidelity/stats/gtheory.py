"""Generalizability theory for any design of random terms: identification, and the relative and
absolute coefficients of a D-study by Brennan's rules.

A G-study (Cronbach, Gleser, Nanda & Rajaratnam 1972, *The Dependability of Behavioral
Measurements*, Wiley; Shavelson & Webb 1991, *Generalizability Theory: A Primer*, Sage;
Brennan 2001, *Generalizability Theory*, Springer, doi:10.1007/978-1-4757-3456-0) estimates one
variance component per term of the design (here by REML, :mod:`fidelity.stats.mixed`). Each
term is described by the set of *facets* it involves: a main effect ``{r}``, an interaction
``{p, t}``, a nested effect ``r:t`` as ``{r, t}``, the residual as every facet.

A D-study projects the reliability of the mean over ``n'`` levels of each facet of an object
of measurement ``p`` (Brennan 2001, secs. 4.1-4.4). A term's variance is divided by the
product of ``n'`` over its facets other than ``p``, and it counts as

* universe-score variance ``τ`` when it involves ``p`` and otherwise only fixed facets;
* relative error ``δ`` (and absolute error ``Δ``) when it involves ``p`` and a random facet;
* absolute error ``Δ`` only when it involves random facets but not ``p``;
* nothing when it involves only fixed facets (it is the same for every object).

``Eρ² = τ / (τ + δ)`` (generalizability coefficient) and ``Φ = τ / (τ + Δ)`` (index of
dependability). With every facet random this is Brennan's Table 4.2 rule; a fixed facet with
``n'`` levels moves its interactions with ``p`` into ``τ``, divided by ``n'`` (sec. 4.4).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from fidelity.stats.mixed import Term

__all__ = ["Coefficients", "Identified", "Role", "coefficients", "identify", "role"]

Role = Literal["universe", "relative", "absolute", "none"]


@dataclass(frozen=True)
class Coefficients:
    """Universe-score variance, error variances and the two coefficients of one D-study."""

    universe: float
    relative_error: float
    absolute_error: float
    e_rho2: float
    phi: float


def role(
    facets: Collection[str], measurement: str, sizes: Mapping[str, float],
    fixed: Collection[str] = (),
) -> tuple[Role, float]:  # fmt: skip
    """How a term with these ``facets`` enters a D-study of ``measurement``, and its divisor
    (the product of the D-study sizes ``n'`` of its other facets); module docstring."""
    others = [f for f in facets if f != measurement]
    divisor = float(np.prod([float(sizes[f]) for f in others])) if others else 1.0
    random = [f for f in others if f not in fixed]
    if measurement in facets:
        return ("relative" if random else "universe"), divisor
    return ("absolute" if random else "none"), divisor


def coefficients(
    variances: Mapping[str, float], facets: Mapping[str, Collection[str]], *, measurement: str,
    sizes: Mapping[str, float], fixed: Collection[str] = (),
) -> Coefficients:  # fmt: skip
    """``Eρ²`` and ``Φ`` of a D-study with ``sizes`` (``n'`` per facet) from the G-study
    ``variances`` of terms with ``facets`` (module docstring; Brennan 2001, ch. 4).

    Example (Brennan 2001, Synthetic Data Set No. 4, p × (R:T), n'r = 4, n't = 3):
        >>> f = {"p": "p", "t": "t", "r:t": "rt", "pt": "pt", "pr:t": "prt"}
        >>> v = {"p": .4731, "t": .3252, "r:t": .6475, "pt": .5596, "pr:t": 2.3802}
        >>> c = coefficients(v, f, measurement="p", sizes={"r": 4, "t": 3})
        >>> round(c.e_rho2, 2), round(c.phi, 2)
        (0.55, 0.46)
    """
    tau = rel = ab = 0.0
    for name, value in variances.items():
        kind, divisor = role(facets[name], measurement, sizes, fixed)
        share = float(value) / divisor
        if kind == "universe":
            tau += share
        elif kind == "relative":
            rel += share
            ab += share
        elif kind == "absolute":
            ab += share
    with np.errstate(invalid="ignore", divide="ignore"):
        e_rho2 = float(np.float64(tau) / (tau + rel)) if tau + rel > 0 else math.nan
        phi = float(np.float64(tau) / (tau + ab)) if tau + ab > 0 else math.nan
    return Coefficients(tau, rel, ab, e_rho2, phi)


@dataclass(frozen=True)
class Identified:
    """Which terms the data identify. ``kept``: the terms to fit. ``merged``: each term that
    cannot be fitted, with the term that absorbs its variance (``"residual"``, another term,
    or ``None`` when it is constant and goes into the mean) and the reason."""

    kept: tuple[Term, ...]
    merged: dict[str, tuple[str | None, str]]


def _same_partition(a: Term, b: Term) -> bool:
    """Whether two terms group the ratings identically (equal up to relabelling)."""
    if a.n_levels != b.n_levels:
        return False
    pairs = np.unique(a.codes.astype(np.int64) * b.n_levels + b.codes)
    return int(pairs.size) == a.n_levels


def identify(terms: Sequence[Term]) -> Identified:
    """Split ``terms`` (simplest first) into those the ratings identify and those they do
    not: a term with one level is constant; a term that groups the ratings as an earlier
    term does cannot be told apart from it; a term with one rating per level cannot be told
    apart from the residual."""
    kept: list[Term] = []
    merged: dict[str, tuple[str | None, str]] = {}
    n = int(terms[0].codes.size) if terms else 0
    for t in terms:
        if t.n_levels < 2:
            merged[t.name] = (None, f"{t.name}: only one level in the data")
            continue
        twin = next((k for k in kept if _same_partition(k, t)), None)
        if twin is not None:
            merged[t.name] = (
                twin.name,
                f"{t.name} and {twin.name} group the ratings identically in these data, so "
                f"their variances cannot be told apart (both are in {twin.name})",
            )
            continue
        if t.n_levels == n:
            merged[t.name] = (
                "residual",
                f"{t.name}: one rating per level, so its variance cannot be told apart from "
                "the residual (both are in residual)",
            )
            continue
        kept.append(t)
    return Identified(tuple(kept), merged)
