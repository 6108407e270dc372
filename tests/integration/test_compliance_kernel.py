"""`%aisec compliance` in a real Jupyter kernel: each widget reaches the front end as a widget view followed by
its static twin (what a reopened notebook shows), and the twin follows the widget's later state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.integration

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _live_and_twin(outputs: list[Any]) -> tuple[dict[str, Any], str]:
    """The two outputs of a view: the live widget (text/plain not a VBox repr), then the twin's HTML."""
    assert [o["output_type"] for o in outputs] == ["display_data", "display_data"], outputs
    live, twin = outputs
    assert WIDGET_VIEW in live["data"] and not live["data"]["text/plain"].startswith("VBox(")
    html: str = twin["data"]["text/html"]
    assert 'class="nbsec-twin"' in html and "<script" not in html
    view: dict[str, Any] = live["data"][WIDGET_VIEW]
    return view, html


def test_compliance_and_tier_widgets_in_a_real_kernel(tmp_path: Path) -> None:
    (tmp_path / "load.py").write_text("import pickle\nmodel = pickle.load(open('m.pkl', 'rb'))\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext nbsec\n_ = %aisec scan load.py"),
        nbformat.v4.new_code_cell("%aisec compliance --framework owasp-ml"),
        nbformat.v4.new_code_cell("w = %aisec compliance --framework owasp-ml\nw"),  # re-run: same table
        nbformat.v4.new_code_cell("%aisec compliance --eu-ai-act-tier"),
        nbformat.v4.new_code_cell('w.framework.value = "eu-ai-act"'),  # the twin of cell 2 follows
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}, store_widget_state=True
    )
    client.execute()

    for cell in nb.cells:
        assert not [o for o in cell.outputs if o["output_type"] == "error"], cell.outputs
    (first, first_twin), (again, again_twin), (tier, tier_twin) = (
        _live_and_twin(nb.cells[i].outputs) for i in (1, 2, 3)
    )
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert {first["model_id"], again["model_id"], tier["model_id"]} <= set(state)

    def html_values(model_id: str) -> str:
        """Every HTML value under one widget, following its children."""
        model = state[model_id]["state"]
        text = model.get("value", "") if isinstance(model.get("value"), str) else ""
        for child in model.get("children", []):
            text += html_values(child.removeprefix("IPY_MODEL_"))
        return text

    table = html_values(first["model_id"])
    assert "ML06:2023" in table and "NBSEC-NB-002" in table and "1 of 10 items tested" in table
    assert "the last report in this kernel (#1, from `%aisec scan load.py`): scan of load.py" in table
    assert "No tier yet" in html_values(tier["model_id"]) and "Minimal risk" not in html_values(tier["model_id"])
    # The twins: what a reopened notebook shows.
    assert "ML06:2023" in first_twin and "1 of 10 items tested" in first_twin and "scan of load.py" in first_twin
    assert (
        "Artificial Intelligence Act" in again_twin and "<code>ML06:2023</code>" not in again_twin
    )  # updated by the last cell
    assert "Art. 15" in again_twin
    assert "No tier yet" in tier_twin and "Minimal risk" not in tier_twin
