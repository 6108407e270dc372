"""YAML in and out, keeping the line every key and list item came from.

Parsing is `nbsec.safe_input`'s bounded YAML reader (PyYAML's safe loader, no
tags, no objects), which keeps each value's line for error messages and stops
alias bombs and deep nesting with an error instead of eating memory. The
limits below are a threat model's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nbsec.errors import InputError
from nbsec.safe_input import Lines as Lines
from nbsec.safe_input import parse_yaml_lines

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
    """(plain data, {path: line}) for one YAML document, read by nbsec's one bounded YAML reader."""
    try:
        return parse_yaml_lines(
            text, source="threat model", max_bytes=MAX_BYTES, max_depth=MAX_DEPTH, max_nodes=MAX_NODES
        )
    except InputError as exc:
        raise YamlProblem(exc.reason, exc.line) from None


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
