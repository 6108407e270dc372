"""What the compliance surfaces are given: a JSON report, an answers file, and the name of each report.

A compliance table that does not say which report it maps invites the worst error a compliance view can
make (reading a robustness run as the scan just looked at), so every report arrives as a `ReportSource`:
the Report and where it came from. Errors reading a file name the file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from nbsec.compliance.coverage import describe_run
from nbsec.errors import UsageError
from nbsec.model import Report
from nbsec.safe_input import parse_json, parse_yaml

MAX_INPUT_BYTES = 256 * 1024 * 1024  # a JSON report larger than this is not one nbsec wrote
MAX_ANSWERS_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ReportSource:
    """A Report and where it came from: 'report.json', 'the last report in this kernel (#3, from `...`)'."""

    report: Report
    label: str

    @property
    def title(self) -> str:
        """Where it came from and what it is: kind of run, targets, time."""
        return f"{self.label}: {describe_run(self.report)}"


def report_file(path: str) -> ReportSource:
    """A Report read from a JSON file (or '-' for stdin), named by its path."""
    return ReportSource(read_report(path), "standard input" if path == "-" else path)


def read_report(path: str) -> Report:
    """A Report from a JSON file (or stdin); UsageError naming the file when it is not one."""
    hint = "give the JSON report of a scan: nbsec scan PATH -f json -o report.json"
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the report ({exc.strerror or exc})", hint) from None
    if len(raw) > MAX_INPUT_BYTES:
        raise UsageError(f"{path}: larger than {MAX_INPUT_BYTES // 2**20} MiB; not an nbsec report", hint)
    data = parse_json(raw, source=path, hint=hint, max_bytes=MAX_INPUT_BYTES)  # InputError names the file and line
    if not isinstance(data, dict) or "schema_version" not in data or "findings" not in data:
        raise UsageError(f"{path}: not an nbsec JSON report (no schema_version / findings)", hint)
    try:
        return Report.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(f"{path}: not a valid nbsec report ({type(exc).__name__}: {exc})", hint) from None


def read_answers(path: str) -> dict[str, object]:
    hint = "write one with `nbsec compliance eu-ai-act-tier --template > answers.yaml` and fill it in"
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_ANSWERS_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the answers ({exc.strerror or exc})", hint) from None
    if len(raw) > MAX_ANSWERS_BYTES:
        raise UsageError(f"{path}: larger than 1 MiB; not an answers file", hint)
    data = parse_yaml(raw, source=path, hint=hint, max_bytes=MAX_ANSWERS_BYTES)  # JSON is YAML too
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping of question id to answer", hint)
    return {str(k): v for k, v in data.items()}
