"""The core's own checks on every Change before it may be shown as applicable (fixers check too; this is the fence).

A fix must never break what it edits, never leave the target path, and never keep the secret it claims
to remove. These checks only parse (json, nbformat's schema, `ast.parse`): nothing here imports or runs
the code being edited.
"""

from __future__ import annotations

import copy
import os
import warnings
from pathlib import Path
from typing import Any

from nbsec.fix.base import KINDS, Change, Unfixable
from nbsec.fix.ipython_lines import mask_ipython, parses

PYTHON_SUFFIXES = (".py", ".pyw")


def outside_root(path: Path, root: Path) -> str | None:
    """Why `path` may not be written under `root` (outside it, or through a symlink), or None when it may."""
    absolute = Path(os.path.abspath(path))
    base = Path(os.path.abspath(root))
    try:
        relative = absolute.relative_to(base)
    except ValueError:
        return f"{path} is outside the target path {root}"
    if not relative.parts or relative.parts[0] == "..":
        return f"{path} is not a file under the target path {root}"
    here = base
    for part in relative.parts:  # no symlink on the way, the file included: a link may point anywhere
        here = here / part
        if here.is_symlink():
            return f"{here} is a symbolic link; nbsec fix does not write through links"
    try:
        absolute.resolve().relative_to(base.resolve())
    except ValueError:
        return f"{path} resolves outside the target path {root}"
    return None


def cell_code(text: str) -> str | None:
    """A code cell's source as Python `ast` can check, its IPython lines set aside (nbsec.fix.ipython_lines).

    A cell that is not Python (`%%bash`; IPython syntax over several lines): None (not checked).
    """
    try:
        return mask_ipython(text).python
    except Unfixable:
        return None


def syntax_problem(change: Change, label: str) -> str | None:
    """Why the change's new content would break its file (JSON, notebook schema, Python syntax), or None.

    Only what was whole before must stay whole: a Python file that did not parse before is not blamed on the fix.
    """
    if change.kind not in KINDS:
        return f"unknown kind of change {change.kind!r} (one of {', '.join(KINDS)})"
    name = change.path.name.lower()
    if change.kind == "notebook" or name.endswith(".ipynb"):
        return _notebook_problem(change, label)
    if name.endswith(PYTHON_SUFFIXES):
        before = _text(change.before)
        after = _text(change.after)
        if after is None:
            return "the new content is not UTF-8 text"
        if (before is None or parses(before)) and not parses(after):
            return "the new content is not valid Python (ast.parse)"
    return None


def _text(content: bytes | None) -> str | None:
    if content is None:
        return None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _notebook_problem(change: Change, label: str) -> str | None:
    from nbsec.fix.notebook_json import load

    try:
        after, _ = load(change.after, label)
    except Exception as exc:  # noqa: BLE001 - any reason the new notebook cannot be read is a refusal
        return f"the new notebook is not valid JSON: {exc}"
    before: dict[str, Any] | None = None
    if change.before is not None:
        try:
            before, _ = load(change.before, label)
        except Exception:  # noqa: BLE001 - a notebook that was broken before: its schema is not the fix's fault
            before = None
    if (
        (change.before is None or before is not None)
        and not valid_notebook(after)
        and (before is None or valid_notebook(before))
    ):
        return "the new notebook does not pass nbformat validation"
    return _cells_problem(before, after)


def valid_notebook(data: dict[str, Any]) -> bool:
    """Whether nbformat's schema accepts this notebook (True without nbformat: then the JSON check stands alone).

    Only a yes or no: the validator's message may quote the notebook, and so a secret, so it is never shown.
    """
    try:
        import nbformat
    except ImportError:  # nbformat is a dependency; a broken install must not stop every fix
        return True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nbformat.validate(copy.deepcopy(data))
        except Exception:  # noqa: BLE001 - ValidationError, or a notebook too odd for the validator
            return False
    return True


def _cells_problem(before: dict[str, Any] | None, after: dict[str, Any]) -> str | None:
    """A code cell whose source parsed (magics masked) before the fix and not after."""
    from nbsec.fix.notebook_json import source

    old_cells = before.get("cells", []) if before is not None else []
    for index, cell in enumerate(after.get("cells", [])):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        old = old_cells[index] if index < len(old_cells) and isinstance(old_cells[index], dict) else None
        if old is not None and source(old) == source(cell):
            continue
        code = cell_code(source(cell))
        old_code = cell_code(source(old)) if old is not None else ""
        if code is None or old_code is None or not parses(old_code):
            continue
        if not parses(code):
            return f"cell {index + 1} would no longer be valid Python (ast.parse)"
    return None


def keeps_secret(change: Change) -> bool:
    """Whether the change leaves a value it says it removes where it was: no occurrence of it (raw or JSON-escaped)
    is gone. The same value elsewhere in the file (a second cell another fix handles) may remain."""
    from nbsec.fix.diff import secret_forms

    after = change.after.decode("utf-8", errors="replace")
    before = change.before.decode("utf-8", errors="replace") if change.before is not None else ""
    for value in change.secrets:
        forms = [form for form, _ in secret_forms([value])]
        left = sum(after.count(form) for form in forms)
        if left and left >= sum(before.count(form) for form in forms):
            return True
    return False
