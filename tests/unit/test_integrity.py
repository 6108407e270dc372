"""nbsec.integrity: hashing, manifests and their Merkle root, verification, Ed25519 signatures.

Every test works on real files in tmp_path; nothing is mocked except where a
condition cannot be produced for real (an unreadable file when the tests run as root).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import stat
import sys
import types
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from nbsec.errors import NbsecError, TargetNotFoundError, UsageError
from nbsec.integrity import (
    ManifestError,
    SigningError,
    canonical_bytes,
    create_manifest,
    create_manifest_file,
    generate_keypair,
    hashing,
    merkle_root,
    read_manifest,
    sha256_file,
    sign_manifest,
    signature_path_for,
    verify_manifest,
    verify_path,
    verify_signature,
    write_manifest,
)
from nbsec.integrity import manifest as manifest_mod
from nbsec.integrity import verify as verify_mod
from nbsec.model import Report

MISMATCH = "NBSEC-ART-020"
SIGNATURE = "NBSEC-ART-021"
posix_only = pytest.mark.skipif(os.name != "posix", reason="symlinks/FIFOs/modes as on POSIX")


@pytest.fixture
def model(tmp_path: Path) -> Path:
    """A small model folder: weights, a nested config, a tokenizer."""
    root = tmp_path / "model"
    (root / "config").mkdir(parents=True)
    (root / "weights.bin").write_bytes(os.urandom(300_000))
    (root / "config" / "model.json").write_text('{"layers": 12}\n', encoding="utf-8")
    (root / "tokenizer.txt").write_text("a\nb\nc\n", encoding="utf-8")
    return root


def ids(report: Report) -> list[tuple[str, str]]:
    return sorted((f.rule_id, f.location.path) for f in report.findings)


def assert_schema_valid(report: Report, schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema).validate(report.to_dict())


# -- hashing ------------------------------------------------------------------------------------


def test_sha256_file_matches_hashlib(tmp_path: Path) -> None:
    for size in (0, 1, hashing.CHUNK_BYTES - 1, hashing.CHUNK_BYTES + 7):
        path = tmp_path / f"f{size}"
        data = os.urandom(size)
        path.write_bytes(data)
        assert sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_fallback_loop_gives_the_same_digest(tmp_path: Path) -> None:
    # The loop Python 3.10 uses; run it here too so it cannot rot unseen.
    data = os.urandom(2 * hashing.CHUNK_BYTES + 123)
    path = tmp_path / "f"
    path.write_bytes(data)
    with path.open("rb", buffering=0) as handle:
        assert hashing._digest_loop(handle, hashlib.sha256()) == hashlib.sha256(data).hexdigest()


def test_blake3_missing_is_a_usage_error_naming_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "blake3", None)  # makes `import blake3` raise ImportError
    (tmp_path / "f").write_bytes(b"x")
    with pytest.raises(UsageError) as info:
        create_manifest(tmp_path, algorithm="blake3")
    assert "pip install blake3" in info.value.hint


def test_blake3_is_used_when_importable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeBlake3:  # same API as the blake3 package; BLAKE2b stands in for the digest
        AUTO = -1

        def __init__(self, max_threads: int = 1) -> None:
            self._h = hashlib.blake2b(digest_size=32)

        def update(self, data: bytes) -> None:
            self._h.update(data)

        def hexdigest(self) -> str:
            return self._h.hexdigest()

    monkeypatch.setitem(sys.modules, "blake3", types.SimpleNamespace(blake3=FakeBlake3))
    (tmp_path / "f").write_bytes(b"hello")
    manifest = create_manifest(tmp_path, algorithm="blake3")
    assert manifest["algorithm"] == "blake3"
    assert manifest["files"] == [
        {"path": "f", "size": 5, "blake3": hashlib.blake2b(b"hello", digest_size=32).hexdigest()}
    ]
    assert not verify_manifest(tmp_path, manifest).findings


def test_unknown_algorithm_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="md5"):
        create_manifest(tmp_path, algorithm="md5")


@posix_only
def test_symlink_is_not_opened_when_walking(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(b"x")
    (tmp_path / "link").symlink_to("real")
    with pytest.raises(hashing.NotARegularFileError):
        hashing.hash_file(tmp_path / "link", follow_symlinks=False)


@posix_only
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(hashing.NotARegularFileError):
        hashing.hash_file(fifo)
    assert create_manifest(tmp_path)["files"] == []  # no content to pin: left out


# -- the Merkle root ------------------------------------------------------------------------------


def _leaf(path: str, size: int, digest: str) -> bytes:
    return hashlib.sha256(b"\x00" + path.encode() + b"\x00" + str(size).encode() + b"\x00" + digest.encode()).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def test_merkle_root_follows_the_documented_construction() -> None:
    records = [{"path": p, "size": i, "sha256": hashlib.sha256(p.encode()).hexdigest()} for i, p in enumerate("abc")]
    a, b, c = (_leaf(r["path"], r["size"], r["sha256"]) for r in records)
    assert merkle_root(records) == _node(_node(a, b), c).hex()  # odd node promoted, not duplicated
    assert merkle_root(records[:1]) == a.hex()
    assert merkle_root([]) == hashlib.sha256(b"").hexdigest()
    link = {"path": "l", "symlink": "a"}
    assert merkle_root([link]) == hashlib.sha256(b"\x00l\x00symlink\x00a").hexdigest()


def test_merkle_root_is_independent_of_record_order() -> None:
    records = [{"path": f"f{i}", "size": i, "sha256": "0" * 64} for i in range(11)]
    shuffled = records[:]
    random.Random(7).shuffle(shuffled)
    assert merkle_root(shuffled) == merkle_root(records)
    changed = [dict(r) for r in records]
    changed[5]["size"] = 99
    assert merkle_root(changed) != merkle_root(records)


def test_manifest_is_independent_of_filesystem_listing_order(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = create_manifest(model)
    real_scandir = os.scandir

    class Reversed:
        def __init__(self, path: Any) -> None:
            self._items = list(reversed(list(real_scandir(path))))

        def __enter__(self) -> list[os.DirEntry[str]]:
            return self._items

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(os, "scandir", Reversed)
    second = create_manifest(model)
    assert second["files"] == first["files"]
    assert second["merkle_root"] == first["merkle_root"]


# -- create ---------------------------------------------------------------------------------------


def test_manifest_shape(model: Path) -> None:
    manifest = create_manifest(model)
    assert manifest["format"] == "nbsec-manifest"
    assert manifest["version"] == 1
    assert manifest["algorithm"] == "sha256"
    assert manifest["created_at"].endswith("Z")
    assert manifest["root"] == "model"  # the name only: never the producer's absolute path
    assert str(model.parent) not in json.dumps(manifest)
    assert [f["path"] for f in manifest["files"]] == ["config/model.json", "tokenizer.txt", "weights.bin"]
    weights = manifest["files"][2]
    assert weights == {"path": "weights.bin", "size": 300_000, "sha256": sha256_file(model / "weights.bin")}
    assert manifest["merkle_root"] == merkle_root(manifest["files"])


def test_default_excludes_and_extra_patterns(model: Path) -> None:
    for name in (".git/HEAD", "__pycache__/x.pyc", "config/.ipynb_checkpoints/a.ipynb", "run.log"):
        (model / name).parent.mkdir(parents=True, exist_ok=True)
        (model / name).write_text("x", encoding="utf-8")
    paths = [f["path"] for f in create_manifest(model, exclude=(*manifest_mod.DEFAULT_EXCLUDE, "*.log"))["files"]]
    assert paths == ["config/model.json", "tokenizer.txt", "weights.bin"]


def test_manifest_and_signature_inside_root_are_left_out(model: Path) -> None:
    out = model / "manifest.json"
    signature_path_for(out).write_text("old signature\n", encoding="utf-8")
    manifest = create_manifest_file(model, out)
    assert "manifest.json" not in [f["path"] for f in manifest["files"]]
    assert "manifest.json.sig" not in [f["path"] for f in manifest["files"]]
    assert read_manifest(out) == manifest
    report = verify_path(model, out)
    assert report.findings == []


def test_single_file_root(model: Path) -> None:
    manifest = create_manifest(model / "weights.bin")
    assert manifest["root"] == "weights.bin"
    assert [f["path"] for f in manifest["files"]] == ["weights.bin"]
    report = verify_manifest(model / "weights.bin", manifest)
    assert report.findings == [] and report.targets[0].kind == "file"
    (model / "weights.bin").write_bytes(b"tampered")
    report = verify_manifest(model / "weights.bin", manifest)
    assert ids(report) == [(MISMATCH, str(model / "weights.bin"))]


@posix_only
def test_symlinks_are_recorded_not_followed(model: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not part of the model", encoding="utf-8")
    (model / "escape").symlink_to(outside)
    (model / "latest.bin").symlink_to("weights.bin")
    manifest = create_manifest(model)
    records = {f["path"]: f for f in manifest["files"]}
    assert records["escape"] == {"path": "escape", "symlink": str(outside)}
    assert records["latest.bin"] == {"path": "latest.bin", "symlink": "weights.bin"}
    assert not any(p.startswith("escape/") for p in records)
    # Changing what the outside folder holds changes nothing: it was never followed.
    (outside / "secret.txt").write_text("changed", encoding="utf-8")
    assert verify_manifest(model, manifest).findings == []
    # Pointing the link elsewhere is a mismatch.
    (model / "latest.bin").unlink()
    (model / "latest.bin").symlink_to("tokenizer.txt")
    report = verify_manifest(model, manifest, display="model")
    assert ids(report) == [(MISMATCH, os.path.join("model", "latest.bin"))]
    assert "'weights.bin'" in report.findings[0].evidence and "'tokenizer.txt'" in report.findings[0].evidence


@posix_only
def test_symlink_replacing_a_file_is_a_mismatch(model: Path) -> None:
    manifest = create_manifest(model)
    (model / "tokenizer.txt").unlink()
    (model / "tokenizer.txt").symlink_to("weights.bin")
    report = verify_manifest(model, manifest, display="m")
    assert ids(report) == [(MISMATCH, os.path.join("m", "tokenizer.txt"))]
    assert "found a symlink" in report.findings[0].evidence


def test_unreadable_file_fails_create(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _make_unreadable(monkeypatch, model / "tokenizer.txt")
    with pytest.raises(ManifestError, match="tokenizer.txt"):
        create_manifest(model)


def test_missing_root_is_target_not_found(tmp_path: Path) -> None:
    with pytest.raises(TargetNotFoundError):
        create_manifest(tmp_path / "nope")


# -- read / write ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid JSON"),
        ('{"format": "cyclonedx"}', "not an nbsec manifest"),
        ("[]", "not an nbsec manifest"),
        ('{"format": "nbsec-manifest", "version": 9}', "version 9"),
    ],
)
def test_read_manifest_rejects_what_is_not_a_manifest(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ManifestError, match=message) as info:
        read_manifest(path)
    assert isinstance(info.value, NbsecError) and info.value.hint
    assert str(path) in info.value.message


def test_read_manifest_missing_file_has_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as info:
        read_manifest(tmp_path / "absent.json")
    assert "nbsec manifest create" in info.value.hint


@pytest.mark.parametrize("bad_path", ["../escape", "/etc/passwd", "a//b", "a/./b", ""])
def test_read_manifest_rejects_paths_outside_the_root(model: Path, tmp_path: Path, bad_path: str) -> None:
    manifest = create_manifest(model)
    manifest["files"][0]["path"] = bad_path
    path = write_manifest(manifest, tmp_path / "m.json")
    with pytest.raises(ManifestError, match="relative POSIX path"):
        read_manifest(path)


def test_write_then_read_round_trips(model: Path, tmp_path: Path) -> None:
    manifest = create_manifest(model)
    path = write_manifest(manifest, tmp_path / "m.json")
    assert read_manifest(path) == manifest
    assert path.read_text(encoding="utf-8").endswith("\n")


# -- verify ----------------------------------------------------------------------------------------


def test_intact_folder_has_no_findings_and_says_what_it_checked(model: Path, report_schema: dict[str, Any]) -> None:
    report = verify_manifest(model, create_manifest(model))
    assert report.findings == [] and report.errors == []
    checks = {c.target: c.status for c in report.checks if c.scanner == "manifest"}
    expected = {os.path.join(str(model), *p.split("/")) for p in ("config/model.json", "tokenizer.txt", "weights.bin")}
    assert checks == {"manifest": "passed", **{p: "passed" for p in expected}}  # merkle_root, then each file
    metrics = {m.name: m for m in report.metrics}
    assert metrics["files_verified"].value == 3
    assert metrics["bytes_hashed"].value == sum(p.stat().st_size for p in model.rglob("*") if p.is_file())
    assert metrics["hash_throughput"].unit == "MB/s"
    assert report.tool_version and report.started_at and report.finished_at
    assert_schema_valid(report, report_schema)


def test_one_changed_byte_names_that_file_only(model: Path, report_schema: dict[str, Any]) -> None:
    manifest = create_manifest(model)
    data = bytearray((model / "weights.bin").read_bytes())
    data[1234] ^= 0x01
    (model / "weights.bin").write_bytes(bytes(data))
    report = verify_manifest(model, manifest, display="model")
    assert ids(report) == [(MISMATCH, os.path.join("model", "weights.bin"))]
    finding = report.findings[0]
    old, new = manifest["files"][2]["sha256"], sha256_file(model / "weights.bin")
    assert finding.evidence == f"sha256 expected {old[:16]}… got {new[:16]}…"
    assert finding.severity.value == "high" and finding.remediation and finding.references
    assert finding.title == "File differs from its manifest"
    assert_schema_valid(report, report_schema)


def test_size_change_is_reported_without_reading_the_file(model: Path) -> None:
    manifest = create_manifest(model)
    with (model / "tokenizer.txt").open("a", encoding="utf-8") as handle:
        handle.write("d\n")
    report = verify_manifest(model, manifest, display="m")
    assert ids(report) == [(MISMATCH, os.path.join("m", "tokenizer.txt"))]
    assert report.findings[0].evidence == "size expected 6 bytes, got 8 bytes"


def test_missing_and_added_files(model: Path) -> None:
    manifest = create_manifest(model)
    (model / "config" / "model.json").unlink()
    (model / "config" / "extra.py").write_text("import os\n", encoding="utf-8")
    report = verify_manifest(model, manifest, display="model")
    assert ids(report) == [
        (MISMATCH, os.path.join("model", "config", "extra.py")),
        (MISMATCH, os.path.join("model", "config", "model.json")),
    ]
    by_path = {f.location.path: f for f in report.findings}
    assert by_path[os.path.join("model", "config", "model.json")].evidence.startswith("missing:")
    assert by_path[os.path.join("model", "config", "extra.py")].evidence == "added: not in the manifest (10 bytes)"
    assert {"missing", "added"} <= {t for f in report.findings for t in f.tags}


def test_unreadable_file_is_an_error_not_a_crash(
    model: Path, monkeypatch: pytest.MonkeyPatch, report_schema: dict[str, Any]
) -> None:
    manifest = create_manifest(model)
    _make_unreadable(monkeypatch, model / "weights.bin")
    report = verify_manifest(model, manifest, display="model")
    assert report.findings == []
    assert [(e.target, e.scanner) for e in report.errors] == [(os.path.join("model", "weights.bin"), "manifest")]
    assert "Permission denied" in report.errors[0].message
    assert_schema_valid(report, report_schema)


def test_unlistable_folder_is_an_error_and_its_files_are_not_missing(
    model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = create_manifest(model)
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if os.path.basename(path) == "config":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = verify_manifest(model, manifest, display="model")
    assert report.findings == []  # config/model.json could not be looked at: an error, not "missing"
    assert [e.target for e in report.errors] == [os.path.join("model", "config")]
    assert "cannot list folder" in report.errors[0].message


def test_tampered_manifest_is_a_signature_finding(model: Path, tmp_path: Path) -> None:
    manifest = create_manifest(model)
    manifest["files"][1]["sha256"] = "0" * 64  # the hash edited, the merkle root left alone
    path = write_manifest(manifest, tmp_path / "m.json")
    report = verify_path(model, path)
    assert (SIGNATURE, str(path)) in ids(report)
    tampered = next(f for f in report.findings if f.rule_id == SIGNATURE)
    assert "edited" in tampered.evidence and tampered.severity.value == "critical"


def test_verify_missing_root_is_a_usage_error(model: Path, tmp_path: Path) -> None:
    with pytest.raises(TargetNotFoundError):
        verify_manifest(tmp_path / "gone", create_manifest(model))


# -- signatures -------------------------------------------------------------------------------------


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "keys").mkdir()
    return generate_keypair(tmp_path / "keys" / "signing.key", tmp_path / "keys" / "signing.pub")


@posix_only
def test_keygen_writes_private_key_0600_and_refuses_to_overwrite(keys: tuple[Path, Path]) -> None:
    private, public = keys
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in private.read_bytes() and b"BEGIN PUBLIC KEY" in public.read_bytes()
    before = private.read_bytes()
    with pytest.raises(SigningError, match="already exists"):
        generate_keypair(private, public)
    assert private.read_bytes() == before
    generate_keypair(private, public, force=True)
    assert private.read_bytes() != before and stat.S_IMODE(private.stat().st_mode) == 0o600


def test_sign_and_verify_with_the_right_key(model: Path, tmp_path: Path, keys: tuple[Path, Path]) -> None:
    private, public = keys
    path = tmp_path / "m.json"
    create_manifest_file(model, path)
    sig = sign_manifest(path, private)
    assert sig == tmp_path / "m.json.sig"
    text = sig.read_text(encoding="ascii")
    assert text.endswith("\n") and len(text.strip()) == 88  # base64 of 64 bytes
    report = verify_path(model, path, public_key=public)
    assert report.findings == []
    assert any(
        c.scanner == "manifest-signature" and c.status == "passed" and "signed by" in c.detail for c in report.checks
    )


def test_signature_survives_reformatting_but_not_edits(model: Path, tmp_path: Path, keys: tuple[Path, Path]) -> None:
    private, public = keys
    manifest = create_manifest_file(model, tmp_path / "m.json")
    sig = sign_manifest(tmp_path / "m.json", private).read_bytes()
    reordered = dict(reversed(list(manifest.items())))
    assert canonical_bytes(reordered) == canonical_bytes(manifest)
    assert verify_signature(reordered, sig, public)
    edited = json.loads(json.dumps(manifest))
    edited["files"][0]["size"] += 1
    edited["merkle_root"] = merkle_root(edited["files"])  # a careful forger fixes the root too
    assert not verify_signature(edited, sig, public)
    report = verify_manifest(model, edited, public_key=public, signature=sig, manifest_path=tmp_path / "m.json")
    assert (SIGNATURE, str(tmp_path / "m.json")) in ids(report)


def test_wrong_key_missing_or_garbage_signature_fail(model: Path, tmp_path: Path, keys: tuple[Path, Path]) -> None:
    private, _public = keys
    _other_private, other_public = generate_keypair(tmp_path / "keys" / "other.key", tmp_path / "keys" / "other.pub")
    path = tmp_path / "m.json"
    create_manifest_file(model, path)
    assert ids(verify_path(model, path, public_key=other_public)) == [(SIGNATURE, str(path))]  # unsigned
    sign_manifest(path, private)
    report = verify_path(model, path, public_key=other_public)
    assert ids(report) == [(SIGNATURE, str(path))]
    assert "does not verify" in report.findings[0].evidence
    signature_path_for(path).write_text("not base64!\n", encoding="ascii")
    assert ids(verify_path(model, path, public_key=other_public)) == [(SIGNATURE, str(path))]


def test_signature_without_key_is_reported_as_skipped(model: Path, tmp_path: Path, keys: tuple[Path, Path]) -> None:
    path = tmp_path / "m.json"
    create_manifest_file(model, path)
    sign_manifest(path, keys[0])
    report = verify_path(model, path)
    assert report.findings == []
    skipped = [c for c in report.checks if c.status == "skipped"]
    assert skipped and "not checked" in skipped[0].detail


def test_private_key_given_as_public_key_is_a_usage_error(model: Path, tmp_path: Path, keys: tuple[Path, Path]) -> None:
    path = tmp_path / "m.json"
    create_manifest_file(model, path)
    sign_manifest(path, keys[0])
    with pytest.raises(SigningError, match="private key"):
        verify_path(model, path, public_key=keys[0])
    (tmp_path / "junk.pub").write_text("hello", encoding="utf-8")
    with pytest.raises(SigningError, match="not a PEM or OpenSSH"):
        verify_path(model, path, public_key=tmp_path / "junk.pub")


def test_openssh_public_key_is_accepted(model: Path, tmp_path: Path, keys: tuple[Path, Path]) -> None:
    from cryptography.hazmat.primitives import serialization

    from nbsec.integrity.signing import load_private_key

    ssh_line = (
        load_private_key(keys[0])
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    )
    (tmp_path / "id.pub").write_bytes(ssh_line + b" me@host\n")
    path = tmp_path / "m.json"
    create_manifest_file(model, path)
    sign_manifest(path, keys[0])
    assert verify_path(model, path, public_key=tmp_path / "id.pub").findings == []


def test_sign_refuses_a_tampered_manifest(model: Path, tmp_path: Path, keys: tuple[Path, Path]) -> None:
    manifest = create_manifest(model)
    manifest["files"][0]["size"] = 1
    path = write_manifest(manifest, tmp_path / "m.json")
    with pytest.raises(ManifestError, match="merkle_root"):
        sign_manifest(path, keys[0])
    assert not signature_path_for(path).exists()


# -- helpers ------------------------------------------------------------------------------------------


def _make_unreadable(monkeypatch: pytest.MonkeyPatch, victim: Path) -> None:
    """Make opening one file fail with EACCES (chmod 000 does not stop root, who may run the tests)."""
    real_open = hashing.open_for_hashing

    def failing_open(path: Any, *, follow_symlinks: bool = True) -> Any:
        if os.path.realpath(path) == os.path.realpath(victim):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(hashing, "open_for_hashing", failing_open)  # hash_file (create) calls it here
    monkeypatch.setattr(verify_mod, "open_for_hashing", failing_open)


def test_a_deeply_nested_manifest_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(ManifestError, match="nested too deeply"):
        read_manifest(path)
