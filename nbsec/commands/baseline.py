"""`nbsec baseline create`: accept today's findings so a scan reports only new ones."""

from __future__ import annotations

import dataclasses

import click

from nbsec.cli import (
    DEFAULT_BASELINE,
    _NbsecGroup,
    _print_errors,
    _quote,
    _stderr_is_tty,
    build_config,
    cli,
    run_scan,
)

# -- baseline ---------------------------------------------------------------------------

BASELINE_HELP = """\
Baselines accept today's findings so that a scan reports only new ones:
adopt nbsec on an existing project without fixing everything first.

\b
Examples:
  nbsec baseline create . -o .nbsec-baseline.json
  nbsec scan . --baseline .nbsec-baseline.json
"""


@cli.group("baseline", cls=_NbsecGroup, help=BASELINE_HELP, short_help="Accept current findings; report only new ones.")
def baseline_group() -> None:
    pass


BASELINE_CREATE_HELP = """\
Scan PATHs and record every finding's fingerprint (with rule id, path and
title, never the evidence) in a baseline file. Fingerprints ignore line
numbers, so moving code does not turn old findings into new ones.

\b
Examples:
  nbsec baseline create .
  nbsec baseline create notebooks/ -o ci/nbsec-baseline.json
"""


@baseline_group.command("create", help=BASELINE_CREATE_HELP, short_help="Scan and record the findings as a baseline.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--output", "-o", default=DEFAULT_BASELINE, show_default=True, type=click.Path(path_type=str))
@click.option("--config", "config_file", type=click.Path(path_type=str), help="TOML config file to use.")
def baseline_create_command(paths: tuple[str, ...], output: str, config_file: str | None) -> None:
    from nbsec.baseline import write_baseline

    cfg = build_config(paths, {}, (), config_file)
    # A baseline named in the config must not hide findings from the new baseline.
    cfg = dataclasses.replace(cfg, baseline=None)
    report = run_scan(paths, cfg, (), show_progress=_stderr_is_tty())
    count = write_baseline(report, output)
    click.echo(f"recorded {count} finding{'s' if count != 1 else ''} in {output}")
    click.echo(f"scan against it with: nbsec scan {' '.join(_quote(p) for p in paths)} --baseline {_quote(output)}")
    _print_errors(report)
