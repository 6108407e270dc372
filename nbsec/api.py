"""nbsec's one orchestrator: every surface (CLI, `%aisec`, the assessment notebooks, the server)
calls these functions and gets the config policy, the baseline and the metrics applied the same way.

    scan(paths, environment=..., kernel=...)   files, installed packages, a live kernel -> one Report
    fix(paths, apply=...)                      the findings' fixes: planned (diffs) or applied (atomic, backed up)
    check_threat_model(path)                   a threat model against the AI threat library
    verify_manifest(folder, manifest)          a folder against its (signed) manifest
    verify_lineage(store)                      a lineage store's chain and artifacts
    evaluate_robustness / detect_backdoor / trigger_test / membership_inference   a PyTorch model
    probe_llm(target) / audit_llm_endpoint(url) / monitor_llm(log)   an LLM app, its endpoint, its guard's log

Each is a readable pipeline of small steps:

    config -> producer (scanners / engine / runner) -> findings, errors -> finish: policy -> baseline -> Report

`finish` is the one place the config's include/exclude rules, `min_severity` and the baseline
are applied; a finding they drop is kept in `report.suppressed` with the reason, never lost.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbsec._version import __version__
from nbsec.config import Config, apply_policy, load_config, with_overrides
from nbsec.errors import UsageError
from nbsec.model import Report, utc_now_iso
from nbsec.rule_catalogue import report_order
from nbsec.scanners.run import Progress, scan_files

if TYPE_CHECKING:
    from nbsec.fix.session import PendingFix
    from nbsec.llm.types import ProbeContext
    from nbsec.scanners.notebook.kernel import KernelState

PathLike = str | os.PathLike[str]
Settings = Config | Mapping[str, Any] | None


# -- configuration ------------------------------------------------------------------------------


def configure(
    start: PathLike | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    fail_on: str | None = None,
    min_severity: str | None = None,
    baseline: PathLike | None = None,
    exclude_rules: Iterable[str] = (),
    allow_globals: Iterable[str] = (),
    config_file: PathLike | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """The settings for work on `start`: defaults < config file (found above `start`) < NBSEC_* < overrides.

    `fail_on`, `min_severity` and `baseline` override when given (the CLI's and the magics' flags);
    `exclude_rules` and `allow_globals` add to the file's lists instead of replacing them, as the
    repeatable `--exclude-rule` / `--allow-global` flags do.
    """
    flags = {"fail_on": fail_on, "min_severity": min_severity, "baseline": baseline}
    merged = {**(overrides or {}), **{k: v for k, v in flags.items() if v is not None}}
    cfg = load_config(start if start is not None else ".", merged, environ=environ, config_file=config_file)
    extra = {"exclude_rules": tuple(exclude_rules), "allow_globals": tuple(allow_globals)}
    additions = {key: (*getattr(cfg, key), *values) for key, values in extra.items() if values}
    return with_overrides(cfg, additions) if additions else cfg


def _config(start: PathLike | None, settings: Settings, only: str | Iterable[str] | None = None) -> Config:
    cfg = settings if isinstance(settings, Config) else configure(start, settings)
    if only is not None:
        cfg = with_overrides(cfg, {"only": [only] if isinstance(only, str) else list(only)})
    return cfg


def finish(report: Report, config: Config) -> Report:
    """Apply the config policy (include/exclude rules, min_severity) and the baseline; put the findings in
    the order every surface lists them (`rule_catalogue.report_order`: `report.findings[0]` is the first row
    shown); stamp the end time.

    Dropped findings go to `report.suppressed` with the reason ("config", "severity-threshold",
    "baseline"). Every api function ends here; call it yourself only for a Report you built.
    """
    report.findings, dropped = apply_policy(report.findings, config)
    report.suppressed.extend(dropped)
    if config.baseline:
        from nbsec.baseline import apply_baseline

        apply_baseline(report, config.baseline)
    report.findings = report_order(report)
    report.finished_at = utc_now_iso()
    return report


# -- scan: files, the installed packages, a live kernel ---------------------------------------------


def scan(
    target: PathLike | Iterable[PathLike] | None = None,
    *,
    only: str | Iterable[str] | None = None,
    config: Settings = None,
    progress: Progress | None = None,
    environment: bool = False,
    site_packages: PathLike | None = None,
    kernel: KernelState | None = None,
) -> Report:
    """Scan files or folders, the installed packages and/or a live kernel; return one Report.

    `only` limits the scan to scanner names or rule ids/prefixes (`only="NBSEC-NB-001"`).
    `config` is a Config, or a mapping of settings that override the file and environment
    (`{"fail_on": "medium"}`). `progress(done, total, path)` is called after each file.
    `environment=True` also matches this interpreter's packages (or `site_packages`) against
    the offline advisories; `kernel` is a `KernelState` of a running kernel (`%aisec scan --kernel`).
    Raises UsageError/ConfigError for a missing path or a bad setting; a file that cannot be
    scanned becomes an entry in `report.errors`.
    """
    started = time.perf_counter()
    paths = _as_paths(target, allow_empty=environment or kernel is not None)
    cfg = _config(paths[0] if paths else None, config, only)
    report = Report(tool_version=__version__, started_at=utc_now_iso())
    if paths:
        scan_files(paths, cfg, report, progress, started)
    if environment:
        from nbsec.supply_chain.vulns import scan_environment

        scan_environment(report, site_packages=Path(site_packages) if site_packages is not None else None)
    if kernel is not None:
        from nbsec.scanners.notebook.kernel import scan_kernel

        scan_kernel(kernel, report)
    finish(report, cfg)
    report.timings["total"] = time.perf_counter() - started
    return report


def scan_environment(*, site_packages: PathLike | None = None, config: Settings = None) -> Report:
    """Installed packages of this interpreter (or of `site_packages`) against the offline advisories."""
    return scan(None, environment=True, site_packages=site_packages, config=config)


def scan_kernel(
    user_ns: Mapping[str, Any],
    *,
    history: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
    config: Settings = None,
) -> Report:
    """A live kernel: variables, DataFrames, credential environment variables, input history."""
    from nbsec.scanners.notebook.kernel import KernelState

    return scan(None, kernel=KernelState(user_ns, tuple(history), environ), config=config)


def _as_paths(target: PathLike | Iterable[PathLike] | None, *, allow_empty: bool) -> list[PathLike]:
    if isinstance(target, (str, os.PathLike)):
        return [target]
    paths = list(target) if target is not None else []
    if not paths and not allow_empty:
        raise UsageError("nothing to scan: no path given", "pass a file or folder, e.g. `nbsec scan notebooks/`")
    return paths


# -- fix: findings turned into reviewed, atomic changes --------------------------------------------------

FIX_OUTPUT_CHOICES = ("redact", "clear", "strip")


def plan_fix(
    target: PathLike | Iterable[PathLike],
    *,
    rules: Iterable[str] | None = None,
    options: Mapping[str, str] | None = None,
    config: Settings = None,
    progress: Progress | None = None,
) -> PendingFix:
    """Scan `target` (same config: suppressed and baselined findings are not fixed), then ask each finding's fixer
    for a Change. Nothing is written: the returned PendingFix holds the dry run's Report (`.report`, its `fixes`
    section with every change's redacted diff) and applies exactly that plan with `.apply(backup=True)`.

    `rules` limits the fixes to these rule ids, prefixes or globs; `options` are the fixers' choices
    (`{"outputs": "redact" | "clear" | "strip"}`).
    """
    from nbsec.fix.plan import make_plan, roots_of
    from nbsec.fix.session import PendingFix

    paths = _as_paths(target, allow_empty=False)
    chosen = dict(options or {})
    if chosen.get("outputs", "redact") not in FIX_OUTPUT_CHOICES:
        raise UsageError(
            f"outputs={chosen['outputs']!r}: not a way to fix outputs",
            f"choose one of: {', '.join(FIX_OUTPUT_CHOICES)}",
        )
    cfg = _config(paths[0], config)
    report = scan(paths, config=cfg, progress=progress)
    started = time.perf_counter()
    plan = make_plan(report.findings, roots_of(paths), rules=list(rules) if rules else None, options=chosen)
    report.fixes = plan.section()
    report.timings["fix_plan"] = time.perf_counter() - started
    once = dataclasses.replace(cfg, baseline=None)  # the scans applied the baseline; finish must not again

    def rescan(files: Iterable[str]) -> Report:
        return scan(list(files), config=cfg)

    return PendingFix(finish(report, once), plan, rescan, lambda r: finish(r, once))


def fix(
    target: PathLike | Iterable[PathLike],
    *,
    rules: Iterable[str] | None = None,
    apply: bool = False,
    backup: bool = True,
    options: Mapping[str, str] | None = None,
    config: Settings = None,
    progress: Progress | None = None,
) -> Report:
    """`nbsec fix`: plan the fixes of `target`'s findings (plan_fix) and, with `apply=True`, write them.

    Dry run (default): the Report's findings are the scan's; `report.fixes` lists each change (status "planned",
    its redacted diff) and per finding in scope "fixable" or "remains" with why. Apply: each file written
    atomically after a backup under `<root>/.nbsec/backups/` (unless `backup=False`), the written files re-scanned;
    the Report's findings are what remains, `report.fixes` says per finding "fixed" or "remains" and why.
    """
    pending = plan_fix(target, rules=rules, options=options, config=config, progress=progress)
    return pending.apply(backup=backup) if apply else pending.report


# -- the other producers: threat models, manifests, lineage, adversarial runners ----------------------


def check_threat_model(path: PathLike, *, config: Settings = None) -> Report:
    """Open threats of a threat-model file (NBSEC-TM-*); decided ones are listed as suppressed."""
    from nbsec.threatmodel import check

    return finish(check(path), _config(path, config))


def verify_manifest(
    folder: PathLike,
    manifest: PathLike,
    *,
    public_key: PathLike | None = None,
    signature: PathLike | None = None,
    progress: Callable[..., None] | None = None,
    config: Settings = None,
) -> Report:
    """Every file of `folder` against `manifest` (and its Ed25519 signature with `public_key`)."""
    from nbsec.integrity import verify_path

    report = verify_path(folder, manifest, public_key=public_key, signature_path=signature, progress=progress)
    return finish(report, _config(folder, config))


def verify_lineage(
    store: PathLike | None = None,
    *,
    public_key: PathLike | None = None,
    expect_head: str | None = None,
    artifacts: bool = True,
    config: Settings = None,
) -> Report:
    """A lineage store's hash chain (and signatures with `public_key`); re-hash recorded artifacts."""
    from nbsec.lineage.verifier import verify_store

    report = verify_store(store, public_key=public_key, expect_head=expect_head, artifacts=artifacts)
    return finish(report, _config(None, config))


