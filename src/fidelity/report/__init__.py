"""Reports: the reliability report model and its terminal, Markdown and JSON views."""

from fidelity.report.core import (
    CRITERIA,
    ReliabilityReport,
    audit_report_markdown,
    reliability_report,
)

__all__ = ["CRITERIA", "ReliabilityReport", "audit_report_markdown", "reliability_report"]
