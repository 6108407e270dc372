"""The output and policy options every Report command shares, and how a Report leaves the CLI.

    @click.command("check")
    @output_options()               # -f -o --fail-on -q -v --no-progress  -> out: OutputOptions
    @policy_options                 # --min-severity --exclude-rule --baseline --config  -> policy
    def check_command(ctx, path, out, policy):
        plan, cfg = out.plan(), settings(path, out, policy)
        report = api.check_threat_model(path, config=cfg)
        finish(ctx, report, out, cfg, plan)

The options come from one table (`nbsec.options`), which `%aisec` parses too.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

import click

from nbsec.commands._group import EXIT_CLEAN, EXIT_FINDINGS, echo_err
from nbsec.options import OUTPUT_OPTIONS, POLICY_OPTIONS, SCAN_OPTIONS, Option

if TYPE_CHECKING:
    from nbsec.config import Config
    from nbsec.model import Report, Severity


class OutputOptions(NamedTuple):
    """-f/--format, -o/--output, --fail-on, -q, -v, --no-progress, as one value."""

    formats: tuple[str, ...] = ()
    output: str | None = None
    fail_on: str | None = None
    quiet: bool = False
    verbose: bool = False
    no_progress: bool = False
    default_fail_on: str = "high"  # the command's own, used when neither the flag nor the config says

    def show_progress(self) -> bool:
        return not (self.quiet or self.no_progress) and stderr_is_tty()

    def plan(self) -> list[tuple[str, Path | None]]:
        """Where each format goes; checked before the work starts, so a bad -f/-o fails fast."""
        from nbsec.display import formats

        return formats.plan(formats.parse(self.formats, self.output), self.output)


class PolicyOptions(NamedTuple):
    """--min-severity, --exclude-rule, --baseline, --config, and (scans) --only, --allow-global."""

    min_severity: str | None = None
    exclude_rule: tuple[str, ...] = ()
    baseline: str | None = None
    config_file: str | None = None
    only: tuple[str, ...] = ()
    allow_global: tuple[str, ...] = ()


# -- decorators built from the table ------------------------------------------------------------


def _click_option(option: Option, help_text: str | None = None) -> Callable[[Any], Any]:
    text = help_text or option.help
    if option.kind == "flag":
        return click.option(*option.flags, option.dest, is_flag=True, help=text)
    if option.kind == "multiple":
        return click.option(*option.flags, option.dest, multiple=True, metavar=option.metavar, help=text)
    if option.kind == "choice":
        return click.option(
            *option.flags, option.dest, type=click.Choice(option.choices, case_sensitive=False), help=text
        )
    return click.option(*option.flags, option.dest, type=click.Path(path_type=str), metavar=option.metavar, help=text)


def _collecting(
    options: Sequence[Option], into: str, build: Callable[[dict[str, Any]], Any], helps: dict[str, str] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add `options` to a command and hand the command one object (`into=...`) instead of one argument each."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {option.dest: kwargs.pop(option.dest) for option in options}
            return command(*args, **{into: build(values)}, **kwargs)

        for option in reversed(options):
            wrapper = _click_option(option, (helps or {}).get(option.dest))(wrapper)
        return wrapper

    return decorate


def output_options(
    *, default_fail_on: str = "high", output_help: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """-f, -o, --fail-on, -q, -v, --no-progress; the command receives `out: OutputOptions`.

    `default_fail_on` is the command's threshold when neither --fail-on nor the config sets one.
    """
    helps = {"fail_on": _fail_on_help(default_fail_on)}
    if output_help:
        helps["output"] = output_help

    def build(values: dict[str, Any]) -> OutputOptions:
        return OutputOptions(default_fail_on=default_fail_on, **values)

    return _collecting(OUTPUT_OPTIONS, "out", build, helps)


def _fail_on_help(default: str) -> str:
    fail_on = next(o for o in OUTPUT_OPTIONS if o.dest == "fail_on")
    return fail_on.help.replace("else high]", f"else {default}]")


def policy_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--min-severity, --exclude-rule, --baseline, --config; the command receives `policy: PolicyOptions`."""
    return _collecting(POLICY_OPTIONS, "policy", lambda values: PolicyOptions(**values))(command)


