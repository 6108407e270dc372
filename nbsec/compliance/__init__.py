"""Compliance mapping: what a Report says about NIST AI RMF, ISO/IEC 42001, the EU AI Act, ATLAS and OWASP.

    >>> from nbsec.compliance import catalogue, map_report
    >>> catalogue("ISO/IEC 42001").get("A.7.5").title
    'Data provenance'
    >>> result = map_report(report, "nist-ai-rmf")          # doctest: +SKIP
    >>> result.summary_line()                                # doctest: +SKIP

Stdlib only at import (catalogues are JSON files read on first use); the rule
catalogue is loaded by `map_report` when it needs it.
"""

from __future__ import annotations

from nbsec.compliance.frameworks import (
    COMPLIANCE_FRAMEWORKS,
    FRAMEWORKS,
    Catalogue,
    Item,
    UnknownFrameworkError,
    catalogue,
    check_reference,
    framework_key,
)
from nbsec.compliance.mapping import STATUSES, ComplianceResult, Row, compliance_catalogue, crosswalk, map_report

__all__ = [
    "COMPLIANCE_FRAMEWORKS",
    "FRAMEWORKS",
    "STATUSES",
    "Catalogue",
    "ComplianceResult",
    "Item",
    "Row",
    "UnknownFrameworkError",
    "catalogue",
    "check_reference",
    "compliance_catalogue",
    "crosswalk",
    "framework_key",
    "map_report",
]
