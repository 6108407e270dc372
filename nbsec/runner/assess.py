"""Building blocks the assessment notebooks call: one Report per step, and the plots they show.

Kept here rather than pasted into each notebook so that the notebooks read as
narrative, the steps are unit-tested, and full_assessment runs exactly what
the single-topic notebooks run. A step that could not look at something says
so in its Report (a skipped check or an error), never by staying silent.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from nbsec._version import __version__
from nbsec.model import Check, Report, ScanError, Severity, Target, utc_now_iso
from nbsec.theme import SEVERITY_COLORS

PathLike = str | os.PathLike[str]

ARTIFACT_SCANNERS = ("model-artifacts",)
NOTEBOOK_SCANNERS = ("notebook-code", "notebook-content")
DEPENDENCY_SCANNER = "dependencies"
SEVERITY_ORDER = [s.value for s in sorted(Severity, key=lambda s: -s.rank)]


def _report() -> Report:
    return Report(tool_version=__version__, started_at=utc_now_iso())


def _done(report: Report) -> Report:
    report.finished_at = utc_now_iso()
    return report


def resolve_paths(workspace: PathLike, paths: Iterable[PathLike], step: str) -> tuple[list[Path], Report]:
    """Paths under `workspace` that exist, and a Report whose checks say which were skipped as missing."""
    root = Path(workspace)
    report = _report()
    if not root.is_dir():
        report.errors.append(
            ScanError(
                step,
                str(root),
                "workspace folder not found",
                "set the `workspace` parameter (`nbsec demo DIR` builds the demo workspace)",
            )
        )
        return [], _done(report)
    found: list[Path] = []
    for item in paths:
        path = root / item
        if path.exists():
            found.append(path)
        else:
            report.checks.append(Check(step, str(path), "skipped", "not present in this workspace"))
    return found, _done(report)


def scan_step(workspace: PathLike, paths: Sequence[PathLike], scanners: Sequence[str], step: str) -> Report:
    """nbsec.scan over the existing `paths` (relative to `workspace`) with only `scanners`."""
    from nbsec.api import scan
    from nbsec.model import Report as _Report

    found, skipped = resolve_paths(workspace, paths, step)
    if not found:
        if not skipped.errors:
            where = ", ".join(str(Path(workspace) / p) for p in paths) or str(workspace)
            skipped.errors.append(
                ScanError(step, where, "none of the paths exist, so nothing was checked", "check the parameters")
            )
        return skipped
    return _Report.merge([scan(found, only=list(scanners)), skipped])


def verify_step(workspace: PathLike, manifest: str, target: str, public_key: str = "") -> Report:
    """Verify `target` (relative to workspace) against `manifest`; a skipped check when no manifest is set."""
    from nbsec.api import verify_manifest
    from nbsec.errors import NbsecError

    root = Path(workspace)
    if not manifest:
        report = _report()
        report.checks.append(
            Check(
                "integrity",
                str(root / target),
                "skipped",
                "no manifest given: pin the files with `nbsec manifest create` and set the `manifest` parameter",
            )
        )
        return _done(report)
    try:
        key = root / public_key if public_key else None
        return verify_manifest(root / target, root / manifest, public_key=key)
    except NbsecError as exc:
        report = _report()
        report.targets.append(Target(str(root / target), "folder", "error"))
        report.errors.append(ScanError("integrity", str(root / manifest), exc.message, exc.hint))
        return _done(report)


def _unavailable(step: str, target: Path, detail: str) -> Report:
    report = _report()
    report.checks.append(Check(step, str(target), "skipped", detail))
    return _done(report)


def _failed(step: str, target: Path, exc: Exception) -> Report:
    from nbsec.errors import NbsecError

    report = _report()
    report.targets.append(Target(str(target), step, "error"))
    if isinstance(exc, NbsecError):
        report.errors.append(ScanError(step, str(target), exc.message, exc.hint))
    else:
        report.errors.append(ScanError(step, str(target), f"{type(exc).__name__}: {exc}", "check the parameters"))
    return _done(report)


def lineage_step(workspace: PathLike, store: str, public_key: str = "") -> Report:
    """Verify the lineage store's hash chain and re-hash its artifacts; a skipped check when there is no store."""
    from nbsec.api import verify_lineage

    path = Path(workspace) / store
    if not path.is_file():
        return _unavailable("lineage", path, "no lineage store: record steps with `nbsec.lineage.step(...)`")
    try:
        key = Path(workspace) / public_key if public_key else None
        return verify_lineage(path, public_key=key)
    except Exception as exc:  # noqa: BLE001 - a store that cannot be read is an error in the Report, not a crash
        return _failed("lineage", path, exc)


