"""The peers' own test suites as corpora: nbsec beside picklescan, modelscan, fickling, bandit, detect-secrets.

    python benchmarks/peer_corpora.py --sources DIR [--venv DIR] [--only picklescan,fickling]

DIR holds local copies of the five peers' public repositories, one folder each, named
picklescan/, modelscan/, fickling/, bandit/ and detect-secrets/ (a checkout or `git archive` of
mmaitre314/picklescan, protectai/modelscan, trailofbits/fickling, PyCQA/bandit, Yelp/detect-secrets;
the commits measured are in the README). Nothing is downloaded from a model hub; the peers and
their test dependencies are installed from PyPI and from DIR into their own virtualenv (--venv,
default /tmp/peer-suites-venv; see `install_peers` for the steps), never into nbsec's.

How each suite becomes a corpus (benchmarks/peer_suites/, one module per peer):
  picklescan      its stored samples (tests/data, tests/data2), with picklescan's verdict on each
  modelscan       the fixtures its tests/test_modelscan.py builds, captured as its tests scan them
  fickling        the pickles its test/ suite builds, captured at each check_safety call
  bandit          its ML-relevant examples/, as .py and as one-cell notebooks; sites = bandit's lines
  detect-secrets  its test_data/, expected = the lines its own scan reports; allow-listed lines
The peers' test suites build their samples themselves and no one loads one: nbsec reads them
statically (in this process), the peers scan them as their own tests do. Samples are written to a
temporary folder and deleted afterwards; none is ever committed.

Prints the summary table (Markdown), every miss and false alarm, and writes
benchmarks/results/peer_corpora.json.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from peer_suites.common import Row, log  # noqa: E402

PEERS = ("picklescan", "modelscan", "fickling", "bandit", "detect-secrets")
TEST_DEPENDENCIES = (
    "pytest",
    "py7zr",
    "dill",
    "aiohttp",
    "requests",
    "h5py",
    "tensorflow>=2.17,<2.21",
    "tf-keras>=2.18,<2.21",
)


def install_peers(venv: Path, sources: Path) -> Path:
    """The peers, from their sources, and what their test suites import, in one virtualenv of their own."""
    python = venv / "bin" / "python"
    if (venv / "bin" / "bandit").exists() and (venv / "bin" / "detect-secrets").exists():
        return python
    pip = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([*pip, "torch==2.13.0"], check=True)  # first: the pinned CPU build (no CUDA download)
    subprocess.run([*pip, *TEST_DEPENDENCIES], check=True)
    # bandit takes its version from git tags (pbr); a source copy has none, so name the release measured.
    env = {**os.environ, "PBR_VERSION": os.environ.get("PBR_VERSION", "1.9.4")}
    subprocess.run([*pip, *(str(sources / name) for name in PEERS)], check=True, env=env)
    return python


def measure(name: str, sources: Path, work: Path, python: Path) -> Row:
    module = importlib.import_module(f"peer_suites.{name.replace('-', '_')}")
    started = time.perf_counter()
    samples = module.collect(sources / name, work, python)
    row: Row = module.score(samples)
    row.figures["seconds"] = round(time.perf_counter() - started, 1)
    return row


def table(rows: list[Row]) -> str:
    lines = ["| peer suite | nbsec | peer's own verdicts |", "|---|---|---|"]
    lines += [f"| {row.peer} `{row.suite}` | {row.nbsec} | {row.peer_verdicts} |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sources", type=Path, required=True, help="folder with the five peers' source trees")
    parser.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / "peer-suites-venv")
    parser.add_argument("--only", default=",".join(PEERS), help="comma-separated peers (default: all five)")
    args = parser.parse_args(argv)
    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    missing = [name for name in wanted if not (args.sources / name).is_dir()]
    if missing:
        print(f"error: no source tree for {', '.join(missing)} under {args.sources}", file=sys.stderr)
        print(
            "hint: git clone each peer's public repository into that folder (see this file's docstring)",
            file=sys.stderr,
        )
        return 2
    python = install_peers(args.venv, args.sources)
    rows = []
    with tempfile.TemporaryDirectory(prefix="nbsec-peer-corpora-") as work:
        for name in wanted:
            log(f"== {name}")
            rows.append(measure(name, args.sources, Path(work), python))
    print(table(rows))
    for row in rows:
        for kind, items in (("missed", row.misses), ("false alarm", row.false_alarms)):
            for item in items:
                print(f"  {row.peer} {kind}: {item}")
    out = HERE / "results" / "peer_corpora.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps([asdict(row) for row in rows], indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
