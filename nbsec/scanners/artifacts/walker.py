"""Walk one artifact: sniff each stream's format from its bytes and hand it to the right checker.

Containers (zip, tar, gzip/bz2/xz/lzma/zlib) are opened with bounds and their members walked
recursively to `limits.max_depth`; every member is sniffed by content, whatever its name, so a
pickle called `weights.txt` inside a zip inside a tar is still analysed.
"""

from __future__ import annotations

import ast
import importlib
import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from nbsec.model import Finding, Location, ScanError, Severity
from nbsec.scanners.artifacts import rules
from nbsec.scanners.artifacts.base import Context, FormatError, Issue, Limits
from nbsec.scanners.artifacts.containers import (
    ArchiveError,
    LimitExceeded,
    WindowReader,
    ZipListing,
    crc_matches,
    decompressor,
    list_zip,
    open_member,
    spool,
)
from nbsec.scanners.artifacts.pickle_findings import pickle_findings
from nbsec.scanners.artifacts.pickle_result import PickleAnalysis
from nbsec.scanners.artifacts.pickle_shape import NestedRef
from nbsec.scanners.artifacts.pickle_vm import analyze
from nbsec.scanners.artifacts.policy import LIBRARY_WRITTEN_LOADERS, NESTED, classify
from nbsec.targets import (
    BZIP2,
    GGUF,
    GZIP,
    HDF5,
    KERAS_METADATA,
    LZMA,
    NPY,
    ONNX,
    PICKLE,
    SAFETENSORS,
    SAVEDMODEL,
    SEVENZIP,
    TAR,
    XZ,
    ZIP,
    ZLIB,
    artifact_kind,
)

SCANNER = rules.SCANNER
SNIFF = 4096
COMPRESSED = {GZIP: "gzip", BZIP2: "bz2", XZ: "xz", LZMA: "lzma", ZLIB: "zlib"}
FORMAT_CHECKERS = {
    SAFETENSORS: "safetensors",
    GGUF: "gguf",
    ONNX: "onnx",
    HDF5: "keras",
    SAVEDMODEL: "savedmodel",
    KERAS_METADATA: "keras_metadata",
}
MAX_NESTED_STREAMS = 1024  # deserializer calls whose bytes are analysed, per pickle (one per pickled tensor)
MAX_TRANSCODED = 256 * 1024 * 1024  # protocol <= 2 bytes spelled as text are re-read into memory up to this

Result = Finding | ScanError


@dataclass
class Walk:
    """State of one file's walk: where we are, what we may spend, what we trust."""

    display: str
    folder: Any
    limits: Limits
    allow: frozenset[str]
    stats: dict[str, int] = field(default_factory=lambda: {"members": 0, "pickles": 0, "bytes_skipped": 0})

    torchscript: bool = False  # inside a TorchScript archive: its own pickles are read by torch.jit, not pickle

    def context(self, member: str | None) -> Context:
        return Context(display=self.display, member=member, folder=self.folder, limits=self.limits)

    def finding(self, issue: Issue, member: str | None) -> Finding:
        location = Location(path=self.display, member=member, offset=issue.offset)
        return issue.rule.finding(location, issue.evidence, severity=issue.severity, confidence=issue.confidence)

    def error(self, member: str | None, message: str, hint: str) -> ScanError:
        where = f"{self.display}!{member}" if member else self.display
        return ScanError(SCANNER, where, message, hint)


def _join(parent: str | None, name: str) -> str:
    return f"{parent}!{name}" if parent else name


def _head(stream: BinaryIO, n: int = SNIFF) -> bytes:
    peek = getattr(stream, "peek", None)
    if not _seekable(stream) and peek is not None:
        return bytes(peek(n)[:n])
    here = stream.tell()
    data = stream.read(n)
    stream.seek(here)
    return data


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _size(stream: BinaryIO) -> int | None:
    if not _seekable(stream):
        return None
    here = stream.tell()
    size = stream.seek(0, io.SEEK_END)
    stream.seek(here)
    return size