def adversarial_steps(
    workspace: PathLike,
    model_path: str,
    data_path: str,
    *,
    epsilons: Sequence[float],
    n_samples: int | None,
    steps: int,
    queries: int,
    floor: float,
    backdoor_model_path: str = "",
    overfit_model_path: str = "",
) -> dict[str, Report]:
    """Robustness of `model_path`; backdoor screening and membership inference of the other demo models if given.

    The models are state dicts of nbsec's demo CNN (`nbsec demo`), loaded with weights_only=True.
    Without torch, or without the files, each part is a skipped check that says why.
    """
    root = Path(workspace)
    model_file, data_file = root / model_path, root / data_path
    try:
        import torch  # noqa: F401
    except ImportError:
        return {
            "robustness": _unavailable("adversarial", model_file, "torch is not installed: pip install 'nbsec[torch]'")
        }
    if not (model_file.is_file() and data_file.is_file()):
        missing = model_file if not model_file.is_file() else data_file
        return {"robustness": _unavailable("adversarial", missing, "not present in this workspace")}
    from nbsec.adversarial import load_demo_model
    from nbsec.adversarial.demo_models import load_demo_data
    from nbsec.api import configure, detect_backdoor, evaluate_robustness, membership_inference

    out: dict[str, Report] = {}
    cfg = configure(root)
    try:
        data = load_demo_data(data_file)
        out["robustness"] = evaluate_robustness(
            load_demo_model(model_file),
            data["x_test"],
            data["y_test"],
            epsilons=tuple(epsilons),
            n_samples=n_samples,
            steps=steps,
            queries=queries,
            floor=floor,
            name=model_path,
            progress=False,
            config=cfg,
        )
        if backdoor_model_path and (root / backdoor_model_path).is_file():
            out["backdoor"] = detect_backdoor(
                load_demo_model(root / backdoor_model_path),
                data["x_train_poisoned"],
                data["y_train_poisoned"],
                name=backdoor_model_path,
                config=cfg,
            )
        if overfit_model_path and (root / overfit_model_path).is_file():
            members = data["overfit_members"]
            out["membership"] = membership_inference(
                load_demo_model(root / overfit_model_path),
                (data["x_train"][members], data["y_train"][members]),
                (data["x_test"], data["y_test"]),
                name=overfit_model_path,
                config=cfg,
            )
    except Exception as exc:  # noqa: BLE001 - a model that cannot be assessed is an error in the Report
        out["error"] = _failed("adversarial", model_file, exc)
    return out


def llm_step(
    workspace: PathLike,
    target: str,
    *,
    probes: Sequence[str] = (),
    attempts: int = 5,
    seed: int = 0,
    canaries: Sequence[str] = (),
    restricted: Sequence[str] = (),
    known_prompt: str = "",
    system_prompt: str = "",
    allowed_hosts: Sequence[str] = (),
    model: str = "",
    api_key_env: str = "",
) -> Report:
    """Probe the LLM app `target` ("demo", "demo-hardened", a URL or module:callable); "" is a skipped check.

    `known_prompt` and `system_prompt` are files relative to `workspace`. A target that cannot be reached, or a
    prompt file that is missing, is an error in the Report, never a pass.
    """
    root = Path(workspace)
    if not target:
        return _unavailable("llm", root, "no LLM target given: set llm_target (demo, a URL or module:callable)")
    from nbsec.api import configure, probe_llm
    from nbsec.llm.types import ProbeContext

    def text(name: str) -> str | None:
        return (root / name).read_text(encoding="utf-8") if name else None

    try:
        context = ProbeContext(
            canaries=tuple(canaries),
            restricted=tuple(restricted),
            known_prompt=text(known_prompt),
            system_prompt=text(system_prompt),
            allowed_hosts=tuple(allowed_hosts),
        )
        options = {k: v for k, v in (("model", model), ("api_key_env", api_key_env)) if v}
        return probe_llm(
            target,
            probes=list(probes) or None,
            context=context,
            attempts=attempts,
            seed=seed,
            target_options=options if target.startswith(("http://", "https://")) else None,
            config=configure(root),
        )
    except Exception as exc:  # noqa: BLE001 - an app that cannot be probed is an error in the Report, not a crash
        return _failed("llm", Path(target), exc)


def llm_audit_step(workspace: PathLike, url: str, *, api_key_env: str = "", burst: int = 30) -> Report:
    """The endpoint audit of `url` (an http(s) URL only; other targets are a skipped check)."""
    if not url.startswith(("http://", "https://")):
        return _unavailable("llm-endpoint", Path(url or "."), "not an HTTP endpoint: nothing to audit")
    from nbsec.api import audit_llm_endpoint, configure

    try:
        return audit_llm_endpoint(url, api_key_env=api_key_env or None, burst=burst, config=configure(workspace))
    except Exception as exc:  # noqa: BLE001 - an endpoint that cannot be audited is an error in the Report
        return _failed("llm-endpoint", Path(url), exc)


