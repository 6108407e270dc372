"""A threat model saved in a notebook's metadata (JupyterLab's "Save the threat model into the notebook"):
`nbsec threatmodel import` reads it, `nbsec scan` evaluates it; output snapshots stay import-only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import nbformat
import pytest
from cli import invoke

import nbsec
from nbsec import threatmodel as tm
from nbsec.demo.threatmodel import DEMO_MODEL
from nbsec.model import Report
from nbsec.threatmodel.notebook import from_notebook, snapshot_bundle

SMALL = (
    "nbsec_threat_model: 1\ntitle: Chat bot\n"
    "elements: [{id: u, kind: user}, {id: bot, kind: llm}]\nflows: [{from: u, to: bot}]\n"
)


NOTHING = object()


def write_notebook(path: Path, saved: Any = NOTHING, snapshot: tm.ThreatModel | None = None) -> Path:
    """A notebook with one code cell; `saved` goes to metadata.nbsec.threat_model (as the lab extension writes
    it), `snapshot` to that cell's output (as `%aisec threatmodel` displays it)."""
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("%aisec threatmodel threatmodel.nbsec.yaml", execution_count=1)
    if snapshot is not None:
        data, metadata = snapshot_bundle(snapshot, "threatmodel.nbsec.yaml")
        cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=metadata)]
    notebook.cells = [cell]
    if saved is not NOTHING:
        notebook.metadata["nbsec"] = {"threat_model": saved}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path


def demo() -> tm.ThreatModel:
    return tm.loads(DEMO_MODEL)


def tm_items(report: Report) -> tuple[list[Any], list[Any], list[Any]]:
    """The threat-model scanner's findings, checks and errors."""
    return (
        [f for f in report.findings if f.rule_id.startswith("NBSEC-TM-")],
        [c for c in report.checks if c.scanner == "threat-model"],
        [e for e in report.errors if e.scanner == "threat-model"],
    )


# -- import ----------------------------------------------------------------------------------------


def test_import_reads_a_model_saved_only_in_the_metadata(tmp_path: Path) -> None:
    source = write_notebook(tmp_path / "review.ipynb", saved=demo().to_dict())
    result = invoke("threatmodel", "import", source, "-o", tmp_path / "tm.yaml")
    assert result.exit_code == 0, result.output
    assert "11 elements, 12 flows" in result.output
    assert tm.load(tmp_path / "tm.yaml") == demo()


def test_the_metadata_model_wins_over_an_output_snapshot(tmp_path: Path) -> None:
    small = tm.loads(SMALL)
    both = write_notebook(tmp_path / "both.ipynb", saved=demo().to_dict(), snapshot=small)
    assert from_notebook(both) == demo()
    # Without the metadata model the snapshot is still imported.
    assert from_notebook(write_notebook(tmp_path / "snapshot.ipynb", snapshot=small)) == small


def test_an_invalid_metadata_model_is_an_error_that_points_at_the_metadata(tmp_path: Path) -> None:
    broken = demo().to_dict()
    broken["elements"][0]["kind"] = "datset"
    source = write_notebook(tmp_path / "broken.ipynb", saved=broken, snapshot=tm.loads(SMALL))
    with pytest.raises(tm.ThreatModelError) as caught:
        from_notebook(source)  # no fall-back to the snapshot: the saved model was meant
    assert "broken.ipynb (metadata.nbsec.threat_model)" in caught.value.message
    assert "unknown kind 'datset'" in caught.value.message and "notebook metadata" in caught.value.hint
    result = invoke("threatmodel", "import", source, "-o", tmp_path / "tm.yaml")
    assert result.exit_code == 2 and "metadata.nbsec.threat_model" in result.output
    assert not (tmp_path / "tm.yaml").exists()


def test_a_notebook_without_a_model_names_both_places_to_save_one(tmp_path: Path) -> None:
    result = invoke("threatmodel", "import", write_notebook(tmp_path / "empty.ipynb"), "-o", tmp_path / "tm.yaml")
    assert result.exit_code == 2
    assert "empty.ipynb: no nbsec threat model" in result.output
    assert "Save the threat model into the notebook" in result.output and "%aisec threatmodel" in result.output


# -- scan ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scan_folder", [False, True], ids=["notebook", "folder"])
def test_scan_evaluates_the_metadata_model_at_the_notebook(
    tmp_path: Path, report_schema: dict[str, Any], scan_folder: bool
) -> None:
    path = write_notebook(tmp_path / "project" / "review.ipynb", saved=demo().to_dict())
    report = nbsec.scan(path.parent if scan_folder else path)
    jsonschema.validate(json.loads(json.dumps(report.to_dict())), report_schema)
    findings, checks, errors = tm_items(report)
    expected = tm.assess(demo())  # the same threats as the model checked as YAML
    assert sorted(f.rule_id for f in findings) == sorted(f.rule_id for f in expected.findings)
    assert all(f.location.path == "project/review.ipynb" and f.location.element for f in findings)
    assert {f.location.element for f in findings} == {f.location.element for f in expected.findings}
    decided = [s for s in report.suppressed if s.finding.rule_id.startswith("NBSEC-TM-")]
    assert len(decided) == len(expected.suppressed) and all(
        s.finding.location.path == "project/review.ipynb" for s in decided
    )
    assert [(c.target, c.status) for c in checks] == [("project/review.ipynb", "failed")]
    assert "metadata.nbsec.threat_model" in checks[0].detail and not errors
    assert [(t.path, t.kind, t.status) for t in report.targets] == [("project/review.ipynb", "notebook", "scanned")]


def test_scan_ignores_notebooks_without_a_saved_model_and_output_snapshots(tmp_path: Path) -> None:
    write_notebook(tmp_path / "plain.ipynb")
    write_notebook(tmp_path / "snapshot.ipynb", snapshot=tm.loads(SMALL))  # import-only, never evaluated
    write_notebook(tmp_path / "null.ipynb", saved=None)  # a removed model, if a frontend writes null
    report = nbsec.scan(tmp_path)
    assert tm_items(report) == ([], [], [])
    assert not report.errors
    assert {c.scanner for c in report.checks} == {"notebook-code", "notebook-content"}


@pytest.mark.parametrize("saved", ["not a model", ["a", "list"], {"nbsec_threat_model": 1, "elements": [{"id": "x"}]}])
def test_scan_reports_an_invalid_metadata_model_as_an_error_of_that_notebook(
    tmp_path: Path, report_schema: dict[str, Any], saved: Any
) -> None:
    write_notebook(tmp_path / "broken.ipynb", saved=saved)
    report = nbsec.scan(tmp_path)
    jsonschema.validate(json.loads(json.dumps(report.to_dict())), report_schema)
    findings, checks, errors = tm_items(report)
    assert not findings and [c.status for c in checks] == ["error"]
    assert errors and all(
        e.target == "broken.ipynb" and e.message.startswith("metadata.nbsec.threat_model: ") for e in errors
    )
    assert all("notebook metadata" in e.hint for e in errors)
    # The notebook's own scanners still ran.
    assert {c.scanner for c in report.checks if c.status == "passed"} == {"notebook-code", "notebook-content"}


def test_scan_reads_the_notebook_within_max_file_size(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "big.ipynb", saved=demo().to_dict())
    report = nbsec.scan(path, config={"max_file_size": path.stat().st_size - 1})
    assert tm_items(report)[:2] == ([], [])  # not read past the limit; notebook-code reports the size once
    assert [e.scanner for e in report.errors] == ["notebook-code"] and "over the" in report.errors[0].message
