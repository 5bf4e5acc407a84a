"""Seeded synthetic audits with known true scores, informant effects and rater noise.

The generating model, on the continuous scale of an instrument's levels (for ENRICH, 1–4):

* every site has a true level per domain, ``τ[site, domain] ~ Normal(site_mean, site_sd)``,
  clipped to the scale's range;
* each informant adds a fixed effect ``δ[informant]`` (people see different things: by
  default peer workers rate their own practice a little higher, people supported a little
  lower), and each item a fixed offset ``β[item] ~ Normal(0, item_sd)``;
* each interview (an *assessment*: one informant at one site) has its own true item levels
  ``μ[a, item] = τ[site, domain(item)] + δ[informant] + β[item] + Normal(0, interview_sd)``;
* a rater records ``round(μ[a, item] + bias[rater] + Normal(0, rater_sd))``, clipped to the
  scale (and turned round for reverse-scored items, so that the *score* follows μ); the
  optional consensus sheet records ``round(μ[a, item])``;
* items that allow NA are NA for an interview with probability ``p_na`` (all raters agree
  that the situation did not arise), and any asked item is left empty on a sheet with
  probability ``p_missing``; items not asked of the informant are left empty.

A fraction ``double_rated`` of interviews is rated by a second, different rater, which is
what inter-rater reliability is estimated from. On the latent scale the single-rater
reliability of an item is ``var(μ) / (var(μ) + bias_sd² + rater_sd²)``
(:meth:`SimulatedAudit.expected_icc`); the latent ratings are kept (``latent``) so a
reliability test can check an ICC estimate against it before rounding blurs it.

Audit rounds (:func:`simulate_rounds`) re-rate the same interviews with a known true change:
``μ_r[a, item] = μ[a, item] + Δ_r[site, domain(item)] + Normal(0, round_sd)``, raters and
design drawn afresh. With ``round_sd = 0`` an unchanged site differs between rounds only by
rating error, which is what the report's SEM measures, so its verdicts can be checked.

Everything is drawn from one ``numpy.random.Generator`` seeded with ``seed``, in a fixed
order, so the same arguments give the same audit on every machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from fidelity.instrument import Instrument
from fidelity.instrument.catalog import load_instrument
from fidelity.ratings import FIELDS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_INFORMANT_EFFECTS",
    "SimulatedAudit",
    "main",
    "simulate_audit",
    "simulate_rounds",
]

DEFAULT_INFORMANT_EFFECTS: Mapping[str, float] = {
    "peer-worker": 0.15,
    "supervisor": 0.05,
    "person-supported": -0.2,
}
"""Informant effects used when none are given (ids not listed get 0)."""


@dataclass(frozen=True, eq=False)
class SimulatedAudit:
    """A synthetic audit and the truth behind it.

    Sheet arrays are aligned (one row per sheet); ``values`` holds level values as floats with
    NaN for empty cells and ``na`` marks NA answers. ``true_site`` holds τ (sites × domains),
    ``true_item`` holds μ (assessments × items), ``latent`` the raters' continuous ratings
    before rounding (NaN for consensus sheets and empty cells).
    """

    instrument: Instrument
    params: dict[str, Any]
    sites: tuple[str, ...]
    assessment_ids: tuple[str, ...]
    assessment_site: NDArray[np.intp]
    assessment_informant: tuple[str, ...]
    double_rated: NDArray[np.bool_]
    true_site: NDArray[np.float64]
    true_item: NDArray[np.float64]
    sheet_assessment: NDArray[np.intp]
    rater: tuple[str, ...]
    consensus: NDArray[np.bool_]
    date: tuple[str, ...]
    values: NDArray[np.float64]
    na: NDArray[np.bool_]
    latent: NDArray[np.float64]
    assessment_round: tuple[str, ...] | None = None  # per assessment; None: one round
    true_change: NDArray[np.float64] | None = None  # rounds × sites × domains: Δ
    _records: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.sheet_assessment.shape[0])

    @property
    def n_sheets(self) -> int:
        """Number of sheets."""
        return len(self)

    @property
    def sheets(self) -> list[dict[str, Any]]:
        """The sheets as JSON-ready dicts (missing answers are ``null``; items not asked of
        the informant are left out)."""
        if not self._records:
            self._records.extend(self._build_records())
        return self._records

    def _build_records(self) -> list[dict[str, Any]]:
        inst = self.instrument
        item_ids = [it.id for it in inst.items]
        asked = _asked_by(inst)
        out = []
        for s in range(len(self)):
            a = int(self.sheet_assessment[s])
            inf = self.assessment_informant[a]
            ratings: dict[str, Any] = {}
            for j, item in enumerate(item_ids):
                if not asked[inf][j]:
                    continue
                v = self.values[s, j]
                ratings[item] = "NA" if self.na[s, j] else (None if np.isnan(v) else int(v))
            out.append(
                {
                    "instrument": inst.spec,
                    "assessment": self.assessment_ids[a],
                    "rater": self.rater[s],
                    "site": self.sites[int(self.assessment_site[a])],
                    "informant": inf,
                    "date": self.date[s],
                    **(
                        {} if self.assessment_round is None else {"round": self.assessment_round[a]}
                    ),
                    "consensus": bool(self.consensus[s]),
                    "ratings": ratings,
                }
            )
        return out

    def to_pandas(self) -> pd.DataFrame:
        """The wide table: the sheet fields, then one text column per item id (``"3"``,
        ``"NA"`` or ``""``), exactly as :meth:`write_csv` writes it."""
        import pandas as pd

        a = self.sheet_assessment
        data: dict[str, Any] = {
            "instrument": np.full(len(self), self.instrument.spec, dtype=object),
            "assessment": np.asarray(self.assessment_ids, dtype=object)[a],
            "rater": np.asarray(self.rater, dtype=object),
            "site": np.asarray(self.sites, dtype=object)[self.assessment_site[a]],
            "informant": np.asarray(self.assessment_informant, dtype=object)[a],
            "date": np.asarray(self.date, dtype=object),
            "round": np.asarray(self.assessment_round or [None] * len(self.assessment_ids))[a],
            "consensus": np.where(self.consensus, "true", "false").astype(object),
        }
        for j, item in enumerate(self.instrument.items):
            col = self.values[:, j]
            text = np.where(np.isnan(col), "", np.nan_to_num(col).astype(np.int64).astype(str))
            text = np.where(self.na[:, j], "NA", text)
            data[item.id] = text.astype(object)
        # a one-round audit names no round
        fields = [f for f in FIELDS if f != "round" or self.assessment_round is not None]
        return pd.DataFrame(data, columns=[*fields, *(it.id for it in self.instrument.items)])

    def write_csv(self, path: str | Path) -> Path:
        """Write the wide CSV (the layout ``fidelity template --format csv`` describes)."""
        p = Path(path)
        self.to_pandas().to_csv(p, index=False, lineterminator="\n")
        return p

    def write_json(self, path: str | Path) -> Path:
        """Write the sheets as one JSON list."""
        p = Path(path)
        p.write_text(json.dumps(self.sheets, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return p

    def truth(self) -> pd.DataFrame:
        """True domain levels per site (τ), one row per site."""
        import pandas as pd

        frame = pd.DataFrame(self.true_site, columns=[d.id for d in self.instrument.domains])
        frame.insert(0, "site", list(self.sites))
        return frame

    def expected_icc(self) -> float:
        """Single-rater reliability of one item on the latent scale,
        ``var(μ) / (var(μ) + bias_sd² + rater_sd²)``, with var(μ) the between-interview
        variance of the true item levels (averaged over items)."""
        between = float(np.mean(np.var(self.true_item, axis=0, ddof=1)))
        noise = self.params["rater_sd"] ** 2 + self.params["rater_bias_sd"] ** 2
        return float(between / (between + noise))


def simulate_audit(
    inst: Instrument,
    n_sites: int = 24,
    informants: Sequence[str] | None = None,
    double_rated: float = 1 / 3,
    seed: int = 20240601,
    *,
    rater_sd: float = 0.5,
    rater_bias_sd: float = 0.0,
    n_raters: int = 8,
    site_mean: float | None = None,
    site_sd: float = 0.6,
    item_sd: float = 0.15,
    interview_sd: float = 0.3,
    informant_effects: Mapping[str, float] | None = None,
    consensus: float = 0.5,
    p_na: float = 0.15,
    p_missing: float = 0.02,
    start_date: str = "2024-02-01",
    days: int = 180,
) -> SimulatedAudit:
    """Simulate an audit of ``n_sites`` sites, one interview per site and informant.

    ``double_rated`` is the fraction of interviews rated by a second rater, ``consensus``
    the fraction of double-rated interviews that also get a consensus sheet. Every draw comes
    from ``numpy.random.default_rng(seed)``. See the module docstring for the model.
    """
    informants = _checked_informants(inst, informants, n_sites, double_rated, consensus, n_raters)
    effects = dict(DEFAULT_INFORMANT_EFFECTS if informant_effects is None else informant_effects)
    params = {
        "seed": seed,
        "n_sites": n_sites,
        "informants": list(informants),
        "double_rated": double_rated,
        "consensus": consensus,
        "rater_sd": rater_sd,
        "rater_bias_sd": rater_bias_sd,
        "n_raters": n_raters,
        "site_mean": site_mean,
        "site_sd": site_sd,
        "item_sd": item_sd,
        "interview_sd": interview_sd,
        "informant_effects": {i: effects.get(i, 0.0) for i in informants},
        "p_na": p_na,
        "p_missing": p_missing,
        "start_date": start_date,
        "days": days,
    }
    # The draws happen in a fixed order (truth, interviews, design, raters, sheets, dates),
    # so that the same arguments give the same audit.
    rng = np.random.default_rng(seed)
    items = _Items.of(inst)
    truth = _draw_truth(rng, items, params)
    interviews = _draw_interviews(rng, inst, items, truth, informants, params)
    return _draw_sheets(rng, inst, items, truth, interviews, params)


def _checked_informants(
    inst: Instrument,
    informants: Sequence[str] | None,
    n_sites: int,
    double_rated: float,
    consensus: float,
    n_raters: int,
) -> tuple[str, ...]:
    """The informants to interview at every site, after checking the design's arguments."""
    if n_sites < 1:
        raise ValueError("n_sites must be at least 1")
    if not 0 <= double_rated <= 1 or not 0 <= consensus <= 1:
        raise ValueError("double_rated and consensus are fractions between 0 and 1")
    if n_raters < 2 and double_rated > 0:
        raise ValueError("double rating needs at least two raters")
    chosen = tuple(informants or (i.id for i in inst.informants))
    known = {i.id for i in inst.informants}
    unknown = [i for i in chosen if i not in known]
    if unknown:
        raise ValueError(f"unknown informant(s) {unknown}; {inst.spec} has {sorted(known)}")
    repeated = sorted({i for i in chosen if chosen.count(i) > 1})
    if repeated:
        raise ValueError(f"informant(s) {repeated} listed more than once; list each once")
    return chosen


