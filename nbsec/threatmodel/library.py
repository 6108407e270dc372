"""The AI threat library: every ThreatRule, and its NBSEC-TM-NNN entries in the rule catalogue.

Light on purpose (stdlib + nbsec.model + the declarative rule modules): the
scanner registry, `nbsec rules` and the loader import it without YAML or plotly.
"""

from __future__ import annotations

from nbsec.model import Confidence, Rule, Severity, reference
from nbsec.threatmodel import library_llm, library_ml, library_ops
from nbsec.threatmodel.threatrule import CATEGORY, SCANNER, ThreatRule, sample

THREAT_RULES: tuple[ThreatRule, ...] = (*library_ml.RULES, *library_ops.RULES, *library_llm.RULES)
RULES_BY_ID: dict[str, ThreatRule] = {rule.id: rule for rule in THREAT_RULES}
if len(RULES_BY_ID) != len(THREAT_RULES):  # pragma: no cover - a library edit reused an id
    raise RuntimeError("duplicate NBSEC-TM rule id in the threat library")

# A threat a reviewer added by hand or imported (Threat Dragon, TM-BOM): open ones are findings too.
CUSTOM_THREAT = Rule(
    id="NBSEC-TM-099",
    title="Open threat recorded in the threat model",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "A threat written into the model by a reviewer (or imported from Threat Dragon or TM-BOM) is still "
        "open. Its severity comes from the likelihood and impact recorded with it (its own severity "
        "label when imported), medium when neither is given."
    ),
    remediation=(
        "Implement the recorded mitigation, then set the threat's status to mitigated (or accepted or "
        "transferred, with an owner and a note saying why) in the threat-model file."
    ),
    references=(
        reference("NIST AI RMF", "MANAGE 1.3"),
        reference("ISO/IEC 42001", "A.6.1.3"),
        reference("EU AI Act", "Art. 9"),
    ),
    sample_trigger=sample(
        "elements: [{id: db, kind: data_store}]\n"
        "threats: [{id: t1, title: Credential theft, target: db, status: open, likelihood: 3, impact: 4}]"
    ),
    sample_clean=sample(
        "elements: [{id: db, kind: data_store}]\n"
        "threats: [{id: t1, title: Credential theft, target: db, status: mitigated, note: firewall}]"
    ),
)

# What the rule catalogue lists (nbsec.rule_catalogue): one Rule per threat, and the custom-threat rule.
RULES: tuple[Rule, ...] = (*(rule.catalogue_rule() for rule in THREAT_RULES), CUSTOM_THREAT)
# Catalogue Rule by id: what a threat's Finding is built from (`Rule.finding`).
CATALOGUE_RULE: dict[str, Rule] = {rule.id: rule for rule in RULES}
