"""TensorFlow SavedModel (saved_model.pb) and frozen GraphDef (.pb): list ops that touch files or Python.

A SavedModel is data, but running its graph runs its ops; a few ops read or write arbitrary files or
call back into Python. We walk the protobuf without TensorFlow (see protobuf.py), skipping everything
except node names and op names:

    SavedModel.meta_graphs(2) -> MetaGraphDef.graph_def(2) -> GraphDef
    GraphDef.node(1) -> NodeDef{name(1), op(2)}
    GraphDef.library(2) -> FunctionDefLibrary.function(1) -> FunctionDef{signature(1).name(1), node_def(3)}

Keras layers saved by tf.keras also leave their JSON config in the object graph (the deprecated
SavedUserObject.metadata), Lambda layers included; those configs go through the Keras walker:

    MetaGraphDef.object_graph_def(7) -> SavedObjectGraph.nodes(1) -> SavedObject.user_object(4)
    -> SavedUserObject{identifier(1), metadata(3): JSON}

SaveV2/RestoreV2 also touch files, but every checkpointing model has them (they read the variables
next to the graph), so they are deliberately not reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from nbsec.scanners.artifacts.base import Context, FormatError, Issue
from nbsec.scanners.artifacts.formats.keras import walk_config
from nbsec.scanners.artifacts.formats.protobuf import (
    LEN,
    VARINT,
    Span,
    Window,
    check_depth,
    iter_fields,
    iter_stream_fields,
    read_string,
)
from nbsec.scanners.artifacts.rules import SAVEDMODEL_RISKY_OP

RISKY_OPS = {
    "ReadFile": "reads any file the process can read",
    "WriteFile": "writes any file the process can write",
    "MatchingFiles": "lists files by glob pattern",
    "PyFunc": "calls a Python function",
    "PyFuncStateless": "calls a Python function",
    "EagerPyFunc": "calls a Python function",
}
# Custom ops with these words in their name are reported too: no stock TensorFlow op runs commands,
# so a graph that names one ships its own kernel library to do it.
_SUSPICIOUS_NAME = re.compile(r"Exec|System|Shell|Popen|Subprocess|Command")
# Stock TPU ops that match the pattern above but only run compiled XLA programs.
_BENIGN_LOOKALIKES = frozenset(
    {"TPUExecute", "TPUExecuteAndUpdateVariables", "_TPUExecute", "ExecuteTPUEmbeddingPartitioner"}
)
_NAME_BYTES = 256  # op and node names are short identifiers; longer ones are cut, not loaded
_MAX_OPS_REPORTED = 50
_NODES_SHOWN = 5
_SKIPPED_NAMES = frozenset({"fingerprint.pb", "keras_metadata.pb"})


def sniff(head: bytes, name: str) -> bool:
    """saved_model.pb by name; other .pb files by their first fields (protobuf has no magic)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if base == "saved_model.pb":
        return bool(head)
    if not base.endswith(".pb") or base in _SKIPPED_NAMES:
        return False
    fields = _head_fields(head)
    if not fields:
        return False
    first_number, first_wire, first_value = fields[0]
    if (first_number, first_wire) == (1, VARINT):  # saved_model_schema_version, then meta_graphs
        return len(fields) > 1 and fields[1][:2] == (2, LEN)
    if (first_number, first_wire) == (2, LEN):  # meta_graphs with the default schema version 0
        return True
    if (first_number, first_wire) == (1, LEN) and isinstance(first_value, memoryview):
        return _looks_like_nodedef(first_value)  # frozen GraphDef: starts with its first NodeDef
    return False


def _head_fields(head: bytes) -> list[tuple[int, int, int | memoryview]]:
    out: list[tuple[int, int, int | memoryview]] = []
    try:
        for number, wire, value, _ in iter_fields(head):
            out.append((number, wire, value))
            if len(out) >= 4:
                break
    except FormatError:
        pass  # the 4 KiB head cut a field short: judge what was read
    return out


def _looks_like_nodedef(buf: memoryview) -> bool:
    seen: dict[int, bytes] = {}
    try:
        for number, wire, value, _ in iter_fields(buf):
            if wire == LEN and isinstance(value, memoryview) and number in (1, 2):
                seen[number] = bytes(value)
    except FormatError:
        return False
    op = seen.get(2, b"")
    return 1 in seen and re.fullmatch(rb"_?[A-Z][A-Za-z0-9_]{0,127}", op) is not None


@dataclass
class _OpUse:
    count: int = 0
    offset: int = 0
    nodes: list[str] = field(default_factory=list)


