"""Severity of an advisory: the CVSS base score when the advisory carries a vector.

OSV stores CVSS as a vector string, not a score, so the base score is computed
here (CVSS v3.0/3.1 and v2 specifications, base metrics only). CVSS v4 scores
need the specification's large lookup tables; for those, and for advisories
without a vector, the database's own label (GHSA's LOW/MODERATE/HIGH/CRITICAL)
is used, and failing that the rule's default.
"""

from __future__ import annotations

import math

from nbsec.model import Severity
from nbsec.supply_chain.osv import Advisory

_V3 = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
}
_V3_PR = {"U": {"N": 0.85, "L": 0.62, "H": 0.27}, "C": {"N": 0.85, "L": 0.68, "H": 0.5}}
_V2 = {
    "AV": {"L": 0.395, "A": 0.646, "N": 1.0},
    "AC": {"H": 0.35, "M": 0.61, "L": 0.71},
    "Au": {"M": 0.45, "S": 0.56, "N": 0.704},
    "C": {"N": 0.0, "P": 0.275, "C": 0.660},
}
_LABELS = {"CRITICAL": Severity.CRITICAL, "HIGH": Severity.HIGH, "MODERATE": Severity.MEDIUM, "MEDIUM": Severity.MEDIUM}
_LABELS["LOW"] = Severity.LOW


def _metrics(vector: str) -> dict[str, str]:
    parts = (p.split(":", 1) for p in vector.strip().split("/") if ":" in p)
    return {k: v for k, v in parts}


def _roundup(value: float) -> float:
    """CVSS 3.1 Roundup: the smallest one-decimal number >= value, free of float noise."""
    scaled = round(value * 100000)
    return scaled / 100000.0 if scaled % 10000 == 0 else (math.floor(scaled / 10000) + 1) / 10.0


def cvss3_score(vector: str) -> float | None:
    """Base score of a CVSS:3.x vector, or None when a base metric is missing or unknown."""
    m = _metrics(vector)
    try:
        scope = m["S"]
        iss = 1 - math.prod(1 - _V3["C"][m[k]] for k in ("C", "I", "A"))
        if scope == "U":
            impact = 6.42 * iss
        elif scope == "C":
            impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15
        else:
            return None
        exploitability = 8.22 * _V3["AV"][m["AV"]] * _V3["AC"][m["AC"]] * _V3_PR[scope][m["PR"]] * _V3["UI"][m["UI"]]
    except KeyError:
        return None
    if impact <= 0:
        return 0.0
    total = impact + exploitability if scope == "U" else 1.08 * (impact + exploitability)
    return _roundup(min(total, 10.0))


def cvss2_score(vector: str) -> float | None:
    m = _metrics(vector)
    try:
        impact = 10.41 * (1 - math.prod(1 - _V2["C"][m[k]] for k in ("C", "I", "A")))
        exploitability = 20 * _V2["AV"][m["AV"]] * _V2["AC"][m["AC"]] * _V2["Au"][m["Au"]]
    except KeyError:
        return None
    f_impact = 0.0 if impact == 0 else 1.176
    return round((0.6 * impact + 0.4 * exploitability - 1.5) * f_impact, 1)


def score_severity(score: float, version: int = 3) -> Severity:
    """NVD's bands: v3 has critical at 9.0; v2 tops out at high."""
    if score >= 9.0 and version >= 3:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0:
        return Severity.LOW
    return Severity.INFO


def advisory_severity(advisory: Advisory, default: Severity = Severity.HIGH) -> tuple[Severity, str]:
    """(severity, what it is based on) for one advisory."""
    by_type = dict(advisory.severity)
    vector = by_type.get("CVSS_V3")
    if vector:
        score = cvss3_score(vector)
        if score is not None:
            return score_severity(score), f"CVSS {score:.1f}"
    label = _LABELS.get(advisory.severity_label.upper())
    if label is not None:
        return label, f"{advisory.severity_label.lower()} per the advisory"
    vector = by_type.get("CVSS_V2")
    if vector:
        score = cvss2_score(vector)
        if score is not None:
            return score_severity(score, 2), f"CVSS v2 {score:.1f}"
    return default, "no CVSS score in the advisory"