@dataclass(frozen=True)
class _Items:
    """The instrument's items as arrays: scale bounds, domain index, reverse and NA flags."""

    lo: NDArray[np.float64]
    hi: NDArray[np.float64]
    domain: NDArray[np.intp]
    n_domains: int
    reverse: NDArray[np.bool_]
    allow_na: NDArray[np.bool_]

    @classmethod
    def of(cls, inst: Instrument) -> _Items:
        scales = [inst.scale_of(it) for it in inst.items]
        domain_ids = [d.id for d in inst.domains]
        return cls(
            lo=np.array([s.min for s in scales], dtype=float),
            hi=np.array([s.max for s in scales], dtype=float),
            domain=np.array([domain_ids.index(it.domain) for it in inst.items], dtype=np.intp),
            n_domains=len(domain_ids),
            reverse=np.array([it.reverse for it in inst.items]),
            allow_na=np.array([it.allow_na for it in inst.items]),
        )

    def __len__(self) -> int:
        return int(self.lo.shape[0])


@dataclass(frozen=True)
class _Truth:
    """τ per site and domain, β per item, and the site mean they were drawn around."""

    sites: tuple[str, ...]
    true_site: NDArray[np.float64]
    beta: NDArray[np.float64]
    mean: float


def _draw_truth(rng: np.random.Generator, items: _Items, params: dict[str, Any]) -> _Truth:
    """Draw the sites' true domain levels and the items' offsets (centred within a domain)."""
    lo, hi = items.lo.min(), items.hi.max()
    given = params["site_mean"]
    mean = float(given if given is not None else lo + 0.57 * (hi - lo))
    params["site_mean"] = mean
    n_sites = params["n_sites"]
    sites = tuple(f"site-{k + 1:02d}" for k in range(n_sites))
    true_site = np.clip(
        rng.normal(mean, params["site_sd"], size=(n_sites, items.n_domains)), lo, hi
    )
    beta = rng.normal(0.0, params["item_sd"], size=len(items))
    for d in range(items.n_domains):
        sel = items.domain == d
        beta[sel] -= beta[sel].mean()
    return _Truth(sites, true_site, beta, mean)


