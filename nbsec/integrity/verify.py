"""Verify a folder against its manifest: every changed, missing or added file is a finding.

The result is a Report like any scan's (NBSEC-ART-020 for content, NBSEC-ART-021 for the
signature), so the CLI, the magics and every reporter render it unchanged.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from nbsec._version import __version__
from nbsec.errors import TargetNotFoundError
from nbsec.integrity.hashing import (
    check_algorithm,
    digest_fileobj,
    open_for_hashing,
)
from nbsec.integrity.manifest import (
    DEFAULT_EXCLUDE,
    SCANNER,
    SHOWN_HEX,
    SIGNATURE_SCANNER,
    Manifest,
    ManifestError,
    PathLike,
    Progress,
    TreeEntry,
    merkle_root,
    read_manifest,
    signature_path_for,
    validate_manifest,
    walk_tree,
)
from nbsec.model import Check, Location, Metric, Report, Rule, ScanError, Target, utc_now_iso


def _short(digest: str) -> str:
    return digest[:SHOWN_HEX] + "…" if len(digest) > SHOWN_HEX else digest


def _bytes(count: int) -> str:
    return f"{count} byte{'' if count == 1 else 's'}"


def _describe(record: Mapping[str, Any], algorithm: str) -> str:
    if "symlink" in record:
        return f"a symlink to {record['symlink']!r}"
    return f"{_bytes(record['size'])}, {algorithm} {_short(record[algorithm])}"


class _Verifier:
    """Compares one tree against one manifest and fills one Report."""

    def __init__(self, root: Path, manifest: Manifest, display: str, manifest_label: str) -> None:
        from nbsec.scanners.artifacts.rules import MANIFEST_MISMATCH, MANIFEST_SIGNATURE

        self.mismatch: Rule = MANIFEST_MISMATCH
        self.signature: Rule = MANIFEST_SIGNATURE
        self.root = root
        self.manifest = manifest
        self.algorithm: str = manifest["algorithm"]
        self.display = display
        self.manifest_label = manifest_label
        self.single_file = not os.path.isdir(root)
        self.report = Report(tool_version=__version__, started_at=utc_now_iso())
        self.bytes_hashed = 0
        self.files_verified = 0
        self.hash_seconds = 0.0
        self.unlisted: list[str] = []  # folders that could not be listed, as "a/b/" prefixes

    # -- report helpers

    def shown(self, rel: str) -> str:
        if self.single_file:  # the root is the file: show it as given; other names are the manifest's
            return self.display if rel == Path(os.path.abspath(self.root)).name else rel
        if self.display in ("", "."):
            return rel
        return os.path.join(self.display, *rel.split("/"))

    def finding(self, rule: Rule, where: str, evidence: str, tag: str) -> None:
        self.report.findings.append(rule.finding(Location(path=where), evidence, tags=("integrity", tag)))

    def mismatch_at(self, rel: str, evidence: str, tag: str) -> None:
        self.finding(self.mismatch, self.shown(rel), evidence, tag)
        self.report.checks.append(Check(SCANNER, self.shown(rel), "failed", tag))

    def error(self, rel: str, message: str) -> None:
        where = self.shown(rel) if rel != "." else self.display
        hint = "check the permissions; this file was not verified, so the folder is not proven intact"
        self.report.errors.append(ScanError(SCANNER, where, message, hint))
        self.report.checks.append(Check(SCANNER, where, "error", message))

    # -- the checks

    def check_merkle(self) -> None:
        computed = merkle_root(self.manifest["files"], self.algorithm)
        recorded = self.manifest["merkle_root"]
        if computed == recorded:
            detail = "merkle_root matches the file list"
            self.report.checks.append(Check(SCANNER, self.manifest_label, "passed", detail))
            return
        self.finding(
            self.signature,
            self.manifest_label,
            f"merkle_root is {_short(recorded)} but the manifest's file list hashes to {_short(computed)}: "
            "the manifest was edited after it was created",
            "tampered-manifest",
        )
        self.report.checks.append(Check(SCANNER, self.manifest_label, "failed", "merkle_root differs"))

    def check_signature(self, public_key: PathLike | None, signature: bytes | None) -> None:
        if public_key is None:
            detail = "signature present but not checked: no public key given" if signature else "no public key given"
            self.report.checks.append(Check(SIGNATURE_SCANNER, self.manifest_label, "skipped", detail))
            return
        from nbsec.integrity.signing import key_fingerprint, verify_signature

        key = f"Ed25519 key {key_fingerprint(public_key)}"
        if signature is None:
            evidence, ok = f"no signature for this manifest, but {key} was given to check one", False
        else:
            ok = verify_signature(self.manifest, signature, public_key)
            evidence = f"the signature does not verify with {key}"
        if ok:
            self.report.checks.append(Check(SIGNATURE_SCANNER, self.manifest_label, "passed", f"signed by {key}"))
            return
        self.finding(self.signature, self.manifest_label, evidence, "bad-signature")
        self.report.checks.append(Check(SIGNATURE_SCANNER, self.manifest_label, "failed", evidence))

    def compare(self, entries: list[TreeEntry], progress: Progress | None) -> None:
        expected = {r["path"]: r for r in self.manifest["files"]}
        actual = {e.path: e for e in entries}
        paths = sorted(expected.keys() | actual.keys(), key=lambda p: p.encode("utf-8"))
        for done, rel in enumerate(paths, 1):
            want, have = expected.get(rel), actual.get(rel)
            if want is None and have is not None:
                self.added(have)
            elif want is not None and have is None:
                if not any(rel.startswith(prefix) for prefix in self.unlisted):  # already an error
                    self.mismatch_at(
                        rel, f"missing: listed in the manifest ({_describe(want, self.algorithm)})", "missing"
                    )
            elif want is not None and have is not None:
                self.changed(rel, want, have)
            if progress is not None:
                progress(done, len(paths), rel)

    def added(self, entry: TreeEntry) -> None:
        if entry.kind == "symlink":
            what = f"a symlink to {entry.target!r}"
        else:
            try:
                what = _bytes(os.lstat(entry.abspath).st_size)
            except OSError:
                what = "a file"
        self.mismatch_at(entry.path, f"added: not in the manifest ({what})", "added")

    def changed(self, rel: str, want: Mapping[str, Any], have: TreeEntry) -> None:
        if "symlink" in want or have.kind == "symlink":
            if "symlink" in want and have.kind == "symlink":
                if want["symlink"] == have.target:
                    self.report.checks.append(Check(SCANNER, self.shown(rel), "passed", "symlink target matches"))
                    return
                evidence = f"symlink target expected {want['symlink']!r}, got {have.target!r}"
            elif have.kind == "symlink":
                evidence = (
                    f"expected a regular file ({_describe(want, self.algorithm)}), found a symlink to {have.target!r}"
                )
            else:
                evidence = f"expected a symlink to {want['symlink']!r}, found a regular file"
            self.mismatch_at(rel, evidence, "changed")
            return
        self.compare_file(rel, want, have)

    def compare_file(self, rel: str, want: Mapping[str, Any], have: TreeEntry) -> None:
        algorithm = self.algorithm
        try:
            handle, size = open_for_hashing(have.abspath, follow_symlinks=False)
            with handle:
                if size != want["size"]:
                    # Different size: different content, no need to read it.
                    self.files_verified += 1
                    self.mismatch_at(rel, f"size expected {_bytes(want['size'])}, got {_bytes(size)}", "changed")
                    return
                started = time.perf_counter()
                digest = digest_fileobj(handle, algorithm)
                self.hash_seconds += time.perf_counter() - started
        except OSError as exc:
            self.error(rel, f"cannot read ({exc.strerror or exc})")
            return
        self.files_verified += 1
        self.bytes_hashed += size
        if digest == want[algorithm]:
            self.report.checks.append(Check(SCANNER, self.shown(rel), "passed", f"{algorithm} matches"))
        else:
            evidence = f"{algorithm} expected {_short(want[algorithm])} got {_short(digest)}"
            self.mismatch_at(rel, evidence, "changed")

    def finish(self, seconds: float) -> Report:
        report = self.report
        throughput = self.bytes_hashed / 1e6 / self.hash_seconds if self.hash_seconds > 0 else 0.0
        labels = {"algorithm": self.algorithm}
        report.metrics += [
            Metric("files_verified", float(self.files_verified), "files", labels),
            Metric("bytes_hashed", float(self.bytes_hashed), "bytes", labels),
            Metric("hash_throughput", round(throughput, 1), "MB/s", labels),
        ]
        report.timings["hashing"] = self.hash_seconds
        report.timings["total"] = seconds
        report.finished_at = utc_now_iso()
        return report


def verify_manifest(
    root: PathLike,
    manifest: Manifest,
    *,
    public_key: PathLike | None = None,
    signature: bytes | None = None,
    manifest_path: PathLike | None = None,
    display: str | None = None,
    skip: Iterable[PathLike] = (),
    progress: Progress | None = None,
) -> Report:
    """Check `root` against `manifest` and return a Report.

    Findings: NBSEC-ART-020 for each changed, missing or added file (its
    location is the file); NBSEC-ART-021 when the manifest's merkle_root does
    not match its own file list, or when `public_key` (a PEM or OpenSSH Ed25519
    public key file) is given and `signature` (the `.sig` file's bytes) is
    missing or does not verify. A file that cannot be read is an entry in
    `report.errors`. `manifest_path` (and its `.sig`) is left out of the tree
    when it lies inside `root`; `display` is how `root` is shown (default: as given).
    """
    started = time.perf_counter()
    validate_manifest(manifest, os.fspath(manifest_path) if manifest_path is not None else "manifest")
    check_algorithm(manifest["algorithm"])
    if not os.path.lexists(root):
        raise TargetNotFoundError(os.fspath(root))
    root_path = Path(root)
    label = os.fspath(manifest_path) if manifest_path is not None else "manifest"
    verifier = _Verifier(root_path, manifest, display if display is not None else os.fspath(root), label)
    kind = "file" if verifier.single_file else "folder"
    verifier.report.targets.append(Target(verifier.display, kind, "scanned", f"manifest {label}"))
    verifier.check_merkle()
    verifier.check_signature(public_key, signature)

    def walk_error(rel: str, message: str) -> None:
        verifier.error(rel, message)
        verifier.unlisted.append("" if rel == "." else rel + "/")

    skipped = list(skip)
    if manifest_path is not None:
        skipped += [manifest_path, signature_path_for(manifest_path)]
    exclude = manifest.get("exclude", list(DEFAULT_EXCLUDE))
    entries = walk_tree(root_path, exclude=exclude, skip=skipped, on_error=walk_error)
    verifier.compare(entries, progress)
    return verifier.finish(time.perf_counter() - started)


def verify_path(
    root: PathLike,
    manifest_path: PathLike,
    *,
    public_key: PathLike | None = None,
    signature_path: PathLike | None = None,
    progress: Progress | None = None,
) -> Report:
    """Read the manifest (and `<manifest>.sig` unless `signature_path` names another file) and verify."""
    manifest = read_manifest(manifest_path)
    sig_path = Path(signature_path) if signature_path is not None else signature_path_for(manifest_path)
    signature: bytes | None = None
    try:
        signature = sig_path.read_bytes()
    except FileNotFoundError:
        if signature_path is not None:
            raise ManifestError(
                f"{sig_path}: no such signature file", "sign the manifest with `nbsec manifest sign`"
            ) from None
    except OSError as exc:
        raise ManifestError(
            f"{sig_path}: cannot read the signature ({exc.strerror or exc})", "check permissions"
        ) from None
    return verify_manifest(
        root,
        manifest,
        public_key=public_key,
        signature=signature,
        manifest_path=manifest_path,
        skip=(sig_path,),
        progress=progress,
    )