def llm_monitor_step(workspace: PathLike, log: str) -> Report:
    """The guard's log under `workspace`; "" or a missing file is a skipped check."""
    path = Path(workspace) / log
    if not log or not path.is_file():
        return _unavailable("llm-monitor", path, "no guard log: pass log=... to nbsec.llm.guard to record one")
    from nbsec.api import configure, monitor_llm

    try:
        return monitor_llm(path, config=configure(workspace))
    except Exception as exc:  # noqa: BLE001 - a log that cannot be read is an error in the Report
        return _failed("llm-monitor", path, exc)


def dependency_files(workspace: PathLike, limit: int = 200) -> list[Path]:
    """requirements*.txt and pyproject.toml files below `workspace` (not in hidden or venv folders)."""
    from nbsec.supply_chain.scanner import is_dependency_file

    found: list[Path] = []
    for folder, dirs, files in os.walk(workspace):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in {"node_modules", "venv", "__pycache__"})
        found.extend(Path(folder) / name for name in sorted(files) if is_dependency_file(Path(name)))
        if len(found) >= limit:
            break
    return found[:limit]


def supply_chain_step(workspace: PathLike, notebook_paths: Sequence[PathLike], installed: bool) -> Report:
    """Dependency files and notebook imports in the workspace, and (optionally) this kernel's packages."""
    from nbsec.api import configure, scan

    parts = []
    files = dependency_files(workspace)
    notebooks, skipped = resolve_paths(workspace, notebook_paths, DEPENDENCY_SCANNER)
    parts.append(skipped)
    if files:
        # Notebooks' imports are compared with what the project declares: only when it declares something.
        parts.append(scan([*files, *notebooks], only=[DEPENDENCY_SCANNER]))
    else:
        note = _report()
        note.checks.append(
            Check(DEPENDENCY_SCANNER, str(workspace), "skipped", "no requirements*.txt or pyproject.toml found")
        )
        parts.append(_done(note))
    if installed:
        parts.append(scan(None, environment=True, config=configure(workspace)))
    from nbsec.rule_catalogue import report_order

    merged = Report.merge(parts)
    merged.findings = report_order(merged)  # the dependency files' and the packages' findings, as surfaces list them
    return merged


# -- plots -----------------------------------------------------------------------------------------


def _short(path: str, width: int = 40) -> str:
    return path if len(path) <= width else "…" + path[-(width - 1) :]


def findings_figure(report: Report, by: str = "rule", title: str = "Findings") -> Any:
    """A stacked bar chart of findings per rule (or per file), one colour per severity."""
    import plotly.graph_objects as go

    def key(finding: Any) -> str:
        return finding.rule_id if by == "rule" else _short(finding.location.path)

    groups = sorted({key(f) for f in report.findings})
    fig = go.Figure()
    for severity in SEVERITY_ORDER:
        counts = [sum(1 for f in report.findings if key(f) == g and f.severity.value == severity) for g in groups]
        if any(counts):
            fig.add_trace(go.Bar(x=groups, y=counts, name=severity, marker_color=SEVERITY_COLORS[severity]))
    fig.update_layout(
        barmode="stack",
        title=title if report.findings else f"{title}: none",
        xaxis_title="rule" if by == "rule" else "file",
        yaxis_title="findings",
        template="plotly_white",
        height=360,
        legend_title="severity",
    )
    return fig


def coverage_figure(report: Report, title: str = "What was checked") -> Any:
    """Checks per scanner by outcome (passed, failed, error, skipped): coverage, not only failures."""
    import plotly.graph_objects as go

    scanners = sorted({c.scanner for c in report.checks})
    colors = {"passed": "#2e7d32", "failed": "#c62828", "error": "#6d4c41", "skipped": "#9e9e9e"}
    fig = go.Figure()
    for status, color in colors.items():
        counts = [sum(1 for c in report.checks if c.scanner == s and c.status == status) for s in scanners]
        if any(counts):
            fig.add_trace(go.Bar(y=scanners, x=counts, name=status, orientation="h", marker_color=color))
    fig.update_layout(
        barmode="stack", title=title, xaxis_title="checks", template="plotly_white", height=300, legend_title="outcome"
    )
    return fig


def sections_figure(sections: Mapping[str, Report], title: str = "Findings per section") -> Any:
    """A heatmap: sections × severity, the count in each cell."""
    import plotly.graph_objects as go

    names = list(sections)
    z = [[sections[n].counts()[s] for s in SEVERITY_ORDER] for n in names]
    fig = go.Figure(
        go.Heatmap(z=z, x=SEVERITY_ORDER, y=names, colorscale="Reds", text=z, texttemplate="%{text}", showscale=False)
    )
    fig.update_layout(title=title, template="plotly_white", height=120 + 50 * len(names), yaxis_autorange="reversed")
    return fig


def section_table(sections: Mapping[str, Report]) -> str:
    """Markdown: one row per section with its summary line and error count (for `display(Markdown(...))`)."""
    lines = ["| section | result | errors |", "|---|---|---|"]
    for name, report in sections.items():
        lines.append(f"| {name} | {report.summary_line()} | {len(report.errors)} |")
    return "\n".join(lines)
