"""Table cells and visible text out of HTML outputs, with the stdlib parser only.

Notebooks save DataFrames as `text/html` (`<table class="dataframe">`). Scanning that
HTML as one string loses the one thing that makes PII detection precise: which column a
value sits in. So tables are read cell by cell, each cell carrying its column's name.

Conventions (what `iter_table_cells` yields):

- `table`: 0-based, in the order the `<table>` tags open (an outer table before the
  tables nested inside it). A nested table's text is not part of the outer cell.
- `row`: 0-based data row (header rows do not count). Header cells are yielded too (a
  pivot table can use personal values as column labels) with negative rows: -1 is the
  header row just above the data, -2 the one above it, and so on.
- `column`: 0-based data column, counted *after* the index columns. Index cells (the
  leading `<th>` of each body row, the way pandas writes the DataFrame index) get
  negative columns, -1 for the innermost level. Their `column_name` is the index
  level's name when pandas wrote one, else "index".
- `column_name`: the header texts above the column, joined with " / " for MultiIndex
  headers ("contact / email"); None for header cells and for tables without headers.
- `colspan`/`rowspan` are laid out the way browsers do; a cell is yielded once, at its
  top-left position. Cells with no text are skipped.

Bounded: at most MAX_CELLS cells per document, and a budget on the area that spans can
claim, so hostile HTML (a million `<td>`, `colspan=1000 rowspan=65534`) costs little.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

MAX_CELLS = 100_000
MAX_COLSPAN = 1000  # the HTML spec's own limits
MAX_ROWSPAN = 65534
MAX_SPAN_AREA = 2_000_000  # grid positions spans may claim per document, beyond that spans count as 1
MAX_HEADER_ROWS = 16  # MultiIndex levels used to name a column

SKIPPED = frozenset({"script", "style", "template", "noscript"})
BREAKS = frozenset(
    {"br", "p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "section"}
)
CELL_TAGS = frozenset({"td", "th"})
SECTIONS = frozenset({"thead", "tbody", "tfoot"})
# `<![...` other than a few keywords makes the stdlib parser raise; browsers read it as a comment.
MARKED_SECTION = re.compile(r"<!\[")
COMMENT_CLOSE_REVERSED = re.compile(r">\s*--")  # the stdlib's comment close `--\s*>`, read backwards
SPACES = re.compile(r"\s+")
BLANK_LINES = re.compile(r"[ \t]*\n\s*")
TABS = re.compile(r"\t+")


@dataclass(frozen=True)
class TableCell:
    """One cell's text and where it sits (see the module docstring for the numbering)."""

    table: int
    row: int
    column: int
    column_name: str | None
    text: str


@dataclass
class _Cell:
    tag: str
    colspan: int
    rowspan: int
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return SPACES.sub(" ", "".join(self.parts)).strip()


@dataclass
class _Row:
    header: bool
    cells: list[_Cell] = field(default_factory=list)


@dataclass
class _Table:
    number: int
    rows: list[_Row] = field(default_factory=list)
    section: str | None = None
    cell: _Cell | None = None  # the open cell, where text goes
    row_open: bool = False  # a <td> after </tr> starts a new row, as in browsers

    def start_row(self) -> _Row:
        self.cell = None
        self.row_open = True
        row = _Row(header=self.section == "thead")
        self.rows.append(row)
        return row

    def end_row(self) -> None:
        self.cell = None
        self.row_open = False

    def start_cell(self, cell: _Cell) -> None:
        row = self.rows[-1] if self.row_open else self.start_row()
        row.cells.append(cell)
        self.cell = cell


class _Stop(Exception):
    """Raised inside the parser when the cell budget is spent: stops the parse early."""


class _FastParser(HTMLParser):
    def updatepos(self, i: int, j: int) -> int:
        """Skip line/column bookkeeping: nothing here calls getpos(), and it costs a tenth of the parse."""
        return j


