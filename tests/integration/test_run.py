"""`nbsec run` with a real kernel: the demo assessment, parameters, failures, kills, hangs, batches, history.

Small notebooks built here keep each run to a kernel start and a few cells;
full_assessment runs once on the demo, as the README's `make demo` runs it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cli import invoke

from nbsec.demo import build_demo
from nbsec.model import REPORT_MIME_TYPE, Report
from nbsec.runner.batch import run_dask, run_local
from nbsec.runner.job import Job, run_assessment

pytestmark = pytest.mark.integration

PLOTLY_MIME = "application/vnd.plotly.v1+json"


def write_notebook(path: Path, cells: list[tuple[str, list[str]]]) -> Path:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell-{i}",
                "metadata": {"tags": tags} if tags else {},
                "outputs": [],
                "source": source,
            }
            for i, (source, tags) in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


# Displays a Report whose one metric echoes the parameters it received.
ECHO_CELLS = [
    ("# A label, kept as text\nlabel = 'default'\n# How many\ncount = 1\n# Extra values\nextra = {}", ["parameters"]),
    ("from nbsec.model import Metric, Report", []),
    (
        "import json, sys\nlabels = {'label': label, 'extra': json.dumps(extra), 'label_type': type(label).__name__,\n"
        "          'python': sys.executable}\n"
        "report = Report(metrics=[Metric('echo', count, labels=labels)])",
        [],
    ),
    ("report", []),
]

# Scans one file and displays the Report: a batch target is the file to scan.
SCAN_CELLS = [("# File or folder to scan\ntarget = '.'", ["parameters"]), ("import nbsec\nnbsec.scan(target)", [])]


def shared_demo(factory: pytest.TempPathFactory) -> Path:
    """`nbsec demo` built once per test session (its models take seconds to train); notebooks only read it."""
    root = factory.getbasetemp() / "shared-nbsec-demo"
    marker = factory.getbasetemp() / "shared-nbsec-demo.built"
    if not marker.exists():
        build_demo(root)
        marker.touch()
    return root


def test_full_assessment_on_the_demo(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, report_schema: dict[str, Any]
) -> None:
    demo = shared_demo(tmp_path_factory)
    out = tmp_path / "out"
    args = ("-p", "workspace", demo, "--output-dir", out, "--format", "json,sarif,html,junit")
    result = invoke("run", "full_assessment", *args)
    assert result.exit_code == 1, result.output  # the demo has findings at or above high
    for name in ("full_assessment.json", "full_assessment.sarif", "full_assessment.html", "full_assessment.xml"):
        assert (out / name).stat().st_size > 0, name
    data = json.loads((out / "full_assessment.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, report_schema)
    rules = {f["rule_id"] for f in data["findings"]}
    assert {"NBSEC-ART-001", "NBSEC-NB-010", "NBSEC-NB-002", "NBSEC-PRIV-001"} <= rules
    # Every capability's section ran on the demo: threat model, lineage (a training file changed since it was
    # recorded), adversarial (robustness below the floor, the planted backdoor, membership leakage).
    assert {"NBSEC-TM-007", "NBSEC-LIN-001", "NBSEC-ADV-001", "NBSEC-ADV-004", "NBSEC-PRIV-002"} <= rules
    assert not data["errors"], data["errors"]
    worst = [m for m in data["metrics"] if m["name"] == "robust_accuracy" and m["labels"].get("attack") == "worst"]
    assert len(worst) == 3  # one per epsilon of the notebook's defaults
    # The robustness charts reach the HTML report (inline SVG; no script, no CDN).
    assert data["figures"] and "<svg" in (out / "full_assessment.html").read_text(encoding="utf-8")
    executed = json.loads((out / "full_assessment.ipynb").read_text(encoding="utf-8"))
    mimes = [set(o.get("data", {})) for c in executed["cells"] for o in c.get("outputs", [])]
    assert sum(PLOTLY_MIME in m for m in mimes) >= 4
    last_code = [c for c in executed["cells"] if c["cell_type"] == "code"][-1]
    assert any(REPORT_MIME_TYPE in o.get("data", {}) for o in last_code["outputs"])
    progress = [line for line in result.stderr.splitlines() if line.startswith("full_assessment: [")]
    code_cells = sum(1 for c in executed["cells"] if c["cell_type"] == "code")
    assert len(progress) == code_cells  # one line per cell, not a flood
    assert f"history full_assessment(workspace={demo}): first recorded run" in result.stderr
    assert f"HTML report: {(out / 'full_assessment.html').resolve()}" in result.stdout


def test_parameters_reach_the_notebook(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "echo.ipynb", ECHO_CELLS)
    params = tmp_path / "params.yaml"
    params.write_text("count: 7\nextra: {eps: [0.1, 0.2]}\nlabel: from-file\n", encoding="utf-8")
    result = invoke("run", nb, "--parameters-file", params, "-p", "label", "2024", "-o", tmp_path / "out", "-q")
    assert result.exit_code == 0, result.output
    assert "echo: [" not in result.stderr  # --quiet: no per-cell lines
    [metric] = json.loads((tmp_path / "out" / "echo.json").read_text())["metrics"][:1]
    assert metric["value"] == 7
    labels = metric["labels"]
    assert {k: labels[k] for k in ("label", "extra", "label_type")} == {
        "label": "2024",
        "extra": '{"eps": [0.1, 0.2]}',
        "label_type": "str",
    }
    assert labels["python"] == sys.executable  # the kernel runs this interpreter, so it sees this nbsec


def test_a_cell_that_raises_is_exit_2_with_the_cell_in_the_report(tmp_path: Path) -> None:
    cells = [
        ("x = 1", ["parameters"]),
        ("import nbsec", []),
        ("y = 2", []),
        ("raise RuntimeError('model missing')", []),
    ]
    nb = write_notebook(tmp_path / "fails.ipynb", [*cells, ("report", [])])
    result = invoke("run", nb, "--output-dir", tmp_path / "out", "--format", "json")
    assert result.exit_code == 2
    [error] = json.loads((tmp_path / "out" / "fails.json").read_text())["errors"]
    assert "cell 4 (index 3, `raise RuntimeError('model missing')`)" in error["message"]
    assert "RuntimeError: model missing" in error["message"]
    executed = json.loads((tmp_path / "out" / "fails.ipynb").read_text())
    assert any(o["output_type"] == "error" for c in executed["cells"] for o in c.get("outputs", []))


def _process_is_gone(pid: int, deadline_s: float = 15.0) -> bool:
    """Whether `pid` has exited (or is a zombie awaiting its parent), polling until the deadline for the kill."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def _hanging_notebook(path: Path, pid_file: Path) -> Path:
    """Cell 1 records the kernel's pid, cell 2 sleeps for 300 s."""
    record = f"import os, time\nwith open({str(pid_file)!r}, 'w') as f:\n    f.write(str(os.getpid()))"
    return write_notebook(path, [(record, []), ("time.sleep(300)", [])])


