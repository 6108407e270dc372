"""The contract every assessment notebook in notebooks/ keeps, checked on whatever notebooks exist.

Each one: nbformat 4.5 with cell ids and no outputs; a Markdown title; ONE cell
tagged `parameters` whose every assignment is documented by a comment line
above it, with `workspace = "nbsec-demo"`; the plotly mimetype renderer; narrative
Markdown; a last cell that evaluates to the Report. And it runs through
`nbsec run` on the demo workspace (`nbsec demo DIR --no-scan`), shows its plots and its Report,
reports the findings the demo plants for what it checks, and exits 1 (the demo has high findings).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import jsonschema
import nbformat
import pytest
from cli import invoke

from nbsec.model import REPORT_MIME_TYPE
from nbsec.runner.params import parameters_cell, parse_parameters_source

pytestmark = pytest.mark.integration

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
PLOTLY_MIME = "application/vnd.plotly.v1+json"

# What each notebook must report on the demo workspace: the demo plants these (a pickle payload, secrets, PII,
# unsafe loads, a threat model, lineage with a changed file, weak and backdoored models). NBSEC-DEP-* are left
# out: they depend on this interpreter's packages and on the advisory data's age, not on the demo.
TM_FIRED = (
    1, 2, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 16, 17, 18, 19, 20, 21, 22, 24, 26, 27, 28, 30, 31, 32, 34, 37, 40, 44,
)  # fmt: skip
THREAT_MODEL_RULES = {f"NBSEC-TM-{n:03d}" for n in TM_FIRED}  # what the library raises on the demo's threat model
NOTEBOOK_RULES = {
    "NBSEC-NB-001", "NBSEC-NB-002", "NBSEC-NB-003", "NBSEC-NB-004", "NBSEC-NB-006", "NBSEC-NB-010", "NBSEC-NB-011",
    "NBSEC-PRIV-001",
}  # fmt: skip
ADVERSARIAL_RULES = {"NBSEC-ADV-001", "NBSEC-ADV-004", "NBSEC-PRIV-002"}
LINEAGE_RULES = {"NBSEC-LIN-001", "NBSEC-LIN-006"}
LLM_RULES = {f"NBSEC-LLM-{n:03d}" for n in range(1, 11)}  # every probe family finds the demo app's flaw
DEMO_FINDINGS: dict[str, set[str]] = {
    "adversarial_robustness": ADVERSARIAL_RULES | {"NBSEC-ADV-005"},  # its trigger-patch search finds the backdoor
    "full_assessment": {"NBSEC-ART-001"}
    | NOTEBOOK_RULES
    | THREAT_MODEL_RULES
    | LINEAGE_RULES
    | ADVERSARIAL_RULES
    | LLM_RULES,
    "lineage_audit": LINEAGE_RULES,
    "llm_app_assessment": LLM_RULES,
    "model_artifact_assessment": {"NBSEC-ART-001"},
    "notebook_hygiene": NOTEBOOK_RULES,
    "threat_model_review": THREAT_MODEL_RULES,
}
# Parameters beyond the workspace, as `make demo` gives them (the LLM section probes the in-process demo app).
EXTRA_PARAMETERS: dict[str, tuple[str, ...]] = {"full_assessment": ("-p", "llm_target", "demo")}
# The rule families each notebook may report: a notebook reports on what it says it checks, nothing else.
FAMILIES: dict[str, set[str]] = {
    "adversarial_robustness": {"ADV", "PRIV"},
    "full_assessment": {"ART", "NB", "PRIV", "DEP", "TM", "LIN", "ADV", "LLM"},
    "lineage_audit": {"LIN"},
    "llm_app_assessment": {"LLM"},
    "model_artifact_assessment": {"ART"},
    "notebook_hygiene": {"NB", "PRIV", "DEP"},
    "threat_model_review": {"TM"},
}


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
    """`nbsec demo DIR --no-scan` run once per session (shared with test_run.py's full_assessment run)."""
    root = tmp_path_factory.getbasetemp() / "shared-nbsec-demo"
    marker = tmp_path_factory.getbasetemp() / "shared-nbsec-demo.built"
    if not marker.exists():
        result = invoke("demo", root, "--no-scan")
        assert result.exit_code == 0, result.output
        marker.touch()
    return root


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_the_demo_and_shows_its_report(
    path: Path, demo: Path, tmp_path: Path, report_schema: dict[str, Any]
) -> None:
    assert path.stem in DEMO_FINDINGS, f"{path.name}: add the findings it must report on the demo to DEMO_FINDINGS"
    out = tmp_path / "out"
    args = ["run", path, "-p", "workspace", demo, *EXTRA_PARAMETERS.get(path.stem, ()), "--output-dir", out]
    result = invoke(*args, "--format", "json", "--no-history", "--timeout", "300")
    data = json.loads((out / f"{path.stem}.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, report_schema)
    assert data["errors"] == [], data["errors"]
    found = {f["rule_id"] for f in data["findings"]}
    missing = DEMO_FINDINGS[path.stem] - found
    assert not missing, f"{path.stem} did not report {sorted(missing)} on the demo; it reported {sorted(found)}"
    foreign = {r for r in found if r.split("-")[1] not in FAMILIES[path.stem]}
    assert not foreign, f"{path.stem} reported rules outside what it checks: {sorted(foreign)}"
    assert result.exit_code == 1, result.output  # every notebook finds something at or above high on the demo
    assert data["checks"], "the Report says what was checked"
    executed = load(out / f"{path.stem}.ipynb")
    outputs = [o for c in executed["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert any(PLOTLY_MIME in o.get("data", {}) for o in outputs), "its plots are shown"
    last_code = [c for c in executed["cells"] if c["cell_type"] == "code"][-1]
    assert any(REPORT_MIME_TYPE in o.get("data", {}) for o in last_code["outputs"]), "its Report is displayed last"
