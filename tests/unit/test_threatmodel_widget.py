"""The builder widget without a browser: forms edit the model, views follow, re-running doubles nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbsec import threatmodel as tm
from nbsec.threatmodel.notebook import MIME_TYPE, from_notebook, snapshot_bundle
from nbsec.widgets.threatmodel import ThreatModelBuilder

MODEL = """\
nbsec_threat_model: 1
title: Fraud scoring
zones: [{id: internet, trust: untrusted}, {id: prod, trust: restricted}]
elements:
  - {id: merchant, kind: user, zone: internet}
  - {id: scorer, kind: serving_endpoint, zone: prod}
flows:
  - {from: merchant, to: scorer}
"""


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "fraud.nbsec.yaml"
    path.write_text(MODEL)
    return path


def button(builder: ThreatModelBuilder, label: str) -> Any:
    stack: list[Any] = [builder.widget]
    while stack:
        widget = stack.pop()
        if getattr(widget, "description", None) == label and type(widget).__name__ == "Button":
            return widget
        stack.extend(getattr(widget, "children", ()))
    raise AssertionError(f"no button {label!r}")


def open_rules(builder: ThreatModelBuilder) -> set[tuple[str, str]]:
    return {(t.rule_id, t.target) for t in builder.assessment.open()}


def test_forms_add_elements_flows_and_controls(model_file: Path) -> None:
    builder = ThreatModelBuilder.open(str(model_file))
    assert ("NBSEC-TM-017", "scorer") in open_rules(builder)
    builder.new_id.value, builder.new_kind.value, builder.new_zone.value = "weights", "model_artifact", "prod"
    button(builder, "Add element").click()
    assert ("NBSEC-TM-006", "weights") in open_rules(builder)  # format unknown: may run code
    builder.attr_target.value = "weights"
    builder.attr_name.value = "format"
    assert "safetensors" in builder.attr_value.options
    builder.attr_value.value = "safetensors"
    button(builder, "Set attribute").click()
    assert ("NBSEC-TM-006", "weights") not in open_rules(builder)
    builder.flow_from.value, builder.flow_to.value = "weights", "scorer"
    button(builder, "Add flow").click()
    assert builder.model.flow("weights->scorer") is not None
    before = next(t for t in builder.assessment.threats if t.rule_id == "NBSEC-TM-017").residual
    builder.control_target.value, builder.control_name.value = "scorer", "adversarial_testing"
    button(builder, "Add control").click()
    after = next(t for t in builder.assessment.threats if t.rule_id == "NBSEC-TM-017").residual
    assert after.score < before.score
    assert "NBSEC-TM-017" in builder.threat_list.value and "error" not in builder.message.value


def test_a_bad_edit_shows_an_error_and_leaves_the_model_alone(model_file: Path) -> None:
    builder = ThreatModelBuilder.open(str(model_file))
    before = builder.model
    builder.new_id.value, builder.new_kind.value, builder.new_zone.value = "x", "llm", "nowhere"
    button(builder, "Add element").click()
    assert "error" in builder.message.value and "nowhere" in builder.message.value
    assert builder.model == before


def test_review_decision_is_recorded_saved_and_reloaded(model_file: Path) -> None:
    builder = ThreatModelBuilder.open(str(model_file))
    key = ("NBSEC-TM-017", "scorer")
    builder.review_threat.value = key
    builder.review_status.value = "accepted"
    builder.review_owner.value, builder.review_due.value, builder.review_note.value = "risk", "2026-12-01", "low value"
    button(builder, "Record decision").click()
    assert key not in open_rules(builder)
    button(builder, "Save YAML").click()
    reloaded = tm.load(model_file)
    entry = reloaded.entry(*key)
    assert entry is not None and (entry.status, entry.owner, entry.due, entry.note) == (
        "accepted", "risk", "2026-12-01", "low value"
    )  # fmt: skip
    assert reloaded == builder.model


def test_exports_write_markdown_report_and_threat_dragon(model_file: Path) -> None:
    builder = ThreatModelBuilder.open(str(model_file))
    for label in ("Export Markdown", "Export Report (JSON)", "Export Threat Dragon"):
        button(builder, label).click()
    folder = model_file.parent
    assert "## Open threats" in (folder / "fraud.nbsec.md").read_text()
    report = json.loads((folder / "fraud.nbsec.report.json").read_text())
    assert {f["rule_id"] for f in report["findings"]} == {t.rule_id for t in builder.assessment.open()}
    dragon = json.loads((folder / "fraud.nbsec.threatdragon.json").read_text())
    assert dragon["summary"]["title"] == "Fraud scoring"


def test_rerunning_the_cell_gives_identical_views(model_file: Path) -> None:
    views = []
    for _ in range(3):
        builder = ThreatModelBuilder.open(str(model_file))
        views.append(
            (
                builder.threat_list.value,
                builder.header.value,
                builder.dfd_figure.to_json(),
                builder.heatmap_figure.to_json(),
            )
        )
    assert views[0] == views[1] == views[2]
    # One builder's edits never leak into another (no module-level state).
    first, second = ThreatModelBuilder.open(str(model_file)), ThreatModelBuilder.open(str(model_file))
    first.add_element("extra", "llm", "prod")
    assert second.model.element("extra") is None and second.threat_list.value == views[0][0]


def test_figures_show_zones_and_count_open_threats(model_file: Path) -> None:
    builder = ThreatModelBuilder.open(str(model_file))
    zone_boxes = [s for s in builder.dfd_figure.layout.shapes if s.type == "rect"]
    assert len(zone_boxes) == 2
    heat = builder.heatmap_figure.data[0]
    assert sum(int(n) for row in heat.text for n in row if n) == len(builder.assessment.open())


def test_the_notebook_snapshot_reads_back(tmp_path: Path) -> None:
    model = tm.loads(MODEL)
    data, metadata = snapshot_bundle(model, "fraud.nbsec.yaml")
    assert "Fraud scoring" in data["text/plain"] and metadata[MIME_TYPE]["path"] == "fraud.nbsec.yaml"
    notebook = {
        "cells": [
            {"cell_type": "code", "id": "a", "metadata": {}, "execution_count": 1, "source": "%aisec threatmodel",
             "outputs": [{"output_type": "display_data", "data": data, "metadata": metadata}]},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip
    path = tmp_path / "review.ipynb"
    path.write_text(json.dumps(notebook))
    assert from_notebook(path) == model
