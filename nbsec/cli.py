"""`nbsec` on the command line: scan, list and explain rules, baselines, the demo.

This is the only module in nbsec that exits the process (`main`). Commands
signal their exit code with `ctx.exit(code)`; `_NbsecGroup.invoke` turns
nbsec's own errors into `error:`/`hint:` lines and exit code 2, so click's
test runner and the installed script behave the same.

Exit codes: 0 clean, 1 findings at or above --fail-on (or a target that could
not be scanned), 2 usage or configuration error.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from nbsec._version import __version__
from nbsec.errors import NbsecError, UsageError

if TYPE_CHECKING:
    from nbsec.config import Config
    from nbsec.model import Report, Severity

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

SEVERITY_CHOICES = ("critical", "high", "medium", "low", "info")
FAIL_ON_CHOICES = (*SEVERITY_CHOICES, "never")
DEFAULT_REPORT_STEM = "nbsec-report"
DEFAULT_BASELINE = ".nbsec-baseline.json"
DEBUG_ENV = "NBSEC_DEBUG"

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# -- error handling ----------------------------------------------------------------


def _echo_err(text: str) -> None:
    click.echo(text, err=True)


def _print_nbsec_error(exc: NbsecError) -> None:
    _echo_err(f"error: {exc.message}")
    if exc.hint:
        _echo_err(f"hint: {exc.hint}")


def _print_usage_error(exc: click.UsageError) -> None:
    if exc.ctx is not None:
        _echo_err(exc.ctx.get_usage().replace("Usage:", "usage:", 1))
        command = exc.ctx.command_path
    else:
        command = "nbsec"
    _echo_err(f"error: {exc.format_message()}")
    _echo_err(f"hint: see `{command} --help` for the options and examples")


def _print_crash(exc: BaseException) -> None:
    if os.environ.get(DEBUG_ENV):
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    _echo_err(f"error: unexpected {type(exc).__name__}: {exc}")
    _echo_err(f"hint: this is a bug in nbsec; run with {DEBUG_ENV}=1 for the traceback and report it")


class _NbsecGroup(click.Group):
    """A group that reports nbsec's errors as `error:`/`hint:` and exit 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort, EOFError, BrokenPipeError):
            raise  # click's own control flow; `main` handles these
        except click.UsageError as exc:
            _print_usage_error(exc)
            raise click.exceptions.Exit(EXIT_USAGE) from None
        except click.ClickException:
            raise
        except NbsecError as exc:
            _print_nbsec_error(exc)
            raise click.exceptions.Exit(exc.exit_code) from None
        except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, exit 2
            _print_crash(exc)
            raise click.exceptions.Exit(EXIT_USAGE) from None


# -- the top-level group -------------------------------------------------------------

