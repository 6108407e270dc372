"""Every probe rule against its samples (bandit's habit): the vulnerable demo app triggers it, the hardened one not.

The endpoint rules (NBSEC-LLM-013..017) are tried on the demo server in both modes in test_llm_audit.py, the
monitor rules (-011, -012) on guard logs in test_llm_monitor.py; this file holds the rule-by-rule view of the
probe families, over every rule the catalogue lists for them.
"""

from __future__ import annotations

import pytest

from nbsec import api
from nbsec.llm.rules import FAMILY_RULES, RULES
from nbsec.model import Report, Rule

PROBE_RULES = [rule for rule in RULES if rule in FAMILY_RULES.values()]


@pytest.fixture(scope="module")
def runs() -> dict[str, Report]:
    return {name: api.probe_llm(name, attempts=5) for name in ("demo", "demo-hardened")}


def test_every_probe_family_has_its_rule_and_samples() -> None:
    assert len(PROBE_RULES) == len(FAMILY_RULES) == 10
    for rule in PROBE_RULES:
        assert "vulnerable mode" in rule.sample_trigger and "--hardened" in rule.sample_clean


@pytest.mark.parametrize("rule", PROBE_RULES, ids=lambda r: r.id)
def test_the_vulnerable_demo_triggers_the_rule_and_the_hardened_one_does_not(
    rule: Rule, runs: dict[str, Report]
) -> None:
    assert rule.id in {f.rule_id for f in runs["demo"].findings}
    assert rule.id not in {f.rule_id for f in runs["demo-hardened"].findings}
    assert runs["demo"].errors == [] and runs["demo-hardened"].errors == []
