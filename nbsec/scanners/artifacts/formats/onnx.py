"""ONNX models: find external-data paths that leave the model's folder, without the onnx package.

ONNX keeps large initializers outside the .onnx file: a TensorProto with `data_location = EXTERNAL` and
`external_data` entries {location, offset, length}. Loaders (onnx.load, onnxruntime) open `location`
relative to the model's folder, so an absolute path or `../..` makes loading the model read any file
the user can read (and `onnx.save` write there).

We stream the protobuf from the file (see protobuf.py): every message we need is walked in place,
everything else (in particular `raw_data`, the tensor bytes) is skipped by offset, so a multi-GB
model costs a few reads. Tensors can hide in several places, all visited:

    ModelProto.graph(7) / training_info(20).{initialization(1), algorithm(2)} / functions(25).node(7)
    GraphProto.node(1) / initializer(5) / sparse_initializer(15)
    NodeProto.attribute(5) -> AttributeProto.t(5) / g(6) / tensors(10) / graphs(11) /
                              sparse_tensor(22) / sparse_tensors(23)       (subgraphs: If, Loop, Scan)
    SparseTensorProto.values(1) / indices(2)
    TensorProto.name(8) / external_data(13) {key(1), value(2)} / data_location(14)
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from nbsec.scanners.artifacts.base import Context, FormatError, Issue
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
from nbsec.scanners.artifacts.rules import ONNX_EXTERNAL_PATH

_EXTERNAL = 1  # TensorProto.DataLocation.EXTERNAL
_MAX_ISSUES = 100  # one per tensor would flood a report for a model with 10k initializers
_NAME_BYTES = 1024  # enough of a tensor name or path for evidence; longer values are cut, not loaded
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
# ModelProto fields and their wire types: used by sniff() to recognise ONNX without the .onnx suffix.
_MODEL_FIELDS = {1: VARINT, 2: LEN, 3: LEN, 4: LEN, 5: VARINT, 6: LEN, 7: LEN, 8: LEN, 14: LEN, 20: LEN, 25: LEN}


def sniff(head: bytes, name: str) -> bool:
    """ONNX has no magic: a ModelProto starts with ir_version (field 1, varint, tag 0x08)."""
    if not head or head[0] != 0x08:
        return False
    if name.lower().endswith(".onnx"):
        return True
    return _looks_like_model(head)


def _looks_like_model(head: bytes) -> bool:
    # Without the suffix, ask for more: a plausible IR version first, every following field a
    # ModelProto field with the right wire type, and the graph or opset_import among them.
    # (SavedModel also starts with 0x08, but with schema version 1: not a plausible IR version.)
    seen: set[int] = set()
    try:
        for index, (number, wire, value, _) in enumerate(iter_fields(head)):
            if index == 0 and not (number == 1 and isinstance(value, int) and 3 <= value <= 30):
                return False
            if _MODEL_FIELDS.get(number) != wire:
                return False
            seen.add(number)
    except FormatError:
        pass  # the head cuts the graph short: judge what was read
    return bool(seen & {7, 8}) and 1 in seen


def check(data: BinaryIO, size: int, ctx: Context) -> Iterator[Issue]:
    """Yield ONNX_EXTERNAL_PATH for each external-data location that escapes the model folder."""
    walker = _Walker(Window(data, size), ctx)
    yield from walker.model()
    yield from walker.summary()


class _Walker:
    def __init__(self, window: Window, ctx: Context) -> None:
        self.window = window
        self.ctx = ctx
        self.fields = 0
        self.reported: set[tuple[str, str]] = set()
        self.suppressed = 0

    def _fields(self, span: Span, depth: int) -> Iterator[tuple[int, int, int | Span, int]]:
        check_depth(depth, span.start)
        for field in iter_stream_fields(self.window, span.start, span.end):
            self.fields += 1
            if self.fields > self.ctx.limits.max_items:
                raise FormatError(f"more than {self.ctx.limits.max_items} protobuf fields", field[3])
            yield field

    def _children(
        self, span: Span, depth: int, visitors: Mapping[int, Callable[[Span, int], Iterator[Issue]]]
    ) -> Iterator[Issue]:
        # A field whose wire type is not LEN is an unknown field to protobuf: skipped, as loaders do.
        for number, wire, value, _ in self._fields(span, depth):
            visit = visitors.get(number)
            if visit is not None and wire == LEN and isinstance(value, Span):
                yield from visit(value, depth + 1)

    def model(self) -> Iterator[Issue]:
        root = Span(0, self.window.size)
        yield from self._children(root, 0, {7: self.graph, 20: self.training_info, 25: self.function})

    def training_info(self, span: Span, depth: int) -> Iterator[Issue]:
        yield from self._children(span, depth, {1: self.graph, 2: self.graph})

    def function(self, span: Span, depth: int) -> Iterator[Issue]:
        yield from self._children(span, depth, {7: self.node})

    def graph(self, span: Span, depth: int) -> Iterator[Issue]:
        yield from self._children(span, depth, {1: self.node, 5: self.tensor, 15: self.sparse})

    def node(self, span: Span, depth: int) -> Iterator[Issue]:
        yield from self._children(span, depth, {5: self.attribute})

    def attribute(self, span: Span, depth: int) -> Iterator[Issue]:
        visitors = {5: self.tensor, 6: self.graph, 10: self.tensor, 11: self.graph, 22: self.sparse, 23: self.sparse}
        yield from self._children(span, depth, visitors)

    def sparse(self, span: Span, depth: int) -> Iterator[Issue]:
        yield from self._children(span, depth, {1: self.tensor, 2: self.tensor})

    def tensor(self, span: Span, depth: int) -> Iterator[Issue]:
        name = ""
        external = False
        locations: list[tuple[str, int]] = []
        for number, wire, value, offset in self._fields(span, depth):
            if number == 8 and isinstance(value, Span):
                name = read_string(self.window, value, _NAME_BYTES)
            elif number == 14 and wire == VARINT:
                external = value == _EXTERNAL
            elif number == 13 and isinstance(value, Span):
                location = self._location_entry(value, depth + 1)
                if location is not None:
                    locations.append((location, offset))
        for location, offset in locations:
            problem = location_problem(location, self.ctx.folder)
            if problem is None:
                continue
            key = (location, problem)
            if key in self.reported:
                continue
            if len(self.reported) >= _MAX_ISSUES:
                self.suppressed += 1
                continue
            self.reported.add(key)
            used = "" if external else " (data_location is not EXTERNAL, but loaders that trust the entry follow it)"
            yield Issue(
                ONNX_EXTERNAL_PATH,
                f"tensor {_short(name)!r}: external data location {_short(location)!r} {problem}{used}",
                offset=offset,
            )

    def _location_entry(self, span: Span, depth: int) -> str | None:
        key: str | None = None
        value: str | None = None
        for number, _, field_value, _ in self._fields(span, depth):
            if number == 1 and isinstance(field_value, Span):
                key = read_string(self.window, field_value, _NAME_BYTES)
            elif number == 2 and isinstance(field_value, Span):
                # Paths longer than this are cut for the check; the cut prefix still shows `..` or `/`.
                value = read_string(self.window, field_value, self.ctx.limits.max_string)
        return value if key == "location" else None

    def summary(self) -> Iterator[Issue]:
        if self.suppressed:
            yield Issue(
                ONNX_EXTERNAL_PATH,
                f"{self.suppressed} more tensors with escaping external data locations (not listed)",
            )


def location_problem(location: str, folder: Path | None) -> str | None:
    """Why `location` escapes the model folder, or None when it stays inside.

    Lexical only (never opens the file); the one filesystem question asked is whether an existing
    path inside the folder is a symlink that resolves elsewhere.
    """
    if not location:
        return None
    if "\x00" in location:
        return "contains a NUL byte (C++ loaders stop at it, Python ones do not)"
    if location.startswith(("\\\\", "//")):
        return "is a UNC/network path"
    if location.startswith(("/", "\\")):
        return "is an absolute path"
    if _WINDOWS_DRIVE.match(location):
        return "is a Windows drive path"
    depth = 0
    for part in re.split(r"[\\/]+", location):
        if part == "..":
            depth -= 1
            if depth < 0:
                return "walks up out of the model folder with '..'"
        elif part not in ("", "."):
            depth += 1
    if folder is not None:
        return _symlink_problem(folder, location)
    return None


def _symlink_problem(folder: Path, location: str) -> str | None:
    candidate = os.path.join(folder, *re.split(r"[\\/]+", location))
    if not os.path.lexists(candidate):
        return None
    real_folder = os.path.realpath(folder)
    real = os.path.realpath(candidate)
    if real != real_folder and not real.startswith(real_folder.rstrip(os.sep) + os.sep):
        return f"is a symlink that resolves outside the model folder (to {_short(real)!r})"
    return None


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
