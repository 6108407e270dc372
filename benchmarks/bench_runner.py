"""Headless assessments: full_assessment wall time on the demo, and batch scaling from 1 to 2 workers.

Builds the demo workspace in a temp folder (no downloads; its models train for a
few seconds, timed separately), then runs `nbsec run full_assessment` as a user
would (a fresh process: CLI start, papermill, kernel start, every cell, reports).
Batch: 8 targets of model_artifact_assessment (each target one of the demo's model
files) on a local pool of 1 and of 2 worker processes. OMP_NUM_THREADS=1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = 8


def _nbsec(*args: str, cwd: Path) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "nbsec.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    return time.perf_counter() - started, done.returncode


def main() -> dict[str, object]:
    os.environ["OMP_NUM_THREADS"] = "1"
    from nbsec.demo import build_demo
    from nbsec.runner.batch import run_local
    from nbsec.runner.job import Job
    from nbsec.runner.notebooks import resolve_notebook

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        build_demo(root / "nbsec-demo")
        demo_seconds = time.perf_counter() - t0
        _nbsec("run", "model_artifact_assessment", "--output-dir", "warm", "--no-history", cwd=root)  # page cache
        full_runs = [
            _nbsec("run", "full_assessment", "--output-dir", f"out{n}", "--format", "json,sarif,html,junit", cwd=root)
            for n in range(3)
        ]
        models = sorted(p.relative_to(root / "nbsec-demo").as_posix() for p in (root / "nbsec-demo").rglob("*.pt"))
        notebook = str(resolve_notebook("model_artifact_assessment"))
        jobs = [
            Job(f"t{n}", notebook, {"model_paths": [models[n % len(models)]]}, cwd=str(root), progress=False)
            for n in range(TARGETS)
        ]
        scaling = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            results = run_local(jobs, workers)
            scaling[workers] = time.perf_counter() - t0
            assert all(r.completed for r in results), [r.status for r in results if not r.completed]
    walls = sorted(seconds for seconds, _ in full_runs)
    return {
        "cpu cores": os.cpu_count(),
        "demo build s (trains the demo models)": round(demo_seconds, 2),
        "full_assessment wall s (median of 3)": round(walls[1], 2),
        "full_assessment wall s (min, max)": f"{walls[0]:.2f}, {walls[-1]:.2f}",
        "full_assessment exit codes": sorted({code for _, code in full_runs}),
        f"batch {TARGETS} targets, 1 worker s": round(scaling[1], 2),
        f"batch {TARGETS} targets, 2 workers s": round(scaling[2], 2),
        "speed-up 1 -> 2 workers": round(scaling[1] / scaling[2], 2),
        "per target s (1 worker)": round(scaling[1] / TARGETS, 2),
    }
