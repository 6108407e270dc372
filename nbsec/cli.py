"""`nbsec` on the command line: the root group, and the one place nbsec exits the process.

The commands live in `nbsec/commands/`, one module per family, and are imported only
when run (or when `--help` lists them), so `nbsec --version` and `nbsec scan` do not pay
for the command families they do not use. Adding a family: write the module, add its
command to COMMANDS; a test fails for a module whose commands are not listed here.

Exit codes: 0 clean, 1 findings at or above --fail-on (or a target that could not be
scanned), 2 usage or configuration error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from nbsec._version import __version__
from nbsec.commands._group import CONTEXT_SETTINGS, EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, NbsecGroup, echo_err
from nbsec.commands._group import print_usage_error as _print_usage_error

# Command name -> "module:attribute" of its click command or group.
COMMANDS: dict[str, str] = {
    "scan": "nbsec.commands.scan:scan_command",
    "fix": "nbsec.commands.fix:fix_command",
    "rules": "nbsec.commands.rules:rules_command",
    "explain": "nbsec.commands.rules:explain_command",
    "schema": "nbsec.commands.schema:schema_command",
    "demo": "nbsec.commands.demo:demo_command",
    "baseline": "nbsec.commands.baseline:baseline_group",
    "manifest": "nbsec.commands.manifest:manifest_group",
    "sbom": "nbsec.commands.supply_chain:sbom_command",
    "db": "nbsec.commands.supply_chain:db_group",
    "threatmodel": "nbsec.commands.threatmodel:threatmodel_group",
    "compliance": "nbsec.commands.compliance:compliance_group",
    "lineage": "nbsec.commands.lineage:lineage_group",
    "llm": "nbsec.commands.llm:llm_group",
    "run": "nbsec.commands.run:run_command",
    "runs": "nbsec.commands.run:runs_group",
}

MAIN_HELP = """\
Find AI-security problems where ML work happens: model files that run code
when loaded, archive and parser tricks that hide them, unsafe loading, remote
code and eval in notebooks and Python files; verify model folders against
signed manifests; review threat models, map findings onto AI frameworks and
regulations, verify data lineage, probe LLM apps offline, and run the assessment
notebooks headlessly.
Every command renders one Report (console, JSON, SARIF, HTML, JUnit, Markdown)
with the same output options: -f/--format, -o/--output, --fail-on, -q, -v, --no-progress.

\b
Examples:
  nbsec scan notebooks/                       scan a folder, findings on the terminal
  nbsec scan . -f sarif -o nbsec.sarif        SARIF for GitHub code scanning
  nbsec scan . --fail-on medium               stricter CI gate
  nbsec fix notebooks/                        each fix as a diff; --apply writes them
  nbsec explain NBSEC-NB-001                  what a rule means and how to fix it
  nbsec demo                                  build a demo workspace and scan it
  nbsec run full_assessment -o out            every assessment, headless (papermill)
  nbsec threatmodel check tm.nbsec.yaml       AI threats of a system described in YAML
  nbsec compliance report.json --framework eu-ai-act   findings per article
  nbsec lineage verify                        is the recorded data provenance intact?
  nbsec llm --target demo                     probe an LLM app for injection, leaks, exfiltration

\b
Exit codes:
  0  clean: nothing at or above --fail-on, and every target was scanned
  1  findings at or above --fail-on, or a target could not be scanned
  2  usage or configuration error (the message says what to fix)

\b
Configuration (each layer overrides the one before):
  defaults
  < [tool.nbsec] in pyproject.toml, or .nbsec.toml (nearest one above the first PATH)
  < NBSEC_* environment variables (NBSEC_FAIL_ON=medium, NBSEC_EXCLUDE_RULES=NBSEC-NB-005)
  < command-line flags
  NBSEC_CONFIG=FILE or --config FILE names the file explicitly.
  NBSEC_DEBUG=1 shows the traceback of an unexpected error.
"""


class _RootGroup(NbsecGroup):
    """The `nbsec` group: commands are imported on first use, from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        from importlib import import_module

        module, attribute = target.split(":")
        command: click.Command = getattr(import_module(module), attribute)
        return command


@click.group("nbsec", cls=_RootGroup, help=MAIN_HELP, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", "-V", prog_name="nbsec", message="%(prog)s %(version)s")
def cli() -> None:
    pass


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (what `main` exits with)."""
    try:
        rv: Any = cli.main(args=list(argv) if argv is not None else None, prog_name="nbsec", standalone_mode=False)
    except click.UsageError as exc:  # errors in the top-level options, before any command ran
        _print_usage_error(exc)
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        echo_err("aborted")
        return 130
    except BrokenPipeError:
        _silence_stdout()  # `nbsec rules | head`: the reader left; do not print a traceback at exit
        return EXIT_FINDINGS
    return rv if isinstance(rv, int) else EXIT_CLEAN


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The `nbsec` console script: the one place nbsec exits the process."""
    sys.exit(run(argv))


if __name__ == "__main__":
    main()
