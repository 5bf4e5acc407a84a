"""Reports: the reliability report model and its terminal, Markdown and JSON views.

Modules: :mod:`~fidelity.report.model` (the report, its row types and the flag criteria),
:mod:`~fidelity.report.build` (:func:`reliability_report`, one builder per table),
:mod:`~fidelity.report.tables`, :mod:`~fidelity.report.terminal`,
:mod:`~fidelity.report.html_view` and :mod:`~fidelity.report.markdown` (the views), and
:mod:`~fidelity.report.instrument_view` (an instrument as terminal text or Markdown).
"""

from fidelity.report.build import reliability_report
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

__all__ = [
    "CRITERIA",
    "ConsistencyRow",
    "Design",
    "ItemRow",
    "ItemTotal",
    "ReliabilityReport",
    "ScoreRow",
    "SpreadRow",
    "audit_report_markdown",
    "reliability_report",
]
