"""nbsec at an earlier revision beside the working tree: speed on the benchmark corpora, and new alarms on
benign code nobody tuned the rules on (installed libraries' sources).

    python benchmarks/compare_revision.py --base 5f93a49 [--runs 3] [--skip-notebooks]
                                          [--library requests jinja2 sklearn ...]

The base revision's `nbsec/` is exported with `git archive` into a temporary folder and put first on
PYTHONPATH of each measuring process; every process starts in /tmp, so neither tree shadows the
other (with `python -c`, the current folder would come first). Runs alternate base, tree, base, tree,
so drift and page-cache warmth hit both alike.

Speed: the 1,000-notebook corpus of bench_notebooks.py, the artifact corpus of tests/artifact_samples.py
(all its malicious and benign samples, and its benign ones alone) and bench_artifacts.py's targets.
For each: the best in-process `nbsec.scan` of 3 after a warm-up, and the median CLI wall time pinned
to one core. Held-out code: each `--library` package under this interpreter's site-packages, scanned
by both; the files with a high or critical finding under the tree but not under the base are listed.
Writes benchmarks/results/compare_revision.json.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CLI = str(Path(sys.executable).parent / "nbsec")

IN_PROCESS = """
import sys, time, nbsec
path = sys.argv[1]
nbsec.scan(path)
times = []
for _ in range(3):
    started = time.perf_counter()
    report = nbsec.scan(path)
    times.append(time.perf_counter() - started)
print(min(times), len(report.findings), len(report.errors))
"""

HIGH_FILES = """
import collections, json, sys, nbsec
high, severities = collections.Counter(), collections.Counter()
for target in sys.argv[1:]:
    for finding in nbsec.scan(target).findings:
        severities[f"{finding.rule_id} {finding.severity.value}"] += 1
        if finding.severity.value in ("critical", "high"):
            high[finding.location.path] += 1
print(json.dumps({"high": high, "severities": severities}))
"""


def export(revision: str, into: Path) -> Path:
    """The revision's nbsec package, byte-compiled, under `into`."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision, "nbsec"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(into / "nbsec")], check=True)
    return into


def environment(tree: Path) -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(tree)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def in_process(path: Path, tree: Path) -> tuple[float, int, int]:
    done = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, str(path)],
        env=environment(tree),
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),
    )
    seconds, findings, errors = done.stdout.split()
    return float(seconds), int(findings), int(errors)


def cli_seconds(path: Path, tree: Path) -> float:
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    started = time.perf_counter()
    subprocess.run(
        [*pin, CLI, "scan", str(path), "-q", "--fail-on", "never"],
        env=environment(tree),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tempfile.gettempdir(),
    )
    return time.perf_counter() - started


def compare(label: str, path: Path, trees: dict[str, Path], runs: int) -> dict[str, Any]:
    api: dict[str, list[tuple[float, int, int]]] = {name: [] for name in trees}
    cli: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(runs):
        for name, tree in trees.items():
            cli[name].append(cli_seconds(path, tree))
            api[name].append(in_process(path, tree))
    row: dict[str, Any] = {"target": label}
    for name in trees:
        row[name] = {
            "in-process best s": round(min(a[0] for a in api[name]), 4),
            "CLI one core median s": round(statistics.median(cli[name]), 3),
            "findings": api[name][0][1],
            "errors": api[name][0][2],
        }
    print(json.dumps(row), flush=True)
    return row


def speed(trees: dict[str, Path], runs: int, notebooks: bool) -> list[dict[str, Any]]:
    sys.path[:0] = [str(HERE), str(REPO / "tests")]
    import artifact_samples as samples
    import bench_artifacts
    import bench_notebooks

    rows = []
    work = Path(tempfile.mkdtemp(prefix="nbsec-compare-"))
    try:
        if notebooks:
            corpus = work / "notebooks"
            corpus.mkdir()
            bench_notebooks.build_corpus(corpus)
            rows.append(compare(f"{bench_notebooks.NOTEBOOKS:,} notebooks", corpus, trees, runs))
            shutil.rmtree(corpus)
        every = {**{name: build for name, (build, _) in samples.MALICIOUS.items()}, **samples.BENIGN}
        for label, chosen in (("artifact corpus", every), ("benign artifacts", samples.BENIGN)):
            folder = work / label.replace(" ", "-")
            for name, build in chosen.items():
                (folder / name).mkdir(parents=True)
                build(folder / name, work / f"{name}.MARKER")  # markers outside the scanned folder
            rows.append(compare(f"{label} ({len(chosen)} samples)", folder, trees, runs))
        tiny = work / "tiny.pkl"
        tiny.write_bytes(pickle.dumps({"epoch": 1, "loss": 0.5}, protocol=4))
        rows.append(compare("tiny pickle (start-up)", tiny, trees, runs))
        for label, build in (
            ("1 GB torch zip", bench_artifacts.build_big_zip),
            ("512 MB raw pickle", bench_artifacts.build_big_raw),
            ("50 x 2 MB state dicts", bench_artifacts.build_small_dir),
        ):
            target = build(work)
            rows.append(compare(label, target, trees, runs))
            if target.is_file():
                target.unlink()  # one big file in /tmp at a time
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def held_out(trees: dict[str, Path], libraries: list[str]) -> dict[str, Any]:
    site = Path(sysconfig.get_paths()["purelib"])
    targets = [str(site / name) for name in libraries if (site / name).exists()]
    found = {}
    for name, tree in trees.items():
        done = subprocess.run(
            [sys.executable, "-c", HIGH_FILES, *targets],
            env=environment(tree),
            capture_output=True,
            text=True,
            check=True,
            cwd=tempfile.gettempdir(),
        )
        found[name] = json.loads(done.stdout.strip().splitlines()[-1])
    base, tree = list(trees)
    newly = sorted(set(found[tree]["high"]) - set(found[base]["high"]))
    summary = {
        "libraries": libraries,
        **{f"files with a high finding, {name}": len(found[name]["high"]) for name in trees},
        "newly flagged high": newly,
        **{f"findings by rule and severity, {name}": dict(sorted(found[name]["severities"].items())) for name in trees},
    }
    print(json.dumps(summary, indent=1), flush=True)
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base", required=True, help="the revision to compare with (a commit, tag or branch)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-notebooks", action="store_true", help="leave out the 1,000-notebook corpus")
    parser.add_argument("--library", nargs="*", default=[], help="installed packages to scan as held-out code")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nbsec-base-") as folder:
        trees = {f"base {args.base}": export(args.base, Path(folder)), "working tree": REPO}
        results: dict[str, Any] = {"speed": speed(trees, args.runs, not args.skip_notebooks)}
        if args.library:
            results["held-out code"] = held_out(trees, args.library)
    out = HERE / "results" / "compare_revision.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
