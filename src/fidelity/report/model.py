"""The reliability report model: the criteria behind its flags, one frozen row type per table
(each holding the :class:`~fidelity.stats.estimate.Estimate` objects it reports), the rating
design, and :class:`ReliabilityReport` with its JSON, pandas, terminal and notebook views.

Rows still answer ``row["icc"]["value"]`` as the dictionaries they replace did: indexing a row
reads its JSON view (:meth:`to_dict`), where an undefined value is ``None``.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from fidelity.columnar import to_arrow, to_polars
from fidelity.report.html_view import report_html
from fidelity.report.tables import TextTable, frames, summary, text_tables
from fidelity.report.terminal import render as render_terminal
from fidelity.report.terminal import renderables
from fidelity.stats.estimate import Estimate, json_ready

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa
    from rich.console import Console, ConsoleOptions, RenderResult

__all__ = [
    "CRITERIA",
    "ConsistencyRow",
    "Design",
    "ItemRow",
    "ItemTotal",
    "ReliabilityReport",
    "ScoreRow",
    "SpreadRow",
    "estimate_summary",
]

ICC_GOOD = 0.75
KRIPPENDORFF_TENTATIVE = 0.667
AC2_SUBSTANTIAL = 0.6
CRONBACH_ACCEPTABLE = 0.7
ITEM_TOTAL_LOW = 0.30
FLOOR_CEILING = 0.15

CRITERIA: dict[str, str] = {
    "icc": f"ICC below {ICC_GOOD}: less than good reliability (Koo & Li 2016, "
    "doi:10.1016/j.jcm.2016.02.012: < .50 poor, .50–.75 moderate, .75–.90 good, > .90 excellent)",
    "krippendorff": f"Krippendorff's alpha below {KRIPPENDORFF_TENTATIVE}: below the level for "
    "tentative conclusions (Krippendorff 2004, Content Analysis, 2nd ed., §11.4; "
    ".800 for firm ones)",
    "ac2": f"AC2 below {AC2_SUBSTANTIAL}: below substantial agreement on the Landis & Koch "
    "benchmarks that Gwet (2014) applies to AC1/AC2 (Landis & Koch 1977, doi:10.2307/2529310)",
    "cronbach": f"Cronbach's alpha below {CRONBACH_ACCEPTABLE}: below the usual minimum for "
    "group comparisons (Nunnally & Bernstein 1994, Psychometric Theory, 3rd ed.)",
    "item_total": "corrected item–total correlation below 0.30 (Nunnally & Bernstein 1994)",
    "floor_ceiling": "more than 15% of answers at the lowest or highest level (Terwee et al. "
    "2007, doi:10.1016/j.jclinepi.2006.03.012)",
    "unused_levels": "levels of the scale that no rater used",
}


def below(e: Estimate, threshold: float) -> bool:
    """True when ``e`` is defined and below ``threshold`` (an undefined value flags nothing)."""
    return not math.isnan(e.value) and e.value < threshold


def estimate_summary(e: Estimate) -> dict[str, Any]:
    """What the report's JSON keeps of an Estimate: value, interval, n, method and reason."""
    return {
        "value": None if math.isnan(e.value) else e.value,
        "ci": list(e.ci) if e.ci is not None else None,
        "n_subjects": e.n_subjects,
        "method": e.method,
        "reason": e.reason,
    }


class _Record(ABC):
    """A frozen row whose JSON view is :meth:`to_dict`; ``row[key]`` reads that view."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data."""

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]


@dataclass(frozen=True)
class Design(_Record):
    """How the double-rated assessments were rated, and the ICC form that follows."""

    kind: Literal["crossed", "nested"]
    raters: tuple[str, ...]
    icc_form: str
    reason: str
    n_double_rated: int
    consistency_sheets: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, keys in report order."""
        return {
            "kind": self.kind,
            "raters": list(self.raters),
            "icc_form": self.icc_form,
            "reason": self.reason,
            "n_double_rated": self.n_double_rated,
            "consistency_sheets": self.consistency_sheets,
        }


@dataclass(frozen=True)
class ScoreRow(_Record):
    """Inter-rater reliability of one domain score (or the overall score)."""

    target: str
    icc: Estimate
    n_incomplete: int
    alpha_interval: Estimate
    flags: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN as None)."""
        return json_ready(  # type: ignore[no-any-return]
            {
                "target": self.target,
                "icc": estimate_summary(self.icc),
                "n_incomplete": self.n_incomplete,
                "alpha_interval": estimate_summary(self.alpha_interval),
                "flags": list(self.flags),
            }
        )


@dataclass(frozen=True)
class ItemRow(_Record):
    """Agreement between raters on one item, over the double-rated assessments."""

    item: str
    domain: str
    n_pairable: int
    exact: Estimate
    within_one: Estimate
    ac2: Estimate
    alpha_ordinal: Estimate
    na_disagreements: int
    flags: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN as None)."""
        return json_ready(  # type: ignore[no-any-return]
            {
                "item": self.item,
                "domain": self.domain,
                "n_pairable": self.n_pairable,
                "exact": estimate_summary(self.exact),
                "within_one": estimate_summary(self.within_one),
                "ac2": estimate_summary(self.ac2),
                "alpha_ordinal": estimate_summary(self.alpha_ordinal),
                "na_disagreements": self.na_disagreements,
                "flags": list(self.flags),
            }
        )


@dataclass(frozen=True)
class ItemTotal(_Record):
    """One item of a domain: corrected item–total correlation and alpha if deleted (NaN when
    undefined)."""

    item: str
    r_item_total: float
    alpha_if_deleted: float
    low_item_total: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN as None)."""
        return json_ready(  # type: ignore[no-any-return]
            {
                "item": self.item,
                "r_item_total": self.r_item_total,
                "alpha_if_deleted": self.alpha_if_deleted,
                "low_item_total": self.low_item_total,
            }
        )


