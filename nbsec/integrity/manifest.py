"""Manifests: the SHA-256 (or BLAKE3) and size of every file below a folder, and a Merkle root.

A manifest pins a model folder's exact content, so a changed, added or removed
file shows up as a finding that names it (NBSEC-ART-020), and a signed manifest
(see signing.py) proves who pinned it (NBSEC-ART-021).

The JSON shape (version 1)::

    {"format": "nbsec-manifest", "version": 1, "algorithm": "sha256",
     "created_at": "2025-01-01T00:00:00.000Z", "root": "model",        # folder name only
     "exclude": [".git", "__pycache__", ".ipynb_checkpoints"],
     "files": [{"path": "config.json", "size": 512, "sha256": "<hex>"},
               {"path": "latest", "symlink": "weights-v2.safetensors"}],  # sorted by path
     "merkle_root": "<hex>"}

Paths are POSIX, relative to the root. The root is recorded by name, never as an
absolute path: a manifest must not leak the producer's home folder.

Nothing below the root is followed: a symlink is recorded with its target (a
symlink that now points elsewhere is a mismatch), and files are opened with
O_NOFOLLOW. The root argument itself may be a symlink; it is resolved once.
Sockets, FIFOs and devices hold no content to pin and are left out, as are empty
folders (git's choice too).

Merkle root (RFC 6962-style domain separation, always SHA-256, whatever the file
algorithm): leaves, sorted by the UTF-8 bytes of their path, are

    file:    SHA-256(0x00 || path || 0x00 || size as decimal || 0x00 || file digest hex)
    symlink: SHA-256(0x00 || path || 0x00 || "symlink"        || 0x00 || target)

("symlink" can never be a decimal size, and NUL never occurs in a path, so the
two cannot collide); an interior node is SHA-256(0x01 || left || right) over the
32-byte child digests. Each level pairs nodes left to right and promotes an odd
last node unchanged to the next level (no duplication, so no CVE-2012-2459-style
second tree with the same root). The root of one file is its leaf; of no files,
SHA-256 of the empty string.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from nbsec.errors import InputError, NbsecError, TargetNotFoundError
from nbsec.integrity.hashing import (
    ALGORITHMS,
    HEX_LENGTH,
    check_algorithm,
    hash_file,
)
from nbsec.model import utc_now_iso
from nbsec.safe_input import read_json

FORMAT = "nbsec-manifest"
VERSION = 1
DEFAULT_EXCLUDE: tuple[str, ...] = (".git", "__pycache__", ".ipynb_checkpoints")
SIGNATURE_SUFFIX = ".sig"
SCANNER = "manifest"
SIGNATURE_SCANNER = "manifest-signature"
SHOWN_HEX = 16  # digits of a hash shown in evidence: enough to tell two apart, short enough to read
MAX_MANIFEST_BYTES = 1024 * 1024 * 1024  # a record is ~150 bytes: room for millions of files, not for a bomb

Progress = Callable[[int, int, str], None]
PathLike = str | os.PathLike[str]
Manifest = dict[str, Any]


class ManifestError(NbsecError):
    """A manifest file is missing, not JSON, not an nbsec manifest, or cannot be written."""


@dataclass(frozen=True)
class TreeEntry:
    """One thing below the root that a manifest records."""

    path: str  # POSIX, relative to the root
    abspath: str
    kind: str  # "file" | "symlink"
    target: str = ""  # where a symlink points (never followed)


# -- walking -------------------------------------------------------------------------------


def signature_path_for(manifest_path: PathLike) -> Path:
    """`manifest.json` -> `manifest.json.sig`."""
    return Path(os.fspath(manifest_path) + SIGNATURE_SUFFIX)


def _canonical_skip(paths: Iterable[PathLike]) -> set[str]:
    # Resolve the parent only: the skipped path itself may be a symlink we must not chase.
    out = set()
    for path in paths:
        p = Path(os.path.abspath(path))
        out.add(os.path.join(os.path.realpath(p.parent), p.name))
    return out


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes come back from os.* as lone surrogates
        return False
    return True


def _excluded(name: str, rel: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(rel, p) for p in patterns)


def _raise_walk_error(rel: str, message: str) -> NoReturn:
    raise ManifestError(f"{rel}: {message}", "fix the permissions or name, or leave it out with --exclude")


def walk_tree(
    root: PathLike,
    *,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    skip: Iterable[PathLike] = (),
    on_error: Callable[[str, str], None] = _raise_walk_error,
) -> list[TreeEntry]:
    """Everything a manifest of `root` records, sorted by path; symlinks are listed, not followed.

    `exclude` holds glob patterns matched against each name and each relative
    path; a matching folder is skipped whole. `skip` names exact paths to leave
    out (the manifest and its signature). Unreadable folders and names that are
    not UTF-8 go to `on_error(relative_path, message)`.
    """
    if not os.path.lexists(root):
        raise TargetNotFoundError(os.fspath(root))
    base = os.path.realpath(root)
    if not os.path.isdir(base):
        return [TreeEntry(Path(os.path.abspath(root)).name, base, "file")]
    patterns = [p.rstrip("/") for p in exclude if p.strip("/")]
    skipped = _canonical_skip(skip)
    entries: list[TreeEntry] = []
    stack: list[tuple[str, str]] = [(base, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as listing:
                items = list(listing)
        except OSError as exc:
            on_error(prefix.rstrip("/") or ".", f"cannot list folder ({exc.strerror or exc})")
            continue
        for item in items:
            rel = prefix + item.name
            if _excluded(item.name, rel, patterns) or item.path in skipped:
                continue
            if not _is_utf8(rel):
                on_error(rel.encode("utf-8", "replace").decode(), "file name is not valid UTF-8")
                continue
            try:
                if item.is_symlink():
                    target = os.readlink(item.path)
                    if not _is_utf8(target):
                        on_error(rel, "symlink target is not valid UTF-8")
                        continue
                    entries.append(TreeEntry(rel, item.path, "symlink", target))
                elif item.is_dir(follow_symlinks=False):
                    stack.append((item.path, rel + "/"))
                elif item.is_file(follow_symlinks=False):
                    entries.append(TreeEntry(rel, item.path, "file"))
            except OSError as exc:
                on_error(rel, f"cannot read ({exc.strerror or exc})")
    entries.sort(key=lambda e: e.path.encode("utf-8"))
    return entries


# -- the Merkle tree -------------------------------------------------------------------------


def leaf_hash(record: Mapping[str, Any], algorithm: str = "sha256") -> bytes:
    """The 32-byte Merkle leaf of one manifest record (see the module docstring)."""
    if "symlink" in record:
        middle, last = "symlink", str(record["symlink"])
    else:
        middle, last = str(int(record["size"])), str(record[algorithm])
    data = b"\x00" + b"\x00".join(s.encode("utf-8") for s in (str(record["path"]), middle, last))
    return hashlib.sha256(data).digest()


def merkle_root(files: Iterable[Mapping[str, Any]], algorithm: str = "sha256") -> str:
    """Hex Merkle root over the records; independent of the order they are given in."""
    ordered = sorted(files, key=lambda r: str(r["path"]).encode("utf-8"))
    level = [leaf_hash(r, algorithm) for r in ordered]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        paired = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])  # odd node promoted, never duplicated
        level = paired
    return level[0].hex()


# -- create / read / write ----------------------------------------------------------------------


def create_manifest(
    root: PathLike,
    *,
    algorithm: str = "sha256",
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    skip: Iterable[PathLike] = (),
    progress: Progress | None = None,
) -> Manifest:
    """Hash every file below `root` (or `root` itself, if it is a file) into a manifest dict.

    Raises ManifestError when a file cannot be read: a manifest with a hole in it
    would verify a folder it never saw. `progress(done, total, path)` is called
    after each entry.
    """
    check_algorithm(algorithm)
    entries = walk_tree(root, exclude=exclude, skip=skip)
    files: list[dict[str, Any]] = []
    for done, entry in enumerate(entries, 1):
        if entry.kind == "symlink":
            files.append({"path": entry.path, "symlink": entry.target})
        else:
            try:
                digest, size = hash_file(entry.abspath, algorithm, follow_symlinks=False)
            except OSError as exc:
                _raise_walk_error(entry.path, f"cannot read ({exc.strerror or exc})")
            files.append({"path": entry.path, "size": size, algorithm: digest})
        if progress is not None:
            progress(done, len(entries), entry.path)
    return {
        "format": FORMAT,
        "version": VERSION,
        "algorithm": algorithm,
        "created_at": utc_now_iso(),
        "root": Path(os.path.abspath(root)).name,
        "exclude": list(exclude),
        "files": files,
        "merkle_root": merkle_root(files, algorithm),
    }


def write_manifest(manifest: Mapping[str, Any], path: PathLike) -> Path:
    """Write the manifest as indented UTF-8 JSON, atomically (a reader never sees half a file)."""
    target = Path(path)
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; a manifest is meant to be shared
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        raise ManifestError(
            f"{target}: cannot write the manifest ({exc.strerror or exc})",
            "check that the folder exists and is writable",
        ) from None
    return target


def read_manifest(path: PathLike) -> Manifest:
    """Load and validate a manifest file; ManifestError (with a hint) when it is not one."""
    label = os.fspath(path)
    hint = "the file is damaged or not a manifest; create it again with `nbsec manifest create`"
    try:  # bounded: size, UTF-8, and nesting (a hostile file nested deeper than the JSON parser can go)
        data = read_json(path, what="manifest", hint=hint, max_bytes=MAX_MANIFEST_BYTES)
    except InputError as exc:
        if exc.kind == "missing":
            raise ManifestError(
                f"{label}: no such manifest",
                f"create one with `nbsec manifest create DIR -o {label}`, or name it with -m",
            ) from None
        raise ManifestError(exc.message, exc.hint) from None
    validate_manifest(data, label)
    result: Manifest = data
    return result


def _bad(label: str, what: str) -> ManifestError:
    return ManifestError(
        f"{label}: {what}",
        "create the manifest again with `nbsec manifest create`, or ask its producer for an intact copy",
    )


def _valid_rel_path(path: object) -> bool:
    if not isinstance(path, str) or not path or "\x00" in path or path.startswith("/") or not _is_utf8(path):
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def _is_hex(value: object, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and all(c in "0123456789abcdef" for c in value)


def validate_manifest(data: object, label: str = "manifest") -> None:
    """Raise ManifestError unless `data` has the version-1 shape (module docstring)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ManifestError(
            f"{label}: not an nbsec manifest (format {found!r}, expected {FORMAT!r})",
            "pass the file written by `nbsec manifest create` with -m",
        )
    if data.get("version") != VERSION:
        raise ManifestError(
            f"{label}: manifest version {data.get('version')!r} is not supported (this nbsec reads {VERSION})",
            "upgrade nbsec, or create the manifest again with this version",
        )
    algorithm = data.get("algorithm")
    if algorithm not in ALGORITHMS:
        raise _bad(label, f"unknown algorithm {algorithm!r} (expected one of {', '.join(ALGORITHMS)})")
    assert isinstance(algorithm, str)
    if not _is_hex(data.get("merkle_root"), 64):
        raise _bad(label, "merkle_root is missing or not 64 lowercase hex digits")
    exclude = data.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(p, str) for p in exclude):
        raise _bad(label, "exclude must be a list of strings")
    files = data.get("files")
    if not isinstance(files, list):
        raise _bad(label, "files must be a list")
    seen: set[str] = set()
    for index, record in enumerate(files):
        where = f"files[{index}]"
        if not isinstance(record, dict) or not _valid_rel_path(record.get("path")):
            raise _bad(label, f"{where}: needs a relative POSIX path without '..'")
        path = record["path"]
        if path in seen:
            raise _bad(label, f"{where}: {path!r} is listed twice")
        seen.add(path)
        if "symlink" in record:
            if not isinstance(record["symlink"], str) or not _is_utf8(record["symlink"]):
                raise _bad(label, f"{where} ({path}): symlink target must be a string")
            continue
        size = record.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _bad(label, f"{where} ({path}): size must be a non-negative integer")
        if not _is_hex(record.get(algorithm), HEX_LENGTH[algorithm]):
            raise _bad(label, f"{where} ({path}): {algorithm} must be {HEX_LENGTH[algorithm]} lowercase hex digits")


def create_manifest_file(
    root: PathLike,
    output: PathLike,
    *,
    algorithm: str = "sha256",
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    progress: Progress | None = None,
) -> Manifest:
    """Create the manifest of `root` and write it to `output` (which, inside root, is left out)."""
    manifest = create_manifest(
        root, algorithm=algorithm, exclude=exclude, skip=(output, signature_path_for(output)), progress=progress
    )
    write_manifest(manifest, output)
    return manifest
