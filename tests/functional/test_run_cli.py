"""`nbsec run` and `nbsec runs history` on the command line, for everything decided before a kernel starts."""

from __future__ import annotations

from pathlib import Path

from cli import invoke

from nbsec.model import Finding, Location, Report, Severity
from nbsec.runner.history import RunHistory


def test_list_shows_every_shipped_notebook_with_its_parameters() -> None:
    result = invoke("run", "--list")
    assert result.exit_code == 0
    for name in ("full_assessment", "model_artifact_assessment", "notebook_hygiene", "llm_app_assessment"):
        assert f"\n{name}\n" in result.output
    assert '-p workspace "nbsec-demo"' in result.output
    assert "-p llm_target" in result.output
    assert "\nagent_assessment\n" not in result.output  # only what exists is listed


def test_help_notebook_documents_the_parameters() -> None:
    result = invoke("run", "model_artifact_assessment", "--help-notebook")
    assert result.exit_code == 0
    assert "Model artifact assessment" in result.output
    assert "-p model_paths" in result.output and "Model files and folders to scan" in result.output


def test_unknown_parameter_is_exit_2_listing_the_valid_ones(tmp_path: Path) -> None:
    result = invoke("run", "notebook_hygiene", "-p", "worskpace", "x", "--output-dir", tmp_path / "out")
    assert result.exit_code == 2
    assert "unknown parameter worskpace" in result.stderr
    assert "valid parameters: workspace, notebook_paths, scan_installed_packages" in result.stderr
    assert not (tmp_path / "out").exists()  # nothing ran


def test_unknown_parameter_in_a_params_file_is_exit_2(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("workspace: ws\nepochs: 3\n", encoding="utf-8")
    result = invoke("run", "notebook_hygiene", "--parameters-file", params, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "unknown parameter epochs" in result.stderr


def test_f_is_the_report_format_and_a_params_file_there_gets_a_hint(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("workspace: ws\n", encoding="utf-8")
    result = invoke("run", "notebook_hygiene", "-f", params, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "-f/--format takes a report format, not a file" in result.stderr
    assert "--parameters-file" in result.stderr
    assert not (tmp_path / "out").exists()


def test_usage_errors_before_anything_runs(tmp_path: Path) -> None:
    assert invoke("run").exit_code == 2
    missing_out = invoke("run", "full_assessment")
    assert missing_out.exit_code == 2 and "-o/--output is required" in missing_out.stderr
    no_such = invoke("run", "nope.ipynb", "--output-dir", tmp_path)
    assert no_such.exit_code == 2 and "no such notebook" in no_such.stderr
    dask_alone = invoke("run", "full_assessment", "--output-dir", tmp_path, "--dask-scheduler", "tcp://x:1")
    assert dask_alone.exit_code == 2 and "--matrix" in dask_alone.stderr
    bad_format = invoke("run", "full_assessment", "--output-dir", tmp_path, "--format", "pdf")
    assert bad_format.exit_code == 2 and "unknown report format" in bad_format.stderr
    matrix = tmp_path / "targets.yaml"
    matrix.write_text("targets: [{name: a, epochs: 1}]\n", encoding="utf-8")
    bad_matrix = invoke("run", "full_assessment", "--output-dir", tmp_path, "--matrix", matrix)
    assert bad_matrix.exit_code == 2 and "unknown parameter epochs" in bad_matrix.stderr


def test_runs_history_lists_and_plots(tmp_path: Path) -> None:
    empty = invoke("runs", "history")
    assert empty.exit_code == 2 and "no run history yet" in empty.stderr
    history = RunHistory()  # the default location, .nbsec/runs.db in the working directory
    finding = Finding("NBSEC-NB-001", "t", Severity.HIGH, "high", Location("a.py"))
    history.record("nightly-a", "nb.ipynb", Report(findings=[finding]), completed=True, exit_code=1)
    history.record("nightly-b", "nb.ipynb", Report(), completed=False, exit_code=2)
    result = invoke("runs", "history", "--plot", tmp_path / "trend.html")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "nightly-a" in lines[1] and "completed" in lines[1] and "nightly-b" in lines[2] and "failed" in lines[2]
    html = (tmp_path / "trend.html").read_text(encoding="utf-8")
    assert "nightly-a" in html and (tmp_path / "plotly.min.js").exists()
    only_b = invoke("runs", "history", "--target", "nightly-b")
    assert "nightly-a" not in only_b.stdout
