"""Shared types of the artifact scanner: what a format checker reports, and the limits it obeys.

A format checker is a function `check(data: BinaryIO, size: int, ctx: Context) -> Iterator[Issue]`.
It reads `data` (positioned at 0; seekable; `size` bytes) without loading or executing anything,
yields an Issue per problem, and raises FormatError when the bytes are not the format it claims
(the scanner turns that into NBSEC-ART-013 or an error). It must bound its own memory and time by
`ctx.limits`: never read a length field from the file and allocate it unchecked.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from nbsec.model import Confidence, Rule, Severity


class Limits(NamedTuple):
    """Safety bounds: a hostile file must not take unbounded memory or time."""

    max_header_bytes: int = 100 * 1024 * 1024  # safetensors/GGUF/npy headers, JSON configs
    max_member_bytes: int = 4 * 1024**3  # one decompressed archive member
    max_total_bytes: int = 16 * 1024**3  # all decompressed bytes of one file
    max_compression_ratio: int = 200  # decompressed / compressed, past a 16 MiB floor
    max_depth: int = 4  # archive nesting
    max_members: int = 100_000
    max_string: int = 1024 * 1024  # one string read from a binary header
    max_items: int = 10_000_000  # elements in a header list (GGUF arrays, tensors)
    max_pickle_ops: int = 50_000_000


class Issue(NamedTuple):
    """One problem a checker found. `evidence` must not contain secrets; keep it short."""

    rule: Rule
    evidence: str
    offset: int | None = None
    severity: Severity | None = None
    confidence: Confidence | None = None


class Context(NamedTuple):
    """Where the bytes come from: the file on disk, the archive member path, the limits."""

    display: str  # path as shown in reports
    member: str | None = None  # "archive.zip!inner.pt!data.pkl" style chain, None for the file itself
    folder: Path | None = None  # folder of the file on disk (ONNX external data is resolved against it)
    limits: Limits = Limits()


class FormatError(Exception):
    """The bytes are not a valid instance of the format; `offset` says where it broke."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
