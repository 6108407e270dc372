"""Reading pickle opcodes and their arguments from a stream, without keeping big arguments.

Large byte and string arguments are skipped with a seek (or a bounded read on a
forward-only stream) and stand in as Opaque values, so memory stays flat on huge files.
"""

from __future__ import annotations

import codecs
import io
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

KEEP_ARG_BYTES = 64 * 1024  # arguments up to this size are read; larger ones are skipped
MAX_LINE = 64 * 1024

# Every opcode: (name, argument kind), as pickletools documents them. Spelled out rather than
# built from pickletools at import time, which costs ~10 ms of start-up (a test checks they agree).
OPCODES: dict[bytes, tuple[str, str | None]] = {
    b"I": ("INT", "decimalnl_short"),
    b"J": ("BININT", "int4"),
    b"K": ("BININT1", "uint1"),
    b"M": ("BININT2", "uint2"),
    b"L": ("LONG", "decimalnl_long"),
    b"\x8a": ("LONG1", "long1"),
    b"\x8b": ("LONG4", "long4"),
    b"S": ("STRING", "stringnl"),
    b"T": ("BINSTRING", "string4"),
    b"U": ("SHORT_BINSTRING", "string1"),
    b"B": ("BINBYTES", "bytes4"),
    b"C": ("SHORT_BINBYTES", "bytes1"),
    b"\x8e": ("BINBYTES8", "bytes8"),
    b"\x96": ("BYTEARRAY8", "bytearray8"),
    b"\x97": ("NEXT_BUFFER", None),
    b"\x98": ("READONLY_BUFFER", None),
    b"N": ("NONE", None),
    b"\x88": ("NEWTRUE", None),
    b"\x89": ("NEWFALSE", None),
    b"V": ("UNICODE", "unicodestringnl"),
    b"\x8c": ("SHORT_BINUNICODE", "unicodestring1"),
    b"X": ("BINUNICODE", "unicodestring4"),
    b"\x8d": ("BINUNICODE8", "unicodestring8"),
    b"F": ("FLOAT", "floatnl"),
    b"G": ("BINFLOAT", "float8"),
    b"]": ("EMPTY_LIST", None),
    b"a": ("APPEND", None),
    b"e": ("APPENDS", None),
    b"l": ("LIST", None),
    b")": ("EMPTY_TUPLE", None),
    b"t": ("TUPLE", None),
    b"\x85": ("TUPLE1", None),
    b"\x86": ("TUPLE2", None),
    b"\x87": ("TUPLE3", None),
    b"}": ("EMPTY_DICT", None),
    b"d": ("DICT", None),
    b"s": ("SETITEM", None),
    b"u": ("SETITEMS", None),
    b"\x8f": ("EMPTY_SET", None),
    b"\x90": ("ADDITEMS", None),
    b"\x91": ("FROZENSET", None),
    b"0": ("POP", None),
    b"2": ("DUP", None),
    b"(": ("MARK", None),
    b"1": ("POP_MARK", None),
    b"g": ("GET", "decimalnl_short"),
    b"h": ("BINGET", "uint1"),
    b"j": ("LONG_BINGET", "uint4"),
    b"p": ("PUT", "decimalnl_short"),
    b"q": ("BINPUT", "uint1"),
    b"r": ("LONG_BINPUT", "uint4"),
    b"\x94": ("MEMOIZE", None),
    b"\x82": ("EXT1", "uint1"),
    b"\x83": ("EXT2", "uint2"),
    b"\x84": ("EXT4", "int4"),
    b"c": ("GLOBAL", "stringnl_noescape_pair"),
    b"\x93": ("STACK_GLOBAL", None),
    b"R": ("REDUCE", None),
    b"b": ("BUILD", None),
    b"i": ("INST", "stringnl_noescape_pair"),
    b"o": ("OBJ", None),
    b"\x81": ("NEWOBJ", None),
    b"\x92": ("NEWOBJ_EX", None),
    b"\x80": ("PROTO", "uint1"),
    b".": ("STOP", None),
    b"\x95": ("FRAME", "uint8"),
    b"P": ("PERSID", "stringnl_noescape"),
    b"Q": ("BINPERSID", None),
}


@dataclass(eq=False)
class Opaque:
    """A value the simulation does not keep (a skipped blob, a persistent id, ...)."""

    what: str
    start: int | None = None  # a skipped argument: where its bytes lie in the stream, and how many
    size: int = 0
    kind: str = ""  # its argument kind (bytes4, unicodestring8, ...)

    def __repr__(self) -> str:
        return f"<{self.what}>"


@dataclass(eq=False)
class GlobalVal:
    module: str
    name: str
    offset: int
    computed: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"

    def __repr__(self) -> str:
        return self.qualified


@dataclass(eq=False)
class CallVal:
    """The result of calling something during the load (REDUCE, OBJ, INST, NEWOBJ)."""

    func: Any
    args: Any
    offset: int
    state: Any = None

    def __repr__(self) -> str:
        return f"{self.func!r}(...)"


class Truncated(Exception):
    pass


class StopWalk(Exception):
    """Ends the walk of one pickle early (limit reached, unrecoverable stream)."""


# -- reading -------------------------------------------------------------------------------


