"""The lab extension's package.json agrees with the Python package it ships in."""

from __future__ import annotations

import json
from pathlib import Path

import nbsec

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = json.loads((ROOT / "labextension" / "package.json").read_text(encoding="utf-8"))


def test_versions_match() -> None:
    # `jupyter labextension list` shows this version beside nbsec's; a mismatch would send users hunting.
    assert PACKAGE["version"] == nbsec.__version__


def test_the_build_goes_where_the_wheel_and_labextension_develop_look() -> None:
    assert PACKAGE["name"] == "nbsec"
    assert (ROOT / "labextension" / PACKAGE["jupyterlab"]["outputDir"]).resolve() == ROOT / "nbsec" / "labextension"
    paths = nbsec._jupyter_labextension_paths()
    assert paths == [{"src": "labextension", "dest": PACKAGE["name"]}]


def test_every_jupyterlab_package_is_pinned_to_one_release() -> None:
    # The npm registry here lacks some 4.6.6 packages: every @jupyterlab/* dependency needs a resolution.
    wanted = {**PACKAGE["dependencies"], **PACKAGE["devDependencies"]}
    unpinned = [name for name in wanted if name.startswith("@jupyterlab/") and name != "@jupyterlab/core-meta"
                and name not in PACKAGE["resolutions"]]  # fmt: skip
    assert unpinned == []


def test_no_markup_sink_in_the_extensions_source() -> None:
    # Everything from a scanned file must reach the page as text (docs/lab.md); these are the DOM's ways of
    # parsing a string as markup or code. The jest tests check the rendered DOM; this keeps new code honest.
    sinks = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "createContextualFragment", "eval(")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "labextension" / "src").glob("*.ts"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if not line.lstrip().startswith(("//", "*", "/*")) and any(sink in line for sink in sinks)
    ]
    assert found == []