def walk_stream(walk: Walk, stream: BinaryIO, kind: str, member: str | None, depth: int, name: str) -> Iterator[Result]:
    """Dispatch one stream (the file, or a member) on its sniffed kind."""
    try:
        if kind == PICKLE:
            yield from _pickle(walk, stream, member, name, depth=depth)
        elif kind == ZIP:
            yield from _zip(walk, stream, member, depth)
        elif kind == TAR:
            yield from _tar(walk, stream, member, depth)
        elif kind in COMPRESSED:
            yield from _compressed(walk, stream, COMPRESSED[kind], member, depth, name)
        elif kind == NPY:
            yield from _npy(walk, stream, member)
        elif kind in FORMAT_CHECKERS:
            yield from _format(walk, stream, kind, member)
        elif kind == SEVENZIP:
            yield from _sevenzip(walk, stream, member, depth)
    except LimitExceeded as exc:
        yield walk.finding(Issue(rules.ARCHIVE_ANOMALY, f"safety limit reached: {exc}", severity=Severity.HIGH), member)
        yield walk.error(
            member, f"not fully scanned: {exc}", "inspect the file by hand; it may be a decompression bomb"
        )
    except ArchiveError as exc:
        yield walk.finding(Issue(rules.MALFORMED_CONTAINER, str(exc)), member)
    except (OSError, EOFError) as exc:
        yield walk.error(member, f"cannot read: {exc}", "check the file is complete and readable")


def _sniff_member(head: bytes, name: str) -> str | None:
    return artifact_kind(head, name, b"")


# -- pickle ----------------------------------------------------------------------------------------


def _pickle(
    walk: Walk, stream: BinaryIO, member: str | None, name: str, quiet: bool = False, depth: int = 0
) -> Iterator[Result]:
    walk.stats["pickles"] += 1
    analysis = analyze(stream, stream.tell() if _seekable(stream) else 0, None, max_ops=walk.limits.max_pickle_ops)
    yield from pickle_findings(walk, analysis, member, quiet=quiet, torchscript=walk.torchscript)
    yield from _nested(walk, stream, analysis, member, depth)


def _nested(walk: Walk, stream: BinaryIO, analysis: PickleAnalysis, member: str | None, depth: int) -> Iterator[Result]:
    """Deserializer calls: analyse the bytes they are given as a nested stream, or say they cannot be."""
    called = {ref.entry for ref in analysis.nested}
    for ref in analysis.globals:
        verdict = classify(ref.module, ref.name, walk.allow)
        if verdict.kind == NESTED and verdict.qualified not in called:
            called.add(verdict.qualified)
            evidence = f"{verdict.qualified} imported at byte {ref.offset}; not called with bytes stored in the pickle"
            yield walk.finding(Issue(rules.NESTED_STREAM, evidence, offset=ref.offset), member)
    analysed: dict[str, list[NestedRef]] = {}
    for nested in analysis.nested[:MAX_NESTED_STREAMS]:
        yield from _nested_stream(walk, stream, nested, member, depth, analysed)
    for entry, refs in analysed.items():
        # One summary per deserializer: pickle.dumps(tensor) writes one _load_from_bytes per storage.
        first = refs[0]
        where = _join(member, f"<{entry} bytes at byte {first.offset}>")
        more = f" and {len(refs) - 1} more call(s)" if len(refs) > 1 else ""
        evidence = f"{entry}(...) at byte {first.offset}{more} unpickles bytes stored in the pickle; analysed: {where}"
        severity = Severity.MEDIUM if entry in LIBRARY_WRITTEN_LOADERS else None
        yield walk.finding(Issue(rules.NESTED_STREAM, evidence, first.offset, severity=severity), member)
    if len(analysis.nested) > MAX_NESTED_STREAMS:
        yield walk.error(
            member,
            f"more than {MAX_NESTED_STREAMS} nested deserializer calls; only {MAX_NESTED_STREAMS} analysed",
            "inspect the file by hand",
        )


