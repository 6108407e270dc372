"""The threat model inside the notebook: saved in its metadata, or a display output; reading it back.

Two places hold a model in a saved .ipynb:

- The notebook's metadata, at `metadata.nbsec.threat_model`: the JupyterLab
  extension's "Save the threat model into the notebook" (command palette) command writes the model
  there (exactly `ThreatModel.to_dict()`). The user saved it on purpose, so it
  wins: `nbsec scan` evaluates it (nbsec.threatmodel.scanner) and
  `from_notebook()` reads it first.
- A display output: a kernel cannot write the notebook file (the open document
  in the browser owns it), so `%aisec threatmodel` displays one output with the
  MIME type below, holding the model (and a one-line plain-text summary that
  every frontend shows; no HTML: the builder's static twin carries the
  picture). It is saved with the notebook like any output, with its path and
  content hash in the output's metadata, and displayed with a display id that
  the builder's Save updates (update_display_data), so it holds what the file
  holds. Outputs are only imported, never scanned: an output is what some code
  printed, not a model someone chose to keep.

`from_notebook()` reads the metadata model, else the newest output snapshot,
and `nbsec threatmodel import NOTEBOOK.ipynb` writes it to YAML.
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
METADATA_KEY = "nbsec"  # notebook metadata namespace
METADATA_MODEL_KEY = "threat_model"  # metadata.nbsec.threat_model: ThreatModel.to_dict()
METADATA_PATH = f"metadata.{METADATA_KEY}.{METADATA_MODEL_KEY}"
METADATA_HINT = (
    f"the model in the notebook metadata ({METADATA_PATH}) is invalid: save it again with the JupyterLab "
    f'command "Save the threat model into the notebook" (command palette), or fix or delete {METADATA_PATH} '
    "(JupyterLab: Property Inspector > Advanced Tools > Notebook metadata)"
)


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


def saved_model_data(notebook: Any) -> Any | None:
    """What the notebook's metadata holds at metadata.nbsec.threat_model, unvalidated; None when nothing is there.

    Only a missing (or null) entry counts as "no model": anything else is what the user saved and is
    validated by `model_from_metadata`, so a broken save is reported, never silently ignored.
    """
    metadata = notebook.get("metadata") if isinstance(notebook, dict) else None
    entry = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    return entry.get(METADATA_MODEL_KEY) if isinstance(entry, dict) else None


def model_from_metadata(data: Any, notebook: str) -> ThreatModel:
    """Validate the model saved in `notebook`'s metadata. Raises ThreatModelError naming the notebook and the
    metadata key, with `METADATA_HINT` as its hint (the per-problem fixes stay in the message)."""
    from nbsec.threatmodel.loader import ThreatModelError, model_from_data

    try:
        return model_from_data(data, None, f"{notebook} ({METADATA_PATH})")
    except ThreatModelError as exc:
        exc.hint = METADATA_HINT
        raise


def from_notebook(path: str | os.PathLike[str]) -> ThreatModel:
    """The threat model saved in a notebook: its metadata's (metadata.nbsec.threat_model) if it has one,
    else the newest output snapshot (last cell first). Raises NbsecError naming the notebook when it holds
    neither, or ThreatModelError when the metadata model is invalid (no fall-back: that save was deliberate)."""
    from nbsec.threatmodel.loader import model_from_data

    file = Path(path)
    notebook = read_json(
        file, what="notebook", hint="pass a .ipynb file saved by Jupyter", max_bytes=MAX_NOTEBOOK_BYTES
    )
    saved = saved_model_data(notebook)
    if saved is not None:
        return model_from_metadata(saved, str(file))
    for cell in reversed(notebook.get("cells", []) if isinstance(notebook, dict) else []):
        for output in reversed(cell.get("outputs", []) if isinstance(cell, dict) else []):
            data = output.get("data", {}) if isinstance(output, dict) else {}
            if isinstance(data, dict) and MIME_TYPE in data:
                return model_from_data(data[MIME_TYPE], None, f"{file} (notebook snapshot)")
    raise NbsecError(
        f"{file}: no nbsec threat model saved in this notebook (neither in {METADATA_PATH} nor in an output)",
        "run `%aisec threatmodel FILE` in it, then the JupyterLab command \"Save the threat model into the "
        'notebook" (command palette); or import the YAML file instead',
    )
