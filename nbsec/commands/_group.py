"""The click group class every nbsec command group uses, the exit codes, and how errors are printed.

Commands signal their exit code with `ctx.exit(code)`; `NbsecGroup.invoke` turns nbsec's own
errors into `error:`/`hint:` lines and exit code 2, so click's test runner and the installed
script behave the same. Only `nbsec.cli.main` exits the process.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from nbsec.errors import NbsecError

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
DEBUG_ENV = "NBSEC_DEBUG"

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def echo_err(text: str) -> None:
    click.echo(text, err=True)


def print_nbsec_error(exc: NbsecError) -> None:
    echo_err(f"error: {exc.message}")
    if exc.hint:
        echo_err(f"hint: {exc.hint}")


def print_usage_error(exc: click.UsageError) -> None:
    if exc.ctx is not None:
        echo_err(exc.ctx.get_usage().replace("Usage:", "usage:", 1))
        command = exc.ctx.command_path
    else:
        command = "nbsec"
    echo_err(f"error: {exc.format_message()}")
    echo_err(f"hint: see `{command} --help` for the options and examples")


def print_crash(exc: BaseException) -> None:
    if os.environ.get(DEBUG_ENV):
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    echo_err(f"error: unexpected {type(exc).__name__}: {exc}")
    echo_err(f"hint: this is a bug in nbsec; run with {DEBUG_ENV}=1 for the traceback and report it")


class NbsecGroup(click.Group):
    """A group that reports nbsec's errors as `error:`/`hint:` and exit 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort, EOFError, BrokenPipeError):
            raise  # click's own control flow; `nbsec.cli.run` handles these
        except click.UsageError as exc:
            print_usage_error(exc)
            raise click.exceptions.Exit(EXIT_USAGE) from None
        except click.ClickException:
            raise
        except NbsecError as exc:
            print_nbsec_error(exc)
            raise click.exceptions.Exit(exc.exit_code) from None
        except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, exit 2
            print_crash(exc)
            raise click.exceptions.Exit(EXIT_USAGE) from None
