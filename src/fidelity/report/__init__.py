"""Reports: the reliability report model and its terminal, Markdown and JSON views.

Modules: :mod:`~fidelity.report.model` (the report, its row types and the flag criteria),
:mod:`~fidelity.report.build` (:func:`reliability_report`, one builder per table),
:mod:`~fidelity.report.tables`, :mod:`~fidelity.report.terminal`,
:mod:`~fidelity.report.html_view` and :mod:`~fidelity.report.markdown` (the views), and
:mod:`~fidelity.report.instrument_view` (an instrument as terminal text or Markdown),
:mod:`~fidelity.report.rounds` (scores per audit round and the change between rounds),
:mod:`~fidelity.report.gstudy` (the site-score G-study's table and lines), and the audit
report: :mod:`~fidelity.report.sections` (what it says: current round, caveats, provenance),
:mod:`~fidelity.report.html_report`, :mod:`~fidelity.report.charts` and
:mod:`~fidelity.report.site_pages`.

The names below are imported on first use, so that ``fidelity show`` (which needs only
:mod:`~fidelity.report.instrument_view`) does not load the statistics.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "CRITERIA": "fidelity.report.model",
    "ConsistencyRow": "fidelity.report.model",
    "Design": "fidelity.report.model",
    "ItemRow": "fidelity.report.model",
    "ItemTotal": "fidelity.report.model",
    "ReliabilityReport": "fidelity.report.model",
    "ScoreRow": "fidelity.report.model",
    "SpreadRow": "fidelity.report.model",
    "audit_g_study": "fidelity.report.build",
    "audit_report_markdown": "fidelity.report.markdown",
    "reliability_report": "fidelity.report.build",
    "RoundsError": "fidelity.report.rounds",
    "latest_round": "fidelity.report.rounds",
    "measurement_error": "fidelity.report.rounds",
    "round_changes": "fidelity.report.rounds",
    "round_order": "fidelity.report.rounds",
    "site_round_scores": "fidelity.report.rounds",
}

__all__ = [
    "CRITERIA",
    "ConsistencyRow",
    "Design",
    "ItemRow",
    "ItemTotal",
    "ReliabilityReport",
    "RoundsError",
    "ScoreRow",
    "SpreadRow",
    "audit_g_study",
    "audit_report_markdown",
    "latest_round",
    "measurement_error",
    "reliability_report",
    "round_changes",
    "round_order",
    "site_round_scores",
]

if TYPE_CHECKING:
    from fidelity.report.build import audit_g_study, reliability_report
    from fidelity.report.markdown import audit_report_markdown
    from fidelity.report.model import (
        CRITERIA,
        ConsistencyRow,
        Design,
        ItemRow,
        ItemTotal,
        ReliabilityReport,
        ScoreRow,
        SpreadRow,
    )
    from fidelity.report.rounds import (
        RoundsError,
        latest_round,
        measurement_error,
        round_changes,
        round_order,
        site_round_scores,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fidelity.report' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
