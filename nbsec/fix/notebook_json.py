"""Editing a notebook's JSON so the saved file differs only where the fix changed it.

Fixers must not reformat a notebook: a user reviews the diff, and a file rewritten with another
indent, key order or escaping is a diff nobody can read. `load` keeps the text's style (indent,
ASCII escaping, key order, final newline); `dump` writes the edited data back in that style;
`source`/`set_source` read and write a cell's source in the form it was stored (a list of lines or
one string). Nothing here runs, imports or validates cell code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from nbsec.safe_input import parse_json

MAX_BYTES = 200 * 1024 * 1024  # a notebook nbsec will edit; larger ones are refused with a message

_INDENT = re.compile(rb"\n( +)\"")


@dataclass(frozen=True)
class Style:
    indent: int | None
    ensure_ascii: bool
    final_newline: bool


def style_of(content: bytes) -> Style:
    """How the file was written: nbformat writes indent=1, non-ASCII as is, a final newline."""
    found = _INDENT.search(content)
    indent = len(found.group(1)) if found else None
    ensure_ascii = b"\\u" in content and all(b < 0x80 for b in content)
    return Style(indent, ensure_ascii, content.endswith(b"\n"))


def load(content: bytes, source: str = "notebook") -> tuple[dict[str, Any], Style]:
    """The notebook as plain data (bounded reader: nbsec.safe_input) and the style to write it back in."""
    data = parse_json(content, source=source, max_bytes=MAX_BYTES)
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ValueError(f"{source}: not a notebook (no list of cells)")
    return data, style_of(content)


def dump(data: dict[str, Any], style: Style) -> bytes:
    text = json.dumps(data, indent=style.indent, ensure_ascii=style.ensure_ascii)
    return (text + ("\n" if style.final_newline else "")).encode("utf-8")


def source(cell: dict[str, Any]) -> str:
    value = cell.get("source", "")
    return "".join(value) if isinstance(value, list) else str(value)


def set_source(cell: dict[str, Any], text: str) -> None:
    """Store `text` as the cell's source, as a list of lines when it was one (nbformat's on-disk form)."""
    if isinstance(cell.get("source"), list):
        cell["source"] = text.splitlines(keepends=True)
    else:
        cell["source"] = text


def cell_label(cell: Any, index: int) -> str:
    """How a cell is named to the user: "cell 3 [5]" (1-based, as JupyterLab counts; its execution count)."""
    count = cell.get("execution_count") if isinstance(cell, dict) else None
    return f"cell {index + 1}" + (f" [{count}]" if isinstance(count, int) else "")
