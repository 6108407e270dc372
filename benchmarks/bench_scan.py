"""Notebook scan throughput: many realistic notebooks, every code cell parsed and checked.

Builds a corpus in a temp folder (no downloads): 200 notebooks of 60 cells each,
a third of the cells with IPython magics or shell lines, some with findings.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

NOTEBOOKS = 200
CELLS = 60

CELL_SOURCES = [
    "import numpy as np\nimport torch\nfrom torch import nn",
    "%matplotlib inline\nx = np.linspace(0, 1, 100)\ny = np.sin(x)",
    "!pip install -q transformers\nfrom transformers import AutoTokenizer",
    "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(64, 10)\n"
    "    def forward(self, x):\n        return self.fc(x)",
    "model = Net()\nopt = torch.optim.Adam(model.parameters(), lr=1e-3)\nfor epoch in range(10):\n"
    "    loss = model(torch.randn(8, 64)).sum()\n    loss.backward()\n    opt.step()",
    "%time state = torch.load('ckpt.pt', weights_only=True)",
    "import pickle\nwith open('f.pkl', 'rb') as f:\n    feats = pickle.load(f)",
    "df = summarize(results)\ndf.describe()",
]


def build_corpus(root: Path) -> int:
    total = 0
    for n in range(NOTEBOOKS):
        cells = []
        for i in range(CELLS):
            source = CELL_SOURCES[(n + i) % len(CELL_SOURCES)]
            cells.append(
                {
                    "cell_type": "code",
                    "execution_count": i + 1,
                    "id": f"c{i}",
                    "metadata": {},
                    "outputs": [{"output_type": "stream", "name": "stdout", "text": "ok\n" * 5}],
                    "source": source,
                }
            )
        data = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
        (root / f"nb{n:04d}.ipynb").write_text(data)
        total += len(data)
    return total


def main() -> dict[str, object]:
    import nbsec

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        size = build_corpus(root)
        nbsec.scan(root / "nb0000.ipynb")  # warm imports (IPython's transformer) outside the timing
        t0 = time.perf_counter()
        report = nbsec.scan(root)
        seconds = time.perf_counter() - t0
    cells = NOTEBOOKS * CELLS
    return {
        "notebooks": NOTEBOOKS,
        "code cells": cells,
        "corpus MB": round(size / 1e6, 2),
        "findings": len(report.findings),
        "errors": len(report.errors),
        "seconds": round(seconds, 3),
        "notebooks/s": round(NOTEBOOKS / seconds, 1),
        "cells/s": round(cells / seconds),
        "MB/s": round(size / 1e6 / seconds, 2),
    }
