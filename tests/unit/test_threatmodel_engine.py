"""Evaluating a model: pure and repeatable, residual risk from controls, review status in the Report."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema

from nbsec import threatmodel as tm
from nbsec.model import Severity
from nbsec.threatmodel.risk import Risk, residual, severity_for

MODEL = """\
nbsec_threat_model: 1
title: Image moderation
zones:
  - {id: internet, trust: untrusted}
  - {id: prod, trust: restricted}
elements:
  - {id: uploader, kind: user, zone: internet}
  - {id: classifier, kind: serving_endpoint, zone: prod}
  - {id: weights, kind: model_artifact, zone: prod, attributes: {format: pickle}}
flows:
  - {from: uploader, to: classifier, data: images}
  - {from: weights, to: classifier}
"""


def threats(text: str) -> dict[tuple[str, str], tm.Threat]:
    return {(t.rule_id, t.target): t for t in tm.evaluate(tm.loads(text)).threats}


def test_same_model_same_threats_every_time() -> None:
    model = tm.loads(MODEL)
    before = copy.deepcopy(model)
    first, second = tm.evaluate(model), tm.evaluate(model)
    assert first == second and first.threats
    assert model == before  # evaluation never edits the model
    assert tm.assess(model, "m.yaml").to_dict()["findings"] == tm.assess(model, "m.yaml").to_dict()["findings"]


def test_element_order_changes_order_but_not_the_threats() -> None:
    model = tm.loads(MODEL)
    reordered = tm.ThreatModel(zones=model.zones, elements=model.elements[::-1], flows=model.flows[::-1])
    assert {(t.rule_id, t.target) for t in tm.evaluate(model).threats} == {
        (t.rule_id, t.target) for t in tm.evaluate(reordered).threats
    }


def test_residual_risk_drops_with_each_declared_control() -> None:
    key = ("NBSEC-TM-006", "weights")  # controls: safe_serialization, artifact_scanning; inherent 3x5
    bare = threats(MODEL)[key]
    one = threats(MODEL.replace("format: pickle}", "format: pickle}, controls: [artifact_scanning]"))[key]
    both = threats(MODEL + "controls: [artifact_scanning, safe_serialization]\n")[key]
    assert (bare.inherent, bare.residual) == (Risk(3, 5), Risk(3, 5))
    assert one.residual == Risk(2, 5) and one.controls_missing == ("safe_serialization",)
    assert both.residual == Risk(1, 5) and both.controls_missing == ()
    assert [t.residual.severity for t in (bare, one, both)] == [Severity.HIGH, Severity.MEDIUM, Severity.LOW]


def test_controls_on_the_flow_into_an_element_count_for_it() -> None:
    key = ("NBSEC-TM-021", "classifier")
    text = MODEL.replace("zone: prod}\n  - {id: weights", "zone: prod, attributes: {public: true}}\n  - {id: weights")
    guarded = text.replace("data: images}", "data: images, controls: [authentication, rate_limiting]}")
    assert threats(text)[key].residual.likelihood == 4
    assert threats(guarded)[key].residual.likelihood == 1


def test_risk_bands_and_residual_formula() -> None:
    assert [severity_for(s) for s in (25, 20, 19, 12, 11, 6, 5, 3, 2, 1)] == [
        Severity.CRITICAL, Severity.CRITICAL, Severity.HIGH, Severity.HIGH, Severity.MEDIUM,
        Severity.MEDIUM, Severity.LOW, Severity.LOW, Severity.INFO, Severity.INFO,
    ]  # fmt: skip
    assert residual(Risk(5, 4), 4, 0) == Risk(5, 4)
    assert residual(Risk(5, 4), 4, 2) == Risk(3, 4)
    assert residual(Risk(5, 4), 4, 9) == Risk(1, 4)


def test_review_status_owner_and_due_date_reach_the_report(report_schema: dict[str, Any]) -> None:
    text = MODEL + (
        "threats:\n"
        "  - {rule: NBSEC-TM-006, target: weights, status: mitigated,\n"
        "     owner: ml-ops, due: 2026-09-01, note: converted}\n"
        "  - {rule: NBSEC-TM-017, target: classifier, status: open, owner: ml-team, likelihood: 5, impact: 5}\n"
        "  - {rule: NBSEC-TM-029, target: classifier, status: accepted}\n"
    )
    model = tm.loads(text)
    report = tm.assess(model, "m.yaml")
    jsonschema.validate(report.to_dict(), report_schema)
    [evasion] = [f for f in report.findings if f.rule_id == "NBSEC-TM-017"]
    assert evasion.severity is Severity.CRITICAL and "owner:ml-team" in evasion.tags
    assert evasion.location.element == "classifier" and evasion.location.line == 8
    [decided] = report.suppressed
    assert decided.reason == "inline" and decided.finding.rule_id == "NBSEC-TM-006"
    assert {"status:mitigated", "owner:ml-ops", "due:2026-09-01"} <= set(decided.finding.tags)
    assert "converted" in decided.finding.evidence
    assessment = tm.evaluate(model)
    assert [(e.rule, e.target) for e in assessment.stale_entries] == [("NBSEC-TM-029", "classifier")]
    metrics = {(m.name, tuple(m.labels.items())): m.value for m in report.metrics}
    assert metrics[("stale_threat_entries", ())] == 1
    assert metrics[("threats_by_status", (("status", "mitigated"),))] == 1


def test_one_coverage_check_per_rule() -> None:
    report = tm.assess(tm.loads(MODEL), "m.yaml")
    by_rule = {c.detail.split()[0]: c.status for c in report.checks}
    assert by_rule["NBSEC-TM-006"] == "failed" and by_rule["NBSEC-TM-041"] == "passed"
    assert len(by_rule) == len(report.checks) >= 41


def test_custom_threats_use_their_own_risk_and_status() -> None:
    text = MODEL + (
        "threats:\n"
        "  - {id: T1, title: Screenshot scraping, target: classifier, likelihood: 4, impact: 4}\n"
        "  - {id: T2, title: Insider swaps weights, status: transferred, extra: {severity: High}}\n"
    )
    report = tm.assess(tm.loads(text), "m.yaml")
    [custom] = [f for f in report.findings if f.rule_id == "NBSEC-TM-099"]
    assert custom.title == "Screenshot scraping" and custom.severity is Severity.HIGH
    assert [s.finding.title for s in report.suppressed] == ["Insider swaps weights"]
    assert report.suppressed[0].finding.location.element is None


def test_fingerprints_survive_line_moves_and_control_changes() -> None:
    before = {f.fingerprint for f in tm.assess(tm.loads(MODEL), "m.yaml").findings}
    shifted = MODEL.replace("title: Image moderation\n", "title: Image moderation\ndescription: more text\n")
    controlled = shifted + "controls: [monitoring]\n"
    assert {f.fingerprint for f in tm.assess(tm.loads(controlled), "m.yaml").findings} == before


def test_report_round_trips_through_json() -> None:
    report = tm.assess(tm.loads(MODEL), "m.yaml")
    from nbsec.model import Report

    assert Report.from_dict(json.loads(json.dumps(report.to_dict()))).to_dict() == report.to_dict()
