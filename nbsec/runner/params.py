"""Notebook parameters: read the `parameters` cell, parse `-p NAME VALUE` and `-f params.yaml`, check names.

The parameters cell is read with `ast` (never executed): every top-level
assignment is a parameter, the comment lines directly above it are its help,
and its default is shown as written. Values given on the command line are
parsed like papermill's `-p` (True/False/None, int, float) plus YAML flow
lists and mappings (`-p targets '[a.pt, b.pt]'`); a parameter whose default is
a string always receives the raw string, so `-p workspace 2024` stays "2024".
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbsec.errors import InputError, UsageError
from nbsec.safe_input import parse_yaml, read_json, read_yaml

PARAMETERS_TAG = "parameters"
# A parameters file larger than this is not a parameters file.
MAX_PARAMS_FILE_BYTES = 1_000_000
MAX_NOTEBOOK_BYTES = 256 * 1024 * 1024  # outputs (images, tables) make notebooks large; this is not one


@dataclass(frozen=True)
class Parameter:
    """One assignment in a notebook's `parameters` cell."""

    name: str
    default: str  # the source text of the default, as written in the cell
    type_name: str  # "str", "int", "float", "bool", "None", "list", "dict" or "expression"
    help: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "default": self.default, "type": self.type_name, "help": self.help}


def parameters_cell(notebook: Mapping[str, Any]) -> tuple[int, str] | None:
    """(index, source) of the first cell tagged `parameters`, or None."""
    for index, cell in enumerate(notebook.get("cells", [])):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") == "code" and PARAMETERS_TAG in tags:
            source = cell.get("source", "")
            return index, "".join(source) if isinstance(source, list) else str(source)
    return None


def _type_name(node: ast.expr) -> str:
    try:
        value = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return "expression"
    return "None" if value is None else type(value).__name__


def _help_above(lines: list[str], line_no: int) -> str:
    """The run of `# comment` lines directly above 1-based `line_no`, joined."""
    comments: list[str] = []
    index = line_no - 2
    while index >= 0 and lines[index].strip().startswith("#"):
        comments.append(lines[index].strip().lstrip("#").strip())
        index -= 1
    return " ".join(reversed(comments)).strip()


def parse_parameters_source(source: str) -> list[Parameter]:
    """Parameters declared in the source of a parameters cell (assignments at the top level)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise UsageError(
            f"the parameters cell does not parse: {exc.msg} (line {exc.lineno})",
            "fix the cell tagged `parameters` so it holds plain assignments",
        ) from None
    lines = source.splitlines()
    found: dict[str, Parameter] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            value: ast.expr | None = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names, value = [node.target.id], node.value
        else:
            continue
        if value is None:
            continue
        default = ast.get_source_segment(source, value) or ast.unparse(value)
        help_text = _help_above(lines, node.lineno)
        for name in names:
            found[name] = Parameter(name, default, _type_name(value), help_text)
    return list(found.values())


def read_notebook_json(path: Path) -> dict[str, Any]:
    try:
        data = read_json(path, what="notebook", hint="is it a Jupyter notebook (.ipynb)?", max_bytes=MAX_NOTEBOOK_BYTES)
    except InputError as exc:
        if exc.kind != "missing":
            raise
        raise UsageError(
            f"{path}: no such notebook", "check the path; `nbsec run --list` shows the shipped ones"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise UsageError(f"{path}: not a Jupyter notebook (no cells)", "pass an .ipynb file")
    return data


def notebook_parameters(path: Path) -> list[Parameter]:
    """The declared parameters of the notebook at `path` (empty when it has no parameters cell)."""
    cell = parameters_cell(read_notebook_json(path))
    return [] if cell is None else parse_parameters_source(cell[1])


# -- values from the command line and from files ---------------------------------------


def parse_value(raw: str, declared: Parameter | None = None) -> Any:
    """`-p NAME VALUE` -> a Python value, the way papermill's -p reads it, plus YAML lists and maps."""
    if declared is not None and declared.type_name == "str":
        return raw
    if raw in ("True", "true"):
        return True
    if raw in ("False", "false"):
        return False
    if raw in ("None", "null"):
        return None
    for convert in (int, float):
        try:
            number = convert(raw)
        except ValueError:
            continue
        if isinstance(number, float) and not math.isfinite(number):
            return raw  # "nan"/"inf" are names more often than numbers
        return number
    if raw.strip().startswith(("[", "{")):
        try:
            value = parse_yaml(raw, source="-p value", max_bytes=MAX_PARAMS_FILE_BYTES)
        except InputError as exc:
            reason = f"-p value {raw!r} is not a valid YAML list or mapping ({exc.reason})"
            raise UsageError(reason, "quote it") from None
        return check_value("-p", value)
    return raw


def check_value(where: str, value: Any, depth: int = 0) -> Any:
    """Only plain data may reach a notebook: str, int, float, bool, None, lists and string-keyed maps."""
    if depth > 20:
        raise UsageError(f"{where}: value nested too deeply", "parameters are plain values, lists and mappings")
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, list):
        return [check_value(where, item, depth + 1) for item in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: check_value(where, v, depth + 1) for k, v in value.items()}
    raise UsageError(
        f"{where}: {type(value).__name__} values cannot be passed to a notebook",
        "use strings, numbers, booleans, null, lists or mappings with string keys (quote dates)",
    )


def load_yaml_mapping(path: Path, what: str) -> dict[str, Any]:
    """A YAML file (nbsec's bounded reader: size, depth, aliases) whose top level is a mapping."""
    data = read_yaml(path, what=what, hint=f"fix the {what}: plain `name: value` YAML", max_bytes=MAX_PARAMS_FILE_BYTES)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(
            f"{path}: the {what} must be a YAML mapping, got {type(data).__name__}", "write `name: value` lines"
        )
    return data


def load_params_file(path: Path) -> dict[str, Any]:
    data = load_yaml_mapping(path, "parameters file")
    return {str(k): check_value(f"{path}: {k}", v) for k, v in data.items()}


def build_parameters(
    declared: Sequence[Parameter],
    pairs: Sequence[tuple[str, str]] = (),
    files: Sequence[Path] = (),
    notebook: str = "the notebook",
) -> dict[str, Any]:
    """Files first, then `-p` pairs (later wins); unknown names are a UsageError listing the valid ones."""
    by_name = {p.name: p for p in declared}
    values: dict[str, Any] = {}
    for path in files:
        values.update(load_params_file(path))
    for name, raw in pairs:
        values[name] = parse_value(raw, by_name.get(name))
    check_names(values, declared, notebook)
    return values


def check_names(values: Mapping[str, Any], declared: Sequence[Parameter], notebook: str) -> None:
    unknown = sorted(set(values) - {p.name for p in declared})
    if not unknown:
        return
    if not declared:
        raise UsageError(
            f"{notebook} has no `parameters` cell, so it takes no parameter ({', '.join(unknown)} given)",
            "tag one code cell `parameters` in the notebook, or run it without -p/-f",
        )
    import difflib

    valid = ", ".join(p.name for p in declared)
    guesses = [m for name in unknown for m in difflib.get_close_matches(name, [p.name for p in declared], 1)]
    did_you_mean = f" (did you mean {', '.join(guesses)}?)" if guesses else ""
    raise UsageError(
        f"{notebook}: unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}{did_you_mean}",
        f"valid parameters: {valid}; see them with `nbsec run {notebook} --help-notebook`",
    )
