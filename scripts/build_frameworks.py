"""Re-create nbsec/data/frameworks/atlas.json from MITRE ATLAS and refresh SHA256SUMS.

    .venv/bin/python scripts/build_frameworks.py path/to/ATLAS.yaml   # dist/ATLAS.yaml of atlas-data v5.6.1
    .venv/bin/python scripts/build_frameworks.py --sums-only     # after editing a curated catalogue

atlas.json is generated (PyYAML at build time only; nbsec reads JSON); the other
catalogues (NIST AI RMF, ISO/IEC 42001, EU AI Act, OWASP, CWE), the crosswalk
and the EU AI Act questionnaire are curated by hand and reviewed. SHA256SUMS
records the SHA-256 of every data file here; a test checks the committed files
against it, so an edit that skipped this script (and review) fails CI.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nbsec.compliance.atlas_source import atlas_catalogue  # noqa: E402

OUT = ROOT / "nbsec" / "data" / "frameworks"
SUMS = OUT / "SHA256SUMS"
SOURCE = OUT / "SOURCE.md"
# `- **SHA-256**: `file.json`` or `- **SHA-256**: `file.json` `<hex>`` in SOURCE.md.
SHA_LINE = re.compile(r"^- \*\*SHA-256\*\*: `([^`]+)`(?: `[0-9a-f]{64}`)?$", re.MULTILINE)
# The ATLAS release the bundled atlas.json was built from (nbsec/data/frameworks/SOURCE.md).
ATLAS_COMMIT = "8ee2c689a7d3c65ddf2bfe4950a4f3ecffa6f48b"
ATLAS_RELEASE = "v5.6.1"
ATLAS_DATE = "2026-05-05"
# Files whose hash is recorded: the data, not the prose about it.
HASHED_SUFFIXES = (".json",)


def dump_catalogue(catalogue: dict[str, object]) -> str:
    """One stable text form for every catalogue file (indent 1, UTF-8, trailing newline)."""
    return json.dumps(catalogue, indent=1, ensure_ascii=False) + "\n"


def build_atlas(source: Path) -> Path:
    import yaml

    raw = source.read_bytes()
    data = yaml.safe_load(raw)
    catalogue = atlas_catalogue(
        data,
        source_sha256=hashlib.sha256(raw).hexdigest(),
        source_commit=ATLAS_COMMIT,
        release=ATLAS_RELEASE,
        date=ATLAS_DATE,
    )
    out = OUT / "atlas.json"
    out.write_text(dump_catalogue(catalogue), encoding="utf-8")
    return out


def write_sums() -> list[str]:
    """SHA256SUMS, and the `- **SHA-256**: ...` line of each file in SOURCE.md."""
    digests = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(OUT.iterdir())
        if path.suffix in HASHED_SUFFIXES
    }
    lines = [f"{digest}  {name}" for name, digest in digests.items()]
    SUMS.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def line_for(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"- **SHA-256**: `{name}` `{digests[name]}`" if name in digests else match.group(0)

    source = SOURCE.read_text(encoding="utf-8")
    SOURCE.write_text(SHA_LINE.sub(line_for, source), encoding="utf-8")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("atlas_yaml", nargs="?", type=Path, help="ATLAS.yaml (mitre-atlas/atlas-data dist/ATLAS.yaml)")
    parser.add_argument("--sums-only", action="store_true", help="only recompute SHA256SUMS")
    args = parser.parse_args(argv)
    if not args.sums_only:
        if args.atlas_yaml is None:
            parser.error("give the path of ATLAS.yaml, or --sums-only")
        print(f"wrote {build_atlas(args.atlas_yaml)}")
    for line in write_sums():
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
