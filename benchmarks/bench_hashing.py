"""Hashing throughput: nbsec's sha256_file and create_manifest against hashlib.file_digest.

Writes one 512 MiB file of random 1 MiB blocks into a temp folder (no
downloads), then times three ways to get its SHA-256, three runs each
interleaved so that page-cache warmth and CPU frequency drift hit all three
alike, and reports the median. Goal: nbsec within 10% of hashlib.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SIZE_MIB = 512
RUNS = 3


def build(folder: Path) -> Path:
    path = folder / "weights.bin"
    with path.open("wb") as handle:
        for _ in range(SIZE_MIB):
            handle.write(os.urandom(1 << 20))
    return path


def hashlib_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def loop_digest(path: Path) -> str:
    """What a hand-written loop does (and what nbsec uses on Python 3.10)."""
    from nbsec.integrity.hashing import _digest_loop

    with path.open("rb", buffering=0) as handle:
        return _digest_loop(handle, hashlib.sha256())


def main() -> dict[str, object]:
    if sys.version_info < (3, 11):
        return {"skipped": "hashlib.file_digest needs Python 3.11+"}
    from nbsec.integrity.hashing import sha256_file
    from nbsec.integrity.manifest import create_manifest

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "model"
        folder.mkdir()
        path = build(folder)
        size = path.stat().st_size

        def manifest_digest(_: Path) -> str:
            digest: str = create_manifest(folder)["files"][0]["sha256"]
            return digest

        ways: dict[str, Callable[[Path], str]] = {
            "hashlib.file_digest": hashlib_digest,
            "nbsec sha256_file": sha256_file,
            "nbsec create_manifest": manifest_digest,
            "1 MiB readinto loop": loop_digest,
        }
        hashlib_digest(path)  # warm the page cache: measure hashing, not the disk
        times: dict[str, list[float]] = {name: [] for name in ways}
        digests = set()
        for _ in range(RUNS):
            for name, way in ways.items():
                started = time.perf_counter()
                digests.add(way(path))
                times[name].append(time.perf_counter() - started)
    assert len(digests) == 1, "the ways disagree on the digest"
    median = {name: statistics.median(values) for name, values in times.items()}
    base = median["hashlib.file_digest"]
    figures: dict[str, object] = {"file MiB": SIZE_MIB, "runs (median)": RUNS}
    for name, seconds in median.items():
        figures[f"{name} MB/s"] = round(size / 1e6 / seconds, 1)
    for name in ("nbsec sha256_file", "nbsec create_manifest", "1 MiB readinto loop"):
        figures[f"{name} / hashlib time"] = round(median[name] / base, 3)
    worst = max(median["nbsec sha256_file"], median["nbsec create_manifest"]) / base
    figures["within 10% of hashlib"] = worst <= 1.10
    return figures


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key:38} {value}")
