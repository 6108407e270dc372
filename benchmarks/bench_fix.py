"""`nbsec fix`: time to plan and apply the fixes, on the demo workspace and on 100 notebooks whose outputs leak.

The 100 notebooks each have 12 code cells; a third of the cells print a (fake) API key or a database URL with a
password, one shows a DataFrame of e-mail addresses, one an image (~30 KB of base64). Figures, best of 3 in one
process (each run on a fresh copy): the scan alone (what `nbsec scan` costs), planning on top of it (fixers, checks,
redacted diffs), applying (backups, atomic writes) and the re-scan of what was written; and the share of a
`nbsec fix` dry run that is planning, which decides whether `nbsec scan -f sarif` should plan fixes for every scan.
Run: `python benchmarks/run.py fix`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

NOTEBOOKS = 100
CELLS = 12
RUNS = 3
_BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _fake(seed: str, length: int) -> str:
    digest = hashlib.sha512(seed.encode()).digest() * 2
    return "".join(_BASE62[b % len(_BASE62)] for b in digest[:length])


def _notebook(index: int) -> dict[str, object]:
    cells: list[dict[str, object]] = []
    image = base64.b64encode(hashlib.sha256(str(index).encode()).digest() * 700).decode()
    for n in range(CELLS):
        outputs: list[dict[str, object]] = []
        if n % 3 == 0:
            key = "sk-" + "proj-" + _fake(f"bench-{index}-{n}", 48)
            outputs.append({"output_type": "stream", "name": "stdout", "text": [f"client ready, key={key}\n"]})
        elif n % 3 == 1:
            url = "postgresql://admin:" + _fake(f"db-{index}-{n}", 14) + "@db.internal.example:5432/prod"
            outputs.append(
                {"output_type": "error", "ename": "OperationalError", "evalue": url, "traceback": [f"Error: {url}"]}
            )
        if n == 5:
            rows = "".join(f"<tr><td>user{r}</td><td>user{r}.{index}@example-mail.org</td></tr>\n" for r in range(5))
            html = f"<table><thead><tr><th>name</th><th>email</th></tr></thead><tbody>{rows}</tbody></table>"
            outputs.append({"output_type": "display_data", "metadata": {}, "data": {"text/html": html}})
        if n == 7:
            outputs.append({"output_type": "display_data", "metadata": {}, "data": {"image/png": image}})
        cells.append(
            {
                "cell_type": "code",
                "execution_count": n + 1,
                "id": f"c{n}",
                "metadata": {},
                "outputs": outputs,
                "source": f"result_{n} = compute({n})\nprint(result_{n})",
            }
        )
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _leaky_folder(root: Path) -> Path:
    folder = root / "leaky"
    folder.mkdir()
    for index in range(NOTEBOOKS):
        (folder / f"nb{index:03d}.ipynb").write_text(json.dumps(_notebook(index), indent=1) + "\n")
    return folder


def _measure(template: Path, work: Path) -> dict[str, float]:
    from nbsec import api

    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(template, work)
    t0 = time.perf_counter()
    api.scan(str(work))
    scan = time.perf_counter() - t0
    t0 = time.perf_counter()
    pending = api.plan_fix(str(work))
    dry_run = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = pending.apply()
    apply = time.perf_counter() - t0
    assert report.fixes is not None
    return {
        "scan_s": scan,
        "dry_run_s": dry_run,
        "plan_s": pending.report.timings["fix_plan"],
        "apply_s": apply,
        "write_s": report.timings["fix_apply"],
        "rescan_s": report.timings.get("fix_rescan", 0.0),
        "changes": float(len([c for c in report.fixes.changes if c.status == "applied"])),
        "fixed": float(report.fixes.count("fixed")),
        "remain": float(report.fixes.count("remains")),
    }


def _best(template: Path, work: Path) -> dict[str, float]:
    runs = [_measure(template, work) for _ in range(RUNS)]
    return {key: min(run[key] for run in runs) for key in runs[0]}


def main() -> dict[str, object]:
    from nbsec.demo import build_demo

    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        previous = os.getcwd()
        os.chdir(root)  # report paths relative to here, as a user in their project sees them
        try:
            build_demo(root / "demo-template")
            leaky = _leaky_folder(root)
            for name, template in (("demo", root / "demo-template"), ("leaky100", leaky)):
                best = _best(template, root / f"{name}-work")
                for key, value in best.items():
                    figures[f"{name}_{key}"] = round(value, 3) if key.endswith("_s") else int(value)
                figures[f"{name}_plan_share_of_dry_run"] = round(best["plan_s"] / best["dry_run_s"], 2)
        finally:
            os.chdir(previous)
    figures["notebooks"] = NOTEBOOKS
    return figures


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key:36} {value}")
