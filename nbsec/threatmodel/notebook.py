"""The threat model inside the notebook: a display output that carries it, and reading it back.

A kernel cannot write the notebook file (the open document in the browser
owns it). So `%aisec threatmodel` displays one output with the MIME type
below, holding the model (and a one-line plain-text summary that every
frontend shows; no HTML: the builder's static twin carries the picture). It
is saved with the notebook like any output, with its path and content hash in
the output's metadata, and displayed with a display id that the builder's
Save updates (update_display_data), so it holds what the file holds.
`from_notebook()` reads the newest such output back from a saved .ipynb, and
`nbsec threatmodel import NOTEBOOK.ipynb` writes it to YAML.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from nbsec.errors import NbsecError
from nbsec.safe_input import read_json
from nbsec.threatmodel.document import ThreatModel

MIME_TYPE = "application/vnd.nbsec.threatmodel.v1+json"
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024


def snapshot_bundle(model: ThreatModel, path: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
    """(data, metadata) for IPython's display(..., raw=True, metadata=...)."""
    data = model.to_dict()
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()
    text = (
        f"nbsec threat model '{model.title}': {len(model.elements)} elements, {len(model.flows)} flows "
        f"(saved in this notebook{f'; file {path}' if path else ''}; sha256 {digest[:12]})"
    )
    return {MIME_TYPE: data, "text/plain": text}, {MIME_TYPE: {"path": path, "sha256": digest}}


class Snapshot:
    """A display object whose rich form is the snapshot bundle."""

    def __init__(self, model: ThreatModel, path: str) -> None:
        self.model = model
        self.path = path

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        return snapshot_bundle(self.model, self.path)


def snapshot(model: ThreatModel, path: str = "") -> Snapshot:
    return Snapshot(model, path)


def from_notebook(path: str | os.PathLike[str]) -> ThreatModel:
    """The newest threat-model snapshot in a saved notebook (last cell first)."""
    from nbsec.threatmodel.loader import model_from_data

    file = Path(path)
    notebook = read_json(
        file, what="notebook", hint="pass a .ipynb file saved by Jupyter", max_bytes=MAX_NOTEBOOK_BYTES
    )
    for cell in reversed(notebook.get("cells", []) if isinstance(notebook, dict) else []):
        for output in reversed(cell.get("outputs", []) if isinstance(cell, dict) else []):
            data = output.get("data", {}) if isinstance(output, dict) else {}
            if MIME_TYPE in data:
                return model_from_data(data[MIME_TYPE], None, f"{file} (notebook snapshot)")
    raise NbsecError(
        f"{file}: no nbsec threat model saved in this notebook",
        "run `%aisec threatmodel FILE` in it and save the notebook, or import the YAML file instead",
    )
