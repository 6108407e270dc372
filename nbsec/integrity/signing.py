"""Ed25519 signatures over manifests (with `cryptography`, imported only when signing or verifying).

What is signed is the manifest's canonical JSON, not the file's bytes:

    json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

so re-indenting or re-ordering the keys of a manifest file keeps its signature
valid, while changing any value (a hash, a size, a path, merkle_root, the
exclude list) breaks it. The signature file is `<manifest>.sig`: the 64-byte
Ed25519 signature in base64 and a newline.

Keys are PEM files: PKCS#8 for the private key (unencrypted, written with mode
0600), SubjectPublicKeyInfo for the public key. A public key may also be an
OpenSSH `ssh-ed25519 AAAA...` line.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbsec.errors import NbsecError
from nbsec.integrity.manifest import ManifestError, PathLike, merkle_root, read_manifest, signature_path_for

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNATURE_BYTES = 64


class SigningError(NbsecError):
    """A key file is missing, not an Ed25519 key, or would be overwritten."""


def canonical_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The exact bytes an Ed25519 signature of a manifest covers."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# -- keys --------------------------------------------------------------------------------------


def _write_new(path: Path, data: bytes, mode: int, force: bool) -> None:
    if force and os.path.lexists(path):
        os.unlink(path)
    # O_EXCL: never write through a symlink someone planted, never race an existing file.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        raise SigningError(
            f"{path}: already exists",
            "pass --force to replace it (signatures made with the old key will not verify with the new one)",
        ) from None
    with os.fdopen(fd, "wb") as handle:
        if hasattr(os, "fchmod"):
            os.fchmod(handle.fileno(), mode)  # the umask may have taken bits away; set exactly
        handle.write(data)


def generate_keypair(private_path: PathLike, public_path: PathLike, *, force: bool = False) -> tuple[Path, Path]:
    """Write a new Ed25519 key pair as PEM; the private key gets mode 0600. Refuses to overwrite unless `force`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private, public = Path(private_path), Path(public_path)
    if os.path.abspath(private) == os.path.abspath(public):
        raise SigningError(f"{private}: the private and public key need different files", "e.g. KEY and KEY.pub")
    if not force:
        for path in (private, public):
            if os.path.lexists(path):
                raise SigningError(
                    f"{path}: already exists",
                    "pass --force to replace it (signatures made with the old key will not verify with the new one)",
                )
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        _write_new(private, private_pem, 0o600, force)
        _write_new(public, public_pem, 0o644, force)
    except OSError as exc:
        raise SigningError(f"cannot write the key pair ({exc.strerror or exc})", "check the folder") from None
    return private, public


def _read_key_file(path: PathLike, which: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SigningError(
            f"{os.fspath(path)}: cannot read the {which} key ({exc.strerror or exc})",
            "create a key pair with `nbsec manifest keygen --private KEY --public KEY.pub`",
        ) from None


def load_private_key(path: PathLike) -> Ed25519PrivateKey:
    """Load an unencrypted PEM (PKCS#8) Ed25519 private key."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = _read_key_file(path, "private")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:  # cryptography's way of saying "encrypted, and no password given"
        raise SigningError(
            f"{os.fspath(path)}: the private key is encrypted", "nbsec reads unencrypted keys (keep them mode 0600)"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise SigningError(
            f"{os.fspath(path)}: not a PEM private key",
            "pass the private key written by `nbsec manifest keygen` (not the .pub file)",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{os.fspath(path)}: not an Ed25519 key", "create one with `nbsec manifest keygen`")
    return key


def load_public_key(path: PathLike) -> Ed25519PublicKey:
    """Load an Ed25519 public key: PEM (SubjectPublicKeyInfo) or an OpenSSH `ssh-ed25519` line."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data = _read_key_file(path, "public")
    if b"PRIVATE KEY" in data:
        raise SigningError(
            f"{os.fspath(path)}: this is a private key", "pass the public key (KEY.pub); keep the private key secret"
        )
    try:
        if data.lstrip().startswith(b"ssh-"):
            key: object = serialization.load_ssh_public_key(data.strip())
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise SigningError(
            f"{os.fspath(path)}: not a PEM or OpenSSH public key",
            "pass the .pub file written by `nbsec manifest keygen`",
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError(f"{os.fspath(path)}: not an Ed25519 public key", "nbsec signs with Ed25519 only")
    return key


def key_fingerprint(public_key_path: PathLike) -> str:
    """Short, stable name of a public key: the first 16 hex digits of SHA-256 over its 32 raw bytes."""
    from cryptography.hazmat.primitives import serialization

    raw = load_public_key(public_key_path).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# -- sign / verify ---------------------------------------------------------------------------------


def sign_manifest(manifest_path: PathLike, private_key_path: PathLike) -> Path:
    """Sign a manifest file; write and return `<manifest>.sig` (base64 + newline).

    Refuses a manifest whose merkle_root does not match its own file list:
    signing it would vouch for a manifest that was already edited.
    """
    manifest = read_manifest(manifest_path)
    if merkle_root(manifest["files"], manifest["algorithm"]) != manifest["merkle_root"]:
        raise ManifestError(
            f"{os.fspath(manifest_path)}: merkle_root does not match the file list (the manifest was edited)",
            "create the manifest again with `nbsec manifest create` and sign that",
        )
    key = load_private_key(private_key_path)
    signature = key.sign(canonical_bytes(manifest))
    out = signature_path_for(manifest_path)
    try:
        out.write_bytes(base64.b64encode(signature) + b"\n")
    except OSError as exc:
        raise SigningError(f"{out}: cannot write the signature ({exc.strerror or exc})", "check the folder") from None
    return out


def decode_signature(data: bytes) -> bytes | None:
    """The 64 raw bytes from a `.sig` file's content (base64, or already raw); None if it is neither."""
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == SIGNATURE_BYTES:
        return raw
    return data if len(data) == SIGNATURE_BYTES else None


def verify_signature(manifest: Mapping[str, Any], sig_bytes: bytes, public_key_path: PathLike) -> bool:
    """True when `sig_bytes` (a `.sig` file's content) is a valid signature of the manifest by the key."""
    from cryptography.exceptions import InvalidSignature

    key = load_public_key(public_key_path)
    raw = decode_signature(sig_bytes)
    if raw is None:
        return False
    try:
        key.verify(raw, canonical_bytes(manifest))
    except InvalidSignature:
        return False
    return True
