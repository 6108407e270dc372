"""Archive and compression readers that are as lenient as model loaders and as bounded as a scanner must be.

The zip reader parses the central directory itself and reads members from their
local headers without checking CRCs, flag bits or name agreement (PyTorch's miniz
does not either), then reports each of those differences as an anomaly: the
tricks that hide a pickle from strict parsers become findings instead.
Decompression is streamed with a cap on output size and on the compression ratio.
"""

from __future__ import annotations

import bz2
import io
import lzma
import struct
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple

from nbsec.scanners.artifacts.base import Limits

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
RATIO_FLOOR = 16 * 1024 * 1024  # below this much output, any ratio is fine (small files compress well)


class LimitExceeded(Exception):
    """A safety bound was hit: the rest of the data is not read (and not called clean)."""


class ArchiveError(Exception):
    """The container is too broken to read at all."""


class ZipMember(NamedTuple):
    name: str
    local_name: str
    method: int
    flags: int
    crc: int
    compressed_size: int
    size: int
    data_offset: int


@dataclass
class ZipListing:
    members: list[ZipMember] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)


class WindowReader(io.RawIOBase):
    """A seekable view of stream[start:start+size]: stored members are read in place, not copied."""

    def __init__(self, stream: BinaryIO, start: int, size: int) -> None:
        self._stream = stream
        self._start = start
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, n: int = -1) -> bytes:
        remaining = self._size - self._pos
        if remaining <= 0:
            return b""
        n = remaining if n is None or n < 0 else min(n, remaining)
        self._stream.seek(self._start + self._pos)
        data = self._stream.read(n)
        self._pos += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Inflater:
    """One interface over zlib, lzma and bz2 decompressor objects (they differ in how they buffer)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._pending = b""
        if kind in ("gzip", "zlib", "deflate"):
            wbits = {"gzip": 16 + zlib.MAX_WBITS, "zlib": zlib.MAX_WBITS, "deflate": -zlib.MAX_WBITS}[kind]
            self._z: zlib._Decompress | None = zlib.decompressobj(wbits)
            self._other: lzma.LZMADecompressor | bz2.BZ2Decompressor | None = None
        elif kind in ("xz", "lzma"):
            self._z, self._other = None, lzma.LZMADecompressor(lzma.FORMAT_XZ if kind == "xz" else lzma.FORMAT_ALONE)
        elif kind == "bz2":
            self._z, self._other = None, bz2.BZ2Decompressor()
        else:
            raise ArchiveError(f"unsupported compression {kind}")

    def needs_input(self) -> bool:
        if self._z is not None:
            return not self._z.unconsumed_tail
        assert self._other is not None
        return bool(self._other.needs_input)

    def finished(self) -> bool:
        if self._z is not None:
            return bool(self._z.eof)
        assert self._other is not None
        return bool(self._other.eof)

    def feed(self, data: bytes, max_length: int) -> bytes:
        if self._z is not None:
            return self._z.decompress(self._z.unconsumed_tail + data, max_length)
        assert self._other is not None
        return self._other.decompress(data, max_length)


class DecompressingReader(io.RawIOBase):
    """Streams a decompressor's output with a cap on size and ratio; forward-only."""

    def __init__(self, source: BinaryIO, kind: str, limits: Limits, label: str) -> None:
        self._source = source
        self._inflater = _Inflater(kind)
        self._limits = limits
        self._label = label
        self._buffer = bytearray()
        self._eof = False
        self._in = 0
        self._out = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def _fill(self, want: int) -> None:
        while len(self._buffer) < want and not self._eof:
            if self._inflater.finished():
                self._eof = True  # trailing bytes after the compressed stream are ignored, as loaders do
                break
            data = b""
            if self._inflater.needs_input():
                data = self._source.read(1 << 16)
                self._in += len(data)
                if not data:
                    self._eof = True
                    break
            try:
                out = self._inflater.feed(data, max(want - len(self._buffer), 1 << 16))
            except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError) as exc:
                raise ArchiveError(f"{self._label}: corrupt compressed data ({exc})") from None
            self._out += len(out)
            if self._out > self._limits.max_member_bytes:
                raise LimitExceeded(f"{self._label}: decompresses past {self._limits.max_member_bytes:,} bytes")
            if self._out > RATIO_FLOOR and self._out > self._limits.max_compression_ratio * max(self._in, 1):
                raise LimitExceeded(
                    f"{self._label}: compression ratio over {self._limits.max_compression_ratio}:1 (zip bomb?)"
                )
            self._buffer += out

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            chunks = []
            while part := self.read(1 << 20):
                chunks.append(part)
            return b"".join(chunks)
        self._fill(n)
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def peek(self, n: int = 1) -> bytes:
        self._fill(n)
        return bytes(self._buffer[:n])

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def decompressor(kind: str, source: BinaryIO, limits: Limits, label: str) -> BinaryIO:
    """A bounded reader over `source` decompressed as gzip, bz2, xz, lzma (alone), zlib or raw deflate."""
    return DecompressingReader(source, kind, limits, label)  # type: ignore[return-value]


