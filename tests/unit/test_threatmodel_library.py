"""The AI threat library: every rule fires on its sample and not on its clean twin, with real framework ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nbsec import threatmodel as tm
from nbsec.rule_catalogue import get_rule
from nbsec.scanners import registry
from nbsec.threatmodel.library import CUSTOM_THREAT, RULES, THREAT_RULES
from nbsec.threatmodel.threatrule import ThreatRule
from nbsec.threatmodel.vocabulary import CONTROLS

DATA = Path(__file__).resolve().parents[1] / "data" / "threatmodel"
ATLAS_IDS = {line for line in (DATA / "atlas-5.6.0-ids.txt").read_text().splitlines() if not line.startswith("#")}

# From /work/shared/reference/frameworks.md (NIST AI 100-1 Core, ISO/IEC 42001:2023 Annex A, Reg. (EU) 2024/1689).
NIST_COUNTS = {
    "GOVERN": (7, 3, 2, 3, 2, 2),
    "MAP": (6, 3, 5, 2, 2),
    "MEASURE": (3, 13, 3, 3),
    "MANAGE": (4, 4, 2, 3),
}
NIST_IDS = {
    f"{function} {category}.{sub}"
    for function, counts in NIST_COUNTS.items()
    for category, count in enumerate(counts, start=1)
    for sub in range(1, count + 1)
}
ISO_IDS = {
    *(f"A.2.{i}" for i in (2, 3, 4)), *(f"A.3.{i}" for i in (2, 3)), *(f"A.4.{i}" for i in range(2, 7)),
    *(f"A.5.{i}" for i in range(2, 6)), "A.6.1.2", "A.6.1.3", *(f"A.6.2.{i}" for i in range(2, 9)),
    *(f"A.7.{i}" for i in range(2, 7)), *(f"A.8.{i}" for i in range(2, 6)), *(f"A.9.{i}" for i in (2, 3, 4)),
    *(f"A.10.{i}" for i in (2, 3, 4)),
}  # fmt: skip
EU_ARTICLES = {f"Art. {n}" for n in (4, 5, 6, 9, 10, 11, 12, 13, 14, 15, 17, 19, 26, 27, 43, 50, 51, 55, 72, 73, 99)}
OWASP_IDS = {f"LLM{i:02d}:2025" for i in range(1, 11)} | {f"ML{i:02d}:2023" for i in range(1, 11)}


def rule_ids_for(text: str) -> set[str]:
    return {t.rule_id for t in tm.evaluate(tm.loads(text)).threats}


def test_the_library_has_at_least_forty_threats_with_unique_ids() -> None:
    assert len(THREAT_RULES) >= 40
    ids = [r.id for r in THREAT_RULES]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"NBSEC-TM-\d{3}", i) for i in ids)


def test_reference_id_lists_match_the_frameworks_sizes() -> None:
    # A wrong list here would make the reference test below meaningless.
    assert (len(NIST_IDS), len(ISO_IDS), len(ATLAS_IDS)) == (72, 38, 205)


@pytest.mark.parametrize("rule", THREAT_RULES, ids=lambda r: r.id)
def test_rule_fires_on_its_sample_and_not_on_its_clean_twin(rule: ThreatRule) -> None:
    assert rule.id in rule_ids_for(rule.trigger)
    assert rule.id not in rule_ids_for(rule.clean)


def test_custom_threat_rule_samples() -> None:
    assert {t.rule_id for t in tm.evaluate(tm.loads(CUSTOM_THREAT.sample_trigger)).open()} == {CUSTOM_THREAT.id}
    assert tm.evaluate(tm.loads(CUSTOM_THREAT.sample_clean)).open() == []


@pytest.mark.parametrize("rule", THREAT_RULES, ids=lambda r: r.id)
def test_rule_maps_to_every_framework_with_real_ids(rule: ThreatRule) -> None:
    assert rule.stride and set(rule.stride) <= set("STRIDE")
    techniques = [i for i in rule.atlas if i.startswith("AML.T")]
    assert techniques and len(techniques) == len(rule.atlas)
    assert rule.atlas_mitigations and all(i.startswith("AML.M") for i in rule.atlas_mitigations)
    assert set(rule.atlas) | set(rule.atlas_mitigations) <= ATLAS_IDS
    assert set(rule.owasp) <= OWASP_IDS
    assert rule.nist and set(rule.nist) <= NIST_IDS
    assert rule.iso and set(rule.iso) <= ISO_IDS
    assert rule.eu and set(rule.eu) <= EU_ARTICLES
    assert all(re.fullmatch(r"CWE-\d+", c) for c in rule.cwe)
    assert 1 <= rule.likelihood <= 5 and 1 <= rule.impact <= 5


# Threats neither OWASP Top 10 (LLM 2025, ML 2023) names: notebook and platform, provenance, transport, logging and
# oversight threats.
# A new rule joins this list only on purpose; every other rule carries an OWASP id.
WITHOUT_OWASP = {
    "NBSEC-TM-010", "NBSEC-TM-011", "NBSEC-TM-012", "NBSEC-TM-019", "NBSEC-TM-020", "NBSEC-TM-022", "NBSEC-TM-024",
    "NBSEC-TM-025",
}  # fmt: skip


def test_every_rule_carries_an_owasp_id_but_the_listed_ones() -> None:
    assert {r.id for r in THREAT_RULES if not r.owasp} == WITHOUT_OWASP


@pytest.mark.parametrize("rule", THREAT_RULES, ids=lambda r: r.id)
def test_mitigations_name_known_controls_and_their_nbsec_checks(rule: ThreatRule) -> None:
    assert rule.controls and set(rule.controls) <= set(CONTROLS)
    remediation = rule.full_remediation()
    for name in rule.controls:
        assert f"`{name}`" in remediation
        if CONTROLS[name].check:
            assert CONTROLS[name].check in remediation


# Threats whose mitigations are design or process (sandboxing, human oversight, encryption at rest, ...) that no
# nbsec check can test. LLM threats are tested by probing the running app (`nbsec llm`: input_guard, output_guard,
# red_teaming, tool_allowlist, tenant_isolation), its endpoint (`nbsec llm audit`: rate_limiting) and the guard's
# log (`nbsec llm monitor`: monitoring). Every other rule has a control an nbsec check tests.
NOT_TESTED_BY_A_CHECK = {
    "NBSEC-TM-011", "NBSEC-TM-019", "NBSEC-TM-020", "NBSEC-TM-024", "NBSEC-TM-033", "NBSEC-TM-034", "NBSEC-TM-039",
    "NBSEC-TM-042",
}  # fmt: skip


def test_every_rule_has_a_control_an_nbsec_check_tests_but_the_listed_ones() -> None:
    untested = {r.id for r in THREAT_RULES if not any(CONTROLS[c].check for c in r.controls)}
    assert untested == NOT_TESTED_BY_A_CHECK


def test_catalogue_rules_are_registered_under_the_threat_model_scanner() -> None:
    assert "threat-model" in registry()
    for rule in RULES:
        registered = get_rule(rule.id)
        assert registered is not None and registered.scanner == "threat-model"
        assert registered.sample_trigger and registered.sample_clean and registered.references
