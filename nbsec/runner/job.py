"""One assessment = one notebook run with its parameters, into one Report.

`run_assessment` runs in place (the executed notebook is written where the
caller wants it, as it runs). `run_job` is the same for batches: picklable in
and out, executed in a temporary folder on whichever worker (process pool or
Dask) picks it up, with the executed notebook and the Report sent back, so a
remote worker needs no shared disk for the outputs (it does need the inputs).
"""

from __future__ import annotations

import os
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbsec.model import Report
from nbsec.runner.collect import run_report
from nbsec.runner.execute import DEFAULT_TIMEOUT_S, Execution, LineSink, _stderr_sink, run_notebook
from nbsec.runner.params import read_notebook_json


def run_assessment(
    notebook: Path,
    executed: Path,
    parameters: dict[str, Any] | None = None,
    *,
    kernel: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    cell_timeout: float | None = None,
    cwd: Path | None = None,
    label: str | None = None,
    sink: LineSink | None = _stderr_sink,
    shown_as: str = "",
) -> tuple[Report, Execution]:
    """Run `notebook` into `executed` and return its merged Report and how the run went.

    `shown_as` names the executed notebook in the Report when the caller moves it afterwards.
    """
    original = read_notebook_json(notebook)
    execution = run_notebook(
        notebook,
        executed,
        parameters,
        kernel=kernel,
        timeout=timeout,
        cell_timeout=cell_timeout,
        cwd=cwd,
        label=label,
        sink=sink,
    )
    execution.shown_as = shown_as
    return run_report(execution, original), execution


@dataclass(frozen=True)
class Job:
    """One target of a batch: which notebook, with which parameters, under which name."""

    name: str
    notebook: str
    parameters: dict[str, Any] = field(default_factory=dict)
    kernel: str | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    cell_timeout: float | None = None
    cwd: str | None = None
    progress: bool = True


@dataclass(frozen=True)
class JobResult:
    """What a worker sends back: the Report (as a dict), the executed notebook's text, how it went."""

    name: str
    report: dict[str, Any]
    executed_notebook: str
    status: str
    seconds: float
    worker: str

    @property
    def completed(self) -> bool:
        return self.status == "completed"


def run_job(job: Job) -> JobResult:
    """Run one batch job on this machine; never raises for a notebook problem (it is in the Report)."""
    notebook = Path(job.notebook)
    with tempfile.TemporaryDirectory(prefix="nbsec-job-") as tmp:
        executed = Path(tmp) / f"{notebook.stem}.ipynb"
        report, execution = run_assessment(
            notebook,
            executed,
            job.parameters,
            kernel=job.kernel,
            timeout=job.timeout,
            cell_timeout=job.cell_timeout,
            cwd=Path(job.cwd) if job.cwd else None,
            label=job.name,
            sink=_stderr_sink if job.progress else None,
            shown_as=str(Path(job.name) / f"{notebook.stem}.ipynb"),
        )
        text = executed.read_text(encoding="utf-8") if executed.exists() else ""
    return JobResult(
        job.name,
        report.to_dict(),
        text,
        execution.status,
        execution.seconds,
        f"{socket.gethostname()}:{os.getpid()}",
    )