@dataclass(frozen=True)
class ConsistencyRow(_Record):
    """Internal consistency of one domain, with its items' item–total statistics: Cronbach's
    alpha, McDonald's omega (total, one-factor minres, bootstrap CI) and ordinal alpha (alpha
    of the polychoric correlations); an undefined one carries its reason (e.g. a Heywood case
    or a fit that did not converge)."""

    domain: str
    alpha: Estimate
    standardized_alpha: float
    missing: str
    items: tuple[ItemTotal, ...]
    flags: tuple[str, ...]
    omega: Estimate
    ordinal_alpha: Estimate

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN as None)."""
        return json_ready(  # type: ignore[no-any-return]
            {
                "domain": self.domain,
                "alpha": estimate_summary(self.alpha),
                "standardized_alpha": self.standardized_alpha,
                "omega": estimate_summary(self.omega),
                "ordinal_alpha": estimate_summary(self.ordinal_alpha),
                "missing": self.missing,
                "items": [it.to_dict() for it in self.items],
                "flags": list(self.flags),
            }
        )


@dataclass(frozen=True)
class SpreadRow(_Record):
    """One item's answers over its full scale (``shares`` keyed by level, as text)."""

    item: str
    domain: str
    n_answered: int
    n_na: int
    shares: Mapping[str, float]
    floor: float
    ceiling: float
    unused_levels: tuple[int, ...]
    flags: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN as None)."""
        return json_ready(  # type: ignore[no-any-return]
            {
                "item": self.item,
                "domain": self.domain,
                "n_answered": self.n_answered,
                "n_na": self.n_na,
                "shares": dict(self.shares),
                "floor": self.floor,
                "ceiling": self.ceiling,
                "unused_levels": list(self.unused_levels),
                "flags": list(self.flags),
            }
        )


@dataclass(frozen=True)
class ReliabilityReport:
    """Reliability, consistency and spread of one audit; ``to_dict``/``to_json`` for machines,
    ``tables`` for pandas, ``render`` (or ``rich.print(report)``) for a terminal, and a short
    HTML view in notebooks."""

    provenance: dict[str, Any]
    design: Design
    items: tuple[ItemRow, ...]
    scores: tuple[ScoreRow, ...]
    consistency: tuple[ConsistencyRow, ...]
    spread: tuple[SpreadRow, ...]
    criteria: dict[str, str] = field(default_factory=lambda: dict(CRITERIA))

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready (NaN as null)."""
        data = {
            "provenance": self.provenance,
            "design": self.design.to_dict(),
            "scores": [r.to_dict() for r in self.scores],
            "items": [r.to_dict() for r in self.items],
            "consistency": [r.to_dict() for r in self.consistency],
            "spread": [r.to_dict() for r in self.spread],
            "criteria": self.criteria,
        }
        result: dict[str, Any] = json_ready(data)
        return result

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Flat tables: ``scores``, ``items``, ``consistency``, ``item_total`` and ``spread``."""
        return frames(self)

    def to_pandas(self, table: str = "scores") -> pd.DataFrame:
        """One of :meth:`tables` (``scores``, ``items``, ``consistency``, ``item_total``,
        ``spread``); ``df.attrs["provenance"]`` holds the report's provenance."""
        found = self.tables().get(table)
        if found is None:
            raise ValueError(f"unknown table {table!r}; use one of {', '.join(self.tables())}")
        found.attrs["provenance"] = self.provenance
        return found

    def to_arrow(self, table: str = "scores") -> pa.Table:
        """:meth:`to_pandas` as a typed Arrow table in its documented schema
        (``reliability_<table>`` in :data:`fidelity.columnar.TABLES`), the provenance in its
        metadata."""
        return to_arrow(self.to_pandas(table), f"reliability_{table}")

    def to_polars(self, table: str = "scores") -> pl.DataFrame:
        """:meth:`to_arrow` as a Polars DataFrame (needs Polars)."""
        return to_polars(self.to_arrow(table))

    def table_rows(
        self, code: Callable[[str], str] = str, *, reasons: bool = False
    ) -> list[TextTable]:
        """The report's four tables as plain text cells, shared by the terminal and Markdown
        views: scores, item agreement, internal consistency and item spread. ``code`` marks
        up ids (e.g. as Markdown code); ``reasons`` adds why an undefined value is undefined."""
        return text_tables(self, code, reasons=reasons)

    def render(self, console: Console) -> None:
        """Readable terminal tables."""
        render_terminal(self, console)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """The terminal tables, for ``rich.print(report)`` and ``console.print(report)``."""
        yield from renderables(self, console)

    def __repr__(self) -> str:
        return summary(self)

    def _repr_html_(self) -> str:
        """The summary, the score and domain tables, and the first item rows, as HTML."""
        return report_html(self)
