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
from dataclasses import dataclass
from typing import Any

from nbsec.model import Check, Finding, Location, Report, ScanError, Severity, Suppressed, Target
from nbsec.scanners.base import SecretValue
from nbsec.scanners.notebook import code_finding
from nbsec.scanners.notebook.analysis import Analyzer, ParseFailure
from nbsec.scanners.notebook.content import scan_part
from nbsec.scanners.notebook.content_rules import SECRET_IN_OUTPUT
from nbsec.scanners.notebook.parts import TextPart
from nbsec.scanners.notebook.reader import CodeUnit
from nbsec.scanners.redaction import redact_items

KERNEL = "kernel"
SKIP_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython", "open"})
SECRET_ENV_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH")
MAX_STRING = 1024 * 1024
MAX_ROWS = 200  # DataFrame rows sampled per column: enough to see PII, bounded on big frames
MAX_COLUMNS = 200


@dataclass(frozen=True)
class KernelState:
    """What `%aisec scan --kernel` looks at: the user namespace, the input history, the environment."""

    user_ns: Mapping[str, Any]
    history: Sequence[str] = ()
    environ: Mapping[str, str] | None = None  # None: this process's os.environ


def scan_kernel(state: KernelState, report: Report) -> None:
    """Add the findings about a running kernel's variables, environment and history to `report`.

    `nbsec.api.scan(kernel=...)` calls this and then applies the config policy and the baseline.
    What could not be looked at (a DataFrame whose columns cannot be read) is a ScanError, never
    skipped quietly: "clean" must mean "looked at and nothing found".
    """
    started = time.perf_counter()
    found_before = len(report.findings)
    errors: list[ScanError] = []
    results: list[Finding | Suppressed | SecretValue] = []
    results += _namespace(state.user_ns, errors)
    results += _environment(os.environ if state.environ is None else state.environ)
    results += _history(state.history)
    findings = [item for item in results if isinstance(item, Finding)]
    suppressed = [item for item in results if isinstance(item, Suppressed)]
    # A history input's `pickle.load` line may hold a token too: its finding quotes the line.
    redact_items(findings, suppressed, [item.value for item in results if isinstance(item, SecretValue)])
    report.findings.extend(findings)
    report.suppressed.extend(suppressed)
    report.errors.extend(errors)
    report.targets.append(Target(f"{KERNEL}:namespace", "kernel", "error" if errors else "scanned",
                                 f"{len(state.user_ns)} names"))  # fmt: skip
    report.targets.append(Target(f"{KERNEL}:history", "kernel", "scanned", f"{len(state.history)} inputs"))
    found = len(report.findings) - found_before
    status = "error" if errors else ("failed" if found else "passed")
    report.checks.append(Check("notebook-content", KERNEL, status, f"{found} finding(s)"))
    report.timings["kernel"] = report.timings.get("kernel", 0.0) + time.perf_counter() - started


def _namespace(user_ns: Mapping[str, Any], errors: list[ScanError]) -> Iterator[Finding | Suppressed | SecretValue]:
    for name, value in list(user_ns.items()):
        if name.startswith("_") or name in SKIP_NAMES:
            continue
        if isinstance(value, str):
            part = TextPart("kernel-variable", value[:MAX_STRING], element=f"variable {name}")
            yield from scan_part(f"{KERNEL}:{name}", part, with_pii=True)
        elif _is_dataframe(value):
            yield from _dataframe(name, value, errors)
        elif isinstance(value, Mapping):
            for key, item in list(value.items())[:1000]:
                if isinstance(item, str):
                    part = TextPart("kernel-variable", item[:MAX_STRING], element=f"variable {name}[{key!r}]")
                    yield from scan_part(f"{KERNEL}:{name}", part, with_pii=False)


def _is_dataframe(value: Any) -> bool:
    kind = type(value)
    return kind.__name__ == "DataFrame" and kind.__module__.startswith("pandas")


def _dataframe(name: str, frame: Any, errors: list[ScanError]) -> Iterator[Finding | Suppressed | SecretValue]:
    target = f"{KERNEL}:{name}"
    try:
        columns = list(frame.columns)[:MAX_COLUMNS]
        sample = frame.head(MAX_ROWS)
    except Exception as exc:  # noqa: BLE001 - a user object may misbehave: say so, and go on with the rest
        errors.append(_not_read(target, f"DataFrame {name}", exc))
        return
    for column in columns:
        try:
            cells = [str(v) for v in sample[column].tolist()]
        except Exception as exc:  # noqa: BLE001 - one bad column must not hide the others
            errors.append(_not_read(target, f"DataFrame {name}, column {column!r}", exc))
            continue
        text = "\n".join(cells)
        part = TextPart("output-html", text, column=str(column), element=f"DataFrame {name}, column {column}")
        yield from scan_part(f"{KERNEL}:{name}", part, with_pii=True)


def _not_read(target: str, what: str, exc: Exception) -> ScanError:
    return ScanError(
        "notebook-content",
        target,
        f"{what} could not be read ({type(exc).__name__}: {exc}); it was not checked for secrets or personal data",
        "convert it to a plain pandas DataFrame (e.g. df.astype(str)) and scan again",
    )


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


def _history(history: Sequence[str]) -> Iterator[Finding | Suppressed | SecretValue]:
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