def evaluate_robustness(
    model: Any, inputs: Any, labels: Any = None, *, config: Settings = None, **options: Any
) -> Report:
    """Evasion attacks on a PyTorch classifier (`nbsec.adversarial.evaluate`'s options)."""
    from nbsec.adversarial import evaluate

    return finish(evaluate(model, inputs, labels, **options), _config(None, config))


def detect_backdoor(model: Any, inputs: Any, labels: Any = None, *, config: Settings = None, **options: Any) -> Report:
    """Poisoned training samples by activation clustering and spectral signatures."""
    from nbsec.adversarial import detect_backdoor as run

    return finish(run(model, inputs, labels, **options), _config(None, config))


def trigger_test(model: Any, inputs: Any, labels: Any = None, *, config: Settings = None, **options: Any) -> Report:
    """Does a known trigger flip the model's predictions?"""
    from nbsec.adversarial import trigger_test as run

    return finish(run(model, inputs, labels, **options), _config(None, config))


def membership_inference(
    model: Any, members: Any, nonmembers: Any, *, config: Settings = None, **options: Any
) -> Report:
    """How well an attacker tells training members from non-members (NBSEC-PRIV-002)."""
    from nbsec.adversarial import membership_inference as run

    return finish(run(model, members, nonmembers, **options), _config(None, config))


