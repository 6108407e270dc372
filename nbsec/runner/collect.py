"""Read the Reports back from an executed notebook and turn the run into one Report.

Every output with the MIME type `application/vnd.nbsec.report.v1+json` is a
Report (the convention: the last code cell evaluates to the notebook's Report;
sections may display their own on the way). They are merged without counting
a finding twice. A notebook that failed, timed out, lost its kernel or showed
no Report adds a ScanError naming the cell: an assessment that did not finish
is never reported as clean.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nbsec._version import __version__
from nbsec.errors import InputError
from nbsec.model import REPORT_MIME_TYPE, Check, Metric, Report, ScanError, Target, utc_now_iso
from nbsec.runner.child import first_line
from nbsec.runner.execute import Execution
from nbsec.runner.params import MAX_NOTEBOOK_BYTES
from nbsec.safe_input import parse_json, read_json

RUNNER = "runner"
INJECTED_TAG = "injected-parameters"
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"


def _key(item: Any) -> str:
    return json.dumps(item.to_dict(), sort_keys=True)


def merge_reports(reports: Iterable[Report]) -> Report:
    """One Report from many; an item (finding, check, error, ...) seen in several is kept once.

    Timings keep the longest seen per name: the same scan shown twice must not
    count twice. Findings end in the order every surface lists them (`rule_catalogue.report_order`).
    """
    from nbsec.rule_catalogue import report_order

    merged = Report(tool_version=__version__)
    seen: set[str] = set()
    for report in reports:
        if report.started_at and (not merged.started_at or report.started_at < merged.started_at):
            merged.started_at = report.started_at
        merged.finished_at = max(merged.finished_at, report.finished_at)
        for name in ("findings", "metrics", "targets", "checks", "errors", "suppressed", "figures"):
            bucket = getattr(merged, name)
            for item in getattr(report, name):
                key = f"{name}:{_key(item)}"
                if key not in seen:
                    seen.add(key)
                    bucket.append(item)
        for name, seconds in report.timings.items():
            merged.timings[name] = max(merged.timings.get(name, 0.0), seconds)
        if report.baseline is not None and merged.baseline is None:
            merged.baseline = dict(report.baseline)
    merged.findings = report_order(merged)
    return merged


def reports_in(notebook: dict[str, Any], where: str) -> tuple[list[Report], list[ScanError]]:
    """Every Report displayed in the notebook's outputs; unreadable ones become ScanErrors."""
    reports: list[Report] = []
    errors: list[ScanError] = []
    for index, cell in enumerate(notebook.get("cells", [])):
        for output in cell.get("outputs", []) or []:
            data = output.get("data") if isinstance(output, dict) else None
            if not isinstance(data, dict) or REPORT_MIME_TYPE not in data:
                continue
            payload = data[REPORT_MIME_TYPE]
            try:
                parsed = parse_json(payload, source="its JSON") if isinstance(payload, str) else payload
                reports.append(Report.from_dict(parsed))
            except (KeyError, TypeError, ValueError, AttributeError, InputError) as exc:
                why = exc.message if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
                errors.append(
                    ScanError(
                        RUNNER,
                        where,
                        f"cell {index + 1}: a displayed Report could not be read ({why})",
                        "display the Report object itself (not a copy of its dict), made by the nbsec that runs it",
                    )
                )
    return reports, errors


def _source_cells(original: dict[str, Any]) -> dict[str, int]:
    return {str(c["id"]): i for i, c in enumerate(original.get("cells", [])) if c.get("id")}


