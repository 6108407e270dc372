"""modelscan's fixtures, built by its own `tests/test_modelscan.py` and captured as its tests scan them.

Its test suite runs in the peers' virtualenv (it needs TensorFlow, tf-keras, torch and dill to build
the fixtures) with capture_plugin.py wrapping `ModelScan.scan`: every path a test scans is copied out
with modelscan's issues. Malicious: modelscan reports an issue. Benign: no issue and no error.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import Row, Sample, log
from .picklescan import score_artifacts

HERE = Path(__file__).resolve().parent


def run_suite(source: Path, capture: Path, python: Path, peer: str, tests: list[str]) -> None:
    """Run the peer's own pytest suite with the capture plugin; failures of its tests do not stop us."""
    env = {
        **os.environ,
        "NBSEC_CAPTURE_DIR": str(capture),
        "NBSEC_CAPTURE_PEER": peer,
        "PYTHONPATH": os.pathsep.join([str(HERE), str(source / "tests"), str(source)]),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "",
    }
    done = subprocess.run(
        [
            str(python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "capture_plugin",
            "-p",
            "no:cacheprovider",
            "--continue-on-collection-errors",
            *tests,
        ],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    log(f"{peer}: its suite: {done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]}")


def records(capture: Path) -> list[dict[str, Any]]:
    path = capture / "records.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def captured(capture: Path, label: Callable[[dict[str, Any]], str]) -> list[Sample]:
    """One Sample per distinct captured file, labelled from its record ("" leaves it out)."""
    samples: dict[str, Sample] = {}
    for entry in records(capture):
        path = capture / "samples" / str(entry.get("sample", ""))
        if "sample" not in entry or not path.exists():
            continue
        kind = label(entry)
        if kind:
            verdict = f" ({entry['severity']})" if "severity" in entry else ""
            origin = f"{str(entry['test']).split('::')[-1]}{verdict}: {path.name}"
            samples.setdefault(str(entry["sample"]), Sample(path, kind, origin))
    return list(samples.values())


def _verdict(entry: dict[str, Any]) -> str:
    """modelscan's: an issue is malicious; no issue and no error, benign; errors alone, neither."""
    return "malicious" if entry.get("issues") else ("benign" if not entry.get("errors") else "")


def collect(source: Path, work: Path, python: Path) -> list[Sample]:
    capture = work / "modelscan"
    run_suite(source, capture, python, "modelscan", ["tests/test_modelscan.py"])
    samples = captured(capture, _verdict)
    log(f"modelscan: {len(samples)} samples")
    return samples


def score(samples: list[Sample]) -> Row:
    return score_artifacts("modelscan", "tests/ fixtures", samples)
