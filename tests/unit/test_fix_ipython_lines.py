"""IPython syntax set aside for parsing (nbsec.fix.ipython_lines), the one way every fixer and the core's check use.

What a user relies on: a fix of a notebook cell never touches its `%pip`, `!ls`, `x = !ls`, `obj?` or leading
`%%time` lines (they come back byte for byte, line endings included, even when the edit added lines above
them), Python lines keep their numbers and columns, and a cell that is not Python (`%%bash`, a continued `!`
line) is refused with the reason rather than edited.
"""

from __future__ import annotations

import ast

import pytest

from nbsec.fix.base import Unfixable
from nbsec.fix.checks import cell_code
from nbsec.fix.ipython_lines import PYTHON_CELL_MAGICS, cell_parses, line_starts, mask_ipython

CELL = "import os\nfor n in names:\n    !echo $n\nfiles = !ls\nobj?\nkey = 'x'  # stays\n"


def test_ipython_lines_are_set_aside_in_place_and_put_back() -> None:
    masked = mask_ipython(CELL)
    assert masked.lines == {3, 4, 5}
    lines = masked.python.split("\n")
    assert [lines[i] for i in (0, 1, 5)] == ["import os", "for n in names:", "key = 'x'  # stays"]
    assert lines[2].startswith("    ") and lines[2].strip().isidentifier()  # the indent kept: still the loop's body
    ast.parse(masked.python)
    assert masked.unmask(masked.python) == CELL
    edited = masked.python.replace("import os\n", "import os\nimport sys\n")  # an edit adds a line above them
    assert masked.unmask(edited) == CELL.replace("import os\n", "import os\nimport sys\n")


def test_an_edit_that_drops_an_ipython_line_is_refused() -> None:
    masked = mask_ipython(CELL)
    with pytest.raises(Unfixable, match="moved an IPython line"):
        masked.unmask(masked.python.split("\n", 3)[3])


def test_line_endings_are_kept() -> None:
    text = "x = 1\r\n!ls\r\ny = 2"
    masked = mask_ipython(text)
    assert masked.lines == {2} and masked.python.startswith("x = 1\r\n") and masked.python.endswith("\r\ny = 2")
    assert masked.unmask(masked.python) == text
    assert line_starts(text) == [0, 7, 12]


@pytest.mark.parametrize("magic", sorted(PYTHON_CELL_MAGICS))
def test_cell_magics_with_a_python_body(magic: str) -> None:
    masked = mask_ipython(f"%%{magic} -q\ny = load(p)\n")
    assert masked.lines == {1} and masked.python.split("\n")[1:] == ["y = load(p)", ""]
    assert cell_parses(f"%%{magic}\ny = load(p)\n") and not cell_parses(f"%%{magic}\ny = (\n")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("%%bash\nexport TOKEN=x\n", "a %%bash cell is not Python code: edit it by hand"),
        ("!ls \\\n  -la\nx = 1\n", "IPython syntax spanning several lines (a continued ! or % line): edit it by hand"),
    ],
)
def test_what_is_not_python_is_refused(text: str, reason: str) -> None:
    with pytest.raises(Unfixable) as raised:
        mask_ipython(text)
    assert str(raised.value) == reason
    assert cell_code(text) is None and not cell_parses(text)  # the core's check skips what it cannot parse either


def test_valid_python_is_left_as_it_is() -> None:
    text = 'rate = 5 % 3\ns = "!not a shell line"\n'
    masked = mask_ipython(text)
    assert masked.python == text and masked.lines == frozenset() and cell_code(text) == text
