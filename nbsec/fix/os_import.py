"""`import os` added where a careful person would put it, when a fix makes code read `os.environ`.

A module of its own because placing one import well is a small job of its own, and the diff a reviewer
reads depends on it. The import is added only when no top-level `import os` (or `import os.path`) runs
before the first edited line:

* in a `.py` (or `.ipy`) file, among its leading imports: sorted in, before the first plain `import`
  that sorts after `os` (after the plain imports when none does; before the first `from` import when
  there are only those); with no leading imports, above the first statement after the docstring and the
  `__future__` imports (and above the comment lines right over it, which describe it; below a `#!` or
  coding line), followed by one blank line, or two before a def/class, as PEP 8 lays it out;
* in a notebook, to the first code cell when it opens with imports (the usual "imports" cell, which
  runs first), otherwise to the first cell the fix edits; an `import os` in an earlier cell counts.

IPython lines are set aside first (nbsec.fix.ipython_lines), so `%pip install` or `%%time` on top of a
cell stays on top. Nothing here runs code: `ast` only parses.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from nbsec.fix import notebook_json
from nbsec.fix.base import Unfixable
from nbsec.fix.ipython_lines import Masked, cell_parses, line_starts, mask_ipython

_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=]")


def imports_os_before(python: str, line: int) -> bool:
    """Whether a top-level `import os` (or `import os.path`) runs before `line` (1-based)."""
    try:
        module = ast.parse(python)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    for statement in module.body:
        if isinstance(statement, ast.Import) and statement.lineno < line:
            for alias in statement.names:
                if alias.name.split(".")[0] == "os" and (alias.asname is None or alias.asname == alias.name == "os"):
                    return True
    return False


def opens_with_imports(python: str, magic: frozenset[int]) -> bool:
    """Whether the first statement (IPython lines `magic` aside) is an import: the notebook's "imports" cell."""
    statements = _statements(python, magic)
    return bool(statements) and isinstance(statements[0], (ast.Import, ast.ImportFrom))


def _statements(python: str, magic: frozenset[int]) -> list[ast.stmt]:
    try:
        module = ast.parse(python)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    return [s for s in module.body if s.lineno not in magic]


def import_line(python: str, magic: frozenset[int], *, module: bool) -> tuple[int, int]:
    """Where `import os` goes: (1-based line to insert before, blank lines to leave after it).

    Sorted into the leading imports when there are some. Otherwise above the first statement after the
    docstring and `__future__` imports (and above the comment lines directly over it, which belong to it);
    in a module (`module=True`) followed by a blank line, or two before a def/class, as PEP 8 lays it out.
    """
    statements = _statements(python, magic)
    index = 0
    if statements and isinstance(statements[0], ast.Expr) and isinstance(statements[0].value, ast.Constant):
        index = 1  # the docstring
    while index < len(statements):
        statement = statements[index]
        if not isinstance(statement, ast.ImportFrom) or statement.module != "__future__":
            break
        index += 1
    lead = index
    block: list[ast.stmt] = []
    while index < len(statements) and isinstance(statements[index], (ast.Import, ast.ImportFrom)):
        block.append(statements[index])
        index += 1
    plain = [s for s in block if isinstance(s, ast.Import)]
    for statement in plain:
        if statement.names[0].name.lower() > "os":
            return statement.lineno, 0
    if plain:
        return (plain[-1].end_lineno or plain[-1].lineno) + 1, 0
    if block:
        return block[0].lineno, 0
    if lead == len(statements):  # nothing but a docstring / __future__ imports (or nothing at all)
        if not statements:
            return 1, 0
        last = statements[-1]
        return (last.end_lineno or last.lineno) + 1, 0
    first = statements[lead]
    decorators: list[ast.expr] = getattr(first, "decorator_list", [])
    line = min([first.lineno] + [d.lineno for d in decorators])
    lines = python.split("\n")
    floor = (statements[lead - 1].end_lineno or 1) + 1 if lead else 1
    top = 2 if lines[0].startswith("#!") or _CODING.match(lines[0]) else 1  # a #! or coding line stays first
    while line - 1 >= max(floor, top) and lines[line - 2].lstrip().startswith("#"):
        line -= 1  # comments right above the statement describe it: the import goes above them
    blank = (2 if isinstance(first, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else 1) if module else 0
    return line, blank


def insert_import(text: str, where: tuple[int, int]) -> str:
    """`text` with `import os` inserted before 1-based line `where[0]`, followed by `where[1]` blank lines."""
    line, blank = where
    newline = "\r\n" if "\r\n" in text else "\n"
    starts = line_starts(text)
    if line - 1 >= len(starts) or (starts[line - 1] == len(text) and text and not text.endswith("\n")):
        return text + ("" if not text or text.endswith("\n") else newline) + "import os" + newline
    at = starts[line - 1]
    return text[:at] + "import os" + newline * (1 + blank) + text[at:]


def python_of(text: str, ipython: bool) -> Masked:
    """The text as `ast` can read it: IPython lines set aside in a .ipy file; as it is otherwise, or when that fails."""
    if not ipython:
        return Masked(text)
    try:
        return mask_ipython(text)
    except Unfixable:
        return Masked(text)


def file_with_import(before: str, after: str, first_line: int, *, ipython: bool) -> str | None:
    """`after` (a file's edited text) with `import os` added, or None when `before` imports os above `first_line`."""
    if imports_os_before(python_of(before, ipython).python, first_line):
        return None
    masked = python_of(after, ipython)
    return insert_import(after, import_line(masked.python, masked.lines, module=True))


def notebook_with_import(nb: dict[str, Any], new_sources: dict[int, str], first_use: int | None) -> int | None:
    """Add `import os` to the new source of the right cell (module docstring): its index, or None when not needed.

    `new_sources` (cell index -> its edited source) gets the import; `first_use` is the offset of the first
    lookup in the original source of the first edited cell (None when that cell's edits are all redactions of
    comments: the lookups come in a later cell). Raises Unfixable when the cell would not parse.
    """
    cells = nb["cells"]
    first_edit = min(new_sources)
    code_cells = [i for i, c in enumerate(cells) if isinstance(c, dict) and c.get("cell_type") == "code"]
    for index in code_cells:
        if index > first_edit:
            break
        text = notebook_json.source(cells[index])
        try:
            python = mask_ipython(text).python
        except Unfixable:
            continue
        limit = text.count("\n", 0, first_use) + 1 if index == first_edit and first_use is not None else 10**9
        if imports_os_before(python, limit):
            return None
    target = first_edit
    if code_cells and code_cells[0] < first_edit:
        try:
            masked = mask_ipython(notebook_json.source(cells[code_cells[0]]))
            if opens_with_imports(masked.python, masked.lines):
                target = code_cells[0]
        except Unfixable:
            pass
    text = new_sources.get(target, notebook_json.source(cells[target]))
    masked = mask_ipython(text)
    new = insert_import(text, import_line(masked.python, masked.lines, module=False))
    if not cell_parses(new):
        label = notebook_json.cell_label(cells[target], target)
        raise Unfixable(f"adding import os to {label} would not parse; not changed")
    new_sources[target] = new
    return target
