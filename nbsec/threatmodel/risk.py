"""Likelihood x impact, inherent and residual, and the severity a score maps to.

Scales are 1-5 each (TM-BOM style), so a score is 1-25. Declared controls
lower likelihood, not impact: a control makes an attack harder, the damage
if it succeeds stays the same. Each of a threat's listed controls that is in
place takes an equal share of the way from the inherent likelihood down to 1
(rare); with all of them in place the residual likelihood is 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbsec.model import Severity

LIKELIHOOD_WORDS = ("rare", "unlikely", "possible", "likely", "almost certain")
IMPACT_WORDS = ("negligible", "minor", "moderate", "major", "severe")

# score -> severity bands (inclusive lower bounds), highest first
BANDS = ((20, Severity.CRITICAL), (12, Severity.HIGH), (6, Severity.MEDIUM), (3, Severity.LOW), (1, Severity.INFO))


@dataclass(frozen=True)
class Risk:
    likelihood: int
    impact: int

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def severity(self) -> Severity:
        return severity_for(self.score)

    def describe(self) -> str:
        return f"{self.likelihood}x{self.impact}={self.score} ({self.severity.value})"


def severity_for(score: int) -> Severity:
    for lower, severity in BANDS:
        if score >= lower:
            return severity
    return Severity.INFO


def clamp(value: int) -> int:
    return max(1, min(5, value))


def residual(inherent: Risk, controls_listed: int, controls_present: int) -> Risk:
    """The risk left after `controls_present` of the threat's `controls_listed` controls are in place."""
    if controls_listed <= 0 or controls_present <= 0:
        return inherent
    share = min(controls_present, controls_listed) / controls_listed
    lowered = inherent.likelihood - round((inherent.likelihood - 1) * share)
    return Risk(clamp(lowered), inherent.impact)
