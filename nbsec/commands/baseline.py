"""`nbsec baseline create` and `import-detect-secrets`: accept today's findings so a scan reports only new ones."""

from __future__ import annotations

import dataclasses
import shlex

import click

from nbsec.commands._group import NbsecGroup
from nbsec.commands._output import ProgressBar, print_errors, stderr_is_tty

DEFAULT_BASELINE = ".nbsec-baseline.json"

# -- baseline ---------------------------------------------------------------------------

BASELINE_HELP = """\
Baselines accept today's findings so that a scan reports only new ones:
adopt nbsec on an existing project without fixing everything first.

\b
Examples:
  nbsec baseline create . -o .nbsec-baseline.json
  nbsec scan . --baseline .nbsec-baseline.json
"""


@click.group(
    "baseline", cls=NbsecGroup, help=BASELINE_HELP, short_help="Accept current findings; report only new ones."
)
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
    from nbsec import api
    from nbsec.baseline import write_baseline

    # A baseline named in the config must not hide findings from the new baseline.
    cfg = dataclasses.replace(api.configure(paths[0], config_file=config_file), baseline=None)
    bar = ProgressBar() if stderr_is_tty() else None
    try:
        report = api.scan(list(paths), config=cfg, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    count = write_baseline(report, output)
    click.echo(f"recorded {count} finding{'s' if count != 1 else ''} in {output}")
    quoted = " ".join(shlex.quote(p) for p in paths)
    click.echo(f"scan against it with: nbsec scan {quoted} --baseline {shlex.quote(output)}")
    print_errors(report)


BASELINE_IMPORT_HELP = """\
Import the secrets a detect-secrets baseline accepted (SOURCE, usually
.secrets.baseline) into an nbsec baseline, so `nbsec scan --baseline`
treats them as detect-secrets did: each secret nbsec finds whose value has
the same SHA-1 (detect-secrets' `hashed_secret`), in a file whose path ends
with the entry's `filename`, is baselined (known, still listed as
suppressed); an entry audited as a false positive (`is_secret: false`)
suppresses its finding as "audited as not a secret". Only the SHA-1s, file
names, line numbers and verdicts are copied, never a secret.

If OUTPUT already is an nbsec baseline, its findings are kept and its
imported entries replaced; `nbsec baseline create` keeps them too.

\b
Examples:
  nbsec baseline import-detect-secrets .secrets.baseline
  nbsec baseline import-detect-secrets .secrets.baseline -o ci/nbsec-baseline.json
  nbsec scan . --baseline .nbsec-baseline.json
"""


@baseline_group.command(
    "import-detect-secrets",
    help=BASELINE_IMPORT_HELP,
    short_help="Import a detect-secrets .secrets.baseline into an nbsec baseline.",
)
@click.argument("source", type=click.Path(path_type=str))
@click.option("--output", "-o", default=DEFAULT_BASELINE, show_default=True, type=click.Path(path_type=str))
def baseline_import_detect_secrets_command(source: str, output: str) -> None:
    from nbsec.baseline import import_detect_secrets

    count, false_positives, existed = import_detect_secrets(source, output)
    audited = f" ({false_positives} audited as false positives)" if false_positives else ""
    verb = "updated" if existed else "wrote"
    click.echo(f"imported {count} detect-secrets entr{'ies' if count != 1 else 'y'}{audited}; {verb} {output}")
    click.echo(f"scan against it with: nbsec scan . --baseline {shlex.quote(output)}")
