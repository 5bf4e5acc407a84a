"""Rater calibration and drift: each rater's agreement with a reference rating.

The reference is either gold-standard ratings of training vignettes (``gold``) or, without
them, the consensus sheets of the assessments the rater double-rated. Every item a rater and
the reference both answered with a level is one *pair* (NA and empty cells are left out).
For each rater :func:`calibrate` reports

* ``exact`` and ``within_one``: the share of pairs on the same level, or at most one level
  apart;
* ``kappa``: Cohen's weighted kappa of the rater against the reference, and ``ac2``: Gwet's
  AC2 (Gwet 2008, doi:10.1348/000711006X126600), both with ``weights`` (quadratic by default)
  over the instrument's levels, with the intervals of :mod:`fidelity.stats.agreement`. Those
  intervals treat the pairs as independent, which understates the uncertainty when the items
  of one sheet share a rater's mood of the day;
* ``bias``: the mean signed difference rater − reference in levels (positive: lenient,
  negative: severe), overall and per domain, with a cluster-robust t interval that treats the
  sheets (not the items) as the independent units: ``se² = S/(S−1) · Σ_s (Σ_i d_si −
  n_s·d̄)² / N²`` with ``S − 1`` degrees of freedom (the CR1 sandwich estimator of a mean;
  Cameron & Miller 2015, doi:10.3368/jhr.50.2.317).

A :class:`CertificationRule` (by default AC2 ≥ 0.80 and |bias| < 0.25 levels on at least 5
sheets) gives ``pass`` or ``not yet``, with the reasons. A rater whose pairs all sit on one
level (rater and reference alike) is ``undefined``: agreement on a single level cannot be told
apart from chance, so it is never reported as perfect. With ``period`` (``month`` or
``quarter`` of the sheet dates, or a mapping of assessment ids to audit rounds), ``drift``
repeats the numbers per rater and period, flagged where they fall below the rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from fidelity.errors import FidelityError, SheetsInvalidError
from fidelity.ratings.batch import as_batch
from fidelity.ratings.checks.run import CheckedSheets, check_sheets
from fidelity.ratings.sheet import ANSWERED
from fidelity.stats.agreement import cohen_kappa, gwet_ac

if TYPE_CHECKING:
    import pandas as pd

    from fidelity.instrument import Instrument

__all__ = [
    "Calibration",
    "CalibrationError",
    "CertificationRule",
    "Pairs",
    "Period",
    "bias_interval",
    "calibrate",
]

Period = Literal["month", "quarter"]
"""Periods of the drift table: calendar months or quarters of the sheet dates."""


class CalibrationError(FidelityError, ValueError):
    """The reference ratings cannot be used (an assessment with several reference sheets, or
    no rater sheet matching any reference)."""


@dataclass(frozen=True)
class CertificationRule:
    """When a rater is certified: ``ac2`` at least ``min_ac2``, ``|bias|`` below
    ``max_abs_bias`` levels, on at least ``min_sheets`` sheets compared with the reference."""

    min_ac2: float = 0.80
    max_abs_bias: float = 0.25
    min_sheets: int = 5

    def describe(self) -> str:
        """The rule in words."""
        return (
            f"AC2 >= {self.min_ac2:g} and |bias| < {self.max_abs_bias:g} levels "
            f"on at least {self.min_sheets} sheet(s)"
        )


@dataclass
class Pairs:
    """Aligned (rater, reference) pairs of level values: one per item both answered."""

    rater: NDArray[Any]
    sheet: NDArray[np.intp]
    item: NDArray[np.intp]
    value: NDArray[np.float64]
    reference: NDArray[np.float64]
    period: NDArray[Any]


@dataclass
class Calibration:
    """The outcome of :func:`calibrate`.

    Attributes:
        instrument: ``id@version``.
        reference: ``gold`` or ``consensus``.
        rule: the certification rule applied.
        raters: one row per rater: ``n_sheets``, ``n_pairs``, ``exact``, ``within_one``,
            ``kappa`` (with ``kappa_low``, ``kappa_high``), ``ac2`` (``ac2_low``, ``ac2_high``),
            ``bias`` (``bias_low``, ``bias_high``), ``status`` (pass, not yet, undefined) and
            ``reason``.
        domains: one row per rater and domain: ``n_pairs``, ``bias``, ``bias_low``,
            ``bias_high``.
        drift: one row per rater and period (empty without ``period``), with ``flagged``.
    """

    instrument: str
    reference: str
    rule: CertificationRule
    raters: pd.DataFrame
    domains: pd.DataFrame
    drift: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (NaN as ``None``)."""
        return {
            "instrument": self.instrument,
            "reference": self.reference,
            "rule": {**asdict(self.rule), "text": self.rule.describe()},
            "raters": _records(self.raters),
            "domains": _records(self.domains),
            "drift": _records(self.drift),
        }

    def to_markdown(self) -> str:
        """A Markdown certification report: the rule, one row per rater with the verdict and
        its reasons, bias per domain, and the flagged periods of the drift table."""
        lines = [
            f"# Rater calibration ({self.instrument})",
            "",
            f"Reference: the {self.reference} ratings. Certification rule: "
            f"{_md(self.rule.describe())}.",
            "",
            "| rater | sheets | exact | within one | kappa | AC2 [CI] | bias [CI] | status "
            "| reason |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in self.raters.itertuples(index=False):
            lines.append(
                f"| {_md(r.rater)} | {r.n_sheets} | {_num(r.exact)} | {_num(r.within_one)} "
                f"| {_num(r.kappa)} | {_num(r.ac2)} [{_num(r.ac2_low)}, {_num(r.ac2_high)}] "
                f"| {_num(r.bias, '+.2f')} [{_num(r.bias_low, '+.2f')}, "
                f"{_num(r.bias_high, '+.2f')}] | {r.status} | {_md(r.reason)} |"
            )
        lines += ["", "## Bias per domain", "", "| rater | domain | pairs | bias [CI] |"]
        lines.append("|---|---|---|---|")
        for d in self.domains.itertuples(index=False):
            lines.append(
                f"| {_md(d.rater)} | {_md(d.domain)} | {d.n_pairs} | {_num(d.bias, '+.2f')} "
                f"[{_num(d.bias_low, '+.2f')}, {_num(d.bias_high, '+.2f')}] |"
            )
        if len(self.drift):
            flagged = self.drift[self.drift["flagged"]]
            lines += ["", "## Drift", "", f"{len(flagged)} flagged rater-period(s)."]
            lines += [
                f"- {_md(f.rater)} {_md(f.period)}: {_md(f.reason)}"
                for f in flagged.itertuples(index=False)
            ]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        cols = ["rater", "n_sheets", "exact", "within_one", "kappa", "ac2", "bias", "status"]
        table = self.raters[cols].to_string(index=False, float_format=lambda v: f"{v:.2f}")
        return f"Agreement with the {self.reference} ratings ({self.instrument})\n{table}"


def _md(v: Any) -> str:
    """Text for a Markdown table cell: no markup, no line breaks, no column separators."""
    import html

    text = html.escape(" ".join(str(v).split()), quote=False)
    return text.replace("|", "&#124;").replace("`", "&#96;")


def _num(v: Any, fmt: str = ".2f") -> str:
    """A number for a table, or an em dash where undefined."""
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rec in frame.to_dict(orient="records"):
        out.append(
            {
                str(k): (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in rec.items()
            }
        )
    return out


def _checked(inst: Instrument, sheets: Any) -> CheckedSheets:
    checked = check_sheets(inst, as_batch(sheets))
    if not checked.problems.ok:
        raise SheetsInvalidError(checked.problems)
    return checked


def _period_of(date: Any, assessment: str, period: Period | Mapping[str, str] | None) -> str:
    """The period of one sheet: the round of its assessment, or the month or quarter of its
    date ("" when unknown)."""
    if isinstance(period, Mapping):
        return str(period.get(assessment, ""))
    text = "" if date is None or (isinstance(date, float) and math.isnan(date)) else str(date)
    if period is None or not text:
        return ""
    if period == "month":
        return text[:7]
    return f"{text[:4]}-Q{(int(text[5:7]) - 1) // 3 + 1}"


def _reference_rows(ref: CheckedSheets, gold: bool) -> dict[str, int]:
    """The reference sheet of each assessment (consensus sheets only unless ``gold``)."""
    rows: dict[str, list[int]] = {}
    for s, (a, c) in enumerate(zip(ref.assessment, ref.consensus, strict=True)):
        if c or gold:
            rows.setdefault(str(a), []).append(s)
    out: dict[str, int] = {}
    for a, members in rows.items():
        if len(members) > 1:
            chosen = [s for s in members if ref.consensus[s]] if gold else members
            if len(chosen) != 1:
                raise CalibrationError(
                    f"assessment {a!r} has {len(members)} reference sheets "
                    f"({', '.join(str(ref.source[s]) for s in members[:3])}); keep one, or mark "
                    "the agreed one with consensus true"
                )
            members = chosen
        out[a] = members[0]
    return out


def _pairs(
    rated: CheckedSheets,
    ref: CheckedSheets,
    gold: bool,
    period: Period | Mapping[str, str] | None,
) -> Pairs:
    refs = _reference_rows(ref, gold)
    cols: dict[str, list[Any]] = {k: [] for k in ("rater", "sheet", "item", "value", "ref", "p")}
    for s in range(len(rated.assessment)):
        g = refs.get(str(rated.assessment[s]))
        if rated.consensus[s] or g is None:
            continue
        both = np.flatnonzero((rated.state[s] == ANSWERED) & (ref.state[g] == ANSWERED))
        cols["rater"] += [str(rated.rater[s])] * both.size
        cols["sheet"] += [s] * both.size
        cols["item"] += both.tolist()
        cols["value"] += rated.values[s, both].tolist()
        cols["ref"] += ref.values[g, both].tolist()
        cols["p"] += [_period_of(rated.date[s], str(rated.assessment[s]), period)] * both.size
    if not cols["rater"]:
        raise CalibrationError(
            "no rater sheet shares an assessment (and an answered item) with a reference sheet; "
            "the reference is "
            + ("the gold file" if gold else "the consensus sheets, and there are none")
        )
    return Pairs(
        np.asarray(cols["rater"], dtype=object),
        np.asarray(cols["sheet"], dtype=np.intp),
        np.asarray(cols["item"], dtype=np.intp),
        np.asarray(cols["value"], dtype=np.float64),
        np.asarray(cols["ref"], dtype=np.float64),
        np.asarray(cols["p"], dtype=object),
    )


def bias_interval(
    diff: NDArray[np.float64], sheet: NDArray[np.intp], confidence: float = 0.95
) -> tuple[float, float, float]:
    """Mean signed difference and its cluster-robust t interval, sheets as clusters."""
    from scipy import stats

    n = diff.size
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(diff.mean())
    _, inv = np.unique(sheet, return_inverse=True)
    n_s = int(inv.max()) + 1
    if n_s < 2:
        return mean, math.nan, math.nan
    resid = np.bincount(inv, weights=diff - mean, minlength=n_s)
    se = math.sqrt(n_s / (n_s - 1) * float((resid**2).sum())) / n
    t = float(stats.t.ppf(0.5 + confidence / 2, n_s - 1))
    return mean, mean - t * se, mean + t * se


def _summary(
    v: NDArray[np.float64],
    g: NDArray[np.float64],
    sheet: NDArray[np.intp],
    categories: list[int],
    weights: str,
    confidence: float,
) -> dict[str, Any]:
    """Agreement and bias of one set of pairs."""
    x = np.column_stack([v, g])
    kappa = cohen_kappa(x, weights=weights, categories=categories, confidence=confidence)
    ac2 = gwet_ac(x, weights=weights, categories=categories, confidence=confidence)
    bias, lo, hi = bias_interval(v - g, sheet, confidence)
    single = np.unique(x).size == 1
    kci = kappa.ci if kappa.ci is not None else (math.nan, math.nan)
    aci = ac2.ci if ac2.ci is not None else (math.nan, math.nan)
    return {
        "n_sheets": int(np.unique(sheet).size),
        "n_pairs": int(v.size),
        "exact": float(np.mean(v == g)),
        "within_one": float(np.mean(np.abs(v - g) <= 1)),
        "kappa": math.nan if single else kappa.value,
        "kappa_low": math.nan if single else kci[0],
        "kappa_high": math.nan if single else kci[1],
        "ac2": math.nan if single else ac2.value,
        "ac2_low": math.nan if single else aci[0],
        "ac2_high": math.nan if single else aci[1],
        "bias": bias,
        "bias_low": lo,
        "bias_high": hi,
        "_single": float(x[0, 0]) if single else None,
        "_kappa_reason": kappa.reason,
    }


def _verdict(row: dict[str, Any], rule: CertificationRule, *, count: bool) -> tuple[str, str]:
    """``(status, reason)`` of one row under ``rule``."""
    if row["_single"] is not None:
        return "undefined", (
            f"every rating (rater and reference) is level {row['_single']:g}: agreement on one "
            "level cannot be told apart from chance"
        )
    why = []
    if count and row["n_sheets"] < rule.min_sheets:
        why.append(f"{row['n_sheets']} sheet(s), fewer than {rule.min_sheets}")
    if not row["ac2"] >= rule.min_ac2:
        why.append(f"AC2 {row['ac2']:.2f} below {rule.min_ac2:g}")
    if not abs(row["bias"]) < rule.max_abs_bias:
        why.append(f"|bias| {abs(row['bias']):.2f} not below {rule.max_abs_bias:g}")
    if why:
        return "not yet", "; ".join(why)
    return "pass", "meets " + (rule.describe() if count else "the AC2 and bias limits")


def calibrate(
    inst: Instrument,
    sheets: Any,
    gold: Any = None,
    *,
    rule: CertificationRule | None = None,
    weights: str = "quadratic",
    confidence: float = 0.95,
    period: Period | Mapping[str, str] | None = None,
) -> Calibration:
    """Each rater's agreement with the reference ratings, certification and drift.

    ``sheets`` and ``gold`` are anything :func:`fidelity.score` accepts. With ``gold``, each
    gold sheet is the reference for the rater sheets of the same assessment (vignette); if a
    vignette has several gold sheets the one marked ``consensus`` is used. Without it, the
    consensus sheets in ``sheets`` are the reference. ``period`` groups the drift table by
    ``"month"`` or ``"quarter"`` of the sheet dates, or by a mapping of assessment ids to
    audit rounds (``{"site-01-supervisor": "round 1", ...}``). Invalid sheets raise
    :class:`~fidelity.errors.SheetsInvalidError`; unusable references raise
    :class:`CalibrationError`.

    Example:
        >>> import fidelity
        >>> from fidelity.raters import calibrate
        >>> inst = fidelity.load_instrument("enrich-peer-support@1.1.0")
        >>> cal = calibrate(inst, "examples/enrich-audit.csv")
        >>> sorted(cal.raters.columns[:3])
        ['n_pairs', 'n_sheets', 'rater']
    """
    import pandas as pd

    rule = rule or CertificationRule()
    rated = _checked(inst, sheets)
    ref = _checked(inst, gold) if gold is not None else rated
    pairs = _pairs(rated, ref, gold is not None, period)
    categories = sorted({v for it in inst.items for v in inst.scale_of(it).values})
    domain_of = np.asarray([it.domain for it in inst.items], dtype=object)

    def summary(mask: NDArray[np.bool_]) -> dict[str, Any]:
        return _summary(
            pairs.value[mask],
            pairs.reference[mask],
            pairs.sheet[mask],
            categories,
            weights,
            confidence,
        )

    rows, domains, drift = [], [], []
    for r in dict.fromkeys(pairs.rater.tolist()):
        mine = pairs.rater == r
        row = summary(mine)
        row["status"], row["reason"] = _verdict(row, rule, count=True)
        rows.append({"rater": r, **row})
        for d in dict.fromkeys(domain_of[pairs.item[mine]].tolist()):
            m = mine & (domain_of[pairs.item] == d)
            b, lo, hi = bias_interval(
                pairs.value[m] - pairs.reference[m], pairs.sheet[m], confidence
            )
            domains.append(
                {
                    "rater": r,
                    "domain": d,
                    "n_pairs": int(m.sum()),
                    "bias": b,
                    "bias_low": lo,
                    "bias_high": hi,
                }
            )
        if period is not None:
            for p in sorted(set(pairs.period[mine].tolist())):
                prow = summary(mine & (pairs.period == p))
                status, reason = _verdict(prow, rule, count=False)
                drift.append(
                    {
                        "rater": r,
                        "period": p or "(unknown)",
                        **prow,
                        "flagged": status != "pass",
                        "reason": reason,
                    }
                )
    return Calibration(
        inst.spec,
        "gold" if gold is not None else "consensus",
        rule,
        _frame(rows),
        pd.DataFrame(domains),
        _frame(drift),
    )


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(rows)
    private = [c for c in frame.columns if str(c).startswith("_")]
    return frame.drop(columns=private)
