"""The one Finding/Report model. Stdlib only; imports nothing else from nbsec."""

from nbsec.model.finding import Confidence, Finding, Location, Reference, Severity
from nbsec.model.fixes import FixChange, FixOutcome, FixSection, TextEdit
from nbsec.model.report import (
    FIGURE_KINDS,
    REPORT_MIME_TYPE,
    SCHEMA_VERSION,
    Check,
    Figure,
    Metric,
    Report,
    ScanError,
    Suppressed,
    Target,
    utc_now_iso,
)
from nbsec.model.taxonomy import RULE_ID_PATTERN, Rule, reference

__all__ = [
    "REPORT_MIME_TYPE",
    "RULE_ID_PATTERN",
    "SCHEMA_VERSION",
    "Check",
    "Confidence",
    "FIGURE_KINDS",
    "Figure",
    "Finding",
    "FixChange",
    "FixOutcome",
    "FixSection",
    "Location",
    "Metric",
    "Reference",
    "Report",
    "Rule",
    "ScanError",
    "Severity",
    "Suppressed",
    "Target",
    "TextEdit",
    "reference",
    "utc_now_iso",
]


def schema_path() -> str:
    """Filesystem path of the shipped report.v1.json schema."""
    from pathlib import Path

    return str(Path(__file__).with_name("schema") / "report.v1.json")
