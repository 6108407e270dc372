"""The scanning loop: files resolved, each one read by every scanner that applies, crashes contained.

`nbsec.api.scan` builds a Report with it and then applies the config's policy and the baseline
(`finish`); a producer that must see every finding whatever the project's config says (the gate
before a model file is loaded, `nbsec.adversarial.loading`) calls `scan_files` with the built-in
`Config()` directly. One loop, so both see the same scanners, the same errors and the same checks.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

from nbsec.config import Config
from nbsec.errors import UsageError
from nbsec.model import Check, Finding, Metric, Report, ScanError, Suppressed, Target
from nbsec.scanners.base import Note, Scanner, SecretValue
from nbsec.scanners.loader import plugin_errors, registry, scanners_for
from nbsec.targets import FileTarget, resolve_targets

PathLike = str | os.PathLike[str]
Progress = Callable[[int, int, str], None]


def scan_files(
    paths: Sequence[PathLike],
    cfg: Config,
    report: Report,
    progress: Progress | None = None,
    started: float | None = None,
) -> None:
    """Resolve `paths` into files, run every scanner that reads each one, and add what they found to `report`:
    findings, suppressed findings, errors (a crashed scanner is one), a Target and a Check per file and scanner,
    and the metrics. Applies no policy or baseline (that is `nbsec.api.finish`)."""
    started = time.perf_counter() if started is None else started
    files = resolve_targets(paths, cfg)
    scanners = select_scanners(cfg, {f.kind for f in files})
    report.timings["resolve"] = time.perf_counter() - started
    report.errors.extend(plugin_errors())
    run_scanners(files, scanners, report, progress, digests=bool(cfg.baseline))
    _flag_nothing_scanned(paths, files, report)
    _add_metrics(report, files, time.perf_counter() - started)


def select_scanners(cfg: Config, kinds: set[str] | None = None) -> list[Scanner]:
    """Scanners to run: all that read these `kinds` of file (None: any), or those named in `only`
    (a rule id selects the scanner that owns it). Scanners for kinds not present are not even imported."""
    if not cfg.only:
        return [cls(cfg) for cls in scanners_for(kinds).values()]
    available = registry()
    chosen: dict[str, type[Scanner]] = {}
    for item in cfg.only:
        if item in available:
            chosen[item] = available[item]
        elif item.upper().startswith("NBSEC-"):
            prefix = item.upper()
            owners = {n: c for n, c in available.items() if any(r.id.startswith(prefix) for r in c.rules)}
            if not owners:
                raise UsageError(f"--only {item}: no rule matches", "list the rules with `nbsec rules`")
            chosen.update(owners)
        else:
            names = ", ".join(sorted(available))
            raise UsageError(f"--only {item}: unknown scanner", f"choose from: {names}, or a rule id like NBSEC-NB-001")
    return [cls(cfg) for cls in chosen.values()]


def run_scanners(
    files: list[FileTarget],
    scanners: list[Scanner],
    report: Report,
    progress: Progress | None,
    *,
    digests: bool = False,
) -> None:
    """Every applicable scanner on each file; then one redaction pass over all of that file's findings.
    `digests`: keep the SHA-1 of each secret finding's value in memory (`Report.secret_sha1`), for a
    baseline imported from detect-secrets."""
    for done, file in enumerate(files, start=1):
        applicable = [s for s in scanners if s.applies_to(file)]
        if not applicable:
            report.targets.append(Target(file.display, file.kind, "skipped", "no scanner for this file type"))
        else:
            status = "scanned"
            first_finding, first_suppressed = len(report.findings), len(report.suppressed)
            secrets: list[SecretValue] = []
            for scanner in applicable:
                if not run_one(scanner, file, report, secrets):
                    status = "error"
            _redact_file(report, first_finding, first_suppressed, secrets, digests)
            report.targets.append(Target(file.display, file.kind, status))
        if progress is not None:
            progress(done, len(files), file.display)


def _redact_file(report: Report, first: int, first_suppressed: int, secrets: list[SecretValue], digests: bool) -> None:
    """Redact every finding of one file against every secret found in it (see nbsec.scanners.redaction)."""
    if len(report.findings) == first and len(report.suppressed) == first_suppressed:
        return
    from nbsec.scanners.redaction import redact_items  # only files with findings pay for the detectors

    findings, suppressed = report.findings[first:], report.suppressed[first_suppressed:]
    moved = redact_items(findings, suppressed, [s.value for s in secrets])
    if moved:
        report.findings[first:], report.suppressed[first_suppressed:] = findings, suppressed
    if digests:
        from nbsec.baseline_detect_secrets import secret_digests

        for secret in secrets:
            if secret.fingerprint:
                key = moved.get(secret.fingerprint, secret.fingerprint)
                report.secret_sha1[key] = report.secret_sha1.get(key, frozenset()) | secret_digests(secret.value)


def run_one(scanner: Scanner, file: FileTarget, report: Report, secrets: list[SecretValue] | None = None) -> bool:
    """Run one scanner on one file; a crash becomes a ScanError. Returns False on error.
    The secret values it reports go to `secrets` (for the file's redaction pass), never into the report."""
    t0 = time.perf_counter()
    found: list[Finding] = []
    notes: list[str] = []
    errors_before = len(report.errors)
    try:
        for item in scanner.scan(file):
            if isinstance(item, Finding):
                found.append(item)
            elif isinstance(item, Suppressed):
                report.suppressed.append(item)
            elif isinstance(item, ScanError):
                report.errors.append(item)
            elif isinstance(item, Note):
                notes.append(item.text)
            elif isinstance(item, SecretValue) and secrets is not None:
                secrets.append(item)
    except Exception as exc:  # noqa: BLE001 - a scanner bug must not end the scan
        report.errors.append(
            ScanError(
                scanner.name,
                file.display,
                f"scanner crashed: {type(exc).__name__}: {exc}",
                "this is a bug in the scanner; please report it with the file type (not its content)",
            )
        )
    finally:
        report.timings[scanner.name] = report.timings.get(scanner.name, 0.0) + time.perf_counter() - t0
    report.findings.extend(found)
    failed = len(report.errors) > errors_before
    status = "error" if failed else ("failed" if found else "passed")
    detail = "; ".join(notes + ([f"{len(found)} finding(s)"] if found else []))
    report.checks.append(Check(scanner.name, file.display, status, detail))
    return not failed


def _flag_nothing_scanned(paths: Sequence[PathLike], files: list[FileTarget], report: Report) -> None:
    """A folder with nothing nbsec can read is not "clean": say so as an error."""
    if any(t.status != "skipped" for t in report.targets):
        return
    where = ", ".join(str(p) for p in paths)
    kinds = sorted({f.kind for f in files})
    detail = f"{len(files)} file(s) of kind {', '.join(kinds)} skipped" if files else "no files found"
    report.errors.append(
        ScanError(
            "nbsec",
            where,
            f"nothing scannable: {detail}",
            "point nbsec at notebooks, Python files or model files (pickle, torch, joblib, numpy, "
            "safetensors, GGUF, ONNX, Keras, SavedModel, archives); `nbsec scan --help` lists them",
        )
    )


def _add_metrics(report: Report, files: list[FileTarget], seconds: float) -> None:
    scanned_paths = {t.path for t in report.targets if t.status != "skipped"}
    scanned = [f for f in files if f.display in scanned_paths]
    report.metrics.append(Metric("files_scanned", len(scanned), "files"))
    report.metrics.append(Metric("bytes_scanned", sum(f.size for f in scanned), "bytes"))
    if seconds > 0:
        report.metrics.append(Metric("scan_throughput", round(len(scanned) / seconds, 3), "files/s"))
