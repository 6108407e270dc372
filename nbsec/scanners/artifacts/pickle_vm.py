"""Static analysis of the pickle(s) in a byte range, without executing them: the public entry point.

`analyze` runs the opcode machine (pickle_machine) over every pickle in the range: pickles stacked
one after another (legacy torch files, payloads appended after a benign pickle) are all walked, and
bytes after the last STOP that do not start another pickle are an anomaly. When the walk saw a
framing anomaly, the data is walked again the way CPython's C unpickler reads it, because a frame
that lies about its length makes that loader see a different opcode stream.

The result types live in pickle_result and the machine in pickle_machine; this module stays the
one that callers (the walker, the tests) import `analyze` from.
"""

from __future__ import annotations

import re
from typing import BinaryIO

from nbsec.scanners.artifacts.pickle_machine import MAX_NESTED_PICKLES, walk
from nbsec.scanners.artifacts.pickle_reader import OPCODES, Reader, is_seekable
from nbsec.scanners.artifacts.pickle_result import Anomaly, PickleAnalysis

# OPCODES and PickleAnalysis are re-exported: tests read the opcode table here, and analyze returns the latter.
__all__ = ["OPCODES", "TORCH_LEGACY_MAGIC", "PickleAnalysis", "analyze", "looks_like_pickle_start"]

# torch.save's legacy format: five pickles (magic, protocol, sys info, object, storage keys), then raw storages.
TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def looks_like_pickle_start(head: bytes) -> bool:
    """A binary pickle (PROTO 2-5) or a plausible protocol 0/1 opening."""
    if len(head) >= 2 and head[0] == 0x80 and head[1] <= 5:
        return True
    if not head:
        return False
    first = head[:1]
    if first == b"c":  # GLOBAL: module\nname\n
        return re.match(rb"c[A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n", head) is not None
    if first in (b"(", b"}", b"]", b")"):
        return len(head) > 1 and head[1:2] in _OPCODES_BYTES
    return False


_OPCODES_BYTES = frozenset(OPCODES)


def analyze(
    stream: BinaryIO,
    start: int = 0,
    end: int | None = None,
    *,
    max_ops: int = 50_000_000,
    stacked: bool = True,
    max_pickles: int = 64,
) -> PickleAnalysis:
    """Analyse the pickle(s) in stream[start:end] without executing them.

    With `stacked`, pickles that follow one another (legacy torch files, payloads appended
    after a benign pickle) are all analysed; bytes after the last STOP that do not start
    another pickle are reported as a "trailing" anomaly with their offset.
    """
    result = PickleAnalysis()
    reader = Reader(stream, start, end)
    first = True
    while True:
        value = walk(reader, result, max_ops, 0)
        if value is None:
            break
        result.pickles += 1
        if first:
            result.first_value, first = value, False
        if not stacked or reader.at_end():
            break
        if result.first_value == TORCH_LEGACY_MAGIC and result.pickles >= 5:
            break  # the rest is raw storage data, read by offset, never unpickled
        head = _peek(reader, 16)
        if not looks_like_pickle_start(head):
            result.anomalies.append(Anomaly("trailing", reader.pos, "data after STOP that is not a pickle"))
            break
        if result.pickles >= max_pickles:
            result.anomalies.append(Anomaly("limit", reader.pos, f"more than {max_pickles} stacked pickles"))
            break
    result.end_offset = reader.pos
    _resync_after_frame_anomalies(stream, start, end, result, max_ops)
    return result


def _peek(reader: Reader, n: int) -> bytes:
    if reader.seekable:
        here = reader.stream.tell()
        data = reader.stream.read(n)
        reader.stream.seek(here)
        return data
    peek = getattr(reader.stream, "peek", None)
    return bytes(peek(n)[:n]) if peek is not None else b""


def _resync_after_frame_anomalies(
    stream: BinaryIO, start: int, end: int | None, result: PickleAnalysis, max_ops: int
) -> None:
    """Framing lies are how payloads hide inside what genops sees as one opaque argument.

    CPython's C unpickler, reading a file object without peek() (io.BytesIO: what torch.load
    uses for a zip's data.pkl), drops the rest of a frame when an argument does not fit in it
    and reads the argument from after the frame: a different opcode stream. Walk the data again
    the way that loader does, and report whatever it would import or call.
    """
    if not is_seekable(stream) or not any(a.kind == "frame" for a in result.anomalies):
        return
    sub = PickleAnalysis()
    try:
        reader = Reader(stream, start, end, c_frames=True)
        walk(reader, sub, min(max_ops, 5_000_000), MAX_NESTED_PICKLES)
    except OSError:
        return
    seen = {(g.module, g.name) for g in result.globals}
    result.globals.extend(g for g in sub.globals if (g.module, g.name) not in seen)
    result.calls.extend(sub.calls)
    result.computed.extend(sub.computed)
