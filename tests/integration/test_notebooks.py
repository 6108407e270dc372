"""The contract every assessment notebook in notebooks/ keeps, checked on whatever notebooks exist.

Each one: nbformat 4.5 with cell ids and no outputs; a Markdown title; ONE cell
tagged `parameters` whose every assignment is documented by a comment line
above it, with `workspace = "nbsec-demo"`; the plotly mimetype renderer; narrative
Markdown; a last cell that evaluates to the Report. And it runs through
`nbsec run` on the demo workspace, shows its plots and its Report, and exits 0 or 1.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import jsonschema
import nbformat
import pytest
from click.testing import CliRunner

from nbsec.cli import cli
from nbsec.demo import build_demo
from nbsec.model import REPORT_MIME_TYPE
from nbsec.runner.params import parameters_cell, parse_parameters_source

pytestmark = pytest.mark.integration

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
PLOTLY_MIME = "application/vnd.plotly.v1+json"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def source(cell: dict[str, Any]) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def test_there_are_assessment_notebooks() -> None:
    names = {p.stem for p in NOTEBOOKS}
    assert {"full_assessment", "model_artifact_assessment", "notebook_hygiene"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_follows_the_convention(path: Path) -> None:
    nb = load(path)
    nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4))
    assert (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5)
    cells = nb["cells"]
    assert all(c.get("id") for c in cells), "every cell has an id"
    code = [c for c in cells if c["cell_type"] == "code"]
    assert not any(c.get("outputs") or c.get("execution_count") for c in code), "committed without outputs"
    assert cells[0]["cell_type"] == "markdown" and source(cells[0]).lstrip().startswith("# "), "a title first"
    assert len(source(cells[0]).split()) >= 20, "the title cell says what is checked and how to read it"

    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged `parameters`"
    found = parameters_cell(nb)
    assert found is not None
    params = parse_parameters_source(found[1])
    assert params, "the parameters cell declares parameters"
    undocumented = [p.name for p in params if not p.help]
    assert not undocumented, f"every parameter has a comment line above it: {undocumented}"
    workspace = {p.name: p for p in params}.get("workspace")
    assert workspace is not None and ast.literal_eval(workspace.default) == "nbsec-demo"

    assert any('pio.renderers.default = "plotly_mimetype"' in source(c) for c in code), "the plotly setup cell"
    assert sum(1 for c in cells if c["cell_type"] == "markdown") >= 3, "narrative between the steps"
    last = ast.parse(source(code[-1])).body
    assert last and isinstance(last[-1], ast.Expr), "the last code cell evaluates to the Report"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`nbsec demo` built once per session (shared with test_run.py's full_assessment run)."""
    root = tmp_path_factory.getbasetemp() / "shared-nbsec-demo"
    marker = tmp_path_factory.getbasetemp() / "shared-nbsec-demo.built"
    if not marker.exists():
        build_demo(root)
        marker.touch()
    return root


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_the_demo_and_shows_its_report(
    path: Path, demo: Path, tmp_path: Path, report_schema: dict[str, Any]
) -> None:
    out = tmp_path / "out"
    args = ["run", str(path), "-p", "workspace", str(demo), "--output-dir", str(out), "--format", "json"]
    result = CliRunner().invoke(cli, [*args, "--no-history", "--timeout", "300"])
    assert result.exit_code in (0, 1), result.output
    data = json.loads((out / f"{path.stem}.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, report_schema)
    assert not [e for e in data["errors"] if e["scanner"] == "runner"]
    assert data["checks"], "the Report says what was checked"
    executed = load(out / f"{path.stem}.ipynb")
    outputs = [o for c in executed["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert any(PLOTLY_MIME in o.get("data", {}) for o in outputs), "its plots are shown"
    last_code = [c for c in executed["cells"] if c["cell_type"] == "code"][-1]
    assert any(REPORT_MIME_TYPE in o.get("data", {}) for o in last_code["outputs"]), "its Report is displayed last"
