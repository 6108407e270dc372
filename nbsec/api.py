"""`nbsec.scan`: the one entry point. A readable pipeline of small steps.

paths -> config -> files -> scanners -> findings/errors -> policy -> baseline -> Report
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from nbsec._version import __version__
from nbsec.baseline import apply_baseline
from nbsec.config import Config, apply_policy, load_config, with_overrides
from nbsec.errors import UsageError
from nbsec.model import Check, Finding, Metric, Report, ScanError, Suppressed, Target, utc_now_iso
from nbsec.scanners.base import Note, Scanner, plugin_errors, registry
from nbsec.targets import FileTarget, resolve_targets

PathLike = str | os.PathLike[str]
Progress = Callable[[int, int, str], None]


def scan(
    target: PathLike | Iterable[PathLike],
    *,
    only: str | Iterable[str] | None = None,
    config: Config | Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> Report:
    """Scan files or folders and return one Report.

    `only` limits the scan to scanner names or rule ids/prefixes
    (`only="NBSEC-NB-001"`). `config` is a Config, or a mapping of settings
    that override the file and environment (`{"fail_on": "medium"}`).
    `progress(done, total, path)` is called after each file.
    Raises UsageError/ConfigError for a missing path or a bad setting; a file
    that cannot be scanned becomes an entry in `report.errors`.
    """
    started = time.perf_counter()
    paths = _as_paths(target)
    cfg = _build_config(paths, only, config)
    report = Report(tool_version=__version__, started_at=utc_now_iso())
    scanners = select_scanners(cfg)
    files = resolve_targets(paths, cfg)
    report.timings["resolve"] = time.perf_counter() - started
    report.errors.extend(plugin_errors())
    _run_scanners(files, scanners, report, progress)
    _flag_nothing_scanned(paths, files, report)
    _apply_policy(report, cfg)
    if cfg.baseline:
        apply_baseline(report, cfg.baseline)
    _add_metrics(report, files, time.perf_counter() - started)
    report.timings["total"] = time.perf_counter() - started
    report.finished_at = utc_now_iso()
    return report


def _as_paths(target: PathLike | Iterable[PathLike]) -> list[PathLike]:
    if isinstance(target, (str, os.PathLike)):
        return [target]
    paths = list(target)
    if not paths:
        raise UsageError("nothing to scan: no path given", "pass a file or folder, e.g. `nbsec scan notebooks/`")
    return paths


def _build_config(
    paths: list[PathLike], only: str | Iterable[str] | None, config: Config | Mapping[str, Any] | None
) -> Config:
    cfg = config if isinstance(config, Config) else load_config(paths[0], config)
    if only is not None:
        cfg = with_overrides(cfg, {"only": [only] if isinstance(only, str) else list(only)})
    return cfg


def select_scanners(cfg: Config) -> list[Scanner]:
    """Scanners to run: all, or those named in `only` (a rule id selects the scanner that owns it)."""
    available = registry()
    if not cfg.only:
        return [cls(cfg) for cls in available.values()]
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


def _run_scanners(files: list[FileTarget], scanners: list[Scanner], report: Report, progress: Progress | None) -> None:
    for done, file in enumerate(files, start=1):
        applicable = [s for s in scanners if s.applies_to(file)]
        if not applicable:
            report.targets.append(Target(file.display, file.kind, "skipped", "no scanner for this file type"))
        else:
            status = "scanned"
            for scanner in applicable:
                if not _run_one(scanner, file, report):
                    status = "error"
            report.targets.append(Target(file.display, file.kind, status))
        if progress is not None:
            progress(done, len(files), file.display)


def _run_one(scanner: Scanner, file: FileTarget, report: Report) -> bool:
    """Run one scanner on one file; a crash becomes a ScanError. Returns False on error."""
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


def _flag_nothing_scanned(paths: list[PathLike], files: list[FileTarget], report: Report) -> None:
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


def _apply_policy(report: Report, cfg: Config) -> None:
    """Config-level include/exclude and the severity threshold: kept in `suppressed`, not lost."""
    report.findings, dropped = apply_policy(report.findings, cfg)
    report.suppressed.extend(dropped)


def _add_metrics(report: Report, files: list[FileTarget], seconds: float) -> None:
    scanned = [f for f, t in zip(files, report.targets, strict=True) if t.status != "skipped"]
    total_bytes = sum(f.size for f in scanned)
    report.metrics.append(Metric("files_scanned", len(scanned), "files"))
    report.metrics.append(Metric("bytes_scanned", total_bytes, "bytes"))
    if seconds > 0:
        report.metrics.append(Metric("scan_throughput", round(len(scanned) / seconds, 3), "files/s"))


def scan_kernel(
    user_ns: Mapping[str, Any], *, history: Iterable[str] = (), environ: Mapping[str, str] | None = None
) -> Report:
    """Scan a live kernel: variables, DataFrames, credential environment variables, input history."""
    from nbsec.scanners.notebook.kernel import scan_kernel as scan_live_kernel

    return scan_live_kernel(user_ns, history=list(history), environ=environ)


def scan_environment(*, site_packages: str | os.PathLike[str] | None = None) -> Report:
    """Installed packages of this interpreter (or of `site_packages`) against the offline advisories."""
    from pathlib import Path

    from nbsec.supply_chain import scan_environment as scan_installed

    return scan_installed(site_packages=Path(site_packages) if site_packages is not None else None)