def _nested_stream(
    walk: Walk, stream: BinaryIO, ref: NestedRef, member: str | None, depth: int, analysed: dict[str, list[NestedRef]]
) -> Iterator[Result]:
    call = f"{ref.entry}(...) at byte {ref.offset}"
    label = _join(member, f"<{ref.entry} bytes at byte {ref.offset}>")
    if not ref.embedded:
        evidence = f"{call}: its argument is not bytes stored in the pickle (a path or a computed value)"
        yield walk.finding(Issue(rules.NESTED_STREAM, evidence, offset=ref.offset), member)
        return
    if depth + 1 >= walk.limits.max_depth:
        yield walk.finding(
            Issue(rules.NESTED_STREAM, f"{call}: nested deeper than {walk.limits.max_depth} levels", ref.offset), member
        )
        yield walk.error(label, "nested stream not analysed (depth limit)", "inspect the file by hand")
        return
    data = _embedded(walk, stream, ref)
    kind = _sniff_member(_head(data), "") if data is not None else None
    if data is None or kind is None:
        why = "cannot be re-read from this stream" if data is None else "are not a pickle or an archive nbsec reads"
        yield walk.finding(Issue(rules.NESTED_STREAM, f"{call}: its bytes {why}; not analysed", ref.offset), member)
        return
    analysed.setdefault(ref.entry, []).append(ref)
    yield from walk_stream(walk, data, kind, label, depth + 1, ref.entry)


def _embedded(walk: Walk, stream: BinaryIO, ref: NestedRef) -> BinaryIO | None:
    if ref.data is not None:
        return io.BytesIO(ref.data)
    if ref.start is None or not _seekable(stream):
        return None
    window: BinaryIO = io.BufferedReader(WindowReader(stream, ref.start, ref.size), 64 * 1024)  # type: ignore[arg-type]
    if ref.transcode is None:
        return window
    if ref.size > MAX_TRANSCODED:
        return None
    try:
        return io.BytesIO(window.read(ref.size).decode("utf-8", "surrogatepass").encode(ref.transcode))
    except (UnicodeError, LookupError):
        return None


# -- zip -------------------------------------------------------------------------------------------

TORCH_STORAGE_SUFFIX = "/data/"
IN_MEMORY_PICKLE = 4 * 1024 * 1024  # pickle members up to this size are read once and walked in memory


def _zip(walk: Walk, stream: BinaryIO, member: str | None, depth: int) -> Iterator[Result]:
    if depth >= walk.limits.max_depth:
        yield walk.finding(
            Issue(rules.ARCHIVE_ANOMALY, f"archive nested deeper than {walk.limits.max_depth} levels"), member
        )
        yield walk.error(member, "nested archive not opened (depth limit)", "extract it and scan the contents")
        return
    size = _size(stream)
    if size is None:
        stream = spool(stream, walk.limits, member or walk.display)
        size = _size(stream) or 0
    listing = list_zip(stream, size, walk.limits)
    names = {m.name for m in listing.members}
    is_torch = any(n.endswith("/data.pkl") or n == "data.pkl" for n in names)
    is_keras = "config.json" in names and ("metadata.json" in names or "model.weights.h5" in names)
    # torch.package writes `<root>/.data/extern_modules`; a plain torch.save never does.
    is_package = any(name.endswith(".data/extern_modules") for name in names)
    outer_torchscript = walk.torchscript
    walk.torchscript = any(n.endswith("/constants.pkl") or n == "constants.pkl" for n in names)
    try:
        yield from _zip_members(walk, stream, listing, member, depth, is_torch, is_keras, is_package)
    finally:
        walk.torchscript = outer_torchscript


