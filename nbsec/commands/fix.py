"""`nbsec fix`: the findings' fixes as diffs to review (dry run), then written safely with --apply."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from nbsec.commands._group import EXIT_CLEAN, EXIT_FINDINGS
from nbsec.commands._output import (
    OutputOptions,
    PolicyOptions,
    ProgressBar,
    emit,
    output_options,
    policy_options,
    settings,
    threshold,
)

if TYPE_CHECKING:
    from nbsec.model import Report, Severity

FIX_HELP = """\
Fix what nbsec found: each fix is shown as a diff first (secrets redacted), and
written only with --apply. A dry run (the default) writes nothing.

\b
What it fixes (`nbsec rules` marks each rule that has a fix):
  secrets and personal data in cell outputs   redacted in place (--outputs redact),
                                              the output cleared, or outputs stripped
  credentials in code                         os.environ["NAME"], NAME added to .env.example
  unsafe calls                                torch.load(weights_only=True), yaml.safe_load,
                                              trust_remote_code=False, verify=True, ...
  pickle/torch checkpoints of plain tensors   converted to .safetensors
  unpinned or vulnerable requirements         pinned

\b
With --apply, each file is written atomically (a temporary file, then a
rename: an interrupted run leaves the old file or the new one, never half),
only if it has not changed since the plan; its old bytes are kept under
<root>/.nbsec/backups/<UTC time>/ (git-ignored; --no-backup to skip), and the
files written are scanned again: the report says which findings are fixed and
which remain, and why. Findings suppressed in the code, the config or the
baseline are not fixed. Nothing is ever run or loaded to make a fix.

\b
Examples:
  nbsec fix notebooks/                             show every fix as a diff
  nbsec fix notebooks/ --apply                     write them (backups kept)
  nbsec fix demo.ipynb --rule NBSEC-NB-011         only credentials in outputs
  nbsec fix . --rule NBSEC-NB --apply              every notebook code rule (prefix)
  nbsec fix . --outputs strip --apply              strip the outputs that hold findings
  nbsec fix . -f sarif -o fixes.sarif              the findings with their fixes (SARIF)
  nbsec fix . --apply -f json -o fixes.json        what was fixed, as JSON

\b
Exit codes:
  0  nothing left to fix: no finding that nbsec can fix is at or above --fail-on
     (after --apply: every such fix applied and confirmed by the re-scan)
  1  such findings remain (a dry run that found some; a refused fix), or a
     target could not be scanned
  2  usage error
"""


@click.command("fix", help=FIX_HELP, short_help="Fix findings: diffs to review, then --apply.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--rule", "rules", multiple=True, metavar="RULE", help="Only fix this rule id, prefix or glob (repeatable)."
)
@click.option("--dry-run", "dry_run", is_flag=True, help="Show the changes, write nothing [the default].")
@click.option("--apply", "apply_", is_flag=True, help="Write the changes (atomically, each file backed up first).")
@click.option(
    "--backup/--no-backup",
    default=True,
    show_default=True,
    help="With --apply: keep the old bytes under <root>/.nbsec/backups/.",
)
@click.option(
    "--outputs",
    type=click.Choice(("redact", "clear", "strip"), case_sensitive=False),
    default="redact",
    show_default=True,
    help="How to fix a cell output that holds a finding: redact the value in place, clear that output, "
    "or strip the outputs and execution counts of the cells involved.",
)
@output_options()
@policy_options
@click.pass_context
def fix_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    rules: tuple[str, ...],
    dry_run: bool,
    apply_: bool,
    backup: bool,
    outputs: str,
    out: OutputOptions,
    policy: PolicyOptions,
) -> None:
    from nbsec import api

    if out.verbose and out.quiet:
        raise click.UsageError("--verbose and --quiet cannot be used together", ctx=ctx)
    if dry_run and apply_:
        raise click.UsageError("--dry-run and --apply cannot be used together", ctx=ctx)
    plan = out.plan()  # before any work: a bad --format or --output fails fast
    cfg = settings(paths[0], out, policy)
    bar = ProgressBar() if out.show_progress() else None
    try:
        report = api.fix(
            list(paths),
            rules=list(rules) or None,
            apply=apply_,
            backup=backup,
            options={"outputs": outputs},
            config=cfg,
            progress=bar,
        )
    finally:
        if bar is not None:
            bar.close()
    emit(report, plan, verbose=out.verbose, quiet=out.quiet)
    if out.quiet and report.fixes is not None:
        click.echo(report.fixes.summary_line())
    ctx.exit(exit_code(report, threshold(cfg, out), rules))


def exit_code(report: Report, fail_on: Severity | None, rules: tuple[str, ...]) -> int:
    """1 when a finding nbsec can fix (in --rule's scope) is at or above --fail-on, or a target was not scanned."""
    from nbsec.fix import fixable
    from nbsec.fix.plan import rule_selected

    if report.errors:
        return EXIT_FINDINGS
    if fail_on is None:
        return EXIT_CLEAN
    left = [
        f for f in report.at_or_above(fail_on) if fixable(f.rule_id) and rule_selected(f.rule_id, list(rules) or None)
    ]
    return EXIT_FINDINGS if left else EXIT_CLEAN
