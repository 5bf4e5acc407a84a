"""fidelity: fidelity index assessment with instruments as data.

The public API is re-exported here and imported lazily, so ``import fidelity`` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from fidelity._util.version import __version__

_EXPORTS = {
    "load_instrument": "fidelity.catalog",
    "list_instruments": "fidelity.catalog",
    "CatalogError": "fidelity.catalog",
    "FidelityError": "fidelity.errors",
    "Instrument": "fidelity.instrument",
    "InstrumentError": "fidelity.instrument",
    "InstrumentProblem": "fidelity.instrument",
    "validate": "fidelity.ratings",
    "read_sheets": "fidelity.ratings",
    "RatingSheet": "fidelity.ratings",
    "SheetBatch": "fidelity.ratings",
    "Problem": "fidelity.ratings",
    "SheetsInvalidError": "fidelity.ratings",
    "score": "fidelity.scoring",
    "ScoreResult": "fidelity.scoring",
    "simulate_audit": "fidelity.simulate",
    "reliability": "fidelity.reliability",
    "psychometrics": "fidelity.psychometrics",
    "reliability_report": "fidelity.report",
    "ReliabilityReport": "fidelity.report",
}

__all__ = [
    "CatalogError",
    "FidelityError",
    "Instrument",
    "InstrumentError",
    "InstrumentProblem",
    "Problem",
    "RatingSheet",
    "ReliabilityReport",
    "ScoreResult",
    "SheetBatch",
    "SheetsInvalidError",
    "__version__",
    "list_instruments",
    "load_instrument",
    "psychometrics",
    "read_sheets",
    "reliability",
    "reliability_report",
    "score",
    "simulate_audit",
    "validate",
]

if TYPE_CHECKING:
    import fidelity.psychometrics as psychometrics
    import fidelity.reliability as reliability
    from fidelity.errors import FidelityError
    from fidelity.instrument import Instrument, InstrumentError, InstrumentProblem
    from fidelity.instrument.catalog import CatalogError, list_instruments, load_instrument
    from fidelity.ratings import (
        Problem,
        RatingSheet,
        SheetBatch,
        SheetsInvalidError,
        read_sheets,
        validate,
    )
    from fidelity.report import ReliabilityReport, reliability_report
    from fidelity.scoring import ScoreResult, score
    from fidelity.simulate import simulate_audit


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fidelity' has no attribute {name!r}")
    mod = import_module(module)
    value = mod if module == f"fidelity.{name}" else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
