"""The command line's own cost, side by side with picklescan: start-up, 50 small checkpoints, a 512 MB zip.

Issue 12's goals: `nbsec --version` within 60 ms of `python -c pass`, and `nbsec scan DIR` of
50 small torch checkpoints in at most picklescan's time (`picklescan -p DIR`), both from the
command line, min of 5 runs (median of the same runs beside it). Runs are interleaved, so both
tools see the same page cache and CPU state; the package's bytecode is compiled first, as an
install compiles it (`make` does), so no run pays for compiling nbsec's sources.
"""

from __future__ import annotations

import compileall
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RUNS = 5
START_RUNS = 21
BIG_TENSORS = 32  # x 16 MiB (2048 x 2048 float32) = 512 MiB


def _bench_artifacts() -> Any:
    """bench_artifacts.py: the peers' venv and the checkpoint builders, shared rather than copied."""
    spec = importlib.util.spec_from_file_location("bench_artifacts", HERE / "bench_artifacts.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _nbsec() -> list[str]:
    script = Path(sys.executable).parent / "nbsec"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nbsec.cli"]


def _wall(command: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def _interleaved(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    for command in commands.values():
        _wall(command)  # untimed: page cache and bytecode caches
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            walls[name].append(_wall(command))
    return walls


def _figures(label: str, walls: dict[str, list[float]], figures: dict[str, object]) -> None:
    for name, samples in walls.items():
        figures[f"{label}: {name} min ms"] = round(min(samples) * 1000, 1)
        figures[f"{label}: {name} median ms"] = round(statistics.median(samples) * 1000, 1)


def main() -> dict[str, object]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import nbsec

    compileall.compile_dir(str(Path(nbsec.__file__).parent), quiet=1)
    figures: dict[str, object] = {"nbsec version": nbsec.__version__, "runs (min of)": RUNS}
    nbsec_cmd = _nbsec()

    start = _interleaved(
        {"python -c pass": [sys.executable, "-c", "pass"], "nbsec --version": [*nbsec_cmd, "--version"]}, START_RUNS
    )
    _figures("start-up", start, figures)
    over = (min(start["nbsec --version"]) - min(start["python -c pass"])) * 1000
    figures["nbsec --version over python -c pass (min, ms)"] = round(over, 1)
    figures["goal: --version within 60 ms of python -c pass"] = over <= 60

    peers = _bench_artifacts()
    peers.BIG_ZIP_TENSORS = BIG_TENSORS  # 512 MiB: the size issue 12 measured
    try:
        versions = peers.ensure_peers()
        figures.update({f"{k} version": v for k, v in versions.items()})
    except (OSError, subprocess.CalledProcessError) as exc:
        figures["picklescan"] = f"unavailable: {exc}"
        return figures
    picklescan = str(Path(peers.PEERS_VENV) / "bin" / "picklescan")
    work = Path(tempfile.mkdtemp(prefix="nbsec-bench-cli-", dir="/tmp"))
    try:
        targets: dict[str, Callable[[Path], Path]] = {
            "50 small checkpoints": peers.build_small_dir,  # 50 torch state dicts of ~1 MB
            "512 MB torch zip": peers.build_big_zip,
        }
        for label, build in targets.items():
            target = build(work)
            walls = _interleaved(
                {
                    "nbsec scan -q": [*nbsec_cmd, "scan", "-q", str(target)],
                    "picklescan -p": [picklescan, "-p", str(target)],
                },
                RUNS,
            )
            _figures(label, walls, figures)
            ratio = min(walls["nbsec scan -q"]) / min(walls["picklescan -p"])
            figures[f"{label}: nbsec / picklescan (min)"] = round(ratio, 2)
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        figures["goal: 50 small checkpoints in at most picklescan's time"] = (
            float(figures["50 small checkpoints: nbsec / picklescan (min)"]) <= 1.0  # type: ignore[arg-type]
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key:55} {value}")
