"""`%aisec threatmodel` in a real Jupyter kernel: what the saved notebook holds.

The cell leaves three outputs: the model's data (application/vnd.nbsec.threatmodel.v1+json with a
one-line text/plain), the live builder (a widget view whose text/plain is not a `VBox(` repr) and its
static twin (text/html: header, threat list, SVG diagram and risk matrix, no script, no plotly). An edit
in a later cell replaces the twin (update_display_data), and Save replaces the model's data too, so a
reopened notebook shows, and `nbsec threatmodel import` reads, the last state.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from nbsec import threatmodel as tm
from nbsec.demo.threatmodel import DEMO_MODEL
from nbsec.threatmodel.notebook import MIME_TYPE, from_notebook

pytestmark = pytest.mark.integration

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_the_cell_keeps_the_model_the_live_builder_and_its_twin(tmp_path: Path) -> None:
    (tmp_path / "threatmodel.nbsec.yaml").write_text(DEMO_MODEL, encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext nbsec"),
        nbformat.v4.new_code_cell("%aisec threatmodel threatmodel.nbsec.yaml"),
        nbformat.v4.new_code_cell(
            "b = _\nb.add_control('assistant', 'output_guard')\n"
            "b.record('NBSEC-TM-006', 'finetuned-checkpoint', 'mitigated')\nprint(b.save())"
        ),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()

    for cell in nb.cells:
        assert not [o for o in cell.outputs if o["output_type"] == "error"], cell.outputs
    snapshot, live, twin = nb.cells[1].outputs
    assert [o["output_type"] for o in (snapshot, live, twin)] == ["display_data"] * 3
    assert set(snapshot["data"]) == {MIME_TYPE, "text/plain"} and "\n" not in snapshot["data"]["text/plain"]
    assert WIDGET_VIEW in live["data"] and not live["data"]["text/plain"].startswith("VBox(")
    html = twin["data"]["text/html"]
    assert 'data-nbsec-twin="threatmodel"' in html and "<svg class='nbsec-dfd'" in html
    assert "nbsec-threat-list" in html and "<script" not in html and "plotly" not in html.lower()
    # the later edit and save reached this cell's outputs: the twin and the model's data show the last state
    before = tm.evaluate(tm.loads(DEMO_MODEL))
    opened = len(before.open()) - 1
    assert f"{len(before.threats)} threats ({opened} open)" in html
    saved = tm.load(tmp_path / "threatmodel.nbsec.yaml")
    assert "output_guard" in saved.element("assistant").controls  # type: ignore[union-attr]
    assert "comments and formatting kept" in nb.cells[2].outputs[0]["text"]
    assert "output_guard" in json.dumps(snapshot["data"][MIME_TYPE])
    notebook = tmp_path / "review.ipynb"
    nbformat.write(nb, notebook)
    assert from_notebook(notebook) == saved
    size = len(json.dumps(nb.cells[1].outputs))
    print(f"threat-model cell outputs: {size} bytes (twin {len(html)} bytes)")
    assert len(html) < 60_000  # one SVG of each figure and the table: no duplicated payload
