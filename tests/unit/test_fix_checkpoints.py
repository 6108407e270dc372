"""`nbsec fix` for pickle checkpoints: converted to .safetensors only after the static scan, never loaded otherwise.

Checkpoints are written with torch at test time. The malicious one would create a marker file if anything
unpickled it: the tests prove it was not created, and that torch.load was never even called for it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

from nbsec import api  # noqa: E402
from nbsec.fix.base import Change, FixContext, Refusal  # noqa: E402
from nbsec.fix.checkpoints import FIXERS, INSTALL_HINT, NEVER_LOAD, convert_checkpoint  # noqa: E402
from nbsec.integrity import create_manifest_file, generate_keypair, sign_manifest  # noqa: E402
from nbsec.integrity.manifest import validate_manifest  # noqa: E402
from nbsec.model import Finding  # noqa: E402

ART_UNKNOWN = "NBSEC-ART-002"


class Payload:
    """Unpickling this runs os.system: the file must never be unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def weights() -> dict[str, Any]:
    """A state dict whose uint16 tensor makes nbsec report ART-002 (torch.uint16 is outside its allowlist)."""
    codes = torch.tensor([[0, 1, 2], [3, 4, 65535]], dtype=torch.int32).to(torch.uint16)
    return {"codes": codes, "bias": torch.tensor([0.5, -1.0])}


def findings_of(path: Path) -> list[Finding]:
    return api.scan([path]).findings


def convert(path: Path, root: Path | None = None) -> tuple[list[Change], list[Refusal]]:
    found = tuple(f for f in findings_of(path) if f.rule_id in FIXERS[0].rule_ids)
    assert found, "the sample must raise the rule the fixer is registered for"
    return convert_checkpoint(FixContext(root or path.parent, path, path.read_bytes(), found))


def test_a_state_dict_becomes_a_safetensors_file_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save(weights(), path)
    original = path.read_bytes()
    assert [f.rule_id for f in findings_of(path)] == [ART_UNKNOWN]
    changes, refusals = convert(path)
    assert refusals == []
    [change] = changes
    assert change.kind == "new-file" and change.before is None and change.source == path
    assert change.path == tmp_path / "model.safetensors"
    assert change.summary == "model.pt: converted to model.safetensors (2 tensors, weights only, nothing runs on load)"
    assert any("no nbsec manifest lists model.pt" in n and "nbsec manifest create" in n for n in change.notes)
    loaded = safetensors_torch.load(change.after)
    assert set(loaded) == {"codes", "bias"}
    assert all(torch.equal(loaded[k], v) for k, v in weights().items())
    header = json.loads(change.after[8 : 8 + int.from_bytes(change.after[:8], "little")])
    assert header["__metadata__"]["converted_from"] == "model.pt"
    assert header["__metadata__"]["converted_from_sha256"] == hashlib.sha256(original).hexdigest()
    assert path.read_bytes() == original and sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]
    change.path.write_bytes(change.after)
    assert findings_of(change.path) == []  # the new file: nothing runs on load
    assert [f.rule_id for f in findings_of(path)] == [ART_UNKNOWN]  # the original is kept, so is its finding


def test_only_the_weights_of_a_training_checkpoint_are_converted(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.pt"
    torch.save({"model_state_dict": weights(), "epoch": 7, "dtype": torch.uint16}, path)
    [change], _ = convert(path)
    assert set(safetensors_torch.load(change.after)) == {"codes", "bias"}
    assert "only the weights were converted; not copied: dtype, epoch" in change.notes


def test_a_checkpoint_that_runs_code_on_load_is_refused_and_never_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "PWNED"
    path = tmp_path / "evil.pt"
    torch.save({**weights(), "x": Payload(marker)}, path)
    rules = {f.rule_id for f in findings_of(path)}
    assert {"NBSEC-ART-001", ART_UNKNOWN} <= rules  # the fixer is handed the ART-002 finding only
    loads: list[object] = []
    monkeypatch.setattr(torch, "load", lambda *a, **k: loads.append(a))
    changes, refusals = convert(path)
    assert changes == [] and refusals and all(r.reason.startswith(NEVER_LOAD) for r in refusals)
    assert "os.system" in refusals[0].reason or "posix.system" in refusals[0].reason
    assert loads == [] and not marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.pt"]


def test_a_whole_pickled_module_is_refused_with_what_to_save_instead(tmp_path: Path) -> None:
    path = tmp_path / "whole.pt"
    torch.save(torch.nn.Linear(3, 2), path)
    changes, refusals = convert(path)
    assert changes == []
    assert "pickled Python objects" in refusals[0].reason and "state_dict" in refusals[0].reason


def test_an_existing_safetensors_file_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save(weights(), path)
    (tmp_path / "model.safetensors").write_bytes(b"mine")
    changes, refusals = convert(path)
    assert changes == [] and "already exists" in refusals[0].reason


def test_without_safetensors_it_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.pt"
    torch.save(weights(), path)
    monkeypatch.setitem(sys.modules, "safetensors.torch", None)
    changes, refusals = convert(path)
    assert changes == [] and refusals[0].reason == INSTALL_HINT and "pip install 'nbsec[torch]'" in INSTALL_HINT


def test_the_folder_manifest_gets_the_new_file_so_it_still_verifies(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    path = folder / "model.pt"
    torch.save(weights(), path)
    (folder / "config.json").write_text("{}\n", encoding="utf-8")
    manifest = folder / "manifest.json"
    create_manifest_file(folder, manifest)
    changes, refusals = convert(path, root=tmp_path)
    assert refusals == []
    new_file, edit = changes
    assert edit.path == manifest and edit.kind == "text" and edit.before == manifest.read_bytes()
    assert edit.fixes == () and "models/manifest.json: lists model.safetensors" in edit.summary
    data = json.loads(edit.after)
    validate_manifest(data)
    assert [r["path"] for r in data["files"]] == ["config.json", "model.pt", "model.safetensors"]
    new_file.path.write_bytes(new_file.after)
    manifest.write_bytes(edit.after)
    assert api.verify_manifest(folder, manifest).findings == []


def test_a_signed_manifest_is_left_alone_and_a_changed_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save(weights(), path)
    manifest = tmp_path / "manifest.json"
    create_manifest_file(tmp_path, manifest)
    generate_keypair(tmp_path / "k.key", tmp_path / "k.pub")
    sign_manifest(manifest, tmp_path / "k.key")
    signed = manifest.read_bytes()
    [change], _ = convert(path)
    assert change.kind == "new-file" and any("is signed" in n and "nbsec manifest sign" in n for n in change.notes)
    assert manifest.read_bytes() == signed
    torch.save({**weights(), "extra": torch.zeros(1)}, path)  # no longer the file the manifest pins
    changes, refusals = convert(path)
    assert changes == [] and "differs from its manifest" in refusals[0].reason


def test_through_nbsec_fix(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save(weights(), path)
    original = path.read_bytes()
    report = api.fix([tmp_path], rules=[ART_UNKNOWN], apply=True, backup=False)
    assert report.fixes is not None and [c.kind for c in report.fixes.changes] == ["new-file"]
    assert path.read_bytes() == original
    assert set(safetensors_torch.load_file(tmp_path / "model.safetensors")) == {"codes", "bias"}
