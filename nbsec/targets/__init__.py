"""Resolve "what is this?": turn the paths a user gave into typed files to scan.

Kinds come from the bytes, not only the extension: a notebook renamed to .txt
is still a notebook, and a binary file named .ipynb is reported, not trusted.
"""

from __future__ import annotations

import io
import os
import re
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from nbsec.config import Config
from nbsec.errors import TargetNotFoundError

SNIFF_BYTES = 4096

NOTEBOOK = "notebook"
PYTHON = "python"
TEXT = "text"
BINARY = "binary"
EMPTY = "empty"
# Model artifacts and containers, recognised by their bytes.
PICKLE = "pickle"
ZIP = "zip"
TAR = "tar"
GZIP = "gzip"
BZIP2 = "bz2"
XZ = "xz"
LZMA = "lzma"
ZLIB = "zlib"
NPY = "npy"
SAFETENSORS = "safetensors"
GGUF = "gguf"
ONNX = "onnx"
HDF5 = "hdf5"
SAVEDMODEL = "savedmodel"
SEVENZIP = "7z"
KERAS_METADATA = "keras-metadata"  # a SavedModel's keras_metadata.pb (layer configs, Lambda layers)
THREAT_MODEL = "threat-model"  # nbsec threat model YAML (a top-level `nbsec_threat_model:` key)
ARTIFACT_KINDS = frozenset(
    {PICKLE, ZIP, TAR, GZIP, BZIP2, XZ, LZMA, ZLIB, NPY, SAFETENSORS, GGUF, ONNX, HDF5, SAVEDMODEL, SEVENZIP}
    | {KERAS_METADATA}
)


class FileTarget(NamedTuple):
    """One file to scan: where it is on disk, how to name it in reports, what it is."""

    path: Path
    display: str
    kind: str
    size: int


def artifact_kind(head: bytes, name: str = "", tail: bytes = b"") -> str | None:
    """The model-artifact or container format of some bytes, from content first, name second."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return ZIP
    if _is_safetensors(head):
        # Before the pickle test: a header length of 128..133 bytes starts with 0x80 0x00.
        return SAFETENSORS
    if len(head) >= 2 and head[0] == 0x80 and head[1] <= 5:
        return PICKLE
    if head.startswith(b"\x93NUMPY"):
        return NPY
    if head.startswith(b"GGUF"):
        return GGUF
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return HDF5
    if head.startswith(b"\x1f\x8b"):
        return GZIP
    if head.startswith(b"BZh") and head[3:4].isdigit():
        return BZIP2
    if head.startswith(b"\xfd7zXZ\x00"):
        return XZ
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return SEVENZIP
    if len(head) > 262 and head[257:262] == b"ustar":
        return TAR
    lower = name.lower()
    if lower.endswith(".onnx") and head[:1] == b"\x08":
        return ONNX
    if lower.endswith("saved_model.pb"):
        return SAVEDMODEL
    if lower.endswith("keras_metadata.pb") and head:
        return KERAS_METADATA
    if head[:3] == b"\x5d\x00\x00" and len(head) >= 13:  # lzma "alone" (joblib's .lzma)
        return LZMA
    if _is_zlib(head):
        return ZLIB
    if _is_protocol0_pickle(head, tail):
        return PICKLE
    return None


def _is_safetensors(head: bytes) -> bool:
    if len(head) < 10:
        return False
    size = int.from_bytes(head[:8], "little")
    return 2 <= size < (1 << 40) and head[8:9] == b"{" and head[9:10] in b'"}\n '


def _is_zlib(head: bytes) -> bool:
    if len(head) < 2 or head[0] != 0x78 or (head[0] * 256 + head[1]) % 31:
        return False
    import zlib

    try:
        zlib.decompressobj().decompress(head[:4096], 1024)
    except zlib.error:
        return False
    return True


# An import in the disassembly: GLOBAL/INST with identifier-like module and name (plain text rarely
# parses that way), or the binary STACK_GLOBAL opcode.
_IMPORT_LINE = re.compile(r"\b(GLOBAL|INST)\s+'[A-Za-z_][\w.]* [A-Za-z_][\w.]*'|\bSTACK_GLOBAL\b")


# Opcodes a pickle can start with: those that take nothing from the stack or the memo (MARK, the
# pushes, GLOBAL, PERSID, EXT*, PROTO, FRAME, ...). Any other first byte fails disassembly at once,
# so it is judged here without importing pickletools (~3 ms); a test derives this set from pickletools.
PICKLE_FIRST_OPCODES = frozenset(
    b"(IJKLMNSTUBCVXFG])}cP" + b"\x80\x82\x83\x84\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x95\x96\x97"
)


def _is_protocol0_pickle(head: bytes, tail: bytes) -> bool:
    """Protocol 0/1 pickles are text with no magic: decide by disassembling the head (never loading it).

    A complete, stack-consistent pickle is one; so is a prefix that imports or calls something
    before it breaks (a payload followed by garbage is exactly what must not be missed), or a long
    well-formed prefix cut by the sniff window.
    """
    if not head or head[0] not in PICKLE_FIRST_OPCODES:
        return False  # pickletools.dis would fail at the first byte with nothing imported before it
    import pickletools

    listing = io.StringIO()
    try:
        pickletools.dis(head, out=listing)
        return True  # a complete, stack-consistent pickle (whatever follows its STOP)
    except (ValueError, KeyError, IndexError, UnicodeDecodeError, struct.error):
        if not tail.rstrip(b"\r\n").endswith(b"."):
            return False
        lines = listing.getvalue().splitlines()
        if any(_IMPORT_LINE.search(line) for line in lines):
            return True
        return len(head) >= SNIFF_BYTES and len(lines) >= 32


_THREAT_MODEL_KEY = re.compile(rb"^nbsec_threat_model\s*:", re.MULTILINE)

# The syntax of a TEXT file, from its name, as the MIME type the content scanner's detectors read
# (config files are read as key/value structure; diffs by their added lines; Markdown for PII).
_SYNTAX_BY_SUFFIX = {
    ".env": "text/x-dotenv",
    ".ini": "text/x-ini",
    ".cfg": "text/x-ini",
    ".conf": "text/x-ini",
    ".cnf": "text/x-ini",
    ".properties": "text/x-properties",
    ".toml": "application/toml",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".json": "application/json",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".diff": "text/x-diff",
    ".patch": "text/x-diff",
    ".sh": "text/x-shellscript",
    ".bash": "text/x-shellscript",
    ".zsh": "text/x-shellscript",
    ".tf": "text/x-terraform",
    ".tfvars": "text/x-terraform",
}
_SYNTAX_BY_NAME = {".netrc": "text/x-netrc", "_netrc": "text/x-netrc", ".pgpass": "text/plain", ".npmrc": "text/x-ini"}


def text_syntax(path: Path) -> str | None:
    """The MIME type of a text file's syntax, from its name: `.env`, `.env.local`, `prod.env`, `Dockerfile.dev`."""
    name = path.name.lower()
    if name in _SYNTAX_BY_NAME:
        return _SYNTAX_BY_NAME[name]
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "text/x-dotenv"
    if name.startswith(("dockerfile", "containerfile")) or name.endswith(".dockerfile"):
        return "text/x-dockerfile"
    return _SYNTAX_BY_SUFFIX.get(path.suffix.lower())


