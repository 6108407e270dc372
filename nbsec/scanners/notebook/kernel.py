"""Scan a live kernel when the notebook file is not at hand: `%aisec scan --kernel`.

Looks at the user namespace (strings that are secrets, DataFrames with personal data,
models loaded from pickle), the kernel's environment variables that hold credentials,
and the session's input history (unsafe code and secrets typed into cells). Nothing is
called on user objects beyond reading strings, column names and a bounded sample of cells.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from nbsec._version import __version__
from nbsec.model import Check, Finding, Location, Report, Severity, Suppressed, Target, utc_now_iso
from nbsec.scanners.notebook import code_finding
from nbsec.scanners.notebook.analysis import Analyzer, ParseFailure
from nbsec.scanners.notebook.content import scan_part
from nbsec.scanners.notebook.content_rules import SECRET_IN_OUTPUT
from nbsec.scanners.notebook.parts import TextPart
from nbsec.scanners.notebook.reader import CodeUnit

KERNEL = "kernel"
SKIP_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython", "open"})
SECRET_ENV_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH")
MAX_STRING = 1024 * 1024
MAX_ROWS = 200  # DataFrame rows sampled per column: enough to see PII, bounded on big frames
MAX_COLUMNS = 200


def scan_kernel(
    user_ns: Mapping[str, Any],
    *,
    history: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
) -> Report:
    """A Report about the running kernel's variables, environment and input history."""
    started = time.perf_counter()
    report = Report(tool_version=__version__, started_at=utc_now_iso())
    results: list[Finding | Suppressed] = []
    results += _namespace(user_ns)
    results += _environment(os.environ if environ is None else environ)
    results += _history(history, report)
    for item in results:
        (report.findings if isinstance(item, Finding) else report.suppressed).append(item)  # type: ignore[arg-type]
    report.targets.append(Target(f"{KERNEL}:namespace", "kernel", "scanned", f"{len(user_ns)} names"))
    report.targets.append(Target(f"{KERNEL}:history", "kernel", "scanned", f"{len(history)} inputs"))
    status = "failed" if report.findings else "passed"
    report.checks.append(Check("notebook-content", KERNEL, status, f"{len(report.findings)} finding(s)"))
    report.timings["kernel"] = time.perf_counter() - started
    report.finished_at = utc_now_iso()
    return report


def _namespace(user_ns: Mapping[str, Any]) -> Iterator[Finding | Suppressed]:
    for name, value in list(user_ns.items()):
        if name.startswith("_") or name in SKIP_NAMES:
            continue
        if isinstance(value, str):
            part = TextPart("kernel-variable", value[:MAX_STRING], element=f"variable {name}")
            yield from scan_part(f"{KERNEL}:{name}", part, with_pii=True)
        elif _is_dataframe(value):
            yield from _dataframe(name, value)
        elif isinstance(value, Mapping):
            for key, item in list(value.items())[:1000]:
                if isinstance(item, str):
                    part = TextPart("kernel-variable", item[:MAX_STRING], element=f"variable {name}[{key!r}]")
                    yield from scan_part(f"{KERNEL}:{name}", part, with_pii=False)


def _is_dataframe(value: Any) -> bool:
    kind = type(value)
    return kind.__name__ == "DataFrame" and kind.__module__.startswith("pandas")


def _dataframe(name: str, frame: Any) -> Iterator[Finding | Suppressed]:
    try:
        columns = list(frame.columns)[:MAX_COLUMNS]
        sample = frame.head(MAX_ROWS)
    except Exception:  # noqa: BLE001 - a user object may misbehave; skip it rather than fail the scan
        return
    for column in columns:
        try:
            cells = [str(v) for v in sample[column].tolist()]
        except Exception:  # noqa: BLE001
            continue
        text = "\n".join(cells)
        part = TextPart("output-html", text, column=str(column), element=f"DataFrame {name}, column {column}")
        yield from scan_part(f"{KERNEL}:{name}", part, with_pii=True)


def _environment(environ: Mapping[str, str]) -> Iterator[Finding]:
    """Credentials in the kernel's environment: fine to keep there, dangerous to print."""
    for key in sorted(environ):
        value = environ[key]
        if len(value) < 12 or not any(word in key.upper() for word in SECRET_ENV_WORDS):
            continue
        from nbsec.redact import redact

        yield SECRET_IN_OUTPUT.finding(
            Location(path=f"{KERNEL}:env", element=f"environment variable {key}"),
            f"environment variable {key} holds a credential ({redact(value)}); any cell that prints "
            "os.environ or a config object writes it into the notebook",
            severity=Severity.LOW,
            remediation="Keep it in the environment, but never print os.environ or objects that carry it.",
        )


def _history(history: Sequence[str], report: Report) -> Iterator[Finding | Suppressed]:
    analyzer = Analyzer()
    for number, source in enumerate(history, start=1):
        if not source.strip():
            continue
        display = f"{KERNEL}:history"
        part = TextPart("code", source, execution_count=number, element=f"input [{number}]")
        yield from scan_part(display, part, with_pii=False)
        for item in analyzer.analyze(CodeUnit(source=source, execution_count=number)):
            if not isinstance(item, ParseFailure):
                yield code_finding(display, item)
