"""safetensors: check that the JSON header describes the data section exactly.

Layout: u64 little-endian N, N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]},
"__metadata__": {str: str}}, then the data section; offsets are relative to the data section.

safetensors cannot run code, so what matters is integrity: the Rust reference implementation rejects
overlapping or out-of-range tensors, sizes that disagree with dtype x shape, and bytes no tensor covers.
Other readers (hand-written mmap loaders, converters) may not, and then two tools disagree on what the
weights are, or one reads out of bounds. We report what the reference would reject, plus JSON tricks
that split parsers (duplicate keys, NaN/Infinity).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from nbsec.model import Severity
from nbsec.scanners.artifacts.base import Context, FormatError, Issue
from nbsec.scanners.artifacts.rules import SAFETENSORS_HEADER

# Bits per element (sub-byte float formats pack several elements per byte).
DTYPE_BITS = {
    "BOOL": 8,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "C64": 64,
    "F64": 64,
    "I64": 64,
    "U64": 64,
}
METADATA_KEY = "__metadata__"
_SNIFF_MAX_HEADER = 100 * 1024 * 1024  # sniff() has no Limits: the default max_header_bytes
_MAX_ISSUES = 20  # a header with 10k broken entries is one problem, not 10k findings
_MAX_DUPLICATES = 5


def sniff(head: bytes, name: str) -> bool:
    """A plausible header length followed by '{'."""
    if len(head) < 9:
        return False
    length = int.from_bytes(head[:8], "little")
    return 2 <= length <= _SNIFF_MAX_HEADER and head[8:9] == b"{"


@dataclass(frozen=True)
class _Tensor:
    name: str
    begin: int
    end: int


def check(data: BinaryIO, size: int, ctx: Context) -> Iterator[Issue]:
    """Yield SAFETENSORS_HEADER issues; FormatError only when the file is too short to hold a header."""
    if size < 8:
        raise FormatError("file too short for the 8-byte safetensors header length", 0)
    data.seek(0)
    length = int.from_bytes(_read_exact(data, 8, 0), "little")
    if length > ctx.limits.max_header_bytes:
        yield Issue(
            SAFETENSORS_HEADER, f"header length {length} exceeds the {ctx.limits.max_header_bytes}-byte limit", 0
        )
        return
    if 8 + length > size:
        yield Issue(SAFETENSORS_HEADER, f"header length {length} runs past the end of the {size}-byte file", 0)
        return
    header = _read_exact(data, length, 8)
    issues = _check_header(header, data_start=8 + length, data_len=size - 8 - length, ctx=ctx)
    for count, issue in enumerate(issues):
        if count == _MAX_ISSUES:
            yield Issue(SAFETENSORS_HEADER, "more header problems not listed (stopped after 20)", 8)
            return
        yield issue


def _read_exact(data: BinaryIO, n: int, offset: int) -> bytes:
    out = data.read(n)
    if len(out) != n:
        raise FormatError("file is shorter than its declared size", offset + len(out))
    return out


def _check_header(header: bytes, data_start: int, data_len: int, ctx: Context) -> Iterator[Issue]:
    if not header.startswith(b"{"):
        yield Issue(SAFETENSORS_HEADER, f"header does not start with '{{' (starts with {header[:16]!r})", 8)
        return
    parsed = _parse_json(header)
    if isinstance(parsed, Issue):
        yield parsed
        return
    obj, duplicates, constants = parsed
    for key in duplicates:
        yield Issue(SAFETENSORS_HEADER, f"duplicate key {_short(key)!r}: parsers disagree on which entry wins", 8)
    if constants:
        yield Issue(SAFETENSORS_HEADER, f"non-standard JSON constants {sorted(constants)} (strict parsers reject)", 8)
    if not isinstance(obj, dict):
        yield Issue(SAFETENSORS_HEADER, f"header is a JSON {type(obj).__name__}, not an object", 8)
        return
    if len(obj) > ctx.limits.max_items:
        yield Issue(SAFETENSORS_HEADER, f"{len(obj)} header entries exceed the {ctx.limits.max_items} limit", 8)
        return
    tensors: list[_Tensor] = []
    for name, info in obj.items():
        if name == METADATA_KEY:
            yield from _check_metadata(info)
            continue
        problem, tensor = _check_tensor(name, info, data_len)
        if problem is not None:
            offset = data_start + tensor.begin if tensor is not None else 8
            yield Issue(SAFETENSORS_HEADER, f"tensor {_short(name)!r}: {problem}", offset)
        if tensor is not None:
            tensors.append(tensor)
    yield from _check_layout(tensors, data_start, data_len)


def _parse_json(header: bytes) -> tuple[Any, list[str], set[str]] | Issue:
    duplicates: list[str] = []
    constants: set[str] = set()

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out and len(duplicates) < _MAX_DUPLICATES:
                duplicates.append(key)
            out[key] = value
        return out

    def constant(name: str) -> float:
        constants.add(name)
        return float(name.replace("Infinity", "inf"))

    try:
        text = header.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Issue(SAFETENSORS_HEADER, f"header is not UTF-8 ({exc.reason} at byte {exc.start})", 8 + exc.start)
    try:
        obj = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as exc:
        return Issue(SAFETENSORS_HEADER, f"header is not valid JSON: {exc.msg} at char {exc.pos}", 8)
    except ValueError as exc:  # e.g. an integer literal past Python's 4300-digit conversion limit
        return Issue(SAFETENSORS_HEADER, f"header is not usable JSON: {_short(str(exc))}", 8)
    except RecursionError:
        return Issue(SAFETENSORS_HEADER, "header JSON is nested too deeply to parse", 8)
    return obj, duplicates, constants


def _check_metadata(info: object) -> Iterator[Issue]:
    if not isinstance(info, dict):
        yield Issue(SAFETENSORS_HEADER, f"__metadata__ is a {type(info).__name__}, not a str->str object", 8)
        return
    bad = [key for key, value in info.items() if not isinstance(value, str)]
    if bad:
        yield Issue(SAFETENSORS_HEADER, f"__metadata__ values must be strings; not for {_short(repr(bad[:5]))}", 8)


def _check_tensor(name: str, info: object, data_len: int) -> tuple[str | None, _Tensor | None]:
    """(problem or None, the tensor's byte range when its offsets are usable)."""
    if not isinstance(info, dict):
        return f"entry is a {type(info).__name__}, not an object", None
    offsets = info.get("data_offsets")
    if (
        not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_uint(value) for value in offsets))
        or offsets[0] > offsets[1]
    ):
        return f"data_offsets {_short(repr(offsets))} is not [begin, end] with 0 <= begin <= end", None
    begin, end = offsets
    if end > data_len:
        return f"data_offsets [{begin}, {end}] run past the {data_len}-byte data section", None
    tensor = _Tensor(name, begin, end)
    dtype = info.get("dtype")
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        return f"unknown dtype {_short(repr(dtype))}", tensor
    shape = info.get("shape")
    if not (isinstance(shape, list) and all(_is_uint(value) for value in shape)):
        return f"shape {_short(repr(shape))} is not a list of non-negative integers", tensor
    cap = data_len * 8 + 1  # more elements than that cannot fit whatever the dtype
    count = _element_count(shape, cap)
    bits = count * DTYPE_BITS[dtype]
    if bits % 8 and count < cap:
        return f"{dtype} x {_short(repr(shape))} is not a whole number of bytes", tensor
    if end - begin != bits // 8 or count >= cap:
        expected = "more than the data section" if count >= cap else f"{bits // 8} bytes"
        return f"{dtype} x {_short(repr(shape))} needs {expected} but data_offsets span {end - begin}", tensor
    return None, tensor


