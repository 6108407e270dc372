"""Write START_HERE.ipynb, the notebook `make lab` opens: a tour of nbsec's JupyterLab extension on the demo.

Usage: python scripts/lab_tour.py LAB_DIR   (LAB_DIR holds the demo workspace in LAB_DIR/demo)

The browser tests run the same notebook (tests/integration/test_lab_extension.py), so the tour a new user
follows is the one that is tested.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

TOUR_NAME = "START_HERE.ipynb"

CELLS = [
    new_markdown_cell(
        "# nbsec in JupyterLab: start here\n\n"
        "`demo/` is a small ML project with planted problems: a notebook that leaks keys and runs unsafe code,\n"
        "a checkpoint that would run code when loaded, and a threat model. `assessments/` holds nbsec's\n"
        "assessment notebooks, set to that folder.\n\n"
        "Run the cells below (Shift+Enter). Nothing here loads the model files: nbsec reads them as bytes."
    ),
    new_code_cell("%load_ext nbsec"),
    new_markdown_cell(
        "## 1. A Report, rendered by the extension\n\n"
        "Click a severity in the summary to filter, a column header to sort, a row to see its evidence\n"
        "(secrets are already redacted), remediation and references."
    ),
    new_code_cell("%aisec scan demo/demo.ipynb"),
    new_markdown_cell(
        "## 2. The AI Security panel\n\n"
        "Open `demo/demo.ipynb`, then the shield icon in the right sidebar (or the command palette:\n"
        "*Show the AI Security panel*). The notebook is scanned when it is saved, or when you press **Scan**.\n"
        "Click a finding to jump to its cell and line; cells with findings have a coloured marker; the status\n"
        "bar shows the count. **Suppress** writes `# nbsec: ignore[RULE]` on the line (or the cell's metadata),\n"
        "which `nbsec scan` reads too."
    ),
    new_markdown_cell(
        "## 3. Scan from the file browser\n\n"
        "Right-click `demo/checkpoints/finetuned.pt` (or a folder) and choose **Scan with nbsec**: the Report\n"
        "opens in a tab."
    ),
    new_markdown_cell(
        "## 4. Keep the threat model in the notebook\n\n"
        "Run the next cell, then the command palette's *Save the threat model into the notebook*. The model\n"
        "is now in this notebook's metadata: `nbsec threatmodel import START_HERE.ipynb` and\n"
        "`nbsec scan START_HERE.ipynb` read it, and the AI Security panel links to it."
    ),
    new_code_cell("%aisec threatmodel demo/threatmodel.nbsec.yaml"),
]


def write_tour(lab_dir: Path) -> Path:
    notebook = new_notebook(
        cells=CELLS,
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    path = lab_dir / TOUR_NAME
    nbformat.write(notebook, path)
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/lab_tour.py LAB_DIR")
    print(write_tour(Path(sys.argv[1])))
