"""A tiny, bounded reader for the protobuf wire format (no schema, no generated code).

ONNX models and TensorFlow SavedModels are protobuf messages. We never need the whole message: only a few
string fields deep inside (op names, external-data paths), so this module walks fields and hands back
*spans* for length-delimited values instead of copying them. That keeps memory flat on multi-GB files
whose bulk is tensor bytes (`raw_data`) we skip over.

Two entry points share one decoder:

* `iter_fields(buf)` walks a message held in memory (bytes / memoryview) and yields memoryviews;
* `Window` + `iter_stream_fields(window, start, end)` walk a message inside a seekable file and yield
  `Span`s that the caller can read (bounded) or walk again, one level deeper.

Groups (wire types 3/4) are deprecated and appear in neither format: they raise FormatError, as do
truncated values, over-long varints and lengths that run past the enclosing message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from nbsec.scanners.artifacts.base import FormatError

VARINT = 0
FIXED64 = 1
LEN = 2
START_GROUP = 3
END_GROUP = 4
FIXED32 = 5

# protobuf's own parsers refuse nesting deeper than 100 (CodedInputStream's default recursion limit);
# a file nested deeper is not something a loader would accept, so it is malformed, not clean.
MAX_DEPTH = 100
_MAX_VARINT_BYTES = 10
_MAX_FIELD_NUMBER = (1 << 29) - 1
# Enough for an (over-long, 10-byte) tag plus the varint or fixed value after it (10 bytes).
_HEAD_BYTES = 24


class Span(NamedTuple):
    """Where a length-delimited value lies in the underlying file: [start, start + length)."""

    start: int
    length: int

    @property
    def end(self) -> int:
        return self.start + self.length


Field = tuple[int, int, "int | memoryview", int]
StreamField = tuple[int, int, "int | Span", int]


def check_depth(depth: int, offset: int, max_depth: int = MAX_DEPTH) -> None:
    """Refuse nesting deeper than protobuf itself accepts (callers recurse one level per message)."""
    if depth > max_depth:
        raise FormatError(f"protobuf messages nested deeper than {max_depth}", offset)


def decode_varint(buf: bytes | memoryview, pos: int, end: int) -> tuple[int, int]:
    """Decode the varint at `pos` (not past `end`); return (value masked to 64 bits, position after it)."""
    value = 0
    shift = 0
    start = pos
    while True:
        if pos >= end:
            raise FormatError("truncated varint", start)
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value & 0xFFFFFFFFFFFFFFFF, pos
        shift += 7
        if pos - start >= _MAX_VARINT_BYTES:
            raise FormatError("varint longer than 10 bytes", start)


def _decode_field(buf: bytes | memoryview, pos: int, end: int, base: int) -> tuple[int, int, int, int, int]:
    """Decode one field header at buf[pos:end].

    Returns (field_number, wire_type, value, value_pos, next_pos): `value` is the integer for VARINT /
    FIXED64 / FIXED32 and the payload length for LEN (payload at value_pos). `base` turns buffer
    positions into file offsets for error messages.
    """
    tag, pos2 = decode_varint(buf, pos, end)
    field_number = tag >> 3
    wire_type = tag & 7
    if field_number == 0 or field_number > _MAX_FIELD_NUMBER:
        raise FormatError(f"invalid protobuf field number {field_number}", base + pos)
    if wire_type == VARINT:
        value, nxt = decode_varint(buf, pos2, end)
        return field_number, wire_type, value, pos2, nxt
    if wire_type == FIXED64 or wire_type == FIXED32:
        width = 8 if wire_type == FIXED64 else 4
        if pos2 + width > end:
            raise FormatError("truncated fixed-width protobuf value", base + pos2)
        return field_number, wire_type, int.from_bytes(buf[pos2 : pos2 + width], "little"), pos2, pos2 + width
    if wire_type == LEN:
        length, payload = decode_varint(buf, pos2, end)
        return field_number, wire_type, length, payload, payload + length
    if wire_type in (START_GROUP, END_GROUP):
        raise FormatError("protobuf groups are not supported (deprecated, unused by ONNX/TensorFlow)", base + pos)
    raise FormatError(f"invalid protobuf wire type {wire_type}", base + pos)


def iter_fields(buf: bytes | memoryview, offset: int = 0, end: int | None = None) -> Iterator[Field]:
    """Walk the fields of the message in buf[offset:end].

    Yields (field_number, wire_type, value, field_offset): value is an int for VARINT/FIXED64/FIXED32
    and a memoryview (no copy) of the payload for LEN. Raises FormatError on truncation or bad wire types.
    """
    view = memoryview(buf)
    stop = len(view) if end is None else end
    if offset < 0 or stop > len(view) or offset > stop:
        raise FormatError("protobuf range outside the buffer", offset)
    pos = offset
    while pos < stop:
        number, wire, value, value_pos, nxt = _decode_field(view, pos, stop, 0)
        if nxt > stop:
            raise FormatError(f"length-delimited field {number} runs past the end of its message", pos)
        if wire == LEN:
            yield number, wire, view[value_pos:nxt], pos
        else:
            yield number, wire, value, pos
        pos = nxt


class Window:
    """Random access to a seekable file through one cached chunk, so that walking small fields
    costs a slice, not a syscall, and skipping a large value costs nothing."""

    def __init__(self, data: BinaryIO, size: int, chunk: int = 1 << 16) -> None:
        self._data = data
        self.size = size
        self._chunk = chunk
        self._base = 0
        self._buf = b""

    def view(self, offset: int, n: int) -> memoryview:
        """Up to `n` bytes at `offset` (fewer only at the end of the file). `n` must be small."""
        if offset < 0 or offset > self.size:
            raise FormatError("offset outside the file", offset)
        n = min(n, self.size - offset)
        if not (self._base <= offset and offset + n <= self._base + len(self._buf)):
            self._data.seek(offset)
            self._buf = self._data.read(max(self._chunk, n))
            self._base = offset
            if len(self._buf) < n:
                raise FormatError("file is shorter than its declared size", offset + len(self._buf))
        start = offset - self._base
        return memoryview(self._buf)[start : start + n]

    def read(self, offset: int, n: int) -> bytes:
        """Exactly `n` bytes at `offset`; the caller bounds `n` (by Limits) before asking."""
        if n < 0 or offset + n > self.size:
            raise FormatError("value runs past the end of the file", offset)
        if n <= self._chunk:
            return bytes(self.view(offset, n))
        self._data.seek(offset)
        out = self._data.read(n)
        if len(out) != n:
            raise FormatError("file is shorter than its declared size", offset + len(out))
        return out


def iter_stream_fields(window: Window, start: int, end: int) -> Iterator[StreamField]:
    """Walk the fields of the message stored in the file at [start, end), without reading payloads.

    Yields (field_number, wire_type, value, field_offset) where value is an int, or a Span for LEN.
    """
    if start < 0 or end > window.size or start > end:
        raise FormatError("protobuf message lies outside the file", start)
    pos = start
    while pos < end:
        head = window.view(pos, min(_HEAD_BYTES, end - pos))
        number, wire, value, value_pos, nxt = _decode_field(head, 0, len(head), pos)
        if wire == LEN:
            # The length varint may have been cut by the 24-byte head only if the message itself ends
            # there, in which case _decode_field already raised; nxt is relative to `pos`.
            payload = pos + value_pos
            if payload + value > end:
                raise FormatError(f"length-delimited field {number} runs past the end of its message", pos)
            yield number, wire, Span(payload, value), pos
            pos = payload + value
        else:
            yield number, wire, value, pos
            pos += nxt


def read_string(window: Window, span: Span, limit: int) -> str:
    """The UTF-8 text of a string field, at most `limit` bytes of it (longer values are cut, not loaded)."""
    data = window.read(span.start, min(span.length, limit))
    return data.decode("utf-8", errors="replace")
