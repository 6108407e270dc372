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


REVIEWED = """\
nbsec_threat_model: 1
title: Fraud scoring
zones: [{id: internet, trust: untrusted}, {id: prod, trust: restricted}]
elements:
  - {id: merchant, kind: user, zone: internet}
  - {id: scorer, kind: serving_endpoint, zone: prod}
  - {id: bot, kind: llm, zone: prod, name: "<img src=x onerror=alert(1)>"}
flows:
  - {from: merchant, to: scorer}
  - {from: scorer, to: bot, data: "<script>alert(2)</script>"}
threats:
  - {rule: NBSEC-TM-018, target: scorer, status: transferred, owner: gateway-team, note: rate limits at the gateway}
"""


@pytest.fixture
def reviewed_file(tmp_path: Path) -> Path:
    path = tmp_path / "reviewed.nbsec.yaml"
    path.write_text(REVIEWED)
    return path


def form(builder: ThreatModelBuilder) -> tuple[str, str, str, str]:
    return (
        builder.review_status.value,
        builder.review_owner.value,
        builder.review_due.value,
        builder.review_note.value,
    )


def message(builder: ThreatModelBuilder) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", builder.message.value))


def test_review_form_shows_the_selected_threat_and_a_second_record_keeps_its_own_status(reviewed_file: Path) -> None:
    builder = ThreatModelBuilder.open(str(reviewed_file))
    assert builder.review_threat.value is not None  # a threat is selected from the start
    builder.review_threat.value = ("NBSEC-TM-018", "scorer")
    assert form(builder) == ("transferred", "gateway-team", "", "rate limits at the gateway")
    first = ("NBSEC-TM-017", "scorer")
    builder.review_threat.value = first
    assert form(builder) == ("open", "", "", "")  # no leftovers from the threat shown before
    builder.review_status.value = "mitigated"
    builder.review_owner.value, builder.review_due.value, builder.review_note.value = "ml", "2026-12-01", "tested"
    button(builder, "Record decision").click()
    assert "NBSEC-TM-017 on scorer: open \u2192 mitigated" in message(builder)
    second = builder.review_threat.value
    assert second != first and f"next: {second[0]} on {second[1]}" in message(builder)
    own = next((t.status, t.owner, t.due, t.note) for t in builder.assessment.threats if t.key == second)
    assert form(builder) == own != ("mitigated", "ml", "2026-12-01", "tested")  # its own values, not the last ones
    button(builder, "Record decision").click()  # the user clicks again without touching the form
    assert "nothing changed" in message(builder)
    status = {t.key: t.status for t in builder.assessment.threats}
    assert status[first] == "mitigated" and status[second] == own[0]
    builder.review_threat.value = second
    builder.review_status.value = "accepted"
    button(builder, "Record decision").click()
    status = {t.key: t.status for t in builder.assessment.threats}
    assert status[first] == "mitigated" and status[second] == "accepted"
    builder.review_threat.value = first
    assert form(builder) == ("mitigated", "ml", "2026-12-01", "tested")


