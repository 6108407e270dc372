"""The one bounded reader for JSON and YAML that nbsec is given: user files, notebooks, downloaded exports.

Every limit a hostile file could push on is checked here, once, and a breach is
an `InputError` that names the file (and the line, where known) and says what
to do:

- size: at most `max_bytes`, by a bounded read, so a pipe or a device cannot
  push more into memory than the limit;
- encoding: UTF-8 (a BOM is accepted), else the byte offset and its line;
- nesting: at most `max_depth` levels. Python's JSON parser recurses (a deep
  file is a RecursionError) and libyaml's composer recurses in C, where a
  200 KB file of `[` crashes the interpreter outright, so YAML depth is checked
  on the parser's event stream, which is iterative, before any node is built;
- YAML aliases and merge keys: the conversion to plain data counts nodes with
  every alias expanded and merges mappings key by key, so a "billion laughs"
  file stops at `max_nodes` instead of eating the memory of whoever walks it;
- YAML tags: PyYAML's safe constructor only, and a mapping or list with any
  tag but the plain ones is refused rather than read as plain data.

Only nbsec's own files (package data, what it wrote a moment ago) are read
without it. Stdlib only; PyYAML (a dependency) is imported when YAML is read.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from nbsec.errors import InputError

PathKey = tuple[Any, ...]
Lines = dict[PathKey, int]  # (key, index, ...) path of a value -> its 1-based line

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 100
MAX_NODES = 1_000_000
# Both parsers recurse once per level; a limit above this could meet the interpreter's
# recursion limit (or libyaml's C stack) before ours, so larger requests are clamped.
DEPTH_CEILING = 500

DEFAULT_HINT = "check that this is the right file; if it is, it is damaged or was crafted to be hostile"

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
# Strings and brackets of a JSON text: enough to find where nesting passes a limit.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


# -- bytes and text ---------------------------------------------------------------------------


def read_bytes(path: str | os.PathLike[str], *, what: str, hint: str = "", max_bytes: int = MAX_BYTES) -> bytes:
    """The file's bytes, at most `max_bytes` of them; InputError (kind missing/unreadable/too-large) otherwise."""
    source = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > max_bytes:  # a regular file says its size: refuse before reading
                raise _too_large(source, what, max_bytes, hint)
            raw = handle.read(max_bytes + 1)  # a pipe or device does not: read one byte past the limit
    except FileNotFoundError:
        # The caller's hint is about the content; for a missing file, the path is what to check.
        raise InputError(source, f"no such {what}", "check the path (quote one with spaces)", kind="missing") from None
    except IsADirectoryError:
        raise InputError(source, f"a folder, not a {what}", "pass the file's path", kind="unreadable") from None
    except OSError as exc:
        reason = f"cannot read the {what} ({exc.strerror or exc})"
        raise InputError(source, reason, "check the path and its permissions", kind="unreadable") from None
    if len(raw) > max_bytes:
        raise _too_large(source, what, max_bytes, hint)
    return raw


def _too_large(source: str, what: str, max_bytes: int, hint: str) -> InputError:
    limit = f"the limit for a {what}" if what else "the limit here"
    reason = f"larger than {max_bytes:,} bytes, {limit}"
    return InputError(source, reason, hint or "check that this is the right file", kind="too-large")


def _text(text: str | bytes, source: str, hint: str, max_bytes: int) -> str:
    if len(text) > max_bytes:
        raise _too_large(source, "", max_bytes, hint)
    if isinstance(text, str):
        return text.removeprefix("\ufeff")
    try:
        return text.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = text.count(b"\n", 0, exc.start) + 1
        raise InputError(
            source, f"not UTF-8 text (byte {exc.start})", hint or "save the file as UTF-8", line=line, kind="not-utf8"
        ) from None


# -- JSON -------------------------------------------------------------------------------------


