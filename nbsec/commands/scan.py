"""`nbsec scan`: files, folders, the installed packages; the command most users run."""

from __future__ import annotations

from pathlib import Path

import click

from nbsec.commands._output import (
    OutputOptions,
    PolicyOptions,
    ProgressBar,
    finish,
    output_options,
    scan_policy_options,
    settings,
)

SCAN_HELP = """\
Scan files and folders (folders recursively) and report the findings.
Notebooks and Python files are checked for unsafe code; model files are
recognised by their bytes, whatever their name (pickle, PyTorch zip and legacy,
joblib, NumPy, safetensors, GGUF, ONNX, Keras, SavedModel; inside zip, tar,
gzip, bz2, xz) and analysed without ever being loaded. The exit code gates CI: 1 when a finding is at or above
--fail-on or when a target could not be scanned, 0 otherwise. Several formats
can be written in one run; with more than one, --output is a folder or a path
stem and each report gets its format's extension (console is always shown on
the terminal).

\b
Examples:
  nbsec scan notebooks/ train.py
  nbsec scan model.pt checkpoints/ downloads/model.bin
  nbsec scan ckpt/ --allow-global mylab.layers.Block   trust one of your own classes
  nbsec scan "My Notebooks/" --fail-on critical
  nbsec scan . -f json -o nbsec.json
  nbsec scan . -f sarif,html -o reports/        reports/nbsec-report.sarif and .html
  nbsec scan . --only NBSEC-NB-001 --exclude-rule NBSEC-NB-005
  nbsec baseline create . && nbsec scan . --baseline .nbsec-baseline.json
  nbsec scan --env                              installed packages against OSV advisories
  nbsec scan . --env                            both
"""


@click.command("scan", help=SCAN_HELP, short_help="Scan files and folders; exit 1 on findings.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@output_options()
@scan_policy_options
@click.option("--env", "scan_env", is_flag=True, help="Also match installed packages against OSV advisories (offline).")
@click.option("--site-packages", type=click.Path(path_type=Path, file_okay=False, exists=True), hidden=True)
@click.pass_context
def scan_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    out: OutputOptions,
    policy: PolicyOptions,
    scan_env: bool,
    site_packages: Path | None,
) -> None:
    from nbsec import api

    if out.verbose and out.quiet:
        raise click.UsageError("--verbose and --quiet cannot be used together", ctx=ctx)
    if not paths and not scan_env:
        raise click.UsageError("nothing to scan: give a PATH, or --env for the installed packages", ctx=ctx)
    plan = out.plan()  # before scanning: a bad --format or --output fails fast
    cfg = settings(paths[0] if paths else ".", out, policy)
    bar = ProgressBar() if paths and out.show_progress() else None
    try:
        report = api.scan(
            list(paths),
            only=list(policy.only) or None,
            config=cfg,
            progress=bar,
            environment=scan_env,
            site_packages=site_packages,
        )
    finally:
        if bar is not None:
            bar.close()
    finish(ctx, report, out, cfg, plan)
