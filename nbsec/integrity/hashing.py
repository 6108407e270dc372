"""Content hashes of files: SHA-256 (always) and BLAKE3 (when the `blake3` package is installed).

SHA-256 goes through `hashlib.file_digest` (Python 3.11+), which hands the file to
OpenSSL in large reads without a Python-level loop per chunk; on 3.10 a loop of
1 MiB `readinto()` calls into one reused buffer gets within a few percent of it.

Files below a manifest root are opened with O_NOFOLLOW: a file swapped for a
symlink between listing the folder and opening it must not be followed.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import sys
from collections.abc import Callable
from typing import Any, Protocol

from nbsec.errors import UsageError

ALGORITHMS = ("sha256", "blake3")
CHUNK_BYTES = 1 << 20  # 1 MiB: large enough that per-call overhead vanishes, small enough for the cache
HEX_LENGTH = {"sha256": 64, "blake3": 64}

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # not on Windows: there, lstat() before open is the guard
_BINARY = getattr(os, "O_BINARY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


class _Hasher(Protocol):
    def update(self, data: bytes | bytearray | memoryview, /) -> Any: ...

    def hexdigest(self) -> str: ...


class NotARegularFileError(OSError):
    """The path is a symlink, folder, FIFO or device where a regular file was expected."""


def check_algorithm(algorithm: str) -> None:
    """Raise UsageError for an unknown algorithm, or for blake3 when it is not installed."""
    if algorithm not in ALGORITHMS:
        raise UsageError(
            f"unknown hash algorithm {algorithm!r}",
            f"choose one of: {', '.join(ALGORITHMS)}",
        )
    if algorithm == "blake3":
        _blake3_factory()


def _blake3_factory() -> Callable[[], _Hasher]:
    try:
        import blake3  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise UsageError(
            "the blake3 algorithm needs the `blake3` package, which is not installed",
            "run `pip install blake3`, or use --algorithm sha256",
        ) from None

    def make() -> _Hasher:
        # AUTO lets the Rust side hash big chunks on several threads; the digest is the same.
        hasher: _Hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
        return hasher

    return make


def open_for_hashing(path: str | os.PathLike[str], *, follow_symlinks: bool = True) -> tuple[io.FileIO, int]:
    """Open a regular file unbuffered for reading; return it with its size (from fstat).

    With `follow_symlinks=False` a symlink raises NotARegularFileError instead of
    being opened (ELOOP from O_NOFOLLOW). FIFOs are opened non-blocking and then
    refused, so a named pipe never hangs a scan.
    """
    flags = os.O_RDONLY | _BINARY | _NONBLOCK
    if not follow_symlinks:
        if not _NOFOLLOW and os.path.islink(path):
            raise NotARegularFileError(f"{os.fspath(path)}: is a symlink")
        flags |= _NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if not follow_symlinks and os.path.islink(path):
            raise NotARegularFileError(f"{os.fspath(path)}: is a symlink") from exc
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFileError(f"{os.fspath(path)}: not a regular file")
        if _NONBLOCK:
            os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise
    return handle, info.st_size


def digest_fileobj(handle: io.FileIO | io.BufferedReader, algorithm: str = "sha256") -> str:
    """Hex digest of everything left in a binary file object."""
    if algorithm == "sha256":
        if sys.version_info >= (3, 11):
            return hashlib.file_digest(handle, "sha256").hexdigest()
        return _digest_loop(handle, hashlib.sha256())
    if algorithm == "blake3":
        return _digest_loop(handle, _blake3_factory()())
    check_algorithm(algorithm)  # raises: unknown name
    raise AssertionError("unreachable")


def _digest_loop(handle: io.FileIO | io.BufferedReader, hasher: _Hasher) -> str:
    # One buffer reused for every read: no allocation per chunk.
    buffer = bytearray(CHUNK_BYTES)
    view = memoryview(buffer)
    readinto = handle.readinto
    while True:
        count = readinto(buffer)
        if not count:
            break
        hasher.update(view[:count])
    return hasher.hexdigest()


def hash_file(
    path: str | os.PathLike[str], algorithm: str = "sha256", *, follow_symlinks: bool = True
) -> tuple[str, int]:
    """(hex digest, size in bytes) of a regular file."""
    handle, size = open_for_hashing(path, follow_symlinks=follow_symlinks)
    with handle:
        return digest_fileobj(handle, algorithm), size


def sha256_file(path: str | os.PathLike[str], *, follow_symlinks: bool = True) -> str:
    """Hex SHA-256 of a file's content, read in large unbuffered chunks."""
    return hash_file(path, "sha256", follow_symlinks=follow_symlinks)[0]


def blake3_file(path: str | os.PathLike[str], *, follow_symlinks: bool = True) -> str:
    """Hex BLAKE3 of a file's content; UsageError when the `blake3` package is missing."""
    return hash_file(path, "blake3", follow_symlinks=follow_symlinks)[0]


__all__ = [
    "ALGORITHMS",
    "CHUNK_BYTES",
    "NotARegularFileError",
    "blake3_file",
    "check_algorithm",
    "digest_fileobj",
    "hash_file",
    "open_for_hashing",
    "sha256_file",
]
