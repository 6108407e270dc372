"""One threat in the AI threat library: where it applies, how likely and bad, what maps to it, what stops it.

Stdlib + nbsec.model only: the library modules are plain data built from this.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbsec.model import Confidence, Reference, Rule, reference
from nbsec.threatmodel.conditions import FlowWhen, When
from nbsec.threatmodel.risk import Risk
from nbsec.threatmodel.vocabulary import CONTROLS

SCANNER = "threat-model"
CATEGORY = "threat model"

STRIDE_NAMES = {
    "S": "Spoofing",
    "T": "Tampering",
    "R": "Repudiation",
    "I": "Information disclosure",
    "D": "Denial of service",
    "E": "Elevation of privilege",
}


@dataclass(frozen=True)
class ThreatRule:
    """A declarative threat: `when` selects elements (or flows, for FlowWhen) it applies to."""

    id: str
    title: str
    stride: str  # letters from STRIDE, e.g. "TI"
    when: When | FlowWhen
    likelihood: int
    impact: int
    description: str
    remediation: str
    controls: tuple[str, ...]
    atlas: tuple[str, ...] = ()
    atlas_mitigations: tuple[str, ...] = ()
    owasp: tuple[str, ...] = ()
    nist: tuple[str, ...] = ()
    iso: tuple[str, ...] = ()
    eu: tuple[str, ...] = ()
    cwe: tuple[str, ...] = ()
    trigger: str = ""  # a threat model (YAML) the rule must fire on
    clean: str = ""  # a close variant it must not fire on
    confidence: Confidence = Confidence.MEDIUM

    @property
    def on_flows(self) -> bool:
        return isinstance(self.when, FlowWhen)

    @property
    def inherent(self) -> Risk:
        return Risk(self.likelihood, self.impact)

    @property
    def stride_names(self) -> tuple[str, ...]:
        return tuple(STRIDE_NAMES[letter] for letter in self.stride)

    def references(self) -> tuple[Reference, ...]:
        refs = [reference("MITRE ATLAS", i) for i in (*self.atlas, *self.atlas_mitigations)]
        for ident in self.owasp:
            framework = "OWASP LLM Top 10" if ident.startswith("LLM") else "OWASP ML Top 10"
            refs.append(reference(framework, ident))
        refs += [reference("NIST AI RMF", i) for i in self.nist]
        refs += [reference("ISO/IEC 42001", i) for i in self.iso]
        refs += [reference("EU AI Act", i) for i in self.eu]
        refs += [reference("CWE", i) for i in self.cwe]
        return tuple(refs)

    def mitigation_lines(self) -> list[str]:
        """One line per control: what to do, and which nbsec check produces evidence for it."""
        lines = []
        for name in self.controls:
            control = CONTROLS[name]
            test = f"tested by {control.check}" if control.check else "no nbsec check: record the evidence in the note"
            lines.append(f"`{name}`: {control.description} ({test})")
        return lines

    def full_remediation(self) -> str:
        return f"{self.remediation} Declare the controls in place: " + "; ".join(self.mitigation_lines()) + "."

    def catalogue_rule(self) -> Rule:
        return Rule(
            id=self.id,
            title=self.title,
            severity=self.inherent.severity,
            confidence=self.confidence,
            category=CATEGORY,
            scanner=SCANNER,
            description=f"{self.description} STRIDE: {', '.join(self.stride_names)}.",
            remediation=self.full_remediation(),
            references=self.references(),
            sample_trigger=self.trigger,
            sample_clean=self.clean,
            tags=tuple(f"stride:{name}" for name in self.stride_names),
        )


def sample(body: str) -> str:
    """A complete threat-model file around a flow-style body (what the rule samples are)."""
    return f"nbsec_threat_model: 1\n{body.strip()}\n"
