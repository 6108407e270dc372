"""Every part of a notebook where a secret or personal data can sit, as located text.

Sources (code, markdown, raw), every output type (stream, text/plain, text/html with
DataFrame tables cell by cell, JSON, markdown/LaTeX/SVG text, error tracebacks),
cell and notebook metadata, widget state and text attachments. Images are skipped:
base64 pixels are where naive entropy scanners drown in false positives.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from nbsec.scanners.notebook.reader import cell_ignores

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TEXT_MIMES = ("text/plain", "text/markdown", "text/latex", "image/svg+xml", "application/javascript")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MAX_PART = 8 * 1024 * 1024  # one output larger than this is cut (and said so) rather than scanned whole


@dataclass(frozen=True)
class TextPart:
    """A piece of text and where it is: enough to build a Location a person can find."""

    part: str  # TextContext.part values: code, markdown, raw, output-stream, output-html, ...
    text: str
    # A table column: `text` is its cells joined by newlines; rows[i] is the data row of line i.
    rows: tuple[int, ...] | None = None
    table: int | None = None
    html: bool = False  # raw HTML, not yet split into tables (see expand_html)
    cell: int | None = None
    cell_id: str | None = None
    execution_count: int | None = None
    output: int | None = None
    mime: str | None = None
    column: str | None = None  # DataFrame column name of a table cell
    element: str | None = None  # "table 1, row 3, column email" for table cells; metadata key paths
    ignore: frozenset[str] = field(default=frozenset())
    # A diff: for each line of `text`, "path, line N" of the file that line adds ("" for others).
    line_labels: tuple[str, ...] | None = None


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else ""


def notebook_parts(nb: dict[str, Any]) -> Iterator[TextPart]:
    """All text parts of an nbformat 4 notebook dict, in reading order."""
    for index, cell in enumerate(nb.get("cells", [])):
        if isinstance(cell, dict):
            yield from _cell_parts(index, cell)
    metadata = nb.get("metadata")
    if isinstance(metadata, dict):
        widgets = metadata.get("widgets")
        rest = {k: v for k, v in metadata.items() if k != "widgets"}
        if rest:
            yield TextPart("metadata", _dump(rest), element="notebook metadata")
        if isinstance(widgets, dict) and widgets:
            state = widgets.get(WIDGET_STATE, widgets)
            yield TextPart("widget-state", _dump(state), element="widget state")


def _cell_parts(index: int, cell: dict[str, Any]) -> Iterator[TextPart]:
    kind = cell.get("cell_type")
    count = cell.get("execution_count") if isinstance(cell.get("execution_count"), int) else None
    cell_id = cell.get("id") if isinstance(cell.get("id"), str) else None
    base = {"cell": index, "cell_id": cell_id, "execution_count": count, "ignore": cell_ignores(cell.get("metadata"))}
    part = {"code": "code", "markdown": "markdown"}.get(str(kind), "raw")
    source = _text(cell.get("source", ""))
    if source:
        yield TextPart(part, source, **base)  # type: ignore[arg-type]
    metadata = cell.get("metadata")
    if isinstance(metadata, dict) and metadata:
        yield TextPart("metadata", _dump(metadata), element="cell metadata", **base)  # type: ignore[arg-type]
    attachments = cell.get("attachments")
    if isinstance(attachments, dict):
        yield from _attachments(attachments, base)
    outputs = cell.get("outputs")
    if isinstance(outputs, list):
        for number, output in enumerate(outputs):
            if isinstance(output, dict):
                yield from _output_parts(output, {**base, "output": number})


def _output_parts(output: dict[str, Any], base: dict[str, Any]) -> Iterator[TextPart]:
    kind = output.get("output_type")
    if kind == "stream":
        yield TextPart("output-stream", _cut(ANSI.sub("", _text(output.get("text")))), mime="text/plain", **base)
    elif kind == "error":
        lines = [str(output.get("ename", "")), str(output.get("evalue", ""))]
        traceback = output.get("traceback")
        if isinstance(traceback, list):
            lines += [ANSI.sub("", str(line)) for line in traceback]
        yield TextPart("output-error", _cut("\n".join(lines)), mime="text/plain", **base)
    elif kind in ("execute_result", "display_data", "update_display_data"):
        data = output.get("data")
        if isinstance(data, dict):
            yield from _mime_bundle(data, base)


def _mime_bundle(data: dict[str, Any], base: dict[str, Any]) -> Iterator[TextPart]:
    for mime, value in data.items():
        if mime == "text/html":
            # Kept whole: the scanner checks the raw HTML first and parses tables only when needed.
            yield TextPart("output-html", _cut(_text(value)), mime=mime, html=True, **base)
        elif mime in TEXT_MIMES:
            yield TextPart("output-text", _cut(_text(value)), mime=mime, **base)
        elif mime == "application/json" or mime.endswith("+json"):
            if mime.startswith("application/vnd.nbsec.report"):
                continue  # nbsec's own report: its evidence is already redacted
            yield TextPart("output-json", _cut(value if isinstance(value, str) else _dump(value)), mime=mime, **base)


def expand_html(part: TextPart) -> Iterator[TextPart]:
    """The located parts of a raw-HTML part: one per table column, or the visible text."""
    base = {
        "cell": part.cell,
        "cell_id": part.cell_id,
        "execution_count": part.execution_count,
        "output": part.output,
        "ignore": part.ignore,
    }
    yield from _html_parts(part.text, base)


def _html_parts(html: str, base: dict[str, Any]) -> Iterator[TextPart]:
    """A DataFrame table becomes one part per column (cells joined by newlines), so detectors
    run once per column with the column's name as context, not once per cell."""
    from nbsec.scanners.notebook.html_tables import iter_table_cells, text_of_html

    html = _cut(html)
    columns: dict[tuple[int, int], list[tuple[int, str]]] = {}
    names: dict[tuple[int, int], str | None] = {}
    for cell in iter_table_cells(html):
        key = (cell.table, cell.column)
        columns.setdefault(key, []).append((cell.row, cell.text.replace("\n", " ")))
        if names.get(key) is None:  # header cells (row -1) carry no column name; data cells do
            names[key] = cell.column_name
    if not columns:
        yield TextPart("output-html", text_of_html(html), mime="text/html", **base)
        return
    around = text_of_html(html, include_tables=False)  # captions, notes, anything beside the tables
    if around.strip():
        yield TextPart("output-html", around, mime="text/html", **base)
    for (table, column), cells in columns.items():
        name = names[(table, column)]
        yield TextPart(
            "output-html",
            "\n".join(text for _, text in cells),
            mime="text/html",
            column=name if name is not None else str(column + 1),
            element=f"table {table + 1}, column {name or column + 1}",
            rows=tuple(row for row, _ in cells),
            table=table,
            **base,
        )


