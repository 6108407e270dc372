"""JSON: exactly `Report.to_json()`, the one serialization (validated by model/schema/report.v1.json).

Named json_report.py, not json.py, so `import json` in this package (and in
`nbsec/reporters/__init__.py`) always means the standard library.
"""

from __future__ import annotations

from nbsec.model import Report


def render(report: Report) -> str:
    """The report as indented JSON; `Report.from_json` reads it back."""
    return report.to_json(indent=2)
