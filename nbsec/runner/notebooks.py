"""The assessment notebooks nbsec ships, and how `nbsec run NAME` finds one.

In a wheel the notebooks live in `nbsec/_notebooks/` (pyproject's force-include);
in a source checkout or an editable install, in `notebooks/` next to the package.
`nbsec run full_assessment` finds the shipped one; any other argument is a path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbsec.errors import UsageError
from nbsec.runner.params import Parameter, parameters_cell, parse_parameters_source, read_notebook_json

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def notebooks_dir() -> Path | None:
    """Where the shipped notebooks are, or None when this install has none."""
    for candidate in (PACKAGE_DIR / "_notebooks", PACKAGE_DIR.parent / "notebooks"):
        if candidate.is_dir() and any(candidate.glob("*.ipynb")):
            return candidate
    return None


@dataclass(frozen=True)
class NotebookInfo:
    name: str
    path: Path
    title: str
    parameters: list[Parameter] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "title": self.title,
            "parameters": [p.to_dict() for p in self.parameters],
        }


def _title(notebook: dict[str, Any]) -> str:
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        for line in text.splitlines():
            if line.strip():
                return line.strip().lstrip("#").strip()
    return ""


def describe(path: Path) -> NotebookInfo:
    """Title and declared parameters of one notebook."""
    data = read_notebook_json(path)
    cell = parameters_cell(data)
    params = [] if cell is None else parse_parameters_source(cell[1])
    return NotebookInfo(path.stem, path, _title(data), params)


def shipped_notebooks() -> list[NotebookInfo]:
    """Every shipped assessment notebook, by name."""
    folder = notebooks_dir()
    if folder is None:
        return []
    return [describe(p) for p in sorted(folder.glob("*.ipynb"))]


def resolve_notebook(argument: str) -> Path:
    """A path to an existing notebook file, or the name of a shipped one (with or without .ipynb)."""
    path = Path(argument)
    if path.is_file():
        return path
    folder = notebooks_dir()
    if folder is not None and path.parent == Path("."):
        shipped = folder / (path.name if path.suffix == ".ipynb" else f"{path.name}.ipynb")
        if shipped.is_file():
            return shipped
    names = ", ".join(info.name for info in shipped_notebooks()) or "none in this install"
    raise UsageError(
        f"{argument}: no such notebook",
        f"give a path to an .ipynb file or a shipped notebook's name ({names}); `nbsec run --list` shows them",
    )