def _attachments(attachments: dict[str, Any], base: dict[str, Any]) -> Iterator[TextPart]:
    for name, bundle in attachments.items():
        if not isinstance(bundle, dict):
            continue
        for mime, payload in bundle.items():
            if not (mime.startswith("text/") or mime.endswith("json")):
                continue
            if isinstance(payload, (dict, list)) and mime.endswith("json"):
                text = _dump(payload)
            else:
                text = _attachment_text(_text(payload))
            if text:
                yield TextPart("attachment", _cut(text), mime=mime, element=f"attachment {name}", **base)


_BASE64_BODY = re.compile(r"[A-Za-z0-9+/=\s]+")


def _attachment_text(payload: str) -> str:
    """A text attachment's content: base64 as nbformat stores it, or the text itself as some tools write it."""
    if _BASE64_BODY.fullmatch(payload):
        try:
            return base64.b64decode("".join(payload.split()), validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            pass  # not base64 after all ("password" is valid base64 text): read it as written
    return payload


# --------------------------------------------------------------------------- diffs

_HUNK = re.compile(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def looks_like_diff(text: str) -> bool:
    """A unified diff without a .diff/.patch name (a saved `git diff`, a mail-style patch)."""
    head = text[:4096]
    return head.startswith(("diff --git ", "--- ", "From ")) and "\n+++ " in head and "\n@@ " in head


def diff_part(text: str) -> TextPart:
    """The added lines of a unified diff, at their own line numbers (other lines blanked).

    Removed and context lines are not what the change brings in: a secret a diff deletes is
    not a new leak. Each kept line is labelled with the new file's path and line number.
    """
    lines = text.split("\n")
    kept: list[str] = []
    labels: list[str] = []
    path, number, in_hunk = "", 0, False
    for line in lines:
        label = ""
        if line.startswith("+++ "):
            path = line[4:].split("\t", 1)[0].strip()
            path = path[2:] if path.startswith("b/") else path
            in_hunk = False
            line = ""
        elif line.startswith("@@"):
            hunk = _HUNK.match(line)
            in_hunk, number = (True, int(hunk.group(1))) if hunk else (False, 0)
            line = ""
        elif in_hunk and line.startswith("+"):
            label = f"{path}, line {number}" if path else f"line {number}"
            number += 1
            line = " " + line[1:]  # same columns as the diff file
        elif in_hunk and line.startswith(" "):
            number += 1
            line = ""
        else:
            line = ""  # removed lines, headers, "\ No newline at end of file"
        kept.append(line)
        labels.append(label)
    return TextPart("text", "\n".join(kept), mime="text/x-diff", line_labels=tuple(labels))


def _dump(value: Any) -> str:
    try:
        return _cut(json.dumps(value, ensure_ascii=False, default=str))
    except (TypeError, ValueError, RecursionError):
        return ""


def _cut(text: str) -> str:
    return text if len(text) <= MAX_PART else text[:MAX_PART]
