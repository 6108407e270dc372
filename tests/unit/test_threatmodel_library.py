"""The AI threat library: every rule fires on its sample and not on its clean twin, with real framework ids."""

from __future__ import annotations

import ast
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
PACKAGE = Path(__file__).resolve().parents[2] / "nbsec" / "threatmodel"
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


def test_most_rules_carry_an_owasp_id() -> None:
    with_owasp = [r for r in THREAT_RULES if r.owasp]
    assert len(with_owasp) >= 0.8 * len(THREAT_RULES)


@pytest.mark.parametrize("rule", THREAT_RULES, ids=lambda r: r.id)
def test_mitigations_name_known_controls_and_their_nbsec_checks(rule: ThreatRule) -> None:
    assert rule.controls and set(rule.controls) <= set(CONTROLS)
    remediation = rule.full_remediation()
    for name in rule.controls:
        assert f"`{name}`" in remediation
        if CONTROLS[name].check:
            assert CONTROLS[name].check in remediation


def test_most_rules_have_a_control_that_an_nbsec_check_tests() -> None:
    tested = [r for r in THREAT_RULES if any(CONTROLS[c].check for c in r.controls)]
    assert len(tested) >= 0.7 * len(THREAT_RULES)


def test_catalogue_rules_are_registered_under_the_threat_model_scanner() -> None:
    assert "threat-model" in registry()
    for rule in RULES:
        registered = get_rule(rule.id)
        assert registered is not None and registered.scanner == "threat-model"
        assert registered.sample_trigger and registered.sample_clean and registered.references


def test_no_code_in_the_package_evaluates_strings() -> None:
    """Conditions are data: nothing in nbsec/threatmodel may eval, exec, compile or load YAML unsafely."""
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"eval", "exec", "compile", "__import__"}, path
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in {"unsafe_load", "full_load", "UnsafeLoader"}, path
                if node.func.attr == "load":
                    assert getattr(node.func.value, "id", "") != "yaml", path
