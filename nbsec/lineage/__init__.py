"""Data lineage with tamper evidence: record provenance from notebooks, verify it, see it as a graph.

    from nbsec import lineage

    with lineage.step("train", inputs=["data/train.csv"], outputs=["models/clf.pt"], params={"lr": 0.1}):
        ...
    report = lineage.verify()          # chain intact? artifacts unchanged? -> nbsec Report

Events are canonical JSON in a SHA-256 hash chain in a SQLite store
(`.nbsec/lineage.db` by default), optionally signed with Ed25519. Artifacts are
hashed over their full content. Stdlib only at import: pandas, numpy, torch,
plotly and cryptography load when an object of theirs is passed or a feature
needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbsec.lineage.artifacts import Artifact, artifact
from nbsec.lineage.recording import Step, batch, record, step
from nbsec.lineage.store import DEFAULT_STORE, LineageStoreError, Store, open_store, set_default_store

if TYPE_CHECKING:
    from nbsec.lineage.verifier import verify_store as verify

__all__ = [
    "DEFAULT_STORE",
    "Artifact",
    "LineageStoreError",
    "Step",
    "Store",
    "artifact",
    "batch",
    "export_openlineage",
    "import_dvc_lock",
    "install_hooks",
    "open_store",
    "record",
    "set_default_store",
    "step",
    "uninstall_hooks",
    "verify",
]

_LAZY = {
    "verify": ("nbsec.lineage.verifier", "verify_store"),
    "verify_detailed": ("nbsec.lineage.verifier", "verify_detailed"),
    "install_hooks": ("nbsec.lineage.hooks", "install_hooks"),
    "uninstall_hooks": ("nbsec.lineage.hooks", "uninstall_hooks"),
    "export_openlineage": ("nbsec.lineage.openlineage", "export_openlineage"),
    "import_dvc_lock": ("nbsec.lineage.dvc", "import_dvc_lock"),
}


def __getattr__(name: str) -> Any:
    # Verification registers the rules and export/import pull in more code: load them on first use.
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'nbsec.lineage' has no attribute {name!r}")