class _TableParser(_FastParser):
    def __init__(self, max_cells: int) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[_Table] = []
        self.open: list[_Table] = []  # innermost last
        self.skip = 0  # depth inside script/style
        self.cells = 0
        self.max_cells = max_cells
        self.area = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skip += 1
        elif tag == "table":
            self._gap()  # the outer cell's text on both sides of a nested table stays two tokens
            table = _Table(len(self.tables))
            self.tables.append(table)
            self.open.append(table)
        elif not self.open:
            return
        elif tag in CELL_TAGS:
            self._start_cell(tag, attrs)
        elif tag == "tr":
            self.open[-1].start_row()
        elif tag in SECTIONS:
            self.open[-1].section = tag
            self.open[-1].end_row()
        elif tag in BREAKS:
            self._gap()  # "<br>" between two values must not glue them

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skip = max(0, self.skip - 1)
        elif not self.open:
            return
        elif tag == "table":
            self.open.pop()
            self._gap()
        elif tag in CELL_TAGS:
            self.open[-1].cell = None
        elif tag == "tr":
            self.open[-1].end_row()
        elif tag in SECTIONS:
            self.open[-1].section = None
            self.open[-1].end_row()

    def handle_data(self, data: str) -> None:
        if self.skip or not self.open:
            return
        cell = self.open[-1].cell
        if cell is not None:
            cell.parts.append(data)

    def _gap(self) -> None:
        if self.open and self.open[-1].cell is not None:
            self.open[-1].cell.parts.append(" ")

    def _start_cell(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.cells >= self.max_cells:
            raise _Stop
        self.cells += 1
        colspan = _span(attrs, "colspan", MAX_COLSPAN)
        rowspan = _span(attrs, "rowspan", MAX_ROWSPAN)
        if self.area + colspan * rowspan > MAX_SPAN_AREA:
            colspan = rowspan = 1
        self.area += colspan * rowspan
        self.open[-1].start_cell(_Cell(tag, colspan, rowspan))


def _span(attrs: list[tuple[str, str | None]], name: str, limit: int) -> int:
    for key, value in attrs:
        if key == name and value:
            digits = value.strip()[:6]
            if digits.isdigit():
                return min(max(int(digits), 1), limit)  # rowspan=0 ("to the end") counts as 1
    return 1


def defuse(html: str) -> str:
    """HTML the stdlib parser reads in linear time, with the same tables and text.

    Python's HTMLParser (before 3.11.13 / 3.12.11 / 3.13.4) re-scans to the end of the
    document for every construct left open at the end of input: `"<a" * 500_000` takes
    minutes. Open constructs can only sit after the last `>` (tags, declarations) or after
    the last comment close (comments), so those `<` are escaped to text; `<![` becomes a
    bogus comment, as browsers read it, instead of an AssertionError.
    """
    html = MARKED_SECTION.sub("<!x[", html)
    close = COMMENT_CLOSE_REVERSED.search(html[::-1])
    after = len(html) - close.start() if close else 0
    if "<!--" in html[after:]:
        html = html[:after] + html[after:].replace("<!--", "&lt;!--")
    after = html.rfind(">") + 1
    if "<" in html[after:]:
        html = html[:after] + html[after:].replace("<", "&lt;")
    return html


def _parse(html: str, max_cells: int) -> list[_Table]:
    parser = _TableParser(max_cells)
    try:
        parser.feed(defuse(html))
        parser.close()
    except _Stop:
        pass
    except AssertionError:
        pass  # the stdlib parser's last resort on malformed declarations: keep what was read
    return parser.tables


# --- layout: spans to grid positions ---------------------------------------------------------------


_Placed = tuple[int, _Cell]  # (grid column, cell)
Below = dict[int, dict[int, _Cell]]  # grid row -> grid column -> the cell above spanning down into it


def _layout(table: _Table) -> tuple[list[list[_Placed]], Below]:
    """Grid column of every cell, laying out colspan and rowspan the way browsers do."""
    placed: list[list[_Placed]] = []
    below: Below = {}
    for r, row in enumerate(table.rows):
        out: list[_Placed] = []
        taken = below.get(r, {})
        c = 0
        for cell in row.cells:
            while c in taken:
                c += 1
            out.append((c, cell))
            for dr in range(1, min(cell.rowspan, len(table.rows) - r)):
                spanned = below.setdefault(r + dr, {})
                for dc in range(cell.colspan):
                    spanned[c + dc] = cell
            c += cell.colspan
        placed.append(out)
    return placed, below


def _header_rows(table: _Table) -> int:
    """Rows in <thead>, or with no <thead> the leading rows made only of <th> cells."""
    if any(row.header for row in table.rows):
        return _count_leading(table.rows, lambda row: row.header)
    return _count_leading(table.rows, lambda row: bool(row.cells) and all(c.tag == "th" for c in row.cells))


def _count_leading(rows: list[_Row], test: Callable[[_Row], bool]) -> int:
    for n, row in enumerate(rows):
        if not test(row):
            return n
    return len(rows)


def _index_width(placed: list[list[_Placed]], below: Below, first_data: int) -> int:
    """How many leading grid columns are <th> in every data row: pandas' index levels."""
    width: int | None = None
    for r in range(first_data, len(placed)):
        starts = dict(placed[r])
        taken = below.get(r, {})
        if not starts and not taken:
            continue  # an empty <tr></tr> says nothing about the index
        n = 0
        while True:
            cell = taken.get(n)
            step = 1
            if cell is None:
                cell = starts.get(n)
                step = cell.colspan if cell is not None else 1
            if cell is None or cell.tag != "th":
                break
            n += step
        width = n if width is None else min(width, n)
        if width == 0:
            break
    return width or 0


def _column_names(placed: list[list[_Placed]], below: Below, headers: int, index: int) -> dict[int, str]:
    """Grid column -> header texts above it, MultiIndex levels joined with " / "."""
    levels: dict[int, list[_Cell]] = {}
    for r in range(max(0, headers - MAX_HEADER_ROWS), headers):
        covering = dict(below.get(r, {}))
        for col, cell in placed[r]:
            for dc in range(cell.colspan):
                covering[col + dc] = cell
        for col, cell in covering.items():
            cells = levels.setdefault(col, [])
            if not cells or cells[-1] is not cell:  # a header spanning two rows names its column once
                cells.append(cell)
    names: dict[int, str] = {}
    for col, cells in levels.items():
        texts = [t for t in (c.text for c in cells) if t]
        if col < index:
            names[col] = texts[-1] if texts else "index"  # pandas writes index names on the last header row
        elif texts:
            names[col] = " / ".join(texts)
    for col in range(index):
        names.setdefault(col, "index")
    return names


def _table_cells(table: _Table) -> Iterator[TableCell]:
    placed, below = _layout(table)
    headers = _header_rows(table)
    index = _index_width(placed, below, headers)
    names = _column_names(placed, below, headers, index)
    for r, row in enumerate(placed):
        for col, cell in row:
            text = cell.text
            if text:
                yield TableCell(
                    table=table.number,
                    row=r - headers,  # header rows: -headers .. -1
                    column=col - index,  # index levels: -index .. -1
                    column_name=None if r < headers else names.get(col),
                    text=text,
                )


def iter_table_cells(html: str, max_cells: int = MAX_CELLS) -> Iterator[TableCell]:
    """Every non-empty cell of every table in `html`, with row/column/column name; never raises."""
    if "<t" not in html and "<T" not in html:
        return  # no table tag at all: skip the parser (most HTML outputs are not tables)
    for table in _parse(html, max_cells):
        yield from _table_cells(table)


# --- visible text ----------------------------------------------------------------------------------


class _TextParser(_FastParser):
    def __init__(self, include_tables: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.tables = 0
        self.include_tables = include_tables

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skip += 1
        elif tag == "table":
            self.tables += 1
        if tag in CELL_TAGS:
            self.parts.append("\t")  # adjacent cells must not glue into one token
        elif tag in BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skip = max(0, self.skip - 1)
        elif tag == "table":
            self.tables = max(0, self.tables - 1)
        if tag in BREAKS or tag in CELL_TAGS:
            self.parts.append("\n" if tag in BREAKS else "\t")

    def handle_data(self, data: str) -> None:
        if self.skip or (self.tables and not self.include_tables):
            return
        self.parts.append(data)


def text_of_html(html: str, include_tables: bool = True) -> str:
    """The text a browser would show (scripts and styles dropped); never raises.

    Block elements become newlines and table cells tabs, so values from neighbouring
    elements stay separate tokens. `include_tables=False` leaves out text inside tables,
    for callers that scan the tables cell by cell with `iter_table_cells`.
    """
    if "<" not in html and "&" not in html:
        return html
    parser = _TextParser(include_tables)
    try:
        parser.feed(defuse(html))
        parser.close()
    except AssertionError:
        pass  # malformed declaration: keep the text read so far
    return BLANK_LINES.sub("\n", TABS.sub("\t", "".join(parser.parts)))