def spool(reader: BinaryIO, limits: Limits, label: str) -> BinaryIO:
    """Copy a forward-only stream into a seekable temporary file (bounded by the member limit)."""
    import tempfile  # ~3 ms: only when a compressed stream is unpacked

    out = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)  # noqa: SIM115 - caller closes it
    total = 0
    while True:
        chunk = reader.read(1 << 20)
        if not chunk:
            break
        total += len(chunk)
        if total > limits.max_member_bytes:
            out.close()
            raise LimitExceeded(f"{label}: larger than {limits.max_member_bytes:,} bytes")
        out.write(chunk)
    out.seek(0)
    return out  # type: ignore[return-value]


# -- zip ----------------------------------------------------------------------------------------


def list_zip(stream: BinaryIO, size: int, limits: Limits) -> ZipListing:
    """Members of a zip from its central directory, with every deviation noted."""
    listing = ZipListing()
    cd_offset, cd_size, count = _find_central_directory(stream, size)
    if count > limits.max_members:
        raise LimitExceeded(f"zip declares {count:,} members (limit {limits.max_members:,})")
    stream.seek(cd_offset)
    directory = stream.read(min(cd_size, limits.max_header_bytes))
    pos = 0
    seen: set[str] = set()
    while pos + 46 <= len(directory) and directory[pos : pos + 4] == _CENTRAL:
        (flags, method, crc, csize, usize, name_len, extra_len, comment_len, local_offset) = struct.unpack_from(
            "<HH4xIIIHHH8xI", directory, pos + 8
        )
        name_raw = directory[pos + 46 : pos + 46 + name_len]
        extra = directory[pos + 46 + name_len : pos + 46 + name_len + extra_len]
        csize, usize, local_offset = _zip64_sizes(extra, csize, usize, local_offset)
        pos += 46 + name_len + extra_len + comment_len
        name = name_raw.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        member = _read_local(stream, size, name, flags, method, crc, csize, usize, local_offset, listing)
        if member is None:
            continue
        if name in seen:
            listing.anomalies.append(f"duplicate member name {name!r}")
        seen.add(name)
        if flags & 0x1:
            listing.anomalies.append(f"{name}: encryption flag set (bit 0x1)")
        if flags & 0x60:
            listing.anomalies.append(f"{name}: unusual flag bits 0x{flags & 0x60:02x}")
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
            listing.anomalies.append(f"{name}: path escapes the archive folder (zip slip)")
        listing.members.append(member)
        if len(listing.members) > limits.max_members:
            raise LimitExceeded(f"more than {limits.max_members:,} zip members")
    if len(listing.members) < count:
        listing.anomalies.append(f"central directory lists {count} members, {len(listing.members)} could be read")
    return listing


