"""Notebook bytes of every %aisec view: each subcommand run once on the demo workspace, headlessly (nbclient).

The figures are what a saved notebook carries per cell (outputs only) and in all, widget state included (nbclient
stores it as `nbsec run` does), after one sitting through every view; the static twins (nbsec.display.twin) must
not make notebooks heavy. Run: `python benchmarks/run.py notebook_outputs`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STORE = "nbsec-demo/.nbsec/lineage.db"
CELLS = {
    "scan": "%aisec scan nbsec-demo",
    "threatmodel": "%aisec threatmodel nbsec-demo/threatmodel.nbsec.yaml",
    "compliance": "%aisec compliance",
    "eu_tier": "%aisec compliance --eu-ai-act-tier",
    "lineage_show": f"%aisec lineage show --store {STORE}",
    "lineage_verify": f"%aisec lineage verify --store {STORE}",
    "model": "from nbsec.adversarial.demo_models import load_demo_data, load_demo_model\n"
    "model = load_demo_model('nbsec-demo/models/digits_cnn.pt')\n"
    "data = load_demo_data('nbsec-demo/models/digits_data.pt')\n"
    "xy = (data['x_test'][:48], data['y_test'][:48])",
    "robustness": "%aisec robustness model xy --attacks fgsm pgd --eps 0.05 0.1 --steps 5 --n 48",
}


def main() -> dict[str, object]:
    import nbformat
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        nbsec = str(Path(sys.executable).with_name("nbsec"))
        subprocess.run([nbsec, "demo", str(root / "nbsec-demo"), "--no-scan"], check=True, capture_output=True)
        sources = ["%load_ext nbsec", *CELLS.values()]
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        began = time.perf_counter()
        client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(root)}})
        client.execute()
        seconds = time.perf_counter() - began
        path = root / "every-view.ipynb"
        nbformat.write(nb, path)
        figures: dict[str, object] = {
            "notebook_bytes": path.stat().st_size,
            "widget_state_bytes": len(json.dumps(nb.metadata.get("widgets", {}))),
            "run_seconds": round(seconds, 1),
        }
        for name, cell in zip(["load_ext", *CELLS], nb.cells, strict=True):
            if name != "load_ext":
                figures[f"{name}_output_bytes"] = len(json.dumps(cell.get("outputs", [])))
        return figures


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key:32} {value}")