def test_a_killed_kernel_is_reported_not_waited_for(tmp_path: Path) -> None:
    cells = [("import os, signal", []), ("os.kill(os.getpid(), signal.SIGKILL)", []), ("'never'", [])]
    nb = write_notebook(tmp_path / "dies.ipynb", cells)
    report, execution = run_assessment(nb, tmp_path / "out" / "dies.ipynb", timeout=60, sink=None)
    # Seen as a death, not waited out: a run that sat until its 60 s timeout would end as "timeout".
    assert execution.status == "kernel-died"
    assert "kernel died while running cell 2 (index 1" in report.errors[0].message
    assert (tmp_path / "out" / "dies.ipynb").exists()


def test_a_hanging_cell_is_stopped_by_the_timeouts(tmp_path: Path) -> None:
    # The run's timeout: reported with the cell, and the sleeping kernel is stopped, not left running.
    run_pid = tmp_path / "run.pid"
    nb = _hanging_notebook(tmp_path / "hangs.ipynb", run_pid)
    result = invoke("run", nb, "--output-dir", tmp_path / "out", "--timeout", "5", "--format", "json")
    assert result.exit_code == 2, result.output
    [error] = json.loads((tmp_path / "out" / "hangs.json").read_text())["errors"]
    assert "did not finish within 5 s" in error["message"] and "cell 2 (index 1, `time.sleep(300)`)" in error["message"]
    assert _process_is_gone(int(run_pid.read_text())), "the kernel still sleeps after the run timed out"
    # The per-cell timeout, with a generous run timeout: it is the cell's limit that stops it.
    cell_pid = tmp_path / "cell.pid"
    nb = _hanging_notebook(tmp_path / "hangs-cell.ipynb", cell_pid)
    report, execution = run_assessment(nb, tmp_path / "cell" / "hangs.ipynb", timeout=60, cell_timeout=2, sink=None)
    assert execution.status == "cell-timeout" and "per-cell timeout" in report.errors[0].message
    assert _process_is_gone(int(cell_pid.read_text())), "the kernel still sleeps after the cell timed out"