def sniff_kind(path: Path, head: bytes, tail: bytes = b"") -> str:
    """Decide the kind of a file from its first bytes and, second, its name."""
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        return NOTEBOOK  # the notebook reader reports it clearly if it is empty or not one
    if not head:
        return EMPTY
    artifact = artifact_kind(head, path.name, tail)
    if artifact is not None:
        return artifact
    if b"\x00" in head[:1024]:
        return BINARY
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{") and (b'"nbformat"' in head or b'"cells"' in head or b'"worksheets"' in head):
        return NOTEBOOK
    if suffix in (".py", ".pyw", ".ipy"):
        return PYTHON
    if suffix in (".yaml", ".yml") and _THREAT_MODEL_KEY.search(head):
        return THREAT_MODEL
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sniff boundary is still text.
        if exc.start < len(head) - 4:
            return BINARY
    if stripped.startswith(b"#!") and b"python" in stripped.split(b"\n", 1)[0]:
        return PYTHON
    return TEXT


def _display_name(path: Path) -> str:
    """Relative to the working directory when under it: stable paths for baselines."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _walk(root: Path, config: Config) -> Iterator[Path]:
    # Symlinks are not followed: a link out of the tree (or a loop) must not make
    # a scan of one folder read the whole disk.
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(folder)
        dirnames[:] = sorted(d for d in dirnames if not config.path_excluded(Path(d)) and not _fix_backups(base, d))
        for name in sorted(filenames):
            candidate = base / name
            if config.path_excluded(Path(name)) or candidate.is_symlink():
                continue
            yield candidate


def _fix_backups(folder: Path, name: str) -> bool:
    """`.nbsec/backups`: the old bytes `nbsec fix` replaced, the secrets it removed included; a scan of the project
    would report every fixed finding again. Scan the folder itself (`nbsec scan .nbsec/backups`) to look inside."""
    return name == "backups" and folder.name == ".nbsec"


def _describe(path: Path) -> FileTarget:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
            tail = b""
            if size > len(head):
                handle.seek(max(size - 16, 0))
                tail = handle.read(16)
            else:
                tail = head[-16:]
    except OSError as exc:
        return FileTarget(path, _display_name(path), f"unreadable: {exc.strerror}", 0)
    return FileTarget(path, _display_name(path), sniff_kind(path, head, tail), size)


def resolve_targets(paths: Iterable[str | os.PathLike[str]], config: Config) -> list[FileTarget]:
    """Every file under the given paths, sniffed; raises for a path that does not exist."""
    out: list[FileTarget] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists() and not path.is_symlink():
            raise TargetNotFoundError(str(raw))
        if path.is_dir():
            out.extend(_describe(p) for p in _walk(path, config))
        else:
            out.append(_describe(path))
    return out
