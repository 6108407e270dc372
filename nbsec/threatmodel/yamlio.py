"""YAML in and out, keeping the line every key and list item came from.

Only PyYAML's SafeLoader is used (no tags, no objects). The node tree is
converted by hand so each value's line is known for error messages, and the
conversion is bounded: alias bombs and deep nesting stop with an error instead
of eating memory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

Path_ = tuple[Any, ...]
Lines = dict[Path_, int]

MAX_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64


class YamlProblem(Exception):
    """The text is not YAML nbsec can read; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def read_text(path: str | os.PathLike[str]) -> str:
    """The file's text, refusing files too large to be a threat model."""
    file = Path(path)
    size = file.stat().st_size
    if size > MAX_BYTES:
        raise YamlProblem(f"file is {size} bytes; a threat model is at most {MAX_BYTES} bytes")
    try:
        return file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlProblem(f"not UTF-8 text (byte {exc.start})") from None


def parse(text: str) -> tuple[Any, Lines]:
    """(plain data, {path: line}) for one YAML document."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml when built in: same rules, faster
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: Lines = {}
        converter = _Converter(loader, lines)
        return converter.convert(node, (), 0), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlProblem(f"invalid YAML: {exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


class _Converter:
    def __init__(self, loader: Any, lines: Lines) -> None:
        self.loader = loader
        self.lines = lines
        self.nodes = 0

    def convert(self, node: Any, path: Path_, depth: int) -> Any:
        import yaml

        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise YamlProblem(f"more than {MAX_NODES} YAML nodes (aliases expanded); this is not a threat model")
        if depth > MAX_DEPTH:
            raise YamlProblem(f"nested deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # resolve `<<:` merge keys as safe_load does
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise YamlProblem("a mapping key must be a plain value", key_node.start_mark.line + 1)
                key = self.loader.construct_object(key_node)
                key = key if isinstance(key, (str, int, float, bool)) or key is None else str(key)
                self.lines.setdefault((*path, key), key_node.start_mark.line + 1)
                out[key] = self.convert(value_node, (*path, key), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, index), depth + 1) for index, item in enumerate(node.value)]
        return self.loader.construct_object(node)


def dump(data: Any) -> str:
    """Block-style YAML in the given key order (what the widget saves and reviewers diff)."""
    import yaml

    text: str = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False)
    return text


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write through a temporary file in the same folder, so a crash never leaves half a model."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, target)
    return target
