"""`%aisec compliance` in a real Jupyter kernel: the widgets reach the front end as widget views with their state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.integration

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _view(outputs: list[Any]) -> dict[str, Any]:
    [result] = [o for o in outputs if o["output_type"] == "execute_result"]
    view: dict[str, Any] = result["data"][WIDGET_VIEW]
    return view


def test_compliance_and_tier_widgets_in_a_real_kernel(tmp_path: Path) -> None:
    (tmp_path / "load.py").write_text("import pickle\nmodel = pickle.load(open('m.pkl', 'rb'))\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext nbsec\n_ = %aisec scan load.py"),
        nbformat.v4.new_code_cell("%aisec compliance --framework owasp-ml"),
        nbformat.v4.new_code_cell("%aisec compliance --framework owasp-ml"),  # re-run: same table
        nbformat.v4.new_code_cell("%aisec compliance --eu-ai-act-tier"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}, store_widget_state=True
    )
    client.execute()

    for cell in nb.cells:
        assert not [o for o in cell.outputs if o["output_type"] == "error"], cell.outputs
    first, again, tier = (_view(nb.cells[i].outputs)["model_id"] for i in (1, 2, 3))
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert {first, again, tier} <= set(state)

    def html_values(model_id: str) -> str:
        """Every HTML value under one widget, following its children."""
        model = state[model_id]["state"]
        text = model.get("value", "") if isinstance(model.get("value"), str) else ""
        for child in model.get("children", []):
            text += html_values(child.removeprefix("IPY_MODEL_"))
        return text

    table = html_values(first)
    assert "ML06:2023" in table and "NBSEC-NB-002" in table and "1 of 10 items tested" in table
    assert html_values(again) == table
    assert "Minimal risk" in html_values(tier)
