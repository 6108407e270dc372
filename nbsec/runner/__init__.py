"""Headless assessments: run parameterized notebooks with papermill and read their Reports back.

    >>> from pathlib import Path
    >>> from nbsec.runner import run_assessment
    >>> report, execution = run_assessment(                        # doctest: +SKIP
    ...     Path("notebooks/full_assessment.ipynb"), Path("out/full_assessment.ipynb"),
    ...     {"workspace": "nbsec-demo"})

Modules: catalog (shipped notebooks), params (parameters cell, -p/-f values),
execute + child (a watched papermill process), collect (Reports from outputs),
job (one assessment), batch (process pool / Dask), history (SQLite), summary.
Nothing heavy is imported here: papermill runs in the child process only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.runner.batch import load_matrix, run_dask, run_local
    from nbsec.runner.collect import merge_reports, reports_in
    from nbsec.runner.history import RunHistory
    from nbsec.runner.job import Job, JobResult, run_assessment, run_job
    from nbsec.runner.notebooks import resolve_notebook, shipped_notebooks

__all__ = [
    "Job",
    "JobResult",
    "RunHistory",
    "load_matrix",
    "merge_reports",
    "reports_in",
    "resolve_notebook",
    "run_assessment",
    "run_dask",
    "run_job",
    "run_local",
    "shipped_notebooks",
]

_LAZY = {
    "load_matrix": "batch",
    "run_dask": "batch",
    "run_local": "batch",
    "resolve_notebook": "catalog",
    "shipped_notebooks": "catalog",
    "merge_reports": "collect",
    "reports_in": "collect",
    "RunHistory": "history",
    "Job": "job",
    "JobResult": "job",
    "run_assessment": "job",
    "run_job": "job",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nbsec.runner' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{module}"), name)