# -- LLM applications: probes, the endpoint audit, the guard's log ---------------------------------------


def probe_llm(
    target: Any,
    *,
    probes: Iterable[str] | None = None,
    context: ProbeContext | None = None,
    attempts: int = 5,
    seed: int = 0,
    concurrency: int = 4,
    progress: Callable[[int, int, str], None] | None = None,
    namespace: Mapping[str, Any] | None = None,
    target_options: Mapping[str, Any] | None = None,
    config: Settings = None,
) -> Report:
    """Probe an LLM app for prompt injection, leaks, exfiltration and tool misuse, offline and deterministically.

    `target`: "demo" / "demo-hardened" (nbsec's demo app), an OpenAI-compatible base URL, "module:callable", a
    variable name in `namespace`, a callable or a `nbsec.llm.Target`. `probes`: probe ids or family names (default:
    all). `context`: what you know of the app (canaries planted in it, values only another role may see, its system
    prompt, its tools, hosts it may link to). `target_options` go to the target (model, api_key_env, timeout, ...).
    Each probe makes `attempts` attempts from seed `seed`; the Report holds per-probe success rates with Wilson
    intervals, findings with redacted transcripts, and attempts the target did not answer as errors.
    """
    from nbsec.llm.harness import run_probes
    from nbsec.llm.resolve import open_target

    opened = open_target(target, namespace=namespace, context=context, **dict(target_options or {}))
    try:
        report = run_probes(
            opened.target,
            probes=list(probes) if probes is not None else None,
            context=opened.context,
            attempts=attempts,
            seed=seed,
            concurrency=concurrency,
            progress=progress,
        )
    finally:
        opened.close()
    return finish(report, _config(None, config))


def audit_llm_endpoint(
    url: str,
    *,
    api_key_env: str | None = None,
    model: str | None = None,
    burst: int = 30,
    timeout: float = 10.0,
    config: Settings = None,
) -> Report:
    """An HTTP model endpoint: credentials required? rate limit on a short burst? errors that leak? TLS? CORS?"""
    from nbsec.llm.audit import audit_endpoint

    report = audit_endpoint(url, api_key_env=api_key_env, model=model, burst=burst, timeout=timeout)
    return finish(report, _config(None, config))


def monitor_llm(log: PathLike, *, bucket_seconds: float | None = None, config: Settings = None) -> Report:
    """The guard's SQLite log: block rates over time, the attack families seen, clients that look like extraction."""
    from nbsec.llm.monitor import analyze_log

    return finish(analyze_log(log, bucket_seconds=bucket_seconds), _config(None, config))