MAIN_HELP = """\
Find AI-security problems where ML work happens: model files that run code
when loaded, archive and parser tricks that hide them, unsafe loading, remote
code and eval in notebooks and Python files; verify model folders against
signed manifests; review threat models, map findings onto AI frameworks and
regulations, verify data lineage, and run the assessment notebooks headlessly.
Every command renders one Report (console, JSON, SARIF, HTML, JUnit, Markdown).

\b
Examples:
  nbsec scan notebooks/                       scan a folder, findings on the terminal
  nbsec scan . -f sarif -o nbsec.sarif        SARIF for GitHub code scanning
  nbsec scan . --fail-on medium               stricter CI gate
  nbsec explain NBSEC-NB-001                  what a rule means and how to fix it
  nbsec demo                                  build a demo workspace and scan it
  nbsec run full_assessment --output-dir out  every assessment, headless (papermill)
  nbsec threatmodel check tm.nbsec.yaml       AI threats of a system described in YAML
  nbsec compliance report.json --framework eu-ai-act   findings per article
  nbsec lineage verify                        is the recorded data provenance intact?

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


@click.group("nbsec", cls=_NbsecGroup, help=MAIN_HELP, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", "-V", prog_name="nbsec", message="%(prog)s %(version)s")
def cli() -> None:
    pass


# -- scan ------------------------------------------------------------------------------

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


@cli.command("scan", help=SCAN_HELP, short_help="Scan files and folders; exit 1 on findings.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--format",
    "-f",
    "formats",
    multiple=True,
    metavar="FMT",
    help="console, json, sarif, html, junit, md; repeat or comma-separate for several [default: console]",
)
@click.option("--output", "-o", type=click.Path(path_type=str), help="File for one format; folder or stem for several.")
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON_CHOICES, case_sensitive=False),
    help="Exit 1 on findings at or above this severity; 'never' ignores findings [default: from config, else high].",
)
@click.option(
    "--min-severity",
    type=click.Choice(SEVERITY_CHOICES, case_sensitive=False),
    help="Leave out findings below this severity (kept as suppressed in the report).",
)
@click.option("--baseline", type=click.Path(path_type=str), help="Report only findings not in this baseline file.")
@click.option("--only", multiple=True, metavar="NAME", help="Scanner name or rule id/prefix to run (repeatable).")
@click.option("--exclude-rule", multiple=True, metavar="ID", help="Rule id, prefix or glob to leave out (repeatable).")
@click.option(
    "--allow-global",
    multiple=True,
    metavar="MODULE.NAME",
    help="Pickle global (or whole module) you trust beyond the allowlist (repeatable); the denylist still wins.",
)
@click.option("--config", "config_file", type=click.Path(path_type=str), help="TOML config file to use.")
@click.option("--verbose", "-v", is_flag=True, help="Console: add remediation, references and suppressed findings.")
@click.option("--quiet", "-q", is_flag=True, help="Console format: only the summary line. No progress bar.")
@click.option("--no-progress", is_flag=True, help="Never show the progress bar.")
@click.option("--env", "scan_env", is_flag=True, help="Also match installed packages against OSV advisories (offline).")
@click.option("--site-packages", type=click.Path(path_type=Path, file_okay=False, exists=True), hidden=True)
@click.pass_context
def scan_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    formats: tuple[str, ...],
    output: str | None,
    fail_on: str | None,
    min_severity: str | None,
    baseline: str | None,
    only: tuple[str, ...],
    exclude_rule: tuple[str, ...],
    allow_global: tuple[str, ...],
    config_file: str | None,
    verbose: bool,
    quiet: bool,
    no_progress: bool,
    scan_env: bool,
    site_packages: Path | None,
) -> None:
    if verbose and quiet:
        raise click.UsageError("--verbose and --quiet cannot be used together", ctx=ctx)
    if not paths and not scan_env:
        raise click.UsageError("nothing to scan: give a PATH, or --env for the installed packages", ctx=ctx)
    fmts = parse_formats(formats, output)
    plan = output_plan(fmts, output)  # before scanning: a bad --output fails fast
    overrides = {"fail_on": fail_on, "min_severity": min_severity, "baseline": baseline}
    cfg = build_config(paths or (".",), overrides, exclude_rule, config_file)
    if allow_global:
        from nbsec.config import with_overrides

        cfg = with_overrides(cfg, {"allow_globals": (*cfg.allow_globals, *allow_global)})
    if scan_env:
        from nbsec.supply_chain.vulns import scan_with_environment

        report = scan_with_environment(paths, cfg, only=list(only) or None, site_packages=site_packages)
    else:
        report = run_scan(paths, cfg, only, show_progress=not (quiet or no_progress) and _stderr_is_tty())
    emit(report, plan, verbose=verbose, quiet=quiet)
    ctx.exit(exit_code(report, cfg.fail_on))


def parse_formats(raw: Sequence[str], output: str | None = None) -> list[str]:
    """`-f sarif,json -f html` -> ['sarif', 'json', 'html'] (validated, de-duplicated, in order).

    With no --format, `-o report.sarif` means SARIF: writing console text into a
    .sarif file would only confuse the tool that reads it.
    """
    from nbsec import reporters

    if not raw:
        guessed = reporters.guess_format(output) if output is not None else None
        return [guessed or "console"]
    chosen: list[str] = []
    for item in raw:
        for name in item.split(","):
            fmt = name.strip().lower()
            if not fmt:
                continue
            reporters.default_extension(fmt)  # raises UsageError, listing the formats, when unknown
            fmt = reporters.ALIASES.get(fmt, fmt)
            if fmt not in chosen:
                chosen.append(fmt)
    return chosen or ["console"]


def _extension(fmt: str) -> str:
    from nbsec.reporters import default_extension

    ext = default_extension(fmt)
    return ext if ext.startswith(".") else f".{ext}"


def output_plan(formats: list[str], output: str | None) -> list[tuple[str, Path | None]]:
    """Where each format goes: a file path, or None for stdout.

    One format: --output is the file (or, if it is an existing folder, a file in it).
    Several: --output is a folder (existing, or written with a trailing slash) or a
    path stem, and each format is written with its own extension; console stays
    on the terminal because a terminal view in a file helps nobody.
    """
    if len(formats) == 1:
        fmt = formats[0]
        if output is None:
            return [(fmt, None)]
        target = Path(output)
        if target.is_dir():
            target = target / f"{DEFAULT_REPORT_STEM}{_extension(fmt)}"
        return [(fmt, target)]
    if output is None:
        raise UsageError(
            f"--format {','.join(formats)}: several formats need --output",
            "give a folder or a path stem, e.g. `-o reports/` or `-o reports/scan`",
        )
    stem = _output_stem(output, formats)
    return [(fmt, None if fmt == "console" else stem.with_name(stem.name + _extension(fmt))) for fmt in formats]


def _output_stem(output: str, formats: list[str]) -> Path:
    target = Path(output)
    if target.is_dir() or output.endswith(("/", os.sep)):
        return target / DEFAULT_REPORT_STEM
    # `-o reports/scan.json` with several formats: drop the one extension we would add anyway.
    if target.suffix and target.suffix.lower() in {_extension(f) for f in formats}:
        return target.with_suffix("")
    return target


def build_config(
    paths: Sequence[str], overrides: dict[str, Any], exclude_rules: Sequence[str], config_file: str | None
) -> Config:
    """Layer defaults < file < env < flags; --exclude-rule adds to the file's list rather than replacing it."""
    from nbsec.config import load_config, with_overrides

    # NBSEC_DEBUG is the CLI's own switch, not a setting: config.py would reject it as unknown.
    environ = {k: v for k, v in os.environ.items() if k != DEBUG_ENV}
    cfg = load_config(paths[0], overrides, environ=environ, config_file=config_file)
    if exclude_rules:
        cfg = with_overrides(cfg, {"exclude_rules": (*cfg.exclude_rules, *exclude_rules)})
    return cfg