def read_json(
    path: str | os.PathLike[str],
    *,
    what: str,
    hint: str = "",
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Parse the JSON file at `path`; `what` names it in errors ("baseline", "notebook", ...)."""
    raw = read_bytes(path, what=what, hint=hint, max_bytes=max_bytes)
    return parse_json(raw, source=os.fspath(path), hint=hint, max_bytes=max_bytes, max_depth=max_depth)


def parse_json(
    text: str | bytes,
    *,
    source: str,
    hint: str = "",
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Parse JSON text (bytes must be UTF-8); `source` names it in errors."""
    body = _text(text, source, hint, max_bytes)
    hint = hint or DEFAULT_HINT
    limit = min(max_depth, DEPTH_CEILING)
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InputError(
            source, f"invalid JSON: {exc.msg} (column {exc.colno})", hint, line=exc.lineno, kind="syntax"
        ) from None
    except RecursionError:
        data, deep = None, True
    except ValueError as exc:  # valid syntax Python still refuses, e.g. an integer of more than 4300 digits
        raise InputError(source, f"invalid JSON: {exc}", hint, kind="syntax") from None
    else:
        deep = _deeper_than(data, limit)
    if deep:
        line = _deep_json_line(body, limit)
        raise InputError(source, f"JSON nested too deeply (more than {limit} levels)", hint, line=line, kind="too-deep")
    return data


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether containers nest more than `limit` levels (iterative: the data may be as deep as the parser allowed)."""
    stack = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _deep_json_line(text: str, limit: int) -> int | None:
    """The line where nesting first passes `limit` (only on the error path: it scans the text)."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                return text.count("\n", 0, match.start()) + 1
        elif token in ("]", "}"):
            depth -= 1
    return None


# -- YAML -------------------------------------------------------------------------------------


def read_yaml(
    path: str | os.PathLike[str],
    *,
    what: str,
    hint: str = "",
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
) -> Any:
    """Parse the YAML file at `path` to plain data (dicts, lists, scalars); `what` names it in errors."""
    raw = read_bytes(path, what=what, hint=hint, max_bytes=max_bytes)
    source = os.fspath(path)
    return parse_yaml(raw, source=source, hint=hint, max_bytes=max_bytes, max_depth=max_depth, max_nodes=max_nodes)


def parse_yaml(
    text: str | bytes,
    *,
    source: str,
    hint: str = "",
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
) -> Any:
    """One YAML document as plain data; `source` names it in errors."""
    return _parse_yaml(text, source, hint, max_bytes, max_depth, max_nodes, None)


def parse_yaml_lines(
    text: str | bytes,
    *,
    source: str,
    hint: str = "",
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
) -> tuple[Any, Lines]:
    """(plain data, {path: line}) for one YAML document: what error messages about its content point at."""
    lines: Lines = {}
    return _parse_yaml(text, source, hint, max_bytes, max_depth, max_nodes, lines), lines


def _parse_yaml(
    text: str | bytes, source: str, hint: str, max_bytes: int, max_depth: int, max_nodes: int, lines: Lines | None
) -> Any:
    import yaml

    body = _text(text, source, hint, max_bytes)
    hint = hint or DEFAULT_HINT
    limit = min(max_depth, DEPTH_CEILING)
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built in: same rules, faster
    try:
        _check_depth(loader_class(body), limit, source, hint)
        loader = loader_class(body)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            return _Converter(loader, lines, source, hint, limit, max_nodes).convert(node, (), 0, node.start_mark)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InputError(
            source, f"invalid YAML: {exc.problem or exc.context}", hint, line=line, kind="syntax"
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, other control characters)
        line = body.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)  # libyaml gives an int
        reason = f"invalid YAML: {exc.reason} (U+{code:04X})"
        raise InputError(source, reason, hint, line=line, kind="syntax") from None
    except yaml.YAMLError as exc:
        raise InputError(source, f"invalid YAML: {exc}", hint, kind="syntax") from None


def _check_depth(loader: Any, limit: int, source: str, hint: str) -> None:
    """Walk the parser's events (no nodes built) and stop at the first collection deeper than `limit`."""
    import yaml

    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limit:
                    reason = f"YAML nested too deeply (more than {limit} levels)"
                    raise InputError(source, reason, hint, line=event.start_mark.line + 1, kind="too-deep")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()


