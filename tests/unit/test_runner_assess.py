"""The building blocks the assessment notebooks call (nbsec.runner.assess), on the demo workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbsec.demo import TRAIN_PY, demo_checkpoint, demo_notebook
from nbsec.integrity import create_manifest_file
from nbsec.model import Report
from nbsec.runner import assess


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The core of `nbsec demo` (notebook, code, checkpoints) without the feature modules' slower assets."""
    root = tmp_path / "demo ws"
    (root / "checkpoints").mkdir(parents=True)
    (root / "demo.ipynb").write_text(json.dumps(demo_notebook()), encoding="utf-8")
    (root / "train.py").write_text(TRAIN_PY, encoding="utf-8")
    (root / "checkpoints" / "base.pt").write_bytes(demo_checkpoint(payload=False))
    (root / "checkpoints" / "finetuned.pt").write_bytes(demo_checkpoint(payload=True))
    return root


def test_model_step_finds_the_demo_payload_and_skips_missing_paths(demo: Path) -> None:
    report = assess.scan_step(demo, ["checkpoints", "no-such-models"], assess.ARTIFACT_SCANNERS, "model-artifacts")
    assert {f.rule_id for f in report.findings} == {"NBSEC-ART-001"}
    assert all("finetuned.pt" in f.location.path for f in report.findings)
    skipped = [c for c in report.checks if c.status == "skipped"]
    assert [Path(c.target).name for c in skipped] == ["no-such-models"]
    assert report.errors == []


def test_a_missing_workspace_is_an_error_not_a_clean_result(tmp_path: Path) -> None:
    report = assess.scan_step(tmp_path / "absent", ["."], assess.NOTEBOOK_SCANNERS, "notebook-code")
    assert report.findings == [] and "workspace folder not found" in report.errors[0].message
    report = assess.scan_step(tmp_path, ["absent"], assess.NOTEBOOK_SCANNERS, "notebook-code")
    assert "nothing was checked" in report.errors[0].message


def test_manifest_step_skips_without_a_manifest_and_catches_a_swapped_file(demo: Path) -> None:
    skipped = assess.verify_step(demo, "", "checkpoints")
    assert [c.status for c in skipped.checks] == ["skipped"] and not skipped.findings
    create_manifest_file(demo / "checkpoints", demo / "models.manifest.json")
    assert assess.verify_step(demo, "models.manifest.json", "checkpoints").findings == []
    (demo / "checkpoints" / "base.pt").write_bytes((demo / "checkpoints" / "finetuned.pt").read_bytes())
    changed = assess.verify_step(demo, "models.manifest.json", "checkpoints")
    assert [f.rule_id for f in changed.findings] == ["NBSEC-ART-020"]
    broken = assess.verify_step(demo, "missing.manifest.json", "checkpoints")
    assert broken.errors and broken.errors[0].scanner == "integrity"


def test_notebook_step_finds_secrets_pii_and_unsafe_code(demo: Path) -> None:
    report = assess.scan_step(demo, ["."], assess.NOTEBOOK_SCANNERS, "notebook-code")
    rules = {f.rule_id for f in report.findings}
    assert {"NBSEC-NB-010", "NBSEC-NB-011", "NBSEC-PRIV-001", "NBSEC-NB-002"} <= rules
    assert not any(f.rule_id.startswith("NBSEC-ART") for f in report.findings)


def test_supply_chain_step_reads_requirements_and_says_when_there_are_none(demo: Path) -> None:
    none = assess.supply_chain_step(demo, ["."], installed=False)
    assert [c.detail for c in none.checks if c.status == "skipped"] == ["no requirements*.txt or pyproject.toml found"]
    assert none.errors == []
    (demo / "requirements.txt").write_text("requests\n", encoding="utf-8")
    found = assess.supply_chain_step(demo, ["."], installed=False)
    assert "NBSEC-DEP-002" in {f.rule_id for f in found.findings}  # unpinned
    installed = assess.supply_chain_step(demo, ["."], installed=True)
    assert any(t.kind == "environment" for t in installed.targets)


def test_plots_count_findings_by_severity(demo: Path) -> None:
    report = assess.scan_step(demo, ["."], assess.NOTEBOOK_SCANNERS, "notebook-code")
    fig = assess.findings_figure(report, by="rule")
    total = sum(sum(trace.y) for trace in fig.data)
    assert total == len(report.findings)
    assert {trace.name for trace in fig.data} <= {"critical", "high", "medium", "low", "info"}
    sections = {"a": report, "b": Report()}
    heat = assess.sections_figure(sections)
    assert list(heat.data[0].z[1]) == [0, 0, 0, 0, 0]
    assert "| a |" in assess.section_table(sections)
    coverage = assess.coverage_figure(report)
    assert sum(sum(t.x) for t in coverage.data) == len(report.checks)
