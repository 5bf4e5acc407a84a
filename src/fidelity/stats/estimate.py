"""The result type shared by every coefficient, and ratings coerced to subjects × raters."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Estimate:
    """A coefficient with its uncertainty and the facts needed to report it.

    ``value`` is ``nan`` when the coefficient is undefined for the data; ``reason`` then says why.
    ``details`` holds coefficient-specific extras (F statistic, degrees of freedom, p value,
    observed and chance agreement, ...), always JSON-serialisable.
    """

    value: float
    method: str
    n_subjects: int
    n_raters: int
    ci: tuple[float, float] | None = None
    se: float | None = None
    confidence: float | None = None
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def __float__(self) -> float:
        return self.value

    @property
    def defined(self) -> bool:
        """True when the coefficient could be computed."""
        return not math.isnan(self.value)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (NaN becomes ``None``)."""
        out = asdict(self)
        out["details"] = dict(self.details)
        return _json_ready(out)  # type: ignore[no-any-return]


def undefined(
    method: str, reason: str, n_subjects: int = 0, n_raters: int = 0, **details: Any
) -> Estimate:
    """An Estimate whose value is NaN, with the reason it could not be computed."""
    return Estimate(
        value=math.nan,
        method=method,
        n_subjects=n_subjects,
        n_raters=n_raters,
        reason=reason,
        details=details,
    )


def _json_ready(obj: Any) -> Any:
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, np.floating):
        return _json_ready(float(obj))
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, Mapping):
        return {str(k): _json_ready(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [_json_ready(v) for v in obj]
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
            return np.asarray(wide.to_numpy(dtype=float), dtype=np.float64)
        return np.asarray(data.to_numpy(dtype=float), dtype=np.float64)
    arr = np.asarray(data, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"ratings must be a 2-D subjects × raters array, got shape {arr.shape}")
    return arr
