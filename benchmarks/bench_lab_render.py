"""Lab extension: how long the Report renderer takes on 1,000 / 5,000 / 20,000 findings (first draw, text filter, sort).

The renderer's TypeScript (labextension/src) is compiled to CommonJS into a temporary folder and run in Node
with jsdom (the DOM jest uses), on synthetic Reports built by labextension/scripts/bench-render.js. jsdom is
slower than a browser's DOM, so these figures are an upper bound of what JupyterLab shows. The table draws its
first 200 rows and a "Show more" button, so the first draw grows with the count through sorting and the
filter lists, not through rows. Needs Node and labextension/node_modules (`make labextension`).

    python benchmarks/bench_lab_render.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

LABEXT = Path(__file__).resolve().parents[1] / "labextension"
MODULES = ["report-view.ts"]  # tsc follows its imports


def main() -> dict[str, Any]:
    tsc = LABEXT / "node_modules" / ".bin" / "tsc"
    node = shutil.which("node")
    if node is None or not tsc.exists():
        raise SystemExit("bench_lab_render needs Node and labextension/node_modules: run `make labextension` first")
    with tempfile.TemporaryDirectory(prefix="nbsec-bench-render-") as out:
        subprocess.run(
            [str(tsc), "--module", "commonjs", "--target", "ES2020", "--moduleResolution", "node", "--esModuleInterop",
             "--resolveJsonModule", "--skipLibCheck", "--strict", "--outDir", out,
             *[str(LABEXT / "src" / m) for m in MODULES]],
            check=True, cwd=LABEXT,
        )  # fmt: skip
        done = subprocess.run(
            [node, str(LABEXT / "scripts" / "bench-render.js"), out], check=True, capture_output=True, text=True
        )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["node"] = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    return figures


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key:24} {value}")
    sys.exit(0)