def _find_central_directory(stream: BinaryIO, size: int) -> tuple[int, int, int]:
    tail_size = min(size, 65536 + 22)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    at = tail.rfind(_EOCD)
    if at < 0 or at + 22 > len(tail):
        raise ArchiveError("zip end-of-central-directory record not found (truncated or not a zip)")
    count, cd_size, cd_offset = struct.unpack_from("<10xHII", tail, at)
    locator = at - 20
    if locator >= 0 and tail[locator : locator + 4] == _EOCD64_LOCATOR:
        (eocd64_offset,) = struct.unpack_from("<8xQ", tail, locator)
        stream.seek(eocd64_offset)
        record = stream.read(56)
        if record[:4] == _EOCD64 and len(record) == 56:
            count, cd_size, cd_offset = struct.unpack_from("<32xQQQ", record)
    if cd_offset + cd_size > size:
        raise ArchiveError("zip central directory lies outside the file")
    return cd_offset, cd_size, count


def _zip64_sizes(extra: bytes, csize: int, usize: int, offset: int) -> tuple[int, int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + length]
        if tag == 0x0001:
            values = list(struct.unpack_from(f"<{len(body) // 8}Q", body))
            if usize == 0xFFFFFFFF and values:
                usize = values.pop(0)
            if csize == 0xFFFFFFFF and values:
                csize = values.pop(0)
            if offset == 0xFFFFFFFF and values:
                offset = values.pop(0)
        pos += 4 + length
    return csize, usize, offset


def _read_local(
    stream: BinaryIO,
    size: int,
    name: str,
    flags: int,
    method: int,
    crc: int,
    csize: int,
    usize: int,
    local_offset: int,
    listing: ZipListing,
) -> ZipMember | None:
    if local_offset + 30 > size:
        listing.anomalies.append(f"{name}: local header outside the file")
        return None
    stream.seek(local_offset)
    header = stream.read(30)
    if header[:4] != _LOCAL:
        listing.anomalies.append(f"{name}: no local header at offset {local_offset}")
        return None
    name_len, extra_len = struct.unpack_from("<HH", header, 26)
    local_name = stream.read(name_len).decode("utf-8" if flags & 0x800 else "cp437", "replace")
    if local_name != name:
        listing.anomalies.append(f"local header name {local_name!r} differs from central directory name {name!r}")
    data_offset = local_offset + 30 + name_len + extra_len
    if data_offset + csize > size:
        listing.anomalies.append(f"{name}: data runs past the end of the file")
        csize = max(0, size - data_offset)
    return ZipMember(name, local_name, method, flags, crc, csize, usize, data_offset)


def open_member(stream: BinaryIO, member: ZipMember, limits: Limits, label: str) -> BinaryIO:
    """The member's bytes: a window for stored data, a bounded decompressor otherwise."""
    raw = WindowReader(stream, member.data_offset, member.compressed_size)
    if member.method == 0:
        # Buffered: the pickle machine reads opcode by opcode, and each raw read is a seek.
        return io.BufferedReader(raw, buffer_size=64 * 1024)  # type: ignore[return-value]
    kinds = {8: "deflate", 12: "bz2", 14: "lzma-zip"}
    kind = kinds.get(member.method)
    if kind is None:
        raise ArchiveError(f"{label}: compression method {member.method} is not supported")
    if kind == "lzma-zip":
        raise ArchiveError(f"{label}: LZMA-compressed zip members are not supported yet")
    return decompressor(kind, raw, limits, label)  # type: ignore[arg-type]


def crc_matches(stream: BinaryIO, member: ZipMember, limits: Limits, label: str) -> bool:
    """Recompute the member's CRC-32 (bounded); loaders ignore it, strict tools refuse on it."""
    reader = open_member(stream, member, limits, label)
    crc = 0
    while True:
        chunk = reader.read(1 << 20)
        if not chunk:
            break
        crc = zlib.crc32(chunk, crc)
    return crc == member.crc
