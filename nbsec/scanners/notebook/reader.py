"""Read notebooks and Python files into code units, without executing anything.

A notebook is read with nbformat (v3 and older v4 are upgraded to the current
v4 in memory); what cannot be read raises NotebookReadError with a message that
says what is wrong and what to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbsec.errors import InputError
from nbsec.safe_input import DEPTH_CEILING, parse_json


class NotebookReadError(Exception):
    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class CodeUnit:
    """A piece of Python source: one code cell, or a whole .py file (cell=None)."""

    source: str
    cell: int | None = None
    cell_id: str | None = None
    execution_count: int | None = None
    ignore: frozenset[str] = field(default=frozenset())  # rule ids from cell metadata; "*" = all


def cell_ignores(metadata: Any) -> frozenset[str]:
    """{"nbsec": {"ignore": ["NBSEC-NB-001"]}} or {"nbsec": {"ignore": true}} in cell metadata."""
    if not isinstance(metadata, dict):
        return frozenset()
    entry = metadata.get("nbsec")
    if not isinstance(entry, dict):
        return frozenset()
    ignore = entry.get("ignore")
    if ignore is True:
        return frozenset({"*"})
    if isinstance(ignore, str):
        ignore = [ignore]
    if isinstance(ignore, list):
        return frozenset(str(i).strip().upper() for i in ignore if str(i).strip())
    return frozenset()


def read_notebook(path: Path, max_size: int) -> tuple[int, list[CodeUnit]]:
    """Return (original nbformat major version, code units of the code cells)."""
    major, notebook = load_notebook(path, max_size)
    return major, list(code_units(notebook))


# The code and content scanners read the same notebook one after the other: parse it once.
_last: tuple[tuple[str, int, int], tuple[int, dict[str, Any]]] | None = None


def load_notebook(path: Path, max_size: int) -> tuple[int, dict[str, Any]]:
    """Return (original nbformat major version, the notebook as an nbformat 4 dict). Do not mutate it."""
    global _last
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if _last is not None and _last[0] == key:
        return _last[1]
    result = _load_notebook(path, max_size)
    _last = (key, result)
    return result


def _load_notebook(path: Path, max_size: int) -> tuple[int, dict[str, Any]]:
    size = path.stat().st_size
    if size > max_size:
        raise NotebookReadError(
            f"notebook is {size:,} bytes, over the {max_size:,}-byte limit",
            "raise max_file_size in [tool.nbsec] if this notebook is expected to be this large",
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookReadError(
            f"not a notebook: bytes at offset {exc.start} are not UTF-8 text",
            "a .ipynb file is UTF-8 JSON; check the file is a notebook and not a binary with the wrong name",
        ) from None
    try:  # nbsec's one bounded JSON reader; the depth limit is generous, real notebooks are shallow
        data = parse_json(text, source=str(path), max_bytes=max_size, max_depth=DEPTH_CEILING)
    except InputError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        hint = (
            "a real notebook is shallow JSON; this file was likely crafted or corrupted"
            if exc.kind == "too-deep"
            else "the file may be truncated or hand-edited; restore it from version control or re-save it in JupyterLab"
        )
        raise NotebookReadError(f"not a notebook: {where}{exc.reason}", hint) from None
    if not isinstance(data, dict) or "nbformat" not in data:
        raise NotebookReadError(
            "not a notebook: JSON without an 'nbformat' field",
            "check the file is a Jupyter notebook (.ipynb); other JSON is not scanned as a notebook",
        )
    major = data.get("nbformat")
    if not isinstance(major, int) or major < 3:
        raise NotebookReadError(
            f"unsupported notebook format nbformat={major!r}",
            "open and re-save it in Jupyter to convert it to nbformat 4",
        )
    notebook = _as_v4(data, major)
    if not isinstance(notebook.get("cells"), list):
        raise NotebookReadError(
            "not a valid nbformat 4 notebook: 'cells' is missing or not a list",
            "re-save the notebook in JupyterLab, or restore it from version control",
        )
    return major, notebook


def _as_v4(data: dict[str, Any], major: int) -> dict[str, Any]:
    if major == 4:
        return data
    import nbformat  # heavy-ish (jsonschema); only needed for old notebooks

    try:
        return dict(nbformat.convert(nbformat.from_dict(data), 4))
    except Exception as exc:  # noqa: BLE001 - nbformat raises many types on malformed input
        raise NotebookReadError(
            f"nbformat {major} notebook could not be converted to nbformat 4: {type(exc).__name__}: {exc}",
            "open and re-save it in a current Jupyter to convert it",
        ) from None


def code_units(nb: dict[str, Any]) -> Iterator[CodeUnit]:
    """One CodeUnit per code cell, with its source joined and its suppressions read."""
    for index, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        if not isinstance(source, str):
            continue
        count = cell.get("execution_count")
        yield CodeUnit(
            source=source,
            cell=index,
            cell_id=cell["id"] if isinstance(cell.get("id"), str) else None,
            execution_count=count if isinstance(count, int) else None,
            ignore=cell_ignores(cell.get("metadata")),
        )


def read_python(path: Path, max_size: int) -> list[CodeUnit]:
    size = path.stat().st_size
    if size > max_size:
        raise NotebookReadError(
            f"file is {size:,} bytes, over the {max_size:,}-byte limit",
            "raise max_file_size in [tool.nbsec] if this file is expected to be this large",
        )
    return [CodeUnit(source=path.read_bytes().decode("utf-8", errors="replace"))]
