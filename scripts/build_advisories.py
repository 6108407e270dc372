"""Build nbsec/data/advisories/osv-ml.json from the PyPA advisory database tarball.

Run once when the snapshot changes (needs PyYAML; the package itself reads only JSON):

    .venv/bin/python scripts/build_advisories.py pypa-advisory-database-3ccb612.tar.gz

The tarball is https://github.com/pypa/advisory-database at commit 3ccb612573e2 (see
nbsec/data/advisories/SOURCE.md for its date and license).

It keeps the advisories of the ML / notebook stack (PACKAGES and PREFIXES below),
drops what the matcher never reads (GIT ranges, long reference lists), drops an
explicit `versions` list only where the ECOSYSTEM ranges already match exactly
the same versions (checked here, so nothing is lost), and writes compact JSON
with the source, commit, date and license beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tarfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nbsec.supply_chain.osv import Advisory, normalize_name  # noqa: E402
from nbsec.supply_chain.store import compact_osv  # noqa: E402

COMMIT = "3ccb612573e2511ab5cad7dafecd838605c80cda"
DATE = "2024-10-10"
REPO = "https://github.com/pypa/advisory-database"
OUT = ROOT / "nbsec" / "data" / "advisories"

# The ML / data-science / notebook stack: frameworks, model hubs, serving, notebooks, and the
# libraries they pull in that have a history of advisories (HTTP, YAML, templates, archives).
PACKAGES = {
    "torch",
    "torchvision",
    "torchaudio",
    "pytorch-lightning",
    "lightning",
    "keras",
    "transformers",
    "tokenizers",
    "huggingface-hub",
    "datasets",
    "safetensors",
    "accelerate",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "joblib",
    "numexpr",
    "mpmath",
    "nltk",
    "pillow",
    "onnx",
    "onnxruntime",
    "mlflow",
    "bentoml",
    "ray",
    "dask",
    "distributed",
    "pyspark",
    "horovod",
    "paddlepaddle",
    "mindspore",
    "parlai",
    "sockeye",
    "nvflare",
    "rasa",
    "xgboost",
    "lightgbm",
    "openai",
    "embedchain",
    "metagpt",
    "mindsdb",
    "label-studio",
    "gradio",
    "streamlit",
    "notebook",
    "ipython",
    "ipykernel",
    "nbconvert",
    "nbdime",
    "nbgitpuller",
    "ipycache",
    "tornado",
    "requests",
    "urllib3",
    "certifi",
    "idna",
    "httpx",
    "aiohttp",
    "pyyaml",
    "jinja2",
    "protobuf",
    "setuptools",
    "pip",
    "wheel",
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic",
    "cryptography",
    "paramiko",
    "lxml",
    "werkzeug",
    "flask",
    "jsonpickle",
    "tqdm",
    "gitpython",
}
PREFIXES = ("tensorflow", "jupyter", "langchain", "llama-index", "opencv-")


def wanted(name: str) -> bool:
    norm = normalize_name(name)
    return norm in PACKAGES or norm.startswith(PREFIXES)


def first_sentence(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", flat)
    sentence = match.group(1) if match else flat
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def compact(doc: dict[str, Any]) -> dict[str, Any]:
    """store.compact_osv, restricted to the wanted packages, with a summary and without redundant lists."""
    doc = dict(doc, affected=[a for a in doc["affected"] if wanted(a["package"]["name"])])
    out = compact_osv(doc)
    assert out is not None
    out.setdefault("summary", first_sentence(str(doc.get("details", ""))))
    for affected in out["affected"]:
        versions = affected.get("versions")
        if versions and _ranges_cover_exactly(affected, versions):
            del affected["versions"]
    return out


def _ranges_cover_exactly(affected: dict[str, Any], versions: list[str]) -> bool:
    """True when the ranges alone flag every listed version (so the list adds nothing)."""
    if not affected["ranges"]:
        return False
    bare = {k: v for k, v in affected.items() if k != "versions"}
    probe = Advisory.from_osv({"id": "probe", "modified": "", "affected": [bare]})
    name = normalize_name(affected["package"]["name"])
    return all(probe.match(name, v) is not None for v in versions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tarball", type=Path)
    args = parser.parse_args()
    advisories: list[dict[str, Any]] = []
    with tarfile.open(args.tarball) as tar:
        for member in tar:
            if not (member.isfile() and member.name.startswith("vulns/") and member.name.endswith(".yaml")):
                continue
            handle = tar.extractfile(member)
            assert handle is not None
            doc = yaml.safe_load(handle.read())
            if any(wanted(a["package"]["name"]) for a in doc.get("affected", [])):
                advisories.append(compact(doc))
    advisories.sort(key=lambda a: (normalize_name(a["affected"][0]["package"]["name"]), a["id"]))
    bundle = {
        "format": "nbsec-osv-bundle/1",
        "source": f"{REPO} (PyPA advisory database, OSV format), commit {COMMIT}",
        "date": DATE,
        "license": "CC-BY-4.0",
        "attribution": "Python Packaging Authority advisory database contributors",
        "advisories": advisories,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "osv-ml.json"
    path.write_text(json.dumps(bundle, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    packages = sorted({normalize_name(a["package"]["name"]) for adv in advisories for a in adv["affected"]})
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    print(f"{len(advisories)} advisories for {len(packages)} packages -> {path} ({path.stat().st_size} bytes)")
    print(f"sha256 {digest}")
    print("packages:", ", ".join(packages))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