def _zip_members(
    walk: Walk,
    stream: BinaryIO,
    listing: ZipListing,
    member: str | None,
    depth: int,
    is_torch: bool,
    is_keras: bool,
    is_package: bool,
) -> Iterator[Result]:
    anomalies = list(listing.anomalies)
    for entry in listing.members:
        walk.stats["members"] += 1
        label = _join(member, entry.name)
        if entry.name.endswith("/"):
            continue
        storage = is_torch and TORCH_STORAGE_SUFFIX in "/" + entry.name and PurePosixPath(entry.name).suffix == ""
        if storage and entry.method == 0:
            # Raw tensor bytes that torch never unpickles: peek at 2 bytes, not the whole member.
            walk.stats["bytes_skipped"] += entry.size
            stream.seek(entry.data_offset)
            if stream.read(2)[:1] != b"\x80":
                continue
        try:
            data = open_member(stream, entry, walk.limits, label)
        except ArchiveError as exc:
            yield walk.error(label, str(exc), "extract the archive with another tool and scan the contents")
            continue
        head = _head(data)
        kind = _sniff_member(head, entry.name)
        if kind is None and is_torch and (entry.name.endswith("/data.pkl") or entry.name == "data.pkl"):
            kind = PICKLE  # torch.load unpickles data.pkl whatever its first bytes look like to a sniffer
        if storage:
            # Look only when it poses as a pickle, and then only report what a load could import
            # (random floats can look like anything, including a PROTO opcode).
            if kind == PICKLE and head[:1] == b"\x80":
                yield from _pickle(walk, data, label, entry.name, quiet=True, depth=depth + 1)
            continue
        if is_keras and entry.name == "config.json":
            yield from _keras_config(walk, data, label)
            continue
        if is_package and entry.name.endswith(".py"):
            from nbsec.scanners.artifacts import package_code  # only torch.package archives pay for it

            source = data.read(package_code.MAX_SOURCE + 1)
            yield from _issues(walk, package_code.check_source(source, entry.name), label)
            continue
        if kind is None:
            continue
        if kind == PICKLE and entry.size <= IN_MEMORY_PICKLE:
            # The usual torch data.pkl is a few KB: read it once, check its CRC on those bytes and walk
            # them in memory (byte-sized reads from the file cost more than the analysis).
            raw = data.read(entry.size + 1)
            if len(raw) == entry.size and zlib.crc32(raw) != entry.crc:
                anomalies.append(f"{entry.name}: CRC-32 does not match (loaders ignore it; strict scanners skip it)")
            data = io.BytesIO(raw)
        elif kind == PICKLE and entry.size <= 256 * 1024 * 1024 and not crc_matches(stream, entry, walk.limits, label):
            anomalies.append(f"{entry.name}: CRC-32 does not match (loaders ignore it; strict scanners skip it)")
            data = open_member(stream, entry, walk.limits, label)
        if kind in (ZIP, TAR) or kind in COMPRESSED:
            anomalies.append(f"{entry.name}: nested {kind} archive")
        yield from walk_stream(walk, data, kind, label, depth + 1, entry.name)
    if anomalies:
        shown = "; ".join(anomalies[:5]) + (f"; and {len(anomalies) - 5} more" if len(anomalies) > 5 else "")
        yield walk.finding(Issue(rules.ARCHIVE_ANOMALY, shown), member)


def _keras_config(walk: Walk, data: BinaryIO, member: str) -> Iterator[Result]:
    raw = data.read(walk.limits.max_header_bytes + 1)
    if len(raw) > walk.limits.max_header_bytes:
        yield walk.error(member, "Keras config.json is larger than the header limit", "inspect it by hand")
        return
    module = _format_module("keras")
    if module is None:
        return
    yield from _issues(walk, module.check_config(raw, walk.context(member)), member)


# -- tar and compression -------------------------------------------------------------------------


def _tar(walk: Walk, stream: BinaryIO, member: str | None, depth: int) -> Iterator[Result]:
    if depth >= walk.limits.max_depth:
        yield walk.error(member, "nested archive not opened (depth limit)", "extract it and scan the contents")
        return
    import tarfile  # ~4 ms to import: only for tar archives

    try:
        archive = tarfile.open(fileobj=stream, mode="r:" if _seekable(stream) else "r|")  # type: ignore[call-overload]
    except tarfile.TarError as exc:
        raise ArchiveError(f"not a readable tar archive ({exc})") from None
    count = 0
    with archive:
        try:
            for info in archive:
                count += 1
                if count > walk.limits.max_members:
                    raise LimitExceeded(f"more than {walk.limits.max_members:,} tar members")
                if not info.isfile():
                    continue  # links and devices are never followed
                label = _join(member, info.name)
                handle = archive.extractfile(info)
                if handle is None:
                    continue
                head = handle.peek(SNIFF) if hasattr(handle, "peek") else b""
                kind = _sniff_member(head[:SNIFF], info.name)
                if kind is not None:
                    yield from walk_stream(walk, handle, kind, label, depth + 1, info.name)  # type: ignore[arg-type]
        except tarfile.TarError as exc:
            raise ArchiveError(f"tar archive broken after {count} members ({exc})") from None