@dataclass(frozen=True)
class _Interviews:
    """One row per assessment (an informant at a site): its true item levels μ, which items
    are asked and NA, and whether it is double-rated and gets a consensus sheet."""

    site: NDArray[np.intp]
    informant: tuple[str, ...]
    ids: tuple[str, ...]
    mu: NDArray[np.float64]
    asked: NDArray[np.bool_]
    na: NDArray[np.bool_]
    double: NDArray[np.bool_]
    consensus: NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.site.shape[0])


def _draw_interviews(
    rng: np.random.Generator,
    inst: Instrument,
    items: _Items,
    truth: _Truth,
    informants: tuple[str, ...],
    params: dict[str, Any],
) -> _Interviews:
    """Draw every interview's true item levels and NA answers, then pick which interviews are
    double-rated and which of those get a consensus sheet."""
    n_inf, m = len(informants), len(items)
    n_a = params["n_sites"] * n_inf
    a_site = np.repeat(np.arange(params["n_sites"]), n_inf)
    a_inf = tuple(informants[k % n_inf] for k in range(n_a))
    a_ids = tuple(f"{truth.sites[a_site[k]]}-{a_inf[k]}" for k in range(n_a))
    effects = params["informant_effects"]
    delta = np.array([effects.get(i, 0.0) for i in a_inf])
    mu = (
        truth.true_site[a_site][:, items.domain]
        + delta[:, None]
        + truth.beta[None, :]
        + rng.normal(0.0, params["interview_sd"], size=(n_a, m))
    )
    asked_by = _asked_by(inst)
    asked = np.stack([asked_by[i] for i in a_inf]) if n_a else np.zeros((0, m), dtype=bool)
    na = (rng.random((n_a, m)) < params["p_na"]) & items.allow_na[None, :] & asked

    double, cons = _draw_design(rng, n_a, params)
    return _Interviews(a_site, a_inf, a_ids, mu, asked, na, double, cons)