class _Converter:
    """Node tree -> plain data, counting every node as often as aliases make it appear."""

    def __init__(
        self, loader: Any, lines: Lines | None, source: str, hint: str, max_depth: int, max_nodes: int
    ) -> None:
        import yaml

        self.yaml = yaml
        self.loader = loader
        self.lines = lines
        self.source = source
        self.hint = hint
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.nodes = 0

    def fail(self, reason: str, node: Any, kind: str = "invalid", mark: Any = None) -> InputError:
        line = (mark or node.start_mark).line + 1
        return InputError(self.source, reason, self.hint, line=line, kind=kind)

    def convert(self, node: Any, path: PathKey, depth: int, used_at: Any) -> Any:
        """`used_at`: the mark of the text that refers to `node`. An alias points back to its anchor, which
        comes earlier in the text, so a node that starts before `used_at` is reached through an alias and
        the place to blame for its expansion is where it was used, not where it was defined."""
        if node.start_mark.index >= used_at.index:
            used_at = node.start_mark
        self.nodes += 1
        if self.nodes > self.max_nodes:
            reason = f"more than {self.max_nodes:,} YAML nodes once aliases are expanded (an alias bomb?)"
            raise self.fail(reason, node, "too-many-nodes", used_at)
        if depth > self.max_depth:
            raise self.fail(f"YAML nested too deeply (more than {self.max_depth} levels)", node, "too-deep")
        if self.lines is not None:
            self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, self.yaml.MappingNode):
            return self._mapping(node, path, depth, used_at)
        if isinstance(node, self.yaml.SequenceNode):
            if node.tag != _SEQ_TAG:
                raise self._tag_refused(node)
            return [self.convert(item, (*path, i), depth + 1, used_at) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _mapping(self, node: Any, path: PathKey, depth: int, used_at: Any) -> dict[Any, Any]:
        if node.tag != _MAP_TAG:
            raise self._tag_refused(node)
        merged: dict[Any, Any] = {}
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, self.yaml.ScalarNode):
                raise self.fail("invalid YAML: a mapping key must be a plain value", key_node)
            key_at = key_node.start_mark if key_node.start_mark.index >= used_at.index else used_at
            if key_node.tag == _MERGE_TAG:
                # `<<:` by hand, not PyYAML's flatten_mapping, which copies every merged pair (duplicates
                # included) before anything is counted: nested merges would grow exponentially there.
                for source_node in self._merge_sources(value_node):
                    for key, value in self.convert(source_node, path, depth + 1, key_at).items():
                        merged.setdefault(key, value)  # the first mapping named wins, as in YAML's merge spec
                continue
            key = "=" if key_node.tag == _VALUE_TAG else self._scalar(key_node)
            key = key if isinstance(key, (str, int, float, bool)) or key is None else str(key)
            if self.lines is not None:
                self.lines.setdefault((*path, key), key_node.start_mark.line + 1)
            out[key] = self.convert(value_node, (*path, key), depth + 1, key_at)
        return {**merged, **out} if merged else out  # keys written in the mapping override merged ones

    def _merge_sources(self, node: Any) -> list[Any]:
        sources = node.value if isinstance(node, self.yaml.SequenceNode) else [node]
        for source_node in sources:
            if not isinstance(source_node, self.yaml.MappingNode):
                raise self.fail("invalid YAML: a merge key (<<) takes a mapping or a list of mappings", source_node)
        return list(sources)

    def _scalar(self, node: Any) -> Any:
        try:
            return self.loader.construct_object(node)
        except (ValueError, OverflowError, TypeError) as exc:  # e.g. `2024-13-45` resolves as a date that is not one
            raise self.fail(f"invalid YAML: {node.value!r} ({exc})", node) from None

    def _tag_refused(self, node: Any) -> InputError:
        # PyYAML's own words for a tag it has no safe constructor for, so every node kind reads the same.
        return self.fail(f"invalid YAML: could not determine a constructor for the tag {node.tag!r}", node)