def run_scan(paths: Sequence[str], cfg: Config, only: Sequence[str], *, show_progress: bool = False) -> Report:
    from nbsec.api import scan

    bar = _ProgressBar() if show_progress else None
    try:
        return scan(list(paths), only=list(only) or None, config=cfg, progress=bar)
    finally:
        if bar is not None:
            bar.close()


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


class _ProgressBar:
    """A rich progress bar on stderr that appears only once a scan has run for a moment.

    Short scans (the common case) finish before it would show, so they never flicker.
    """

    DELAY_S = 0.5

    def __init__(self) -> None:
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
                TextColumn("scanning"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[path]}", style="dim"),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("scan", total=total, path="")
        self._progress.update(self._task, completed=done, total=total, path=_shorten(path))

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _shorten(path: str, width: int = 50) -> str:
    return path if len(path) <= width else "…" + path[-(width - 1) :]


def emit(report: Report, plan: list[tuple[str, Path | None]], *, verbose: bool = False, quiet: bool = False) -> None:
    """Print or write every requested format, then the stderr lines logs rely on."""
    from nbsec import reporters

    for fmt, path in plan:
        if path is not None:
            written = _write(report, fmt, path)
            _echo_err(f"nbsec: wrote {fmt} report to {written}")
        elif fmt != "console":
            click.echo(reporters.render(report, fmt))
        elif quiet:
            click.echo(report.summary_line())
        else:
            from nbsec.reporters.console import print_report  # rich: only when it prints

            print_report(report, verbose=verbose)
    if any(fmt != "console" or path is not None for fmt, path in plan):
        # stdout holds a machine format (or nothing): a human-readable line for the logs.
        _echo_err(f"nbsec: {report.summary_line()}")
        _print_errors(report)
    elif report.errors:
        _echo_err(f"nbsec: {len(report.errors)} target(s) could not be scanned; this scan is not clean")
    if report.baseline is not None:
        b = report.baseline
        _echo_err(
            f"nbsec: baseline {b.get('path')}: {b.get('new')} new, {b.get('unchanged')} unchanged, "
            f"{b.get('fixed')} fixed"
        )