def check(data: BinaryIO, size: int, ctx: Context) -> Iterator[Issue]:
    """Yield one SAVEDMODEL_RISKY_OP per risky op type used anywhere in the graph or its functions."""
    walker = _Walker(Window(data, size), ctx)
    walker.run()
    for op, use in walker.uses.items():
        why = RISKY_OPS.get(op, "is a custom op named like a command runner")
        nodes = ", ".join(repr(node) for node in use.nodes)
        more = f" and {use.count - len(use.nodes)} more" if use.count > len(use.nodes) else ""
        yield Issue(SAVEDMODEL_RISKY_OP, f"op {op} x{use.count} ({why}) in nodes {nodes}{more}", offset=use.offset)
    if walker.unlisted:
        yield Issue(SAVEDMODEL_RISKY_OP, f"{walker.unlisted} more nodes with risky ops of other types (not listed)")
    for offset, metadata in walker.keras_metadata:
        try:
            config = json.loads(metadata)
        except (ValueError, RecursionError):
            continue  # metadata is free text for non-Keras user objects
        yield from walk_config(config, f"saved_model.pb object graph@{offset}", offset=offset)


class _Walker:
    def __init__(self, window: Window, ctx: Context) -> None:
        self.window = window
        self.ctx = ctx
        self.fields = 0
        self.uses: dict[str, _OpUse] = {}
        self.unlisted = 0
        self.keras_metadata: list[tuple[int, bytes]] = []

    def _fields(self, span: Span, depth: int) -> Iterator[tuple[int, int | Span, int]]:
        """(field_number, value, offset) of span's fields; values of unexpected wire types are dropped
        by the callers' isinstance checks, as protobuf treats them as unknown fields."""
        check_depth(depth, span.start)
        for number, _, value, offset in iter_stream_fields(self.window, span.start, span.end):
            self.fields += 1
            if self.fields > self.ctx.limits.max_items:
                raise FormatError(f"more than {self.ctx.limits.max_items} protobuf fields", offset)
            yield number, value, offset

    def run(self) -> None:
        root = Span(0, self.window.size)
        first = next(iter_stream_fields(self.window, 0, self.window.size), None)
        if first is None:
            raise FormatError("empty protobuf: not a SavedModel", 0)
        number, wire, _, _ = first
        if (number, wire) == (1, LEN):
            self.graph(root, 0)  # a frozen GraphDef: no SavedModel/MetaGraphDef wrapper
            return
        for number, value, _ in self._fields(root, 0):
            if number == 2 and isinstance(value, Span):
                for inner, graph, _ in self._fields(value, 1):
                    if inner == 2 and isinstance(graph, Span):
                        self.graph(graph, 2)
                    elif inner == 7 and isinstance(graph, Span):
                        self.object_graph(graph, 2)

    def object_graph(self, span: Span, depth: int) -> None:
        """SavedUserObject.metadata strings (tf.keras layer configs) of every object graph node."""
        for number, node, _ in self._fields(span, depth):
            if number != 1 or not isinstance(node, Span):
                continue
            for kind, user_object, _ in self._fields(node, depth + 1):
                if kind != 4 or not isinstance(user_object, Span):
                    continue
                for number, text, offset in self._fields(user_object, depth + 2):
                    if number == 3 and isinstance(text, Span) and text.length:
                        if text.length > self.ctx.limits.max_header_bytes:
                            raise FormatError(f"object metadata of {text.length:,} bytes is over the limit", offset)
                        self.keras_metadata.append((offset, self.window.read(text.start, text.length)))

    def graph(self, span: Span, depth: int) -> None:
        for number, value, offset in self._fields(span, depth):
            if not isinstance(value, Span):
                continue
            if number == 1:
                self.node(value, depth + 1, "", offset)
            elif number == 2:
                for inner, function, _ in self._fields(value, depth + 1):
                    if inner == 1 and isinstance(function, Span):
                        self.function(function, depth + 2)

    def function(self, span: Span, depth: int) -> None:
        name = ""
        for number, value, offset in self._fields(span, depth):
            if number == 1 and isinstance(value, Span):  # signature: OpDef, its name is field 1
                for inner, text, _ in self._fields(value, depth + 1):
                    if inner == 1 and isinstance(text, Span):
                        name = read_string(self.window, text, _NAME_BYTES)
            elif number == 3 and isinstance(value, Span):
                self.node(value, depth + 1, f"{name}/" if name else "", offset)

    def node(self, span: Span, depth: int, prefix: str, offset: int) -> None:
        name = ""
        op = ""
        for number, value, _ in self._fields(span, depth):
            if number == 1 and isinstance(value, Span):
                name = read_string(self.window, value, _NAME_BYTES)
            elif number == 2 and isinstance(value, Span):
                op = read_string(self.window, value, _NAME_BYTES)
        if not _is_risky(op):
            return
        use = self.uses.get(op)
        if use is None:
            if len(self.uses) >= _MAX_OPS_REPORTED:
                self.unlisted += 1
                return
            use = self.uses[op] = _OpUse(offset=offset)
        use.count += 1
        if len(use.nodes) < _NODES_SHOWN:
            use.nodes.append(prefix + name)


def _is_risky(op: str) -> bool:
    if op in RISKY_OPS:
        return True
    return op not in _BENIGN_LOOKALIKES and _SUSPICIOUS_NAME.search(op) is not None