class Reader:
    """Position-tracking reads over a stream, bounded by `end`, able to skip without reading."""

    def __init__(self, stream: BinaryIO, start: int, end: int | None, c_frames: bool = False) -> None:
        self.stream = stream
        self.pos = start
        self.end = end
        # With c_frames, reads follow CPython's C unpickler on a file without peek(): a read that
        # does not fit in the rest of the current frame drops those bytes and reads after the frame.
        self.c_frames = c_frames
        self.frame_end: int | None = None
        self.seekable = is_seekable(stream)
        if self.seekable:
            stream.seek(start)

    def _frame_jump(self, n: int) -> None:
        if self.frame_end is None:
            return
        if self.pos >= self.frame_end:
            self.frame_end = None
        elif self.pos + n > self.frame_end:
            self.stream.seek(self.frame_end)
            self.pos, self.frame_end = self.frame_end, None

    def read(self, n: int) -> bytes:
        if self.c_frames:
            self._frame_jump(n)
        if self.end is not None and self.pos + n > self.end:
            raise Truncated
        data = self.stream.read(n)
        if len(data) < n:
            raise Truncated
        self.pos += n
        return data

    def skip(self, n: int) -> None:
        if self.c_frames:
            self._frame_jump(n)
        if self.end is not None and self.pos + n > self.end:
            raise Truncated
        if self.seekable:
            try:
                self.stream.seek(n, io.SEEK_CUR)
            except (OverflowError, ValueError):  # a length no file can have (a file's seek refuses 2**63)
                raise Truncated from None
            self.pos += n
            if self.end is None:
                # Seeking past EOF does not fail: check we did not.
                here = self.stream.tell()
                if self.stream.seek(0, io.SEEK_END) < here:
                    raise Truncated
                self.stream.seek(here)
            return
        remaining = n
        while remaining:
            chunk = self.stream.read(min(remaining, 1 << 20))
            if not chunk:
                raise Truncated
            remaining -= len(chunk)
        self.pos += n

    def readline(self) -> bytes:
        out = bytearray()
        while True:
            byte = self.read(1)
            if byte == b"\n":
                return bytes(out)
            out += byte
            if len(out) > MAX_LINE:
                raise StopWalk("line argument longer than 64 KiB")

    def at_end(self) -> bool:
        if self.end is not None:
            return self.pos >= self.end
        if self.seekable:
            here = self.stream.tell()
            size = self.stream.seek(0, io.SEEK_END)
            self.stream.seek(here)
            return here >= size
        peek = getattr(self.stream, "peek", None)
        return peek is not None and not peek(1)


def is_seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _sized(reader: Reader, n: int, kind: str) -> Any:
    """Read an n-byte argument, or skip it and return an Opaque when it is large."""
    if n < 0:
        raise StopWalk(f"negative length {n}")
    if n > KEEP_ARG_BYTES:
        start = reader.pos
        reader.skip(n)
        return Opaque(f"{kind} of {n:,} bytes", start, n, kind)
    return reader.read(n)


# Fixed-size arguments: (bytes to read, how to unpack them). Looked up before the general path:
# they are most of the opcodes in a real checkpoint, and one dict lookup beats a chain of tests.
_FIXED: dict[str, tuple[int, struct.Struct]] = {
    "uint2": (2, struct.Struct("<H")),
    "int4": (4, struct.Struct("<i")),
    "uint4": (4, struct.Struct("<I")),
    "uint8": (8, struct.Struct("<Q")),
    "float8": (8, struct.Struct(">d")),
}


def read_arg(reader: Reader, name: str | None) -> Any:
    """The opcode's argument as a Python value (or Opaque), reading only what it needs."""
    if name is None:
        return None
    if name == "uint1":
        return reader.read(1)[0]
    fixed = _FIXED.get(name)
    if fixed is not None:
        return fixed[1].unpack(reader.read(fixed[0]))[0]
    if name in ("decimalnl_short", "decimalnl_long"):
        text = reader.readline().decode("ascii", "replace").rstrip("L")
        if text in ("00", "01"):
            return text == "01"
        try:
            return int(text)
        except ValueError:
            raise StopWalk(f"bad integer literal {text[:40]!r}") from None
    if name == "floatnl":
        try:
            return float(reader.readline())
        except ValueError:
            raise StopWalk("bad float literal") from None
    if name == "stringnl":
        return _unquote(reader.readline())
    if name == "stringnl_noescape":
        return reader.readline().decode("utf-8", "replace")
    if name == "stringnl_noescape_pair":
        first = reader.readline().decode("utf-8", "replace")
        return first, reader.readline().decode("utf-8", "replace")
    if name == "unicodestringnl":
        return reader.readline().decode("raw-unicode-escape", "replace")
    if name in ("string1", "bytes1", "unicodestring1"):
        data = _sized(reader, reader.read(1)[0], name)
    elif name in ("string4", "bytes4", "unicodestring4"):
        size = struct.unpack("<i" if name == "string4" else "<I", reader.read(4))[0]
        data = _sized(reader, size, name)
    elif name in ("bytes8", "unicodestring8", "bytearray8"):
        data = _sized(reader, struct.unpack("<Q", reader.read(8))[0], name)
    elif name == "long1":
        data = _sized(reader, reader.read(1)[0], name)
        return int.from_bytes(data, "little", signed=True) if isinstance(data, bytes) else data
    elif name == "long4":
        data = _sized(reader, struct.unpack("<i", reader.read(4))[0], name)
        return int.from_bytes(data, "little", signed=True) if isinstance(data, bytes) else data
    else:  # pragma: no cover - pickletools knows no other argument kinds
        raise StopWalk(f"unknown argument kind {name}")
    if isinstance(data, Opaque):
        return data
    if name.startswith("unicodestring"):
        return data.decode("utf-8", "surrogatepass")
    if name.startswith("string"):
        return data.decode("latin-1")  # Python 3 unpickles py2 str as str (encoding='ASCII'/'latin1')
    return data


def _unquote(line: bytes) -> str:
    text = line.decode("latin-1")
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    try:
        return codecs.escape_decode(text.encode("latin-1"))[0].decode("latin-1")
    except ValueError:
        return text
