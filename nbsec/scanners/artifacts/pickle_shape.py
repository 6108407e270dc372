"""What the simulated values of a pickle say beyond its globals: nested streams and expansion.

Two questions the pickle machine asks of the values it builds, never by building real objects:

* a deserializer called through REDUCE (`pickle.loads`, `torch.storage._load_from_bytes`, ...): are
  its bytes in the pickle itself? Then the walker analyses them as a nested stream
  (`embedded_bytes`); protocol <= 2 spells bytes as `_codecs.encode(str, 'latin1')`, and a blob too
  big to keep is known by its position in the stream.
* how big the result would be if materialised as a tree (`expanded_size`): shared references (DUP,
  memo GETs) cost nothing to unpickle, but a consumer that walks the object (repr, JSON, a naive
  copy) pays for every path. Computed over the DAG of simulated values with a node budget, so a
  billion-laughs pickle is estimated in microseconds.
"""

from __future__ import annotations

from itertools import compress, repeat
from typing import Any, NamedTuple

from nbsec.scanners.artifacts.pickle_reader import CallVal, GlobalVal, Opaque

BYTES_KINDS = frozenset({"bytes1", "bytes4", "bytes8", "bytearray8", "string1", "string4"})
TEXT_KINDS = frozenset({"unicodestring1", "unicodestring4", "unicodestring8"})
ESTIMATE_CAP = 10**18
ESTIMATE_NODES = 50_000  # distinct containers visited at most (~50 ms); bombs have a few dozen


class NestedRef(NamedTuple):
    """A deserializer call on bytes: in memory (`data`), or a span of the stream (`start`, `size`)."""

    entry: str  # qualified name of the deserializer
    offset: int  # the call's opcode
    data: bytes | None = None
    start: int | None = None
    size: int = 0
    transcode: str | None = None  # a text span that `_codecs.encode(text, transcode)` turns into bytes

    @property
    def embedded(self) -> bool:
        return self.data is not None or self.start is not None


def embedded_bytes(value: Any, entry: str, offset: int, depth: int = 0) -> NestedRef:
    """Where the bytes a deserializer is called with come from, if they are in the pickle."""
    if isinstance(value, (bytes, bytearray)):
        return NestedRef(entry, offset, data=bytes(value))
    if isinstance(value, Opaque) and value.start is not None and value.kind in BYTES_KINDS:
        return NestedRef(entry, offset, start=value.start, size=value.size)
    if depth < 3 and isinstance(value, CallVal) and isinstance(value.func, GlobalVal):
        func = value.func.qualified
        args = value.args if isinstance(value.args, tuple) else ()
        if func in ("_codecs.encode", "codecs.encode") and args:
            encoding = args[1] if len(args) > 1 and isinstance(args[1], str) else "utf-8"
            text = args[0]
            if isinstance(text, str):
                try:
                    return NestedRef(entry, offset, data=text.encode(encoding))
                except (LookupError, UnicodeError):
                    return NestedRef(entry, offset)
            if isinstance(text, Opaque) and text.start is not None and text.kind in TEXT_KINDS:
                return NestedRef(entry, offset, start=text.start, size=text.size, transcode=encoding)
        if func in ("io.BytesIO", "_io.BytesIO") and args:
            return embedded_bytes(args[0], entry, offset, depth + 1)
    return NestedRef(entry, offset)


def expanded_size(root: Any) -> tuple[int, bool, int]:
    """(elements of `root` as a tree, capped; True when a value contains itself, so the tree is infinite;
    how many times containers hold themselves directly, as in L.append(L))."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    cyclic = False
    self_refs = 0
    # Iterative post-order: (value, children pushed?) so deep nesting costs no recursion. Children are
    # summed and filtered with C-level iterators: a list of 100,000 shared strings costs no Python loop.
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        value, expanded = stack.pop()
        key = id(value)
        children = _children(value)
        if children is None:
            continue
        if expanded:
            on_path.discard(key)
            self_refs += [*map(id, children)].count(key)
            sizes[key] = min(1 + sum(map(sizes.get, map(id, children), repeat(1))), ESTIMATE_CAP)
            continue
        if key in sizes:
            continue
        if key in on_path:
            cyclic = True
            continue
        if len(sizes) + len(on_path) >= ESTIMATE_NODES:
            break
        on_path.add(key)
        stack.append((value, True))
        for child in compress(children, map(_CONTAINERS.__contains__, map(type, children))):
            child_key = id(child)
            if child_key in on_path:
                cyclic = True
            elif child_key not in sizes:
                stack.append((child, False))
    return sizes.get(id(root), 1), cyclic, self_refs


_CONTAINERS = frozenset({list, tuple, dict, CallVal})


def _children(value: Any) -> list[Any] | tuple[Any, ...] | None:
    kind = type(value)
    if kind is list or kind is tuple:
        return value  # type: ignore[no-any-return]
    if kind is dict:
        return [*value.keys(), *value.values()]
    if kind is CallVal:
        return (value.args, value.state)
    return None