def _write(report: Report, fmt: str, path: Path) -> Path:
    from nbsec import reporters

    try:
        return Path(reporters.write(report, fmt, path))
    except OSError as exc:
        raise UsageError(
            f"{path}: cannot write the {fmt} report ({exc.strerror or exc})",
            "check that the folder exists and is writable",
        ) from None


def _print_errors(report: Report) -> None:
    if not report.errors:
        return
    _echo_err(f"nbsec: {len(report.errors)} target(s) could not be scanned; this scan is not clean:")
    for error in report.errors:
        _echo_err(f"  {error.target}: {error.message}")


def exit_code(report: Report, fail_on: Severity | None) -> int:
    """1 for findings at or above `fail_on` (None = never) or any scan error; else 0."""
    if report.errors:
        return EXIT_FINDINGS  # something was not scanned: "clean" would be a lie
    if fail_on is not None and report.at_or_above(fail_on):
        return EXIT_FINDINGS
    return EXIT_CLEAN


# -- schema ------------------------------------------------------------------------------

SCHEMA_HELP = """\
Print the JSON schema that every JSON report (`nbsec scan -f json`)
validates against, or with --path where the schema file is installed.

\b
Examples:
  nbsec schema > report.v1.json
  nbsec schema --path
"""


@cli.command("schema", help=SCHEMA_HELP, short_help="Print the JSON report schema.")
@click.option("--path", "show_path", is_flag=True, help="Print the schema file's path instead of its content.")
def schema_command(show_path: bool) -> None:
    from nbsec.model import schema_path

    path = Path(schema_path())
    click.echo(str(path) if show_path else path.read_text(encoding="utf-8").rstrip("\n"))


# -- demo ----------------------------------------------------------------------------------

DEMO_HELP = """\
Build a small demo workspace (a notebook with fake credentials, unsafe model
and data loading, trust_remote_code and eval on model output; nothing is
downloaded), scan it, and write HTML, JSON and SARIF reports into DIR/reports/.
Exits 0 although the demo has findings: it is a demo.

\b
Examples:
  nbsec demo
  nbsec demo /tmp/nbsec-demo
  nbsec demo --no-scan && nbsec scan nbsec-demo
"""

DEMO_FORMATS = ("html", "json", "sarif")


@cli.command("demo", help=DEMO_HELP, short_help="Build a demo workspace, scan it, write reports.")
@click.argument("directory", default="nbsec-demo", type=click.Path(path_type=str, file_okay=False))
@click.option("--no-scan", is_flag=True, help="Only write the demo files.")
def demo_command(directory: str, no_scan: bool) -> None:
    from nbsec.demo import build_demo

    root = Path(directory)
    files = build_demo(root)
    click.echo(f"demo workspace: {root.resolve()} ({len(files)} files)")
    if no_scan:
        click.echo(f"scan it with: nbsec scan {_quote(directory)}")
        return
    from nbsec.reporters.console import print_report

    # Scan exactly the demo's files, not DIR: reports from an earlier run are not part of the demo.
    cfg = build_config([str(root)], {}, (), None)
    report = run_scan([str(f) for f in files], cfg, ())
    print_report(report)
    written = {
        fmt: _write(report, fmt, root / "reports" / f"{DEFAULT_REPORT_STEM}{_extension(fmt)}") for fmt in DEMO_FORMATS
    }
    for fmt in ("json", "sarif"):
        click.echo(f"{fmt.upper()} report: {written[fmt].resolve()}")
    html = written["html"].resolve()
    click.echo(f"HTML report: {html}")
    click.echo(f"open it with: python -m webbrowser {html.as_uri()}")


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


# -- command families (each module adds its commands to `cli`) ---------------------------


def _load_command_families() -> None:
    """Every module in nbsec/commands adds its commands to `cli` when imported."""
    import importlib
    import pkgutil

    import nbsec.commands

    for info in sorted(pkgutil.iter_modules(nbsec.commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"nbsec.commands.{info.name}")


_load_command_families()

# -- entry point -------------------------------------------------------------------------------


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (what `main` exits with)."""
    try:
        rv = cli.main(args=list(argv) if argv is not None else None, prog_name="nbsec", standalone_mode=False)
    except click.UsageError as exc:  # errors in the top-level options, before any command ran
        _print_usage_error(exc)
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        _echo_err("aborted")
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
    # `python -m nbsec.cli`: run the imported module, on whose `cli` the command families registered.
    from nbsec.cli import main as _main

    _main()
