"""Threat Dragon v2 import/export/re-import without loss; TM-BOM import; exports valid against the schema."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from nbsec import threatmodel as tm
from nbsec.errors import NbsecError
from nbsec.threatmodel.threat_dragon import import_threat_dragon
from nbsec.threatmodel.threat_dragon_export import export_threat_dragon
from nbsec.threatmodel.tmbom import import_tmbom

DATA = Path(__file__).resolve().parents[1] / "data" / "threatmodel"
SAMPLES = ["v2-threat-model.json", "three-tier-web-app.json"]


def td_validator() -> jsonschema.Draft7Validator:
    """Threat Dragon's schema marks nullable strings with OpenAPI's `nullable`; JSON Schema needs a type list."""
    schema = json.loads((DATA / "threat-dragon-v2.schema.json").read_text())

    def allow_null(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("nullable") and isinstance(node.get("type"), str):
                node["type"] = [node["type"], "null"]
            for value in node.values():
                allow_null(value)
        elif isinstance(node, list):
            for value in node:
                allow_null(value)

    allow_null(schema)
    return jsonschema.Draft7Validator(schema)


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text())
    return data


def cells(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for d in data["detail"]["diagrams"] for c in d["cells"]}


def td_threats(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for c in cells(data).values() for t in c.get("data", {}).get("threats", []) or []}


@pytest.mark.parametrize("name", SAMPLES)
def test_samples_are_valid_before_we_start(name: str) -> None:
    assert not list(td_validator().iter_errors(sample(name)))


@pytest.mark.parametrize("name", SAMPLES)
def test_import_export_reimport_keeps_elements_flows_and_threats(name: str, tmp_path: Path) -> None:
    original = sample(name)
    first = import_threat_dragon(original, name)
    via_yaml = tm.load(tm.save(first, tmp_path / "m.yaml"))  # the YAML file is the source of truth in between
    exported = json.loads(json.dumps(export_threat_dragon(via_yaml)))
    assert not list(td_validator().iter_errors(exported))
    again = import_threat_dragon(exported, "exported.json")
    assert (again.elements, again.flows, again.threats, again.zones) == (
        first.elements, first.flows, first.threats, first.zones
    )  # fmt: skip
    # Every original cell is still there, drawn the same; every original threat keeps its fields.
    before, after = cells(original), cells(exported)
    assert set(before) <= set(after)
    for ident, cell in before.items():
        assert {k: v for k, v in cell.items() if k != "data"} == {k: v for k, v in after[ident].items() if k != "data"}
        kept = {k: v for k, v in cell["data"].items() if k not in ("threats", "hasOpenThreats")}
        assert kept.items() <= after[ident]["data"].items()
    old_threats, new_threats = td_threats(original), td_threats(exported)
    for ident, threat in old_threats.items():
        assert threat.items() <= new_threats[ident].items()


def test_counts_on_the_demo_model() -> None:
    model = import_threat_dragon(sample("v2-threat-model.json"))
    kinds = [e.kind for e in model.elements]
    # 7 drawn nodes + 1 placeholder for the "Web Request" flow whose source is a loose end
    assert (kinds.count("user"), kinds.count("process"), kinds.count("data_store"), len(kinds)) == (1, 2, 4, 8)
    assert len(model.flows) == 10 and len(model.threats) == 14
    statuses = sorted(t.status for t in model.threats)
    assert statuses.count("mitigated") == 4 and statuses.count("open") == 10
    crossing = [f.name for f in model.flows if f.attributes.get("crosses_boundary")]
    assert "Web Request" in crossing and "Web Response" in crossing and "Read worker config" not in crossing


def test_boundary_boxes_become_zones() -> None:
    model = import_threat_dragon(sample("three-tier-web-app.json"))
    names = {z.id: z.name for z in model.zones}
    assert sorted(names.values()) == ["Internet", "Public Cloud"]
    assert {e.name: names[e.zone] for e in model.elements} == {
        "Web UI": "Internet", "Web Service": "Public Cloud", "PostgresSQL": "Public Cloud"
    }  # fmt: skip


def test_nbsec_review_state_survives_a_trip_through_threat_dragon() -> None:
    text = (
        "nbsec_threat_model: 1\nzones: [{id: web, trust: untrusted}, {id: prod, trust: restricted}]\n"
        "elements: [{id: u, kind: user, zone: web}, {id: bot, kind: llm, zone: prod, controls: [input_guard]}]\n"
        "flows: [{from: u, to: bot, controls: [encryption_in_transit]}]\n"
        "threats:\n  - {rule: NBSEC-TM-026, target: bot, status: accepted, owner: sec, due: 2026-10-01, note: ok}\n"
        "  - {id: X1, title: Insider misuse, stride: Tampering, status: open, likelihood: 2, impact: 5}\n"
    )
    model = tm.loads(text)
    exported = json.loads(json.dumps(export_threat_dragon(model)))
    assert not list(td_validator().iter_errors(exported))
    back = import_threat_dragon(exported)
    assert all("threat_dragon" in item.extra for item in (*back.elements, *back.flows))  # now drawn: cells kept
    assert [dataclasses.replace(e, extra={}) for e in back.elements] == list(model.elements)
    assert [dataclasses.replace(f, extra={}) for f in back.flows] == list(model.flows)
    assert back.zones == model.zones
    assert {t.key: t for t in back.threats} == {t.key: t for t in model.threats}
    library = [t for t in td_threats(exported).values() if t.get("modelType") == "nbsec"]
    assert {t["nbsecRule"] for t in library} >= {"NBSEC-TM-026", "NBSEC-TM-028"}


def test_tmbom_sample_imports_with_warnings_for_what_it_cannot_place(tmp_path: Path) -> None:
    result = import_tmbom(sample("huskyai.tmbom.json"), "huskyai")
    model = result.model
    assert (len(model.elements), len(model.flows), len(model.threats)) == (17, 23, 9)
    assert {"experimental-zone", "prod-zone", "public"} <= {z.id for z in model.zones}
    assert any("uploaded-images-redis" in w for w in result.warnings)
    jupyter = model.element("jupyter")
    assert jupyter is not None and jupyter.kind == "notebook"
    assert tm.load(tm.save(model, tmp_path / "h.yaml")) == model
    adversarial = next(t for t in model.threats if t.id == "perturbation-attack")
    assert (adversarial.likelihood, adversarial.impact) == (2, 4)  # from the "unlikely"/"major" risk
    report = tm.assess(model, "h.yaml")
    assert {"NBSEC-TM-008", "NBSEC-TM-010", "NBSEC-TM-099"} <= {f.rule_id for f in report.findings}


@pytest.mark.parametrize("data", [[], {"summary": {}}, {"summary": {}, "detail": {}}])
def test_not_threat_dragon_is_a_clear_error(data: Any) -> None:
    with pytest.raises(NbsecError) as caught:
        import_threat_dragon(data, "x.json")
    assert "x.json" in caught.value.message and caught.value.hint


def test_not_tmbom_is_a_clear_error() -> None:
    with pytest.raises(NbsecError):
        import_tmbom({"title": "x"}, "x.json")
