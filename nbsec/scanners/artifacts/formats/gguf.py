"""GGUF (llama.cpp) files: walk the metadata and check chat templates for Jinja sandbox escapes.

GGUF weights cannot run code, but the metadata can carry `tokenizer.chat_template` (and named variants
`tokenizer.chat_template.<name>`), a Jinja template that runtimes render on every request. Rendered by an
unsandboxed jinja2.Environment (llama-cpp-python before 0.2.72, CVE-2024-34359; any app that copies
that pattern), `{{ cycler.__init__.__globals__.os.popen('id').read() }}` runs a shell command.

Layout (little-endian; big-endian files exist and are detected by their version field):
    "GGUF", version u32 (1..3), tensor_count, kv_count        (u32 in v1, u64 from v2)
    kv_count x { key: string, type: u32, value }            string = length (u32 in v1, u64) + bytes
    tensor_count x { name: string, n_dims: u32, dims (u32 in v1, u64), ggml type: u32, offset: u64 }
    padding to general.alignment (default 32), tensor data

We parse the template with jinja2's parser (parsing builds an AST; nothing is rendered or executed)
and flag the constructs every public Jinja SSTI payload needs: underscore attributes, computed attribute
names, the `attr` filter, Jinja's own globals used as gadgets, and names assembled from pieces.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from nbsec.scanners.artifacts.base import Context, FormatError, Issue
from nbsec.scanners.artifacts.rules import GGUF_TEMPLATE, MALFORMED_CONTAINER

if TYPE_CHECKING:
    from jinja2 import nodes

MAGIC = b"GGUF"
TEMPLATE_KEY = "tokenizer.chat_template"
# Templates are read even past limits.max_string (they are what we are here for), up to this size.
MAX_TEMPLATE_BYTES = 16 * 1024 * 1024
GGML_MAX_DIMS = 4
_DEFAULT_ALIGNMENT = 32
_MAX_ARRAY_NESTING = 8
_MAX_ISSUES_PER_TEMPLATE = 10
_EVIDENCE_CHARS = 120

UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
_SCALAR_SIZES = {UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, UINT32: 4, INT32: 4, FLOAT32: 4, BOOL: 1}
_SCALAR_SIZES.update({UINT64: 8, INT64: 8, FLOAT64: 8})


def sniff(head: bytes, name: str) -> bool:
    return head[:4] == MAGIC


class _Cursor:
    """Sequential reads over a seekable file through a cached chunk; skips never read."""

    def __init__(self, data: BinaryIO, size: int, chunk: int = 1 << 16) -> None:
        self._data = data
        self.size = size
        self.pos = 0
        self._chunk = chunk
        self._base = 0
        self._buf = b""
        self.endian = "<"
        self.wide = True  # v2+: u64 lengths and counts; v1: u32

    def take(self, n: int) -> bytes:
        """Exactly n bytes (n bounded by the caller) or FormatError at the truncation point."""
        if n < 0 or self.pos + n > self.size:
            raise FormatError(f"truncated: {n} bytes needed at offset {self.pos}", self.pos)
        start = self.pos - self._base
        if not (0 <= start and start + n <= len(self._buf)):
            self._data.seek(self.pos)
            self._buf = self._data.read(max(n, self._chunk))
            self._base = self.pos
            start = 0
            if len(self._buf) < n:
                raise FormatError("file is shorter than its declared size", self.pos + len(self._buf))
        self.pos += n
        return self._buf[start : start + n]

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > self.size:
            raise FormatError(f"truncated: value of {n} bytes at offset {self.pos} runs past the end", self.pos)
        self.pos += n

    def u32(self) -> int:
        value: int = struct.unpack(self.endian + "I", self.take(4))[0]
        return value

    def u64(self) -> int:
        value: int = struct.unpack(self.endian + "Q", self.take(8))[0]
        return value

    def count(self) -> int:
        return self.u64() if self.wide else self.u32()

    def string(self, keep: int) -> tuple[str, int, int]:
        """(first `keep` bytes decoded, full length, offset of the bytes); the rest is skipped."""
        length = self.count()
        offset = self.pos
        if offset + length > self.size:
            raise FormatError(f"truncated: string of {length} bytes runs past the end", offset)
        text = self.take(min(length, keep)).decode("utf-8", errors="replace")
        self.skip(length - min(length, keep))
        return text, length, offset


def check(data: BinaryIO, size: int, ctx: Context) -> Iterator[Issue]:
    """Walk header, metadata and tensor infos; yield template issues; FormatError on truncation."""
    cur = _Cursor(data, size)
    if cur.take(4) != MAGIC:
        raise FormatError("not a GGUF file (magic is not 'GGUF')", 0)
    version = _read_version(cur)
    tensor_count = cur.count()
    kv_count = cur.count()
    for what, count in (("tensor", tensor_count), ("metadata key", kv_count)):
        if count > ctx.limits.max_items:
            raise FormatError(f"{count} {what}s exceed the {ctx.limits.max_items} limit (version {version})", 8)
    alignment = _DEFAULT_ALIGNMENT
    for _ in range(kv_count):
        key_offset = cur.pos
        key, _, _ = cur.string(ctx.limits.max_string)
        value_type = cur.u32()
        if key.startswith(TEMPLATE_KEY) and value_type == STRING:
            yield from _check_template_value(cur, key, ctx)
        elif key == "general.alignment" and value_type == UINT32:
            alignment = cur.u32()
            if alignment == 0 or alignment & (alignment - 1):
                raise FormatError(f"general.alignment {alignment} is not a power of two", key_offset)
        else:
            _skip_value(cur, value_type, ctx, 0)
    _check_tensor_infos(cur, tensor_count, alignment, ctx)


def _read_version(cur: _Cursor) -> int:
    raw = cur.take(4)
    for endian in ("<", ">"):
        version: int = struct.unpack(endian + "I", raw)[0]
        if version in (1, 2, 3):
            cur.endian = endian
            cur.wide = version >= 2
            return version
    raise FormatError(f"unsupported GGUF version bytes {raw.hex()}", 4)


def _skip_value(cur: _Cursor, value_type: int, ctx: Context, depth: int) -> None:
    size = _SCALAR_SIZES.get(value_type)
    if size is not None:
        cur.skip(size)
    elif value_type == STRING:
        length = cur.count()
        cur.skip(length)
    elif value_type == ARRAY:
        element_type = cur.u32()
        count = cur.count()
        element_size = _SCALAR_SIZES.get(element_type)
        if element_size is not None:
            cur.skip(count * element_size)  # numeric arrays (token scores, types) are never materialised
            return
        if count > ctx.limits.max_items:
            raise FormatError(f"array of {count} elements exceeds the {ctx.limits.max_items} limit", cur.pos)
        if depth >= _MAX_ARRAY_NESTING:
            raise FormatError(f"arrays nested deeper than {_MAX_ARRAY_NESTING}", cur.pos)
        if element_type not in (STRING, ARRAY):
            raise FormatError(f"unknown GGUF array element type {element_type}", cur.pos - 12)
        for _ in range(count):
            _skip_value(cur, element_type, ctx, depth + 1)
    else:
        raise FormatError(f"unknown GGUF value type {value_type}", cur.pos - 4)


def _check_tensor_infos(cur: _Cursor, tensor_count: int, alignment: int, ctx: Context) -> None:
    offsets: list[tuple[int, int]] = []
    for _ in range(tensor_count):
        info_offset = cur.pos
        cur.string(min(ctx.limits.max_string, 256))
        n_dims = cur.u32()
        if n_dims > GGML_MAX_DIMS:
            raise FormatError(f"tensor with {n_dims} dimensions (GGML_MAX_DIMS is {GGML_MAX_DIMS})", info_offset)
        cur.skip(n_dims * (8 if cur.wide else 4))
        cur.u32()  # ggml type
        offsets.append((cur.u64(), info_offset))
    if not tensor_count:
        return
    data_start = -(-cur.pos // alignment) * alignment
    data_len = cur.size - data_start
    for offset, info_offset in offsets:
        if offset >= data_len:
            raise FormatError(f"tensor data at {offset} lies past the end of the file (truncated)", info_offset)


# --- chat templates ------------------------------------------------------------------------------

_GADGET_NAMES = frozenset(
    {"lipsum", "cycler", "joiner", "self", "config", "request", "url_for", "get_flashed_messages", "namespace"}
)
# Filters that take an attribute name (possibly a dotted path) and look it up with getattr.
_ATTRIBUTE_FILTERS = frozenset({"map", "selectattr", "rejectattr", "sort", "groupby", "sum", "unique", "min", "max"})
_POSITIONAL_ATTRIBUTE = {"selectattr": 0, "rejectattr": 0, "groupby": 0, "sort": 2, "sum": 0}
_BUILDER_FILTERS = frozenset({"format", "join", "replace"})
_SENSITIVE_DUNDER = re.compile(
    r"__(?:class|globals|init|subclasses|builtins|import|mro|base|bases|dict|getattribute|getattr|reduce|"
    r"reduce_ex|code|func|self|module|loader|spec|call|enter|exit|subclasshook)__"
)
_FORMAT_ATTRIBUTE = re.compile(r"\{[^{}]*[.\[]_")
_GENERATION_TAG = re.compile(r"\{%-?\s*(?:end)?generation\s*-?%\}")
_FALLBACK = re.compile(
    r"__[A-Za-z]\w*__|\|\s*attr\b|\battr\s*\(|\b(?:lipsum|cycler|joiner|namespace)\s*\.\s*_|\.\s*_[A-Za-z_]"
)


def _check_template_value(cur: _Cursor, key: str, ctx: Context) -> Iterator[Issue]:
    source, length, offset = cur.string(MAX_TEMPLATE_BYTES)
    if length > MAX_TEMPLATE_BYTES:
        yield Issue(
            MALFORMED_CONTAINER,
            f"{_short(key)} is {length} bytes, over the {MAX_TEMPLATE_BYTES}-byte limit: not analysed",
            offset,
        )
        return
    findings, error = analyze_template(source)
    if error is not None:
        yield Issue(
            MALFORMED_CONTAINER, f"{_short(key)} is not a valid Jinja template ({error}); checked by pattern", offset
        )
    for expression, reason in findings[:_MAX_ISSUES_PER_TEMPLATE]:
        yield Issue(GGUF_TEMPLATE, f"{_short(key)}: {_short(expression, _EVIDENCE_CHARS)} ({reason})", offset)
    if len(findings) > _MAX_ISSUES_PER_TEMPLATE:
        more = len(findings) - _MAX_ISSUES_PER_TEMPLATE
        yield Issue(GGUF_TEMPLATE, f"{_short(key)}: {more} more suspicious expressions (not listed)", offset)


def analyze_template(source: str) -> tuple[list[tuple[str, str]], str | None]:
    """Suspicious expressions in a Jinja template as (expression, reason), and the parse error if any.

    Only parses (jinja2's parser builds an AST; nothing is compiled or rendered). A template that does
    not parse is checked with a regular expression instead.
    """
    import jinja2  # imported here: only GGUF files with templates pay for it

    # `{% generation %}` is a transformers extension tag (assistant masks); it wraps output, nothing else.
    cleaned = _GENERATION_TAG.sub("", source)
    env = jinja2.Environment(extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"])
    try:
        tree = env.parse(cleaned)
    except jinja2.TemplateSyntaxError as exc:
        return _fallback(source), f"{_short(exc.message or 'syntax error', 80)} at line {exc.lineno}"
    except RecursionError:
        return _fallback(source), "nested too deeply to parse"
    except (ValueError, OverflowError) as exc:  # e.g. an integer literal past the 4300-digit limit
        return _fallback(source), _short(str(exc), 80)
    return _walk_template(tree), None


def _fallback(source: str) -> list[tuple[str, str]]:
    """One finding per region of nearby pattern matches (a payload matches several patterns at once)."""
    regions: list[list[int]] = []
    for match in _FALLBACK.finditer(source):
        if regions and match.start() <= regions[-1][1] + 30:
            regions[-1][1] = match.end()
        elif len(regions) > _MAX_ISSUES_PER_TEMPLATE:
            break
        else:
            regions.append([match.start(), match.end()])
    reason = "Python-internals pattern in a template that does not parse"
    return [(source[max(0, a - 30) : b + 30].replace("\n", " "), reason) for a, b in regions]


def _walk_template(tree: nodes.Template) -> list[tuple[str, str]]:
    """Group flagged nodes by the outermost expression that contains them (one finding per expression)."""
    from jinja2 import nodes

    reasons: dict[int, list[str]] = {}
    roots: dict[int, nodes.Node] = {}
    # (node, outermost expression containing it, parent is an operator whose check covers this node)
    stack: list[tuple[nodes.Node, nodes.Node | None, bool]] = [(tree, None, False)]
    while stack:
        node, root, covered = stack.pop()
        if isinstance(node, nodes.Expr) and root is None:
            root = node
        elif isinstance(node, nodes.Stmt):
            root = None
        reason = _suspicious(node, covered)
        if reason is not None:
            anchor = root if root is not None else node
            roots.setdefault(id(anchor), anchor)
            found = reasons.setdefault(id(anchor), [])
            if reason not in found:
                found.append(reason)
        children = list(node.iter_child_nodes())
        # Only the top of a `+`/`~` chain joins its constants: checking every level is quadratic.
        chain = isinstance(node, (nodes.Concat, nodes.Add))
        stack.extend((child, root, chain) for child in reversed(children))
    return [(_source(roots[key]), "; ".join(found[:3])) for key, found in reasons.items()]


def _suspicious(node: nodes.Node, covered: bool = False) -> str | None:
    """Why this single node is part of a sandbox escape, or None (`covered`: its parent operator
    already joined this node's string constants)."""
    from jinja2 import nodes

    if isinstance(node, nodes.Getattr):
        if node.attr.startswith("_"):
            return f"underscore attribute .{node.attr}"
        return _gadget(node.node)
    if isinstance(node, nodes.Getitem):
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) and node.arg.value.startswith("_"):
            return f"underscore item [{node.arg.value!r}]"
        return _gadget(node.node)
    if isinstance(node, nodes.Filter):
        return _suspicious_filter(node)
    if isinstance(node, (nodes.Concat, nodes.Add)):
        if not covered and "__" in "".join(_const_strings(node)):
            return "builds a dunder name from pieces"
        return None
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        match = _SENSITIVE_DUNDER.search(node.value)
        if match:
            return f"string names Python internal {match.group(0)}"
        return None
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
        target = node.node
        if target.attr in ("format", "format_map") and isinstance(target.node, nodes.Const):
            if isinstance(target.node.value, str) and _FORMAT_ATTRIBUTE.search(target.node.value):
                return "str.format field reaches an underscore attribute"
    return None


def _gadget(node: nodes.Node) -> str | None:
    from jinja2 import nodes

    if isinstance(node, nodes.Name) and node.name in _GADGET_NAMES and node.name != "namespace":
        return f"attribute of Jinja global {node.name!r} (classic sandbox-escape gadget)"
    if isinstance(node, nodes.Name) and node.name == "namespace":
        return "attribute of the namespace class itself (not of a namespace object)"
    return None


def _suspicious_filter(node: nodes.Filter) -> str | None:
    from jinja2 import nodes

    if node.name == "attr":
        return "attr filter (attribute name chosen at render time)"
    if node.name in _ATTRIBUTE_FILTERS:
        candidates = [keyword.value for keyword in node.kwargs if keyword.key == "attribute"]
        position = _POSITIONAL_ATTRIBUTE.get(node.name)
        if position is not None and len(node.args) > position:
            candidates.append(node.args[position])
        if node.name == "map" and node.args and isinstance(node.args[0], nodes.Const) and node.args[0].value == "attr":
            return "map('attr', ...) applies the attr filter to every item"
        for candidate in candidates:
            if not isinstance(candidate, nodes.Const):
                return f"{node.name} filter with a computed attribute name"
            value = candidate.value
            if isinstance(value, str) and any(part.startswith("_") for part in value.split(".")):
                return f"{node.name} filter reaches underscore attribute {value!r}"
    if node.name in _BUILDER_FILTERS:
        pieces = _const_strings(node.node) if node.node is not None else []
        for arg in node.args:
            pieces.extend(_const_strings(arg))
        if "__" in "".join(pieces) or (node.name == "format" and any("%c" in piece for piece in pieces)):
            return f"{node.name} filter assembles a dunder name"
    return None


def _const_strings(node: nodes.Node) -> list[str]:
    """String constants under `node` in source order (descending through operators and lists only)."""
    from jinja2 import nodes

    out: list[str] = []
    stack = [node]
    while stack and len(out) < 10_000:
        current = stack.pop()
        if isinstance(current, nodes.Const):
            if isinstance(current.value, str):
                out.append(current.value)
        elif isinstance(current, (nodes.BinExpr, nodes.Concat, nodes.List, nodes.Tuple)):
            stack.extend(reversed(list(current.iter_child_nodes())))
    return out


def _source(node: nodes.Node, depth: int = 0) -> str:
    """A readable Jinja rendering of an expression, for evidence (not guaranteed to round-trip)."""
    from jinja2 import nodes

    if depth > 40:
        return "..."

    def sub(child: nodes.Node) -> str:
        return _source(child, depth + 1)

    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Const):
        return repr(node.value)
    if isinstance(node, nodes.Getattr):
        return f"{sub(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        return f"{sub(node.node)}[{sub(node.arg)}]"
    if isinstance(node, nodes.Slice):
        parts = [sub(part) if part is not None else "" for part in (node.start, node.stop, node.step)]
        return ":".join(parts).rstrip(":") or ":"
    if isinstance(node, (nodes.Call, nodes.Filter, nodes.Test)):
        args = [sub(arg) for arg in node.args] + [f"{kw.key}={sub(kw.value)}" for kw in node.kwargs]
        call = f"({', '.join(args)})" if args or isinstance(node, nodes.Call) else ""
        if isinstance(node, nodes.Call):
            return f"{sub(node.node)}{call}"
        target = sub(node.node) if node.node is not None else ""
        joiner = "|" if isinstance(node, nodes.Filter) else " is "
        return f"{target}{joiner}{node.name}{call}"
    if isinstance(node, nodes.Concat):
        return " ~ ".join(sub(part) for part in node.nodes)
    if isinstance(node, nodes.BinExpr):
        return f"{sub(node.left)} {node.operator} {sub(node.right)}"
    if isinstance(node, nodes.UnaryExpr):
        return f"{node.operator} {sub(node.node)}"
    if isinstance(node, nodes.Compare):
        return " ".join([sub(node.expr)] + [f"{op.op} {sub(op.expr)}" for op in node.ops])
    if isinstance(node, (nodes.List, nodes.Tuple)):
        inner = ", ".join(sub(item) for item in node.items)
        return f"[{inner}]" if isinstance(node, nodes.List) else f"({inner})"
    if isinstance(node, nodes.CondExpr):
        alternative = f" else {sub(node.expr2)}" if node.expr2 is not None else ""
        return f"{sub(node.expr1)} if {sub(node.test)}{alternative}"
    return f"<{type(node).__name__}>"


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