def _compressed(walk: Walk, stream: BinaryIO, kind: str, member: str | None, depth: int, name: str) -> Iterator[Result]:
    if depth >= walk.limits.max_depth:
        yield walk.error(member, "nested compressed stream not opened (depth limit)", "decompress it and scan it")
        return
    label = _join(member, f"<{kind}>")
    reader = decompressor(kind, stream, walk.limits, label)
    head = _head(reader)
    inner_name = name.rsplit(".", 1)[0] if "." in name else name
    inner = _sniff_member(head, inner_name)
    if inner is None:
        return
    if inner in (ZIP, TAR):
        reader = spool(reader, walk.limits, label)
    yield from walk_stream(walk, reader, inner, label, depth + 1, inner_name)


def _sevenzip(walk: Walk, stream: BinaryIO, member: str | None, depth: int) -> Iterator[Result]:
    if depth >= walk.limits.max_depth:
        yield walk.error(member, "nested archive not opened (depth limit)", "extract it and scan the contents")
        return
    from nbsec.scanners.artifacts.sevenzip import walk_7z

    if not _seekable(stream):
        stream = spool(stream, walk.limits, member or walk.display)

    def scan_member(data: BinaryIO, name: str) -> Iterator[Result]:
        walk.stats["members"] += 1
        kind = _sniff_member(_head(data), name)
        if kind is not None:
            yield from walk_stream(walk, data, kind, _join(member, name), depth + 1, name)

    yield from walk_7z(walk, stream, _size(stream) or 0, member, scan_member)


# -- numpy ---------------------------------------------------------------------------------------


def _npy(walk: Walk, stream: BinaryIO, member: str | None) -> Iterator[Result]:
    start = stream.tell() if _seekable(stream) else 0
    prefix = stream.read(10)
    if len(prefix) < 10 or not prefix.startswith(b"\x93NUMPY"):
        raise ArchiveError("npy file too short for its header")
    major = prefix[6]
    if major == 1:
        header_len = struct.unpack("<H", prefix[8:10])[0]
        consumed = 10
    else:
        header_len = struct.unpack("<I", prefix[8:10] + stream.read(2))[0]
        consumed = 12
    if header_len > walk.limits.max_header_bytes:
        raise ArchiveError(f"npy header of {header_len:,} bytes is over the limit")
    header_text = stream.read(header_len).decode("latin-1")
    try:
        header = ast.literal_eval(header_text.strip())  # a dict literal; literal_eval cannot run code
    except (ValueError, SyntaxError, RecursionError, MemoryError):
        raise ArchiveError("npy header is not a Python literal") from None
    descr = header.get("descr") if isinstance(header, dict) else None
    if not _descr_has_object(descr):
        return
    offset = start + consumed + header_len
    yield walk.finding(
        Issue(rules.OBJECT_ARRAY, f"dtype {str(descr)[:80]} is stored as a pickle; analysed below", offset=offset),
        member,
    )
    yield from _pickle(walk, stream, member, "array")


def _descr_has_object(descr: Any, depth: int = 0) -> bool:
    if depth > 32:
        return True
    if isinstance(descr, str):
        # 'O', '|O', '<O8' and the spelled-out 'object' / 'object_' all mean Python objects (numpy accepts each).
        return descr.lstrip("<>|=").lower().startswith("o")
    if isinstance(descr, (list, tuple)):
        return any(_descr_has_object(item, depth + 1) for item in descr)
    return False


# -- other formats ----------------------------------------------------------------------------------


def _format_module(name: str) -> Any:
    try:
        return importlib.import_module(f"nbsec.scanners.artifacts.formats.{name}")
    except ImportError:
        return None


def _format(walk: Walk, stream: BinaryIO, kind: str, member: str | None) -> Iterator[Result]:
    module = _format_module(FORMAT_CHECKERS[kind])
    if module is None:
        yield walk.error(member, f"no checker for {kind} files is installed", "reinstall nbsec")
        return
    if not _seekable(stream):
        stream = spool(stream, walk.limits, member or walk.display)
    size = _size(stream) or 0
    yield from _issues(walk, module.check(stream, size, walk.context(member)), member)


def _issues(walk: Walk, issues: Iterator[Issue], member: str | None) -> Iterator[Result]:
    try:
        for issue in issues:
            yield walk.finding(issue, member)
    except FormatError as exc:
        yield walk.finding(Issue(rules.MALFORMED_CONTAINER, exc.message, offset=exc.offset), member)