def _asked_by(inst: Instrument) -> dict[str, NDArray[np.bool_]]:
    """Per informant: which items are asked of them."""
    return {i.id: np.array([i.id in it.informants for it in inst.items]) for i in inst.informants}


def _draw_design(
    rng: np.random.Generator, n_a: int, params: dict[str, Any]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Which interviews are double-rated, and which of those get a consensus sheet."""
    n_double = round(params["double_rated"] * n_a)
    double = np.zeros(n_a, dtype=bool)
    double[rng.choice(n_a, size=n_double, replace=False)] = True
    n_cons = round(params["consensus"] * n_double)
    cons = np.zeros(n_a, dtype=bool)
    if n_cons:
        cons[rng.choice(np.flatnonzero(double), size=n_cons, replace=False)] = True
    return double, cons


def _draw_sheets(
    rng: np.random.Generator,
    inst: Instrument,
    items: _Items,
    truth: _Truth,
    interviews: _Interviews,
    params: dict[str, Any],
) -> SimulatedAudit:
    """Assign raters, draw every sheet's ratings (consensus sheets record μ itself), blank
    the cells left empty, and date each interview."""
    n_a, n_raters = len(interviews), params["n_raters"]
    raters = tuple(f"rater-{k + 1}" for k in range(n_raters))
    first = rng.integers(0, n_raters, size=n_a)
    second = (first + rng.integers(1, max(n_raters, 2), size=n_a)) % n_raters
    bias_sd = params["rater_bias_sd"]
    bias = rng.normal(0.0, bias_sd, size=n_raters) if bias_sd > 0 else np.zeros(n_raters)

    # sheets, grouped by assessment: first rater, second rater, consensus
    double, cons_a = interviews.double, interviews.consensus
    per_a = 1 + double.astype(int) + cons_a.astype(int)
    sheet_a = np.repeat(np.arange(n_a), per_a)
    rank = np.arange(sheet_a.size) - np.repeat(np.cumsum(per_a) - per_a, per_a)
    is_cons = (rank == 2) | ((rank == 1) & ~double[sheet_a] & cons_a[sheet_a])
    rater_idx = np.where(rank == 0, first[sheet_a], second[sheet_a])
    n_s = sheet_a.size
    mu = interviews.mu
    latent = (
        mu[sheet_a]
        + bias[rater_idx][:, None]
        + rng.normal(0.0, params["rater_sd"], size=(n_s, len(items)))
    )
    latent[is_cons] = mu[sheet_a][is_cons]
    level = np.clip(np.round(latent), items.lo, items.hi)
    recorded = np.where(items.reverse[None, :], items.hi + items.lo - level, level)
    missing = (rng.random((n_s, len(items))) < params["p_missing"]) & ~is_cons[:, None]
    na = interviews.na[sheet_a]
    empty = ~interviews.asked[sheet_a] | na | missing
    start = _dt.date.fromisoformat(params["start_date"])
    a_day = rng.integers(0, max(params["days"], 1), size=n_a)
    return SimulatedAudit(
        instrument=inst,
        params=params,
        sites=truth.sites,
        assessment_ids=interviews.ids,
        assessment_site=interviews.site,
        assessment_informant=interviews.informant,
        double_rated=double,
        true_site=truth.true_site,
        true_item=mu,
        sheet_assessment=sheet_a,
        rater=tuple("consensus" if is_cons[s] else raters[rater_idx[s]] for s in range(n_s)),
        consensus=is_cons,
        date=tuple((start + _dt.timedelta(days=int(a_day[a]))).isoformat() for a in sheet_a),
        values=np.where(empty, np.nan, recorded),
        na=na,
        latent=np.where(empty | is_cons[:, None], np.nan, latent),
    )


def simulate_rounds(
    inst: Instrument,
    rounds: Sequence[str] = ("baseline", "6m"),
    change: Mapping[str, float | Mapping[str, float]] | None = None,
    *,
    seed: int = 20240601,
    round_sd: float = 0.0,
    round_days: int = 182,
    **options: Any,
) -> SimulatedAudit:
    """Simulate an audit in ``rounds`` with a known true change (see the module docstring).

    ``change`` maps a site id to its true change per round, in levels: a number moves every
    domain, ``{domain id: change}`` those. Round 0 is ``simulate_audit(inst, seed=seed,
    **options)``; round ``k`` is ``k`` changes above it, drawn from ``default_rng([seed,
    k])``, ``round_days`` later. ``true_change``: Δ per round, site and domain."""
    labels = [str(r) for r in rounds]
    if not labels or len(set(labels)) != len(labels):
        raise ValueError(f"rounds must be distinct labels, got {labels}")
    first = simulate_audit(inst, seed=seed, **options)
    items = _Items.of(inst)
    step_of = list((change or {}).items())
    step = _change_matrix(inst, first.sites, dict(step_of))
    base = _interviews_of(first, inst)
    audits = [first]
    for k in range(1, len(labels)):
        rng = np.random.default_rng([seed, k])
        mu = base.mu + k * step[base.site][:, items.domain]
        mu = mu + (rng.normal(0.0, round_sd, size=mu.shape) if round_sd > 0 else 0.0)
        double, cons = _draw_design(rng, len(base), first.params)
        interviews = dataclasses.replace(base, mu=mu, double=double, consensus=cons)
        start = _dt.date.fromisoformat(first.params["start_date"]) + _dt.timedelta(k * round_days)
        params = {**first.params, "start_date": start.isoformat()}
        truth = _Truth(first.sites, first.true_site + k * step, np.zeros(len(items)), 0.0)
        audits.append(_draw_sheets(rng, inst, items, truth, interviews, params))
    params = {**first.params, "rounds": labels, "round_sd": round_sd, "round_days": round_days}
    params["change"] = {k: v if isinstance(v, float | int) else dict(v) for k, v in step_of}
    true_change = np.stack([k * step for k in range(len(labels))])
    return _merge(audits, labels, params, true_change)


def _change_matrix(
    inst: Instrument, sites: tuple[str, ...], change: Mapping[str, float | Mapping[str, float]]
) -> NDArray[np.float64]:
    """Sites × domains: the true change per round that ``change`` asks for."""
    domain_ids = [d.id for d in inst.domains]
    out = np.zeros((len(sites), len(domain_ids)))
    for site, delta in change.items():
        if site not in sites:
            raise ValueError(f"change names site {site!r}; the audit has {sites[0]}..{sites[-1]}")
        per = delta if isinstance(delta, Mapping) else dict.fromkeys(domain_ids, delta)
        for dom, d in per.items():
            if dom not in domain_ids:
                raise ValueError(f"change names domain {dom!r}; {inst.spec} has {domain_ids}")
            out[sites.index(site), domain_ids.index(dom)] = float(d)
    return out


def _interviews_of(audit: SimulatedAudit, inst: Instrument) -> _Interviews:
    """The interviews of a one-round audit: true levels, asked and NA items (not the design)."""
    asked = np.stack([_asked_by(inst)[i] for i in audit.assessment_informant])
    na = np.zeros((len(audit.assessment_ids), len(inst.items)), dtype=bool)
    na[audit.sheet_assessment] = audit.na
    return _Interviews(
        audit.assessment_site, audit.assessment_informant, audit.assessment_ids,
        audit.true_item, asked, na, audit.double_rated, audit.double_rated,
    )  # fmt: skip


def _merge(
    audits: list[SimulatedAudit], labels: list[str], params: dict[str, Any], change: Any
) -> SimulatedAudit:
    """One audit of the rounds' sheets, each assessment tagged with its round."""
    joined: dict[str, Any] = {}
    for name in ("assessment_ids", "assessment_informant", "rater", "date"):
        joined[name] = tuple(x for a in audits for x in getattr(a, name))
    for name in ("assessment_site", "double_rated", "consensus"):
        joined[name] = np.concatenate([getattr(a, name) for a in audits])
    for name in ("true_item", "values", "na", "latent"):
        joined[name] = np.vstack([getattr(a, name) for a in audits])
    offsets = np.cumsum([0] + [len(a.assessment_ids) for a in audits[:-1]])
    sheet_a = [a.sheet_assessment + off for a, off in zip(audits, offsets, strict=True)]
    rounds = tuple(lab for a, lab in zip(audits, labels, strict=True) for _ in a.assessment_ids)
    joined["sheet_assessment"] = np.concatenate(sheet_a)
    return dataclasses.replace(
        audits[0], params=params, assessment_round=rounds, true_change=change, _records=[], **joined
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m fidelity.simulate``: write a synthetic audit as CSV and/or JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m fidelity.simulate", description="Write a seeded synthetic audit."
    )
    add = parser.add_argument
    add("--instrument", default="enrich-peer-support")
    add("--sites", type=int, default=24)
    add("--double-rated", type=float, default=1 / 3)
    add("--consensus", type=float, default=0.5)
    add("--rater-sd", type=float, default=0.5)
    add("--seed", type=int, default=20240601)
    add("--rounds", help="audit rounds, comma-separated (baseline,6m): the interviews re-rated")
    add("--change", action="append", default=[], help="with --rounds: SITE=CHANGE (repeat)")
    for name, what in (("csv", "wide CSV"), ("json", "JSON list"), ("truth", "true levels")):
        add(f"--{name}", type=Path, help=f"write the {what} here")
    args = parser.parse_args(argv)
    inst = load_instrument(args.instrument)
    options = {"n_sites": args.sites, "double_rated": args.double_rated,
               "consensus": args.consensus, "rater_sd": args.rater_sd}  # fmt: skip
    if args.rounds:
        pairs = [c.partition("=") for c in args.change]
        if any(not sep or not d.lstrip("+-").replace(".", "", 1).isdigit() for _, sep, d in pairs):
            parser.error("--change takes SITE=CHANGE, e.g. site-01=0.5")
        change = {site: float(d) for site, _, d in pairs}
        audit = simulate_rounds(inst, args.rounds.split(","), change, seed=args.seed, **options)
    else:
        audit = simulate_audit(inst, seed=args.seed, **options)
    if args.csv:
        audit.write_csv(args.csv)
    if args.json:
        audit.write_json(args.json)
    if args.truth:
        audit.truth().round(4).to_csv(args.truth, index=False, lineterminator="\n")
    sys.stdout.write(
        f"{len(audit)} sheets, {len(audit.assessment_ids)} interviews at {len(audit.sites)} "
        f"sites; expected latent item ICC {audit.expected_icc():.3f}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
