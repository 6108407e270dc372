"""The colours of the threat-model views and what each one means, in one place.

The threat list, the plotly figures and the static SVG twin all colour by the same
keys (zone trust, worst open severity, risk band), and each legend is written from
the same tables, so a colour never means one thing in one view and another elsewhere.
"""

from __future__ import annotations

from nbsec.threatmodel.risk import BANDS

# Zone bands of the data-flow diagram, by trust level: (fill, legend text).
ZONE_FILLS = {
    "untrusted": ("#fbe3e3", "untrusted zone"),
    "internal": ("#e6eff8", "internal zone"),
    "restricted": ("#e3f3e3", "restricted zone"),
}

# Element outline and the threat list's severity words: the worst open residual severity ("" = none open).
SEVERITY_COLOURS = {
    "critical": "#7f0000",
    "high": "#d62728",
    "medium": "#e67e00",
    "low": "#8c8c00",
    "info": "#7f7f7f",
    "": "#2ca02c",
}
SEVERITY_WORDS = {
    "critical": "critical",
    "high": "high",
    "medium": "medium",
    "low": "low",
    "info": "info",
    "": "no open threat",
}
RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}

# Risk-matrix cells: one fill per severity band of likelihood x impact.
BAND_FILLS = {
    "info": "#e5f5e0",
    "low": "#fff7bc",
    "medium": "#fdd49e",
    "high": "#fc8d59",
    "critical": "#d62728",
}
CROSSING_COLOUR = "#d62728"  # a flow that crosses a trust boundary without encryption (NBSEC-TM-019)
FLOW_COLOUR = "#555555"


def band_ranges() -> list[tuple[str, int, int]]:
    """(severity, lowest score, highest score) of each band, lowest first: 1-2 info ... 20-25 critical."""
    out: list[tuple[str, int, int]] = []
    upper = 25
    for lower, severity in BANDS:
        out.append((severity.value, lower, upper))
        upper = lower - 1
    return out[::-1]


def band_of(score: int) -> str:
    return next(name for name, low, high in band_ranges() if low <= score <= high)