def _is_uint(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _element_count(shape: list[int], cap: int) -> int:
    """prod(shape), saturating at `cap` so a hostile shape cannot build a huge integer."""
    if any(dim == 0 for dim in shape):
        return 0
    count = 1
    for dim in shape:
        count = min(count * dim, cap)
    return count


def _check_layout(tensors: list[_Tensor], data_start: int, data_len: int) -> Iterator[Issue]:
    """Overlaps (high) and bytes no tensor covers (medium): the reference loader requires exact tiling."""
    covered_to = 0
    last: _Tensor | None = None
    gaps = 0
    gap_bytes = 0
    first_gap: int | None = None
    for tensor in sorted(tensors, key=lambda t: (t.begin, t.end)):
        if tensor.begin == tensor.end:
            continue  # empty tensors occupy no bytes
        if last is not None and tensor.begin < covered_to:
            yield Issue(
                SAFETENSORS_HEADER,
                f"tensors {_short(last.name)!r} [{last.begin}, {last.end}] and {_short(tensor.name)!r} "
                f"[{tensor.begin}, {tensor.end}] overlap",
                data_start + tensor.begin,
            )
        elif tensor.begin > covered_to:
            gaps += 1
            gap_bytes += tensor.begin - covered_to
            first_gap = covered_to if first_gap is None else first_gap
        if tensor.end > covered_to:
            covered_to = tensor.end
            last = tensor
    if gaps:
        yield Issue(
            SAFETENSORS_HEADER,
            f"{gap_bytes} bytes in {gaps} gap(s) between tensors belong to no tensor "
            f"(first at data offset {first_gap})",
            data_start + (first_gap or 0),
            severity=Severity.MEDIUM,
        )
    if covered_to < data_len:
        yield Issue(
            SAFETENSORS_HEADER,
            f"{data_len - covered_to} trailing bytes after the last tensor belong to no tensor",
            data_start + covered_to,
            severity=Severity.MEDIUM,
        )


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