def locate_cell(execution: Execution, original: dict[str, Any], executed: dict[str, Any] | None) -> str:
    """'cell 3 (index 2, `raise ValueError(...)`)' in the numbering of the notebook the user wrote."""
    cells = original.get("cells", [])
    run_cells = executed.get("cells", []) if executed is not None else []
    index: int | None = None
    if execution.cell_id is not None:
        index = _source_cells(original).get(str(execution.cell_id))
    if index is None and execution.cell_index is not None and execution.cell_index < len(run_cells):
        tags = set(run_cells[execution.cell_index].get("metadata", {}).get("tags", []))
        if INJECTED_TAG in tags:
            return "the injected parameters cell"
        # No id to go by: discount the cells papermill added before it.
        added = [set(c.get("metadata", {}).get("tags", [])) for c in run_cells[: execution.cell_index]]
        shift = sum(1 for t in added if {INJECTED_TAG, PAPERMILL_ERROR_TAG} & t)
        index = execution.cell_index - shift
    if index is None or not 0 <= index < len(cells):
        return "a cell that could not be identified"
    line = first_line(cells[index].get("source", ""))
    return f"cell {index + 1} (index {index}{f', `{line}`' if line else ''})"


def failure_error(execution: Execution, original: dict[str, Any], executed: dict[str, Any] | None) -> ScanError:
    where = str(execution.notebook)
    cell = locate_cell(execution, original, executed)
    kept = f"the executed notebook {execution.executed_name} keeps the outputs up to the failure"
    if execution.status == "cell-error":
        message = f"{cell} raised {execution.ename}: {execution.evalue}"
        hint = f"{kept} and the traceback; fix the cell or the parameters and run again"
    elif execution.status == "cell-timeout":
        message = f"{cell} did not finish within the per-cell timeout"
        hint = f"{kept}; raise --cell-timeout if the cell is just slow"
    elif execution.status == "kernel-died":
        message = f"the kernel died while running {cell} (killed, out of memory, or crashed)"
        hint = f"{kept}; check the machine's memory and the kernel's log, then run again"
    elif execution.status == "timeout":
        message = f"the run did not finish within {execution.timeout:g} s; it was stopped while running {cell}"
        hint = f"{kept}; raise --timeout if the assessment is just slow, or look for a cell that hangs"
    else:
        message = f"the notebook could not be run: {execution.message or execution.status}"
        hint = f"check the kernel (--kernel, `jupyter kernelspec list`) and the notebook; {kept}"
    return ScanError(RUNNER, where, message, hint)


def _read(path: Path) -> dict[str, Any] | None:
    try:  # the executed notebook holds whatever the notebook's code printed: bounded like any input
        data = read_json(path, what="executed notebook", max_bytes=MAX_NOTEBOOK_BYTES)
    except InputError:
        return None
    return data if isinstance(data, dict) else None


def run_report(execution: Execution, original: dict[str, Any]) -> Report:
    """The merged Report of one notebook run, with the run itself as a target, a check and a metric."""
    executed = _read(execution.executed)
    where = str(execution.notebook)
    reports, read_errors = reports_in(executed, where) if executed is not None else ([], [])
    report = merge_reports(reports)
    report.errors.extend(read_errors)
    failed = not execution.ok
    if failed:
        report.errors.append(failure_error(execution, original, executed))
    elif not reports:
        report.errors.append(
            ScanError(
                RUNNER,
                where,
                "the notebook ran but displayed no nbsec Report, so nothing it checked can be reported",
                "end the notebook with a cell whose last line is the Report (e.g. `report`)",
            )
        )
    detail = f"{execution.status} in {execution.seconds:.1f} s; executed notebook {execution.executed_name}"
    report.targets.append(Target(where, "notebook-run", "error" if failed else "scanned", detail))
    report.checks.append(Check(RUNNER, where, "error" if failed or not reports else "passed", detail))
    report.metrics.append(Metric("notebook_run_seconds", round(execution.seconds, 3), "s", {"notebook": where}))
    report.timings["notebook"] = execution.seconds
    if not report.started_at:
        report.started_at = utc_now_iso()
    report.finished_at = report.finished_at or utc_now_iso()
    return report


def notebook_failed(report: Report) -> bool:
    """True when the runner itself recorded an error: the notebook did not complete or showed no Report."""
    return any(e.scanner == RUNNER for e in report.errors)