def test_every_button_says_what_it_changed_or_why_nothing_changed(reviewed_file: Path) -> None:
    builder = ThreatModelBuilder.open(str(reviewed_file))
    said: dict[str, str] = {}

    def press(label: str) -> str:
        builder.message.value = ""
        button(builder, label).click()
        said[label] = message(builder)
        assert said[label], f"{label} gave no feedback"
        return said[label]

    builder.control_target.value, builder.control_name.value = "scorer", "rate_limiting"
    text = press("Add control")
    assert text.startswith("control rate_limiting on scorer: ") and "lower residual risk" in text
    assert "NBSEC-TM-018 on scorer" in text or "NBSEC-TM-016 on scorer" in text
    assert press("Add control") == "control rate_limiting is already in place on scorer: nothing changed"
    builder.control_target.value, builder.control_name.value = "merchant", "sbom"
    assert "no threat here lists sbom, so no risk changed" in press("Add control")
    builder.new_id.value, builder.new_kind.value, builder.new_zone.value = "weights", "model_artifact", "prod"
    assert press("Add element").startswith("added model_artifact weights in zone prod: 1 new threat (NBSEC-TM-006")
    assert builder.new_id.value == ""  # the form is ready for the next one
    assert press("Add element") == "error: give the element an id"
    builder.new_id.value = "weights"
    assert press("Add element").startswith("error: an element 'weights' already exists")
    builder.attr_target.value, builder.attr_name.value = "weights", "format"
    builder.attr_value.value = "safetensors"
    text = press("Set attribute")
    assert text.startswith("weights: format = safetensors: ") and "NBSEC-TM-006 on weights" in text
    assert press("Set attribute") == "weights already has format = safetensors: nothing changed"
    builder.flow_from.value, builder.flow_to.value = "weights", "scorer"
    assert press("Add flow").startswith("added flow weights->scorer: ")
    assert "already exists" in press("Add flow")
    builder.review_threat.value = ("NBSEC-TM-018", "scorer")
    assert "already is transferred with this owner, due date and note: nothing changed" in press("Record decision")
    text = press("Save YAML")
    assert text.startswith(f"saved {reviewed_file}: ") and "comments and formatting kept" in text
    assert "nothing changed" in press("Save YAML")
    assert press("Export Markdown").startswith("wrote ") and "open)" in said["Export Markdown"]
    assert "findings: the open threats" in press("Export Report (JSON)")
    assert "elements" in press("Export Threat Dragon")
    every = {getattr(b, "description", "") for b in walk(builder.widget) if type(b).__name__ == "Button"}
    assert every == set(said)  # no button left unchecked


def walk(widget: Any) -> list[Any]:
    out, stack = [], [widget]
    while stack:
        item = stack.pop()
        out.append(item)
        stack.extend(getattr(item, "children", ()))
    return out


def test_the_twin_shows_the_current_state_escaped(reviewed_file: Path) -> None:
    builder = ThreatModelBuilder.open(str(reviewed_file))
    html = builder.twin.bundle()["text/html"]
    assert 'class="nbsec-twin"' in html and 'data-nbsec-twin="threatmodel"' in html
    assert "nbsec-threat-list" in html and "<svg class='nbsec-dfd'" in html and "<svg class='nbsec-risk-matrix'" in html
    assert "3 elements, 2 flows" in html and str(reviewed_file) in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(2)&lt;/" in html  # the flow's label (wrapped after the slash)
    assert "plotly" not in html.lower()
    builder.add_element("weights", "model_artifact", "prod")
    builder.record("NBSEC-TM-006", "weights", "accepted", "ml")
    after = builder.twin.bundle()["text/html"]
    assert "4 elements, 2 flows" in after and "weights" in after and "weights" not in html
    assert builder.twin.bundle()["text/plain"].startswith("nbsec threat model 'Fraud scoring': 4 elements")


def test_displaying_the_builder_shows_the_live_widget_then_its_twin_and_edits_update_the_twin(
    reviewed_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    # Outside a kernel nothing routes the plotly figures (and their clear_output) into the Output widget, so they
    # would land in (and clear) this capture; the real kernel is tests/integration/test_threatmodel_kernel.py.
    monkeypatch.setattr(ThreatModelBuilder, "_draw", lambda self: None)
    builder = ThreatModelBuilder.open(str(reviewed_file))
    with capture_output() as captured:
        builder._ipython_display_()
        builder.add_control("scorer", "rate_limiting")
    live, twin, update = captured.outputs
    assert "application/vnd.jupyter.widget-view+json" in live.data
    assert not live.data["text/plain"].startswith("VBox(") and "nbsec-live" in builder.widget._dom_classes
    assert "nbsec-twin" in twin.data["text/html"]
    assert update.update and update.transient["display_id"] == twin.transient["display_id"]
    assert update.data["text/html"] != twin.data["text/html"]
