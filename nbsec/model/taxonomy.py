"""Rules and the framework identifiers findings point at.

A Rule is data: rule modules list theirs in a `RULES` tuple and `nbsec.rule_catalogue`
collects them (the model keeps no registry). `Rule.finding` is how every Finding is made.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nbsec.model.finding import Confidence, Finding, Location, Reference, Severity

RULE_ID_PATTERN = re.compile(r"^NBSEC-[A-Z]+-\d{3}$")

# Rule-id namespaces and what they cover (design.md).
CATEGORIES = {
    "ART": "model artifacts",
    "NB": "notebooks and code",
    "DEP": "supply chain",
    "ADV": "adversarial robustness",
    "PRIV": "privacy",
    "LLM": "LLM applications",
    "TM": "threat model",
    "LIN": "lineage",
    "SCAN": "the scan itself",
}


def _atlas_section(ident: str) -> str:
    """Tactics (AML.TA0000), mitigations (AML.M0000) and techniques live under different paths on atlas.mitre.org."""
    return "tactics" if ident.startswith("AML.TA") else "mitigations" if ident.startswith("AML.M") else "techniques"


_URLS: dict[str, Callable[[str], str]] = {
    "CWE": lambda i: f"https://cwe.mitre.org/data/definitions/{i.removeprefix('CWE-')}.html",
    "MITRE ATLAS": lambda i: f"https://atlas.mitre.org/{_atlas_section(i)}/{i}",
    "OWASP ML Top 10": lambda i: "https://owasp.org/www-project-machine-learning-security-top-10/",
    "OWASP LLM Top 10": lambda i: "https://genai.owasp.org/llm-top-10/",
    "NIST AI RMF": lambda i: "https://airc.nist.gov/airmf-resources/airmf/",
}


def reference(framework: str, ident: str) -> Reference:
    """A Reference with the public URL for frameworks that have one."""
    make = _URLS.get(framework)
    return Reference(framework=framework, id=ident, url=make(ident) if make else None)


@dataclass(frozen=True)
class Rule:
    """One check with a stable id. Severity and confidence are separate defaults.

    `sample_trigger` must make the rule fire and `sample_clean` must not; what a
    sample is (code cell source, bytes recipe, ...) depends on the scanner, and
    the contract tests run both through the scanner that owns the rule.
    """

    id: str
    title: str
    severity: Severity
    category: str
    description: str
    remediation: str
    references: tuple[Reference, ...]
    confidence: Confidence = Confidence.HIGH
    sample_trigger: str = ""
    sample_clean: str = ""
    scanner: str = ""
    tags: tuple[str, ...] = field(default=())

    @property
    def namespace(self) -> str:
        return self.id.split("-")[1]

    def finding(
        self,
        location: Location,
        evidence: str = "",
        *,
        title: str | None = None,
        severity: Severity | str | None = None,
        confidence: Confidence | str | None = None,
        tags: tuple[str, ...] = (),
        remediation: str | None = None,
        references: Sequence[Reference] | None = None,
    ) -> Finding:
        """A Finding of this rule: the one way nbsec builds a Finding.

        The id always comes from the rule. Title, severity, confidence, remediation and
        references default to the rule's; a producer overrides one only when it knows
        something more specific (an advisory's own references, a threat's residual risk,
        the fixed version to upgrade to).
        """
        return Finding(
            rule_id=self.id,
            title=title or self.title,
            severity=Severity.parse(severity) if severity else self.severity,
            confidence=Confidence.parse(confidence) if confidence else self.confidence,
            location=location,
            evidence=evidence,
            remediation=self.remediation if remediation is None else remediation,
            references=self.references if references is None else tuple(references),
            tags=tags,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity.value,
            "confidence": self.confidence.value,
            "category": self.category,
            "scanner": self.scanner,
            "description": self.description,
            "remediation": self.remediation,
            "references": [r.to_dict() for r in self.references],
        }
