"""The manifest rules' samples: NBSEC-ART-020/021 come from `verify_manifest`, not from a scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbsec.integrity import (
    create_manifest,
    generate_keypair,
    read_manifest,
    sign_manifest,
    verify_manifest,
    write_manifest,
)
from nbsec.model import Report
from nbsec.rule_catalogue import get_rule
from nbsec.scanners import registry


def _model(directory: Path) -> Path:
    root = directory / "model"
    root.mkdir()
    (root / "config.json").write_text('{"hidden": 8}')
    (root / "weights.safetensors").write_bytes(b"\x00" * 64)
    return root


def manifest_intact(directory: Path) -> Report:
    root = _model(directory)
    private, public = directory / "key", directory / "key.pub"
    generate_keypair(private, public)
    path = write_manifest(create_manifest(root), directory / "manifest.json")
    signature = sign_manifest(path, private).read_bytes()
    return verify_manifest(root, read_manifest(path), public_key=public, signature=signature)


def manifest_changed_file(directory: Path) -> Report:
    root = _model(directory)
    manifest = create_manifest(root)
    (root / "weights.safetensors").write_bytes(b"\x01" * 64)
    return verify_manifest(root, manifest)


def manifest_bad_signature(directory: Path) -> Report:
    root = _model(directory)
    generate_keypair(directory / "key", directory / "key.pub")
    return verify_manifest(root, create_manifest(root), public_key=directory / "key.pub", signature=b"AAAA\n")


SAMPLES = {f.__name__: f for f in (manifest_intact, manifest_changed_file, manifest_bad_signature)}


@pytest.mark.parametrize("rule_id", ["NBSEC-ART-020", "NBSEC-ART-021"])
def test_manifest_rule_samples(rule_id: str, tmp_path: Path) -> None:
    registry()
    rule = get_rule(rule_id)
    assert rule is not None
    trigger, clean = SAMPLES[rule.sample_trigger], SAMPLES[rule.sample_clean]
    (tmp_path / "t").mkdir()
    (tmp_path / "c").mkdir()
    assert rule_id in {f.rule_id for f in trigger(tmp_path / "t").findings}
    assert clean(tmp_path / "c").findings == []
