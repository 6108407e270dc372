"""Resolve "what is this?": turn the paths a user gave into typed files to scan.

Kinds come from the bytes, not only the extension: a notebook renamed to .txt
is still a notebook, and a binary file named .ipynb is reported, not trusted.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nbsec.config import Config
from nbsec.errors import TargetNotFoundError

SNIFF_BYTES = 4096

NOTEBOOK = "notebook"
PYTHON = "python"
TEXT = "text"
BINARY = "binary"
EMPTY = "empty"


@dataclass(frozen=True)
class FileTarget:
    """One file to scan: where it is on disk, how to name it in reports, what it is."""

    path: Path
    display: str
    kind: str
    size: int


def sniff_kind(path: Path, head: bytes) -> str:
    """Decide the kind of a file from its first bytes and, second, its name."""
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        return NOTEBOOK  # the notebook reader reports it clearly if it is empty or not one
    if not head:
        return EMPTY
    if b"\x00" in head[:1024]:
        return BINARY
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{") and (b'"nbformat"' in head or b'"cells"' in head or b'"worksheets"' in head):
        return NOTEBOOK
    if suffix in (".py", ".pyw", ".ipy"):
        return PYTHON
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
        dirnames[:] = sorted(d for d in dirnames if not config.path_excluded(Path(d)))
        for name in sorted(filenames):
            candidate = base / name
            if config.path_excluded(Path(name)) or candidate.is_symlink():
                continue
            yield candidate


def _describe(path: Path) -> FileTarget:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        return FileTarget(path, _display_name(path), f"unreadable: {exc.strerror}", 0)
    return FileTarget(path, _display_name(path), sniff_kind(path, head), size)


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
