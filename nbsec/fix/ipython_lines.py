"""IPython syntax set aside, so a cell can be parsed and edited as Python; and the one "does it parse" check.

A notebook cell (or a `.ipy` file) may hold lines that are not Python: `%pip install x`, `!ls`,
`files = !ls`, `obj?`, an indented `!echo $x` inside a loop, a leading cell magic such as `%%time`.
The fixers that edit code (credentials, code_calls) parse a cell with libcst or ast, and the core's
syntax fence (checks.py) parses it with ast; all of them set those lines aside here, one way:

* IPython's own transformer (the scanner's `to_python`, so a fixer sees the lines the scanner saw)
  says which lines are IPython syntax; each becomes a placeholder statement: the same indent, the
  same line ending, a name no code uses. Every other line keeps its number and its columns, so the
  positions libcst and ast give point into the original text.
* After an edit of the Python text, `Masked.unmask` puts each original line back where its
  placeholder is, found by its text (an edit may add lines above it: a new argument on its own line).
* A leading cell magic whose body is Python (`%%time`, `%%timeit`, `%%prun`, `%%debug`, `%%capture`)
  is set aside alone; any other (`%%bash`, `%%sql`) makes the whole cell not Python: Unfixable.
  IPython syntax spanning several lines (a `!` or `%` line continued with `\\`) changes the line
  count, so lines would no longer match: Unfixable too.

Lines end at `\\r\\n`, `\\r` or `\\n`, as they do for Python's tokenizer (and so for ast and libcst).
Nothing here runs or compiles code: ast only parses.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, field

from nbsec.fix.base import Unfixable

# Cell magics whose body is Python: the scanner analyses that body, so the fixers may edit it.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "prun", "debug", "capture"})
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> list[str]:
    """The lines of `text` with their endings ("\\r\\n", "\\r" or "\\n"; the last may have none)."""
    return _LINE.findall(text)


def line_starts(text: str) -> list[int]:
    """The offset where each line of `text` starts (line n at index n - 1; after a final line end, one more)."""
    starts = [0]
    for line in split_lines(text):
        if line != _body(line):
            starts.append(starts[-1] + len(line))
    return starts


def _body(line: str) -> str:
    return line.rstrip("\r\n")


@dataclass(frozen=True)
class Masked:
    """A cell as Python: `python` is the text with IPython lines swapped for placeholders.

    `lines` are the 1-based numbers of the lines set aside; `originals` maps each placeholder line
    (without its ending) to the line it stands for.
    """

    python: str
    lines: frozenset[int] = frozenset()
    originals: dict[str, str] = field(default_factory=dict)

    def unmask(self, python: str) -> str:
        """`python` (the masked text, edited) with the original IPython lines back in place of the placeholders."""
        out: list[str] = []
        seen = 0
        for line in split_lines(python):
            body = _body(line)
            if body in self.originals:
                out.append(self.originals[body] + line[len(body) :])
                seen += 1
            else:
                out.append(line)
        if seen != len(self.originals):
            raise Unfixable("the rewrite moved an IPython line; not changed")
        return "".join(out)


def mask_ipython(text: str) -> Masked:
    """The cell as Python, its IPython lines set aside (module docstring). Raises Unfixable when it is not Python."""
    from nbsec.scanners.notebook.analysis import to_python

    lines = split_lines(text)
    stem = "__nbsec_ipython_" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    originals: dict[str, str] = {}
    numbers: set[int] = set()

    def swap(index: int) -> None:
        line = lines[index]
        body = _body(line)
        placeholder = f"{body[: len(body) - len(body.lstrip())]}{stem}_{index + 1}__"
        originals[placeholder] = body
        lines[index] = placeholder + line[len(body) :]
        numbers.add(index + 1)

    if lines and lines[0].startswith("%%"):
        magic = (lines[0][2:].split() or [""])[0]
        if magic not in PYTHON_CELL_MAGICS:
            raise Unfixable(f"a %%{magic} cell is not Python code: edit it by hand")
        swap(0)
    body = "".join(lines)
    if not parses(body):  # valid Python has nothing else to set aside
        converted = split_lines(to_python(body))
        if len(converted) != len(lines):
            if "%" in body or "!" in body:
                raise Unfixable("IPython syntax spanning several lines (a continued ! or % line): edit it by hand")
            converted = list(lines)  # not IPython syntax: left as it is, for the parser to judge
        for index, (old, new) in enumerate(zip(list(lines), converted, strict=True)):
            if _body(old) != _body(new):
                swap(index)
    return Masked("".join(lines), frozenset(numbers), originals)


def python_error(python: str) -> str | None:
    """None when `python` parses (ast: parsed only, never compiled to run), else what is wrong, in a few words."""
    try:
        ast.parse(python)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    except (ValueError, RecursionError, MemoryError) as exc:  # a NUL byte; nesting too deep for the parser
        return type(exc).__name__
    return None


def parses(python: str) -> bool:
    """Whether `python` parses as Python (ast.parse: nothing is compiled to run)."""
    return python_error(python) is None


def cell_parses(text: str) -> bool:
    """Whether a cell (or .ipy text) parses as Python once its IPython lines are set aside."""
    try:
        return parses(mask_ipython(text).python)
    except Unfixable:
        return False
