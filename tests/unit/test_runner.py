"""nbsec.runner without a kernel: parameters, catalogue, reading Reports back, history, matrices, summaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbsec.commands.run import write_reports
from nbsec.errors import UsageError
from nbsec.model import REPORT_MIME_TYPE, Check, Figure, Finding, Location, Metric, Report, ScanError, Severity
from nbsec.runner import batch, collect, notebooks, params
from nbsec.runner.execute import Execution
from nbsec.runner.history import RunHistory
from nbsec.runner.summary import TargetSummary, write_summary

PARAMS_SOURCE = """\
# Folder to assess.
# Built by `nbsec demo`.
workspace = "nbsec-demo"
# How many epsilons.
steps: int = 3
ratio = 0.5
# Paths to scan.
paths = ["a", "b"]
flag = True
computed = len(paths) * 2
import os
"""


def finding(rule: str = "NBSEC-NB-001", path: str = "a.py", evidence: str = "x", severity: str = "high") -> Finding:
    return Finding(rule, "title", Severity.parse(severity), "high", Location(path, line=1), evidence)


def code_cell(source: str, ident: str, outputs: list[dict[str, Any]] | None = None, tags: list[str] | None = None):
    return {
        "cell_type": "code",
        "id": ident,
        "execution_count": None,
        "metadata": {"tags": tags} if tags else {},
        "outputs": outputs or [],
        "source": source,
    }


def report_output(report: Report) -> dict[str, Any]:
    return {
        "output_type": "execute_result",
        "execution_count": 1,
        "metadata": {},
        "data": {REPORT_MIME_TYPE: report.to_dict(), "text/plain": "r"},
    }


# -- parameters ----------------------------------------------------------------------------


def test_parameters_cell_is_read_with_help_defaults_and_types() -> None:
    found = {p.name: p for p in params.parse_parameters_source(PARAMS_SOURCE)}
    assert list(found) == ["workspace", "steps", "ratio", "paths", "flag", "computed"]
    assert found["workspace"].help == "Folder to assess. Built by `nbsec demo`."
    assert found["workspace"].default == '"nbsec-demo"'
    assert found["steps"].type_name == "int" and found["steps"].help == "How many epsilons."
    assert found["ratio"].help == ""  # no comment directly above
    assert found["paths"].type_name == "list"
    assert found["computed"].type_name == "expression"


def test_parameters_cell_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    source = f'x = __import__("pathlib").Path({str(marker)!r}).touch()\n'
    [param] = params.parse_parameters_source(source)
    assert param.name == "x" and param.type_name == "expression"
    assert not marker.exists()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3", 3),
        ("-2.5", -2.5),
        ("True", True),
        ("false", False),
        ("None", None),
        ("[a.pt, b.pt]", ["a.pt", "b.pt"]),
        ("{eps: 0.1}", {"eps": 0.1}),
        ("nan", "nan"),
        ("models/x.pt", "models/x.pt"),
    ],
)
def test_values_parse_like_papermill(raw: str, expected: Any) -> None:
    assert params.parse_value(raw) == expected


def test_a_string_parameter_keeps_the_raw_string() -> None:
    declared = params.Parameter("workspace", '"x"', "str")
    assert params.parse_value("2024", declared) == "2024"
    assert params.parse_value("True", declared) == "True"


def test_unknown_parameter_lists_the_valid_ones(tmp_path: Path) -> None:
    declared = params.parse_parameters_source(PARAMS_SOURCE)
    with pytest.raises(UsageError) as info:
        params.build_parameters(declared, [("worksapce", "x")], notebook="nb.ipynb")
    assert "worksapce" in info.value.message and "did you mean workspace" in info.value.message
    assert "workspace, steps, ratio, paths, flag, computed" in info.value.hint


def test_files_then_pairs_later_wins(tmp_path: Path) -> None:
    declared = params.parse_parameters_source(PARAMS_SOURCE)
    file = tmp_path / "p.yaml"
    file.write_text("workspace: from-file\nsteps: 9\npaths: [z]\n", encoding="utf-8")
    values = params.build_parameters(declared, [("steps", "4")], [file])
    assert values == {"workspace": "from-file", "steps": 4, "paths": ["z"]}


def test_parameters_file_rejects_non_plain_values(tmp_path: Path) -> None:
    file = tmp_path / "p.yaml"
    file.write_text("when: 2024-01-01\n", encoding="utf-8")
    with pytest.raises(UsageError, match="date"):
        params.load_params_file(file)
    file.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(UsageError, match="mapping"):
        params.load_params_file(file)
    file.write_text("!!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(UsageError, match="invalid YAML"):
        params.load_params_file(file)


def test_notebook_without_parameters_cell_takes_none() -> None:
    with pytest.raises(UsageError, match="no `parameters` cell"):
        params.check_names({"x": 1}, [], "plain.ipynb")


# -- the shipped notebooks -------------------------------------------------------------------


def test_shipped_notebooks_are_found_by_name() -> None:
    infos = {info.name: info for info in notebooks.shipped_notebooks()}
    assert {"full_assessment", "model_artifact_assessment", "notebook_hygiene"} <= set(infos)
    assert notebooks.resolve_notebook("full_assessment") == infos["full_assessment"].path
    assert notebooks.resolve_notebook("notebook_hygiene.ipynb") == infos["notebook_hygiene"].path
    with pytest.raises(UsageError) as info:
        notebooks.resolve_notebook("no_such_assessment")
    assert "full_assessment" in info.value.hint


# -- reading Reports back --------------------------------------------------------------------


def test_reports_are_read_back_and_merged_without_double_counting() -> None:
    a = Report(findings=[finding(evidence="one"), finding(evidence="two")], checks=[Check("s", "a.py", "failed")])
    a.timings["s"] = 2.0
    b = Report(findings=[finding(evidence="two"), finding("NBSEC-ART-001", "m.pt")], metrics=[Metric("m", 1.0)])
    b.timings["s"] = 1.0
    curve = {"x_label": "epsilon", "y_label": "accuracy", "series": [{"name": "pgd", "x": [0, 0.1], "y": [1, 0.5]}]}
    b.figures.append(Figure("curve", "Robustness", "line", curve))
    nb = {"cells": [code_cell("a", "c0", [report_output(a)]), code_cell("b", "c1", [report_output(b)])]}
    reports, errors = collect.reports_in(nb, "nb.ipynb")
    assert errors == [] and len(reports) == 2
    merged = collect.merge_reports(reports)
    assert sorted(f.evidence for f in merged.findings) == ["one", "two", "x"]
    assert len(merged.checks) == 1 and len(merged.metrics) == 1
    assert [f.id for f in merged.figures] == ["curve"]  # the HTML report draws them
    assert merged.timings["s"] == 2.0


def test_a_broken_report_output_is_an_error_not_a_crash() -> None:
    bad = {"output_type": "display_data", "metadata": {}, "data": {REPORT_MIME_TYPE: {"schema_version": "9.0"}}}
    reports, errors = collect.reports_in({"cells": [code_cell("x", "c0", [bad])]}, "nb.ipynb")
    assert reports == [] and len(errors) == 1 and "cell 1" in errors[0].message


def _execution(tmp_path: Path, status: str, **fields: Any) -> Execution:
    return Execution(tmp_path / "nb.ipynb", tmp_path / "out.ipynb", status, 1.5, **fields)


ORIGINAL = {
    "cells": [
        code_cell("x = 1", "p", tags=["parameters"]),
        code_cell("import nbsec", "imp"),
        code_cell("raise ValueError('boom')\nmore", "bad"),
    ]
}


def test_a_cell_error_names_the_cell_of_the_notebook_as_written(tmp_path: Path) -> None:
    executed = {
        "cells": [
            ORIGINAL["cells"][0],
            code_cell("x = 2", "injected", tags=["injected-parameters"]),
            ORIGINAL["cells"][1],
            code_cell("raise ValueError('boom')", "bad", [report_output(Report(findings=[finding()]))]),
        ]
    }
    (tmp_path / "out.ipynb").write_text(json.dumps(executed), encoding="utf-8")
    execution = _execution(tmp_path, "cell-error", cell_index=3, cell_id="bad", ename="ValueError", evalue="boom")
    report = collect.run_report(execution, ORIGINAL)
    [error] = [e for e in report.errors if e.scanner == "runner"]
    assert "cell 3 (index 2, `raise ValueError('boom')`)" in error.message
    assert "ValueError: boom" in error.message and "out.ipynb" in error.hint
    assert collect.notebook_failed(report)
    assert len(report.findings) == 1  # what the notebook showed before failing is kept
    assert [t.status for t in report.targets if t.kind == "notebook-run"] == ["error"]


def test_without_ids_injected_cells_are_discounted(tmp_path: Path) -> None:
    executed = {
        "cells": [
            code_cell("x = 1", "", tags=["parameters"]),
            code_cell("x = 2", "", tags=["injected-parameters"]),
            code_cell("import nbsec", ""),
            code_cell("raise", ""),
        ]
    }
    execution = _execution(tmp_path, "kernel-died", cell_index=3)
    assert collect.locate_cell(execution, ORIGINAL, executed).startswith("cell 3 (index 2")
    execution = _execution(tmp_path, "kernel-died", cell_index=1)
    assert collect.locate_cell(execution, ORIGINAL, executed) == "the injected parameters cell"


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("timeout", "did not finish within 30 s"),
        ("kernel-died", "kernel died"),
        ("cell-timeout", "per-cell timeout"),
        ("failed", "could not be run: NoSuchKernel"),
    ],
)
def test_every_failure_is_reported_with_its_cell(tmp_path: Path, status: str, words: str) -> None:
    execution = _execution(tmp_path, status, cell_id="imp", timeout=30, message="NoSuchKernel: x")
    report = collect.run_report(execution, ORIGINAL)
    [error] = report.errors
    assert words in error.message
    if status != "failed":
        assert "cell 2 (index 1, `import nbsec`)" in error.message


def test_a_notebook_that_shows_no_report_is_not_clean(tmp_path: Path) -> None:
    (tmp_path / "out.ipynb").write_text(json.dumps({"cells": [code_cell("1", "a")]}), encoding="utf-8")
    report = collect.run_report(_execution(tmp_path, "completed"), ORIGINAL)
    assert collect.notebook_failed(report)
    assert "displayed no nbsec Report" in report.errors[0].message


# -- history ---------------------------------------------------------------------------------


def fps(items: list[Any] | None) -> set[str]:
    return {s.fingerprint for s in items or []}


def test_history_reports_new_fixed_and_unchanged(tmp_path: Path) -> None:
    history = RunHistory(tmp_path / "h" / "runs.db")
    a, b, c = finding(evidence="a"), finding(evidence="b"), finding(evidence="c")
    first = history.record("t", "nb", Report(findings=[a, b]), completed=True, exit_code=1)
    assert first.previous_run_id is None and fps(first.new) == {a.fingerprint, b.fingerprint}
    second = history.record("t", "nb", Report(findings=[b, c]), completed=True, exit_code=1)
    assert second.previous_run_id == first.run_id
    assert fps(second.new) == {c.fingerprint}
    assert fps(second.fixed) == {a.fingerprint}
    assert fps(second.unchanged) == {b.fingerprint}
    assert "1 new, 1 fixed, 1 unchanged" in second.describe()
    other = history.record("other", "nb", Report(findings=[a]), completed=True, exit_code=1)
    assert other.previous_run_id is None  # targets are compared with themselves only


def test_a_failed_run_never_claims_a_fix_and_is_not_the_next_baseline(tmp_path: Path) -> None:
    history = RunHistory(tmp_path / "runs.db")
    a, b = finding(evidence="a"), finding(evidence="b")
    ok = history.record("t", "nb", Report(findings=[a, b]), completed=True, exit_code=1)
    failed = history.record("t", "nb", Report(findings=[a]), completed=False, exit_code=2)
    assert failed.fixed is None and "unknown" in failed.describe()
    again = history.record("t", "nb", Report(findings=[a, b]), completed=True, exit_code=1)
    assert (
        again.previous_run_id == ok.run_id and not again.new and fps(again.unchanged) == {a.fingerprint, b.fingerprint}
    )


def test_identical_findings_count_each_time(tmp_path: Path) -> None:
    history = RunHistory(tmp_path / "runs.db")
    twice = Report(findings=[finding(), finding()])
    history.record("t", "nb", twice, completed=True, exit_code=1)
    change = history.record("t", "nb", Report(findings=[finding()]), completed=True, exit_code=1)
    assert len(change.unchanged) == 1 and change.fixed is not None and len(change.fixed) == 1


def test_runs_are_listed_oldest_first_and_plot(tmp_path: Path) -> None:
    history = RunHistory(tmp_path / "runs.db")
    assert history.runs() == []
    for n in range(3):
        history.record(
            "t", "nb", Report(findings=[finding(evidence=str(i)) for i in range(n)]), completed=True, exit_code=0
        )
    rows = history.runs()
    assert [r.total for r in rows] == [0, 1, 2] and rows[0].counts["high"] == 0 and rows[2].counts["high"] == 2
    assert [r.total for r in history.runs(limit=2)] == [1, 2]
    from nbsec.runner.history import trend_figure

    fig = trend_figure(rows)
    assert list(fig.data[0].y) == [0, 1, 2]


# -- matrices --------------------------------------------------------------------------------

DECLARED = params.parse_parameters_source('workspace = "w"\nmodel_paths = ["m"]\nn = 1\n')


def test_matrix_targets_get_shared_nested_and_inline_parameters(tmp_path: Path) -> None:
    matrix = tmp_path / "targets.yaml"
    matrix.write_text(
        "parameters: {workspace: ws, n: 2}\n"
        "targets:\n"
        "  - name: base model\n    parameters: {model_paths: [a.pt]}\n"
        "  - name: base model\n    model_paths: [b.pt]\n    n: 5\n"
        "  - {}\n",
        encoding="utf-8",
    )
    jobs = batch.load_matrix(matrix, DECLARED, "nb")
    assert jobs == [
        ("base-model", {"workspace": "ws", "n": 2, "model_paths": ["a.pt"]}),
        ("base-model-2", {"workspace": "ws", "n": 5, "model_paths": ["b.pt"]}),
        ("target-3", {"workspace": "ws", "n": 2}),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("targets: []\n", "non-empty list"),
        ("targets: [1]\n", "not a mapping"),
        ("targets: [{name: x, epochs: 3}]\n", "unknown parameter epochs"),
        ("target: []\n", "unknown key"),
        ("parameters: [1]\ntargets: [{}]\n", "must be a mapping"),
    ],
)
def test_bad_matrices_are_usage_errors(tmp_path: Path, text: str, message: str) -> None:
    matrix = tmp_path / "targets.yaml"
    matrix.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        batch.load_matrix(matrix, DECLARED, "nb")


def test_target_names_are_single_safe_folder_names() -> None:
    assert batch.safe_name("../../etc/passwd") == "etc-passwd"
    assert batch.safe_name("...") == "target"


# -- summary ----------------------------------------------------------------------------------


def test_summary_links_every_target_and_escapes_names(tmp_path: Path) -> None:
    report = Report(findings=[finding()], errors=[ScanError("runner", "nb", "cell 2 raised X")])
    written = write_reports(report, tmp_path / "t1", "nb", ["json", "html", "console"])
    assert set(written) == {"json", "html"} and json.loads(written["json"].read_text())["summary"]["total"] == 1
    history = RunHistory(tmp_path / "runs.db")
    change = history.record("t1", "nb", report, completed=False, exit_code=2)
    rows = [
        TargetSummary(
            "t1",
            "cell-error",
            2,
            report.summary_line(),
            report.counts(),
            1.0,
            reports={"html": "t1/nb.html"},
            executed="t1/nb.ipynb",
            change=change,
            errors=["nb: cell 2 raised X"],
        ),  # fmt: skip
        TargetSummary(
            "<b>t2</b>", "completed", 0, "0 findings", Report().counts(), 2.0, reports={"json": "t2/nb.json"}
        ),
    ]
    paths = write_summary(tmp_path, rows, history.runs(), "batch")
    html = paths["html"].read_text()
    assert 'href="t1/nb.html"' in html and 'href="t1/nb.ipynb"' in html and 'href="t2/nb.json"' in html
    assert "<b>t2</b>" not in html and "&lt;b&gt;t2&lt;/b&gt;" in html
    assert (tmp_path / "plotly.min.js").stat().st_size > 1_000_000 and "plotly.min.js" in html
    document = json.loads(paths["json"].read_text())
    assert [t["name"] for t in document["targets"]] == ["t1", "<b>t2</b>"]
    assert document["targets"][0]["history"]["fixed"] is None
    assert "[nb.html](t1/nb.html)" in paths["md"].read_text()