def scan_policy_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The policy options plus --only and --allow-global (file scans); `policy: PolicyOptions`."""
    options = (*POLICY_OPTIONS, *SCAN_OPTIONS)
    return _collecting(options, "policy", lambda values: PolicyOptions(**values))(command)


# -- settings, the threshold, the exit code ------------------------------------------------------------


def settings(start: str | os.PathLike[str] | None, out: OutputOptions, policy: PolicyOptions) -> Config:
    """The Config for this command: defaults < config file < NBSEC_* < the flags given."""
    from nbsec.api import configure

    return configure(
        start,
        fail_on=out.fail_on,
        min_severity=policy.min_severity,
        baseline=policy.baseline,
        exclude_rules=policy.exclude_rule,
        allow_globals=policy.allow_global,
        config_file=policy.config_file,
    )


def threshold(cfg: Config, out: OutputOptions) -> Severity | None:
    """--fail-on if given, else the config's fail_on if it sets one, else the command's own default."""
    from nbsec.model import Severity

    if out.fail_on is not None or "fail_on" in cfg.explicit:
        return cfg.fail_on
    return None if out.default_fail_on == "never" else Severity.parse(out.default_fail_on)


def exit_code(report: Report, fail_on: Severity | None) -> int:
    """1 for findings at or above `fail_on` (None = never) or any scan error; else 0."""
    if report.errors:
        return EXIT_FINDINGS  # something was not scanned: "clean" would be a lie
    if fail_on is not None and report.at_or_above(fail_on):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def finish(
    ctx: click.Context, report: Report, out: OutputOptions, cfg: Config, plan: list[tuple[str, Path | None]]
) -> NoReturn:
    """Show/write the report where `plan` (from `out.plan()`) says, then exit with the report's code."""
    emit(report, plan, verbose=out.verbose, quiet=out.quiet)
    ctx.exit(exit_code(report, threshold(cfg, out)))


def emit(report: Report, plan: list[tuple[str, Path | None]], *, verbose: bool = False, quiet: bool = False) -> None:
    """Print or write every requested format, then the stderr lines logs rely on."""
    from nbsec.display import formats

    for fmt, path in plan:
        if path is not None:
            written = formats.write(report, fmt, path)
            echo_err(f"nbsec: wrote {fmt} report to {written}")
        elif fmt != "console":
            click.echo(formats.render(report, fmt))
        elif quiet:
            click.echo(report.summary_line())
        else:
            formats.print_console(report, verbose=verbose)
    if any(fmt != "console" or path is not None for fmt, path in plan):
        # stdout holds a machine format (or nothing): a human-readable line for the logs.
        echo_err(f"nbsec: {report.summary_line()}")
        print_errors(report)
    elif report.errors:
        echo_err(f"nbsec: {len(report.errors)} target(s) could not be scanned; this scan is not clean")
    if report.baseline is not None:
        b = report.baseline
        counts = f"{b.get('new')} new, {b.get('unchanged')} unchanged, {b.get('fixed')} fixed"
        echo_err(f"nbsec: baseline {b.get('path')}: {counts}")


def print_errors(report: Report) -> None:
    if not report.errors:
        return
    echo_err(f"nbsec: {len(report.errors)} target(s) could not be scanned; this scan is not clean:")
    for error in report.errors:
        echo_err(f"  {error.target}: {error.message}")


# -- progress -------------------------------------------------------------------------------------------


def stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


class ProgressBar:
    """A rich progress bar on stderr that appears only once the work has run for a moment.

    Short runs (the common case) finish before it would show, so they never flicker.
    """

    DELAY_S = 0.5

    def __init__(self, label: str = "scanning") -> None:
        self._label = label
        self._started = time.monotonic()
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int, path: str) -> None:
        if self._progress is None:
            if done >= total or time.monotonic() - self._started < self.DELAY_S:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn(self._label),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[path]}", style="dim"),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._label, total=total, path="")
        self._progress.update(self._task, completed=done, total=total, path=_shorten(path))

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _shorten(path: str, width: int = 50) -> str:
    return path if len(path) <= width else "…" + path[-(width - 1) :]
