"""Integrity of model folders: content hashes, manifests with a Merkle root, Ed25519 signatures.

    >>> from nbsec.integrity import create_manifest_file, verify_path
    >>> create_manifest_file("model/", "model.manifest.json")            # doctest: +SKIP
    >>> report = verify_path("model/", "model.manifest.json")             # doctest: +SKIP
    >>> [f.location.path for f in report.findings]                        # doctest: +SKIP

Stdlib only at import time: `cryptography` (signing) and `blake3` (optional
algorithm) are imported by the functions that need them.
"""

from __future__ import annotations

from nbsec.integrity.hashing import ALGORITHMS, blake3_file, hash_file, sha256_file
from nbsec.integrity.manifest import (
    DEFAULT_EXCLUDE,
    ManifestError,
    create_manifest,
    create_manifest_file,
    merkle_root,
    read_manifest,
    signature_path_for,
    write_manifest,
)
from nbsec.integrity.signing import (
    SigningError,
    canonical_bytes,
    generate_keypair,
    sign_manifest,
    verify_signature,
)
from nbsec.integrity.verify import verify_manifest, verify_path

__all__ = [
    "ALGORITHMS",
    "DEFAULT_EXCLUDE",
    "ManifestError",
    "SigningError",
    "blake3_file",
    "canonical_bytes",
    "create_manifest",
    "create_manifest_file",
    "generate_keypair",
    "hash_file",
    "merkle_root",
    "read_manifest",
    "sha256_file",
    "sign_manifest",
    "signature_path_for",
    "verify_manifest",
    "verify_path",
    "verify_signature",
    "write_manifest",
]