def _scan_targets(root: Path, count: int) -> list[Path]:
    targets = []
    for n in range(count):
        target = root / f"t{n}.py"
        body = "import pickle\nobj = pickle.load(open('x', 'rb'))\n" if n % 2 else "import json\n"
        target.write_text(body + f"# target {n}\n" + "eval(input())\n" * (n % 3 == 0), encoding="utf-8")
        targets.append(target)
    return targets


def _findings(results: list[Any]) -> dict[str, list[str]]:
    return {r.name: sorted(f["fingerprint"] for f in r.report["findings"]) for r in results}


def test_a_matrix_on_a_dask_cluster_finds_what_the_local_pool_finds(tmp_path: Path) -> None:
    from distributed import LocalCluster

    nb = write_notebook(tmp_path / "scan.ipynb", SCAN_CELLS)
    jobs = [
        Job(f"t{n}", str(nb), {"target": str(path)}, cwd=str(tmp_path), progress=False)
        for n, path in enumerate(_scan_targets(tmp_path, 8))
    ]
    local = run_local(jobs, workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        distributed = run_dask(jobs, cluster.scheduler_address)
    assert [r.name for r in distributed] == [j.name for j in jobs]
    assert all(r.completed for r in local + distributed)
    assert _findings(distributed) == _findings(local)
    planted = sum(n % 2 + (n % 3 == 0) for n in range(8))  # pickle.load in odd targets, eval in every third
    assert sum(map(len, _findings(local).values())) == planted
    assert len({r.worker for r in distributed}) == 2  # both workers took jobs


def test_matrix_cli_writes_every_target_a_summary_and_history(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "scan.ipynb", SCAN_CELLS)
    targets = _scan_targets(tmp_path, 2)
    matrix = tmp_path / "targets.yaml"
    lines = [f"  - {{name: t{n}, target: {json.dumps(str(p))}}}" for n, p in enumerate(targets)]
    matrix.write_text("targets:\n" + "\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "nightly"
    first = invoke("run", nb, "--matrix", matrix, "--workers", "2", "--output-dir", out, "--fail-on", "high")
    assert first.exit_code == 1, first.output  # t1 loads a pickle: high
    summary = json.loads((out / "summary.json").read_text())
    assert [t["name"] for t in summary["targets"]] == ["t0", "t1"]
    for target in summary["targets"]:
        assert (out / target["reports"]["json"]).exists() and (out / target["executed_notebook"]).exists()
        Report.from_json((out / target["reports"]["json"]).read_text())
    html = (out / "summary.html").read_text()
    assert 'href="t1/scan.html"' in html and "Plotly.newPlot" in html
    # Remediate t1, run again: the history says what was fixed.
    targets[1].write_text("import json\n", encoding="utf-8")
    second = invoke("run", nb, "--matrix", matrix, "--workers", "2", "--output-dir", out)
    assert second.exit_code == 0
    rows = {t["name"]: t["history"] for t in json.loads((out / "summary.json").read_text())["targets"]}
    assert rows["t1"]["fixed"] == 1 and rows["t1"]["new"] == 0
    assert rows["t0"]["fixed"] == 0 and rows["t0"]["unchanged"] == 1
    assert "t1: since run" in second.stderr and "1 fixed" in second.stderr
