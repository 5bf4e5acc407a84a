"""The result type shared by every coefficient, and ratings coerced to subjects × raters."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import KW_ONLY, asdict, dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt

from fidelity.stats import _views

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console, ConsoleOptions, RenderResult

    #: A subjects × raters array-like (NaN = missing) or a long table (subject, rater, rating).
    Ratings: TypeAlias = npt.ArrayLike | pd.DataFrame

__all__ = [
    "Estimate",
    "FloatArray",
    "as_matrix",
    "check_confidence",
    "check_finite",
    "json_ready",
    "undefined",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Estimate:
    """A coefficient with its uncertainty and the facts needed to report it.

    Attributes:
        value: the coefficient; ``nan`` when it is undefined for the data, and ``reason``
            then says why (never a crash, never a silent 0).
        method: what was computed, e.g. ``"Fleiss' kappa (quadratic weights)"``.
        n_subjects: subjects (units, targets) that entered the coefficient.
        n_raters: raters (columns) that entered it; ``None`` for item statistics.
        ci: the confidence interval (low, high) at level ``confidence``, when there is one.
        se: the standard error, when there is one.
        confidence: the level of ``ci`` (``None`` without an interval).
        reason: why ``value`` is ``nan``.
        details: the coefficient's own extras (F statistic, degrees of freedom, observed and
            chance agreement, ...), always JSON-serialisable; each function's docstring lists
            its keys.
        n_items: items (columns) that entered an internal-consistency coefficient.
        ci_method: how ``ci`` was computed (e.g. "Student t, 29 df; upper limit truncated
            at 1"); ``ci_reason`` says why there is no interval when a defined value has none.
        se_method: how ``se`` was computed; ``se_reason`` says why there is none.
    """

    value: float
    method: str
    n_subjects: int
    n_raters: int | None
    ci: tuple[float, float] | None = None
    se: float | None = None
    confidence: float | None = None
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    _: KW_ONLY
    n_items: int | None = None
    ci_method: str | None = None
    ci_reason: str | None = None
    se_method: str | None = None
    se_reason: str | None = None

    def __float__(self) -> float:
        return self.value

    @property
    def defined(self) -> bool:
        """True when the coefficient could be computed."""
        return not math.isnan(self.value)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary: NaN and infinite numbers become ``None``, so
        ``json.dumps(est.to_dict(), allow_nan=False)`` always works."""
        out = asdict(self)
        out["details"] = dict(self.details)
        return json_ready(out)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return _views.estimate_repr(self)

    def _repr_html_(self) -> str:
        """A small HTML table for notebooks (every text escaped)."""
        return _views.estimate_html(self)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """The same summary as a rich table."""
        yield _views.estimate_rich(self)


def undefined(
    method: str,
    reason: str,
    n_subjects: int = 0,
    n_raters: int | None = 0,
    /,
    *,
    n_items: int | None = None,
    **details: Any,
) -> Estimate:
    """An Estimate whose value is NaN, with the reason it could not be computed."""
    return Estimate(
        value=math.nan,
        method=method,
        n_subjects=n_subjects,
        n_raters=n_raters,
        reason=reason,
        details=details,
        n_items=n_items,
    )


def check_confidence(confidence: float) -> float:
    """``confidence`` as a float strictly between 0 and 1, else :class:`ValueError`."""
    c = float(confidence)
    if not 0.0 < c < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return c


def json_ready(obj: Any) -> Any:
    """``obj`` with numpy scalars as Python numbers, tuples and arrays as lists, mapping keys
    as strings, and NaN or infinite floats as ``None``."""
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, np.floating):
        return json_ready(float(obj))
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, Mapping):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [json_ready(v) for v in obj]
    return obj


def as_matrix(
    data: npt.ArrayLike | pd.DataFrame,
    *,
    subject: str = "subject",
    rater: str = "rater",
    rating: str = "rating",
) -> FloatArray:
    """Return ratings as a float subjects × raters array with NaN for missing cells.

    Accepts a 2-D array-like (rows = subjects, columns = raters) or a long table with
    columns ``subject``, ``rater`` and ``rating``. Duplicate (subject, rater) pairs in a long
    table are an error, never averaged.
    """
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None  # type: ignore[assignment]
    if pd is not None and isinstance(data, pd.DataFrame):
        cols = set(data.columns)
        if {subject, rater, rating} <= cols:
            dup = data.duplicated(subset=[subject, rater], keep=False)
            if dup.any():
                first = data.loc[dup, [subject, rater]].iloc[0]
                raise ValueError(
                    f"{int(dup.sum())} rows repeat a ({subject}, {rater}) pair, e.g. "
                    f"({first[subject]!r}, {first[rater]!r}); "
                    "each rater rates each subject at most once"
                )
            wide = data.pivot(index=subject, columns=rater, values=rating)
            return check_finite(np.asarray(wide.to_numpy(dtype=float), dtype=np.float64))
        return check_finite(np.asarray(data.to_numpy(dtype=float), dtype=np.float64))
    arr = np.asarray(data, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"ratings must be a 2-D subjects × raters array, got shape {arr.shape}")
    return check_finite(arr)


FINITE_MESSAGE = "must be finite numbers or NaN (missing)"


def check_finite(x: FloatArray, what: str = "ratings") -> FloatArray:
    """``x`` unchanged if it holds no ``±inf``; else :class:`ValueError` naming the first one
    (1-based row and column). Every statistic refuses infinite values with this message."""
    inf = np.isinf(x)
    if not inf.any():
        return x
    where = np.argwhere(inf)
    first = tuple(int(i) for i in where[0])
    axes = ("row", "column") if len(first) == 2 else ("position",)
    cell = ", ".join(f"{axis} {i + 1}" for axis, i in zip(axes, first, strict=False))
    value = "inf" if x[first] > 0 else "-inf"
    more = f" ({len(where)} infinite values)" if len(where) > 1 else ""
    raise ValueError(f"{what} {FINITE_MESSAGE}; found {value} at {cell}{more}")
