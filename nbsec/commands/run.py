"""`nbsec run`: headless assessment notebooks (papermill), batches, run history; `nbsec runs history`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from nbsec.commands._group import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, NbsecGroup
from nbsec.commands._output import (
    OutputOptions,
    PolicyOptions,
    exit_code,
    output_options,
    settings,
    threshold,
)
from nbsec.errors import UsageError

if TYPE_CHECKING:
    from nbsec.model import Report, Severity
    from nbsec.runner.history import Change, RunHistory
    from nbsec.runner.job import JobResult
    from nbsec.runner.params import Parameter
    from nbsec.runner.summary import TargetSummary

DEFAULT_FORMATS = ("json", "html")
_NO_POLICY = PolicyOptions()

RUN_HELP = """\
Run an assessment notebook headlessly (papermill), read back the Report(s) it
displays, and write the reports (-f, default json and html) and the executed
notebook into the folder -o/--output.
NOTEBOOK is a path or the name of a shipped notebook (`nbsec run --list`).
Progress goes to stderr, one line per cell.

\b
Examples:
  nbsec run --list
  nbsec run full_assessment -o out -f json,sarif,html,junit
  nbsec run model_artifact_assessment -p workspace ./models -o out
  nbsec run notebook_hygiene --parameters-file params.yaml -o out --fail-on medium
  nbsec run model_artifact_assessment --matrix targets.yaml --workers 4 -o nightly
  nbsec run model_artifact_assessment --matrix targets.yaml --dask-scheduler tcp://10.0.0.5:8786 -o nightly
  nbsec runs history

\b
Exit codes:
  0  the notebook ran and nothing is at or above --fail-on
  1  findings at or above --fail-on, or something it checked could not be scanned
  2  the notebook failed (cell error, timeout, dead kernel, no Report; the error
     and its cell are in the Report and the executed notebook is kept), or a
     usage error such as an unknown parameter

\b
Run history: each run is appended to .nbsec/runs.db (--history FILE to choose,
--no-history for none) and compared with the target's last completed run:
new, fixed and unchanged findings. `nbsec runs history --plot trend.html` plots it.
"""


def _validate_formats(raw: tuple[str, ...]) -> list[str]:
    try:
        from nbsec.display import formats as rendering

        parsed = rendering.parse(raw or DEFAULT_FORMATS)
    except UsageError as exc:
        if any(part.endswith((".yaml", ".yml", ".json")) for part in raw):  # `-f params.yaml`, papermill-style
            raise UsageError(exc.message, "-f is the report format, as in every nbsec command; "
                             "give a parameters file with --parameters-file FILE") from None  # fmt: skip
        raise
    formats = [f for f in parsed if f != "console"]  # the console summary is always printed
    return formats or list(DEFAULT_FORMATS)


def _print_catalog() -> None:
    from nbsec.runner.notebooks import notebooks_dir, shipped_notebooks

    infos = shipped_notebooks()
    if not infos:
        click.echo("no assessment notebooks in this install (expected nbsec/_notebooks or notebooks/)")
        return
    click.echo(f"assessment notebooks in {notebooks_dir()}:")
    for info in infos:
        click.echo(f"\n{info.name}\n  {info.title}")
        _print_parameters(info.parameters, indent="    ")


def _print_parameters(params: list[Parameter], indent: str = "  ") -> None:
    if not params:
        click.echo(f"{indent}(no parameters)")
    for param in params:
        click.echo(f"{indent}-p {param.name} {param.default}")
        if param.help:
            click.echo(f"{indent}    {param.help}")


def _default_target(stem: str, params: dict[str, Any]) -> str:
    if not params:
        return stem
    shown = ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
    return f"{stem}({shown})"[:200]


def _open_history(path: str | None, disabled: bool) -> RunHistory | None:
    if disabled:
        return None
    from nbsec.runner.history import DEFAULT_HISTORY, RunHistory

    return RunHistory(Path(path) if path else DEFAULT_HISTORY)


def _echo_change(change: Change | None) -> None:
    if change is not None:
        click.echo(f"nbsec: history {change.target}: {change.describe()}", err=True)


def _outcome(report: Report, fail_on: Severity | None) -> int:
    from nbsec.runner.collect import notebook_failed

    return EXIT_USAGE if notebook_failed(report) else exit_code(report, fail_on)


@click.command("run", help=RUN_HELP, short_help="Run assessment notebooks headlessly; exit 0/1/2.")
@click.argument("notebook", required=False)
@click.option("-p", "--parameter", "pairs", multiple=True, type=(str, str), metavar="NAME VALUE", help="Set one.")
@click.option(
    "--parameters-file", "param_files", multiple=True, type=click.Path(path_type=Path), help="YAML parameters."
)
@output_options(output_help="Folder for the reports (-f, default json,html) and the executed notebook.")
# The folder was --output-dir before the output options were shared; scripts that say so keep working.
@click.option("--output-dir", "output_dir", type=click.Path(path_type=str, file_okay=False), hidden=True)
@click.option("--timeout", type=click.FloatRange(min=1), default=1800, show_default=True, help="Whole-run limit (s).")
@click.option("--cell-timeout", type=click.FloatRange(min=1), help="Limit per cell (s) [default: --timeout].")
@click.option("--kernel", help="Kernel name [default: this Python, so the kernel sees this nbsec].")
@click.option("--matrix", type=click.Path(path_type=Path, dir_okay=False), help="YAML file: one run per target.")
@click.option("--workers", type=click.IntRange(min=1), default=os.cpu_count() or 1, help="Local processes (--matrix).")
@click.option("--dask-scheduler", metavar="ADDRESS", help="Run the --matrix jobs on this Dask scheduler instead.")
@click.option("--name", "target_name", help="Target name in the run history [default: notebook and parameters].")
@click.option("--history", "history_path", type=click.Path(path_type=str, dir_okay=False), help="History file.")
@click.option("--no-history", is_flag=True, help="Do not record this run.")
@click.option("--list", "list_notebooks", is_flag=True, help="List the shipped notebooks and their parameters.")
@click.option("--help-notebook", is_flag=True, help="Show NOTEBOOK's parameters and exit.")
@click.pass_context
def run_command(
    ctx: click.Context,
    notebook: str | None,
    pairs: tuple[tuple[str, str], ...],
    param_files: tuple[Path, ...],
    out: OutputOptions,
    output_dir: str | None,
    timeout: float,
    cell_timeout: float | None,
    kernel: str | None,
    matrix: Path | None,
    workers: int,
    dask_scheduler: str | None,
    target_name: str | None,
    history_path: str | None,
    no_history: bool,
    list_notebooks: bool,
    help_notebook: bool,
) -> None:
    from nbsec.runner.notebooks import describe, resolve_notebook
    from nbsec.runner.params import build_parameters

    if list_notebooks:
        _print_catalog()
        return
    if notebook is None:
        raise click.UsageError("give a NOTEBOOK (a path or a shipped name; see `nbsec run --list`)", ctx=ctx)
    path = resolve_notebook(notebook)
    info = describe(path)
    if help_notebook:
        click.echo(f"{info.name}: {info.title}\nparameters:")
        _print_parameters(info.parameters)
        return
    folder = out.output or output_dir
    if folder is None:
        raise click.UsageError("-o/--output is required: the reports and the executed notebook go there", ctx=ctx)
    if dask_scheduler and matrix is None:
        raise click.UsageError("--dask-scheduler runs the targets of a --matrix file; add --matrix", ctx=ctx)
    fmts = _validate_formats(out.formats)
    fail_on = threshold(settings(".", out, _NO_POLICY), out)
    params = build_parameters(info.parameters, pairs, param_files, notebook)
    history = _open_history(history_path, no_history)
    common = {"kernel": kernel, "timeout": timeout, "cell_timeout": cell_timeout}
    output = Path(folder)
    if matrix is not None:
        code = _run_matrix(path, info.parameters, params, matrix, output, fmts, fail_on, history, workers,
                           dask_scheduler, out, common)  # fmt: skip
    else:
        code = _run_single(path, params, output, fmts, fail_on, history, target_name, out, common)
    ctx.exit(code)


def _run_single(
    path: Path,
    params: dict[str, Any],
    output_dir: Path,
    fmts: list[str],
    fail_on: Severity | None,
    history: RunHistory | None,
    target_name: str | None,
    out: OutputOptions,
    common: dict[str, Any],
) -> int:
    from nbsec.display.report_view import text_summary
    from nbsec.runner.job import run_assessment

    executed = output_dir / f"{path.stem}.ipynb"
    if executed.resolve() == path.resolve():
        raise UsageError(
            f"{executed}: the executed notebook would overwrite its input", "choose another -o/--output folder"
        )

    def sink(line: str) -> None:
        click.echo(line, err=True)

    click.echo(f"nbsec: running {path} ({len(params)} parameter(s) set)", err=True)
    report, execution = run_assessment(
        path, executed, params, cwd=Path.cwd(), sink=None if out.quiet or out.no_progress else sink, **common
    )
    written = write_reports(report, output_dir, path.stem, fmts)
    code = _outcome(report, fail_on)
    if out.verbose:
        from nbsec.display.formats import print_console

        print_console(report, verbose=True)
    elif out.quiet:
        click.echo(report.summary_line())
    else:
        click.echo(text_summary(report, limit=20))
    click.echo(f"nbsec: executed notebook: {executed.resolve()}", err=True)
    for fmt, where in written.items():
        click.echo(f"nbsec: wrote {fmt} report to {where}", err=True)
    if "html" in written:
        click.echo(f"HTML report: {written['html'].resolve()}")
    if history is not None:
        change = history.record(
            target_name or _default_target(path.stem, params),
            str(path),
            report,
            completed=execution.ok,
            exit_code=code,
            report_path=str(next(iter(written.values()), "")),
        )
        _echo_change(change)
    if code == EXIT_USAGE:
        click.echo("nbsec: the notebook did not complete: see the error above and the executed notebook", err=True)
    return code


def _run_matrix(
    path: Path,
    declared: list[Parameter],
    params: dict[str, Any],
    matrix: Path,
    output_dir: Path,
    fmts: list[str],
    fail_on: Severity | None,
    history: RunHistory | None,
    workers: int,
    dask_scheduler: str | None,
    out: OutputOptions,
    common: dict[str, Any],
) -> int:
    from nbsec.model import utc_now_iso
    from nbsec.runner.batch import load_matrix, run_dask, run_local
    from nbsec.runner.job import Job
    from nbsec.runner.summary import write_summary

    targets = load_matrix(matrix, declared, str(path))
    cwd = str(Path.cwd())
    jobs = [
        Job(
            name, str(path.resolve()), {**params, **own}, cwd=cwd, progress=not (out.quiet or out.no_progress), **common
        )
        for name, own in targets
    ]
    where = f"Dask scheduler {dask_scheduler}" if dask_scheduler else f"{min(workers, len(jobs))} local process(es)"
    click.echo(f"nbsec: {len(jobs)} target(s) of {matrix} on {where}", err=True)

    def done(result: JobResult) -> None:
        took = f"{result.status} in {result.seconds:.1f} s on {result.worker}"
        click.echo(f"nbsec: target {result.name}: {took}", err=True)

    results = run_dask(jobs, dask_scheduler, done) if dask_scheduler else run_local(jobs, workers, done)
    batch = utc_now_iso()
    rows = [_write_target(result, path, output_dir, fmts, fail_on, history, batch) for result in results]
    trend = history.runs(limit=5000) if history is not None else []
    title = f"nbsec batch: {path.stem} over {len(rows)} target(s), {batch}"
    paths = write_summary(output_dir, rows, trend, title)
    for row in rows:
        click.echo(f"{row.name:24} {row.status:10} {row.summary_line}")
    click.echo(f"nbsec: summary: {paths['md'].resolve()}", err=True)
    click.echo(f"HTML summary: {paths['html'].resolve()}")
    codes = [row.exit_code for row in rows]
    if EXIT_USAGE in codes:
        return EXIT_USAGE
    return EXIT_FINDINGS if EXIT_FINDINGS in codes else EXIT_CLEAN


def _write_target(
    result: JobResult,
    path: Path,
    output_dir: Path,
    fmts: list[str],
    fail_on: Severity | None,
    history: RunHistory | None,
    batch: str,
) -> TargetSummary:
    from nbsec.model import Report
    from nbsec.runner.summary import TargetSummary

    report = Report.from_dict(result.report)
    folder = output_dir / result.name
    folder.mkdir(parents=True, exist_ok=True)
    executed = folder / f"{path.stem}.ipynb"
    if result.executed_notebook:
        executed.write_text(result.executed_notebook, encoding="utf-8")
    written = write_reports(report, folder, path.stem, fmts)
    code = _outcome(report, fail_on)
    row = TargetSummary(
        result.name,
        result.status,
        code,
        report.summary_line(),
        report.counts(),
        result.seconds,
        result.worker,
        executed=executed.relative_to(output_dir).as_posix() if result.executed_notebook else "",
        reports={fmt: p.relative_to(output_dir).as_posix() for fmt, p in written.items()},
        errors=[f"{e.target}: {e.message}" for e in report.errors],
    )
    if history is not None:
        row.change = history.record(
            result.name,
            str(path),
            report,
            completed=result.completed,
            exit_code=code,
            report_path=str(next(iter(written.values()), "")),
            batch=batch,
        )
        _echo_change(row.change)
    return row


# -- nbsec runs history ---------------------------------------------------------------------------

RUNS_HELP = "The run history that `nbsec run` records (SQLite, .nbsec/runs.db by default)."

HISTORY_HELP = """\
List recorded runs, oldest first: when, which target, how it ended and how
many findings; with --plot, write the trend (findings per target over runs)
as an HTML file (plotly; plotly.min.js is written beside it, no CDN).

\b
Examples:
  nbsec runs history
  nbsec runs history --target base-model --plot trend.html
"""


@click.group("runs", cls=NbsecGroup, help=RUNS_HELP, short_help="The run history of `nbsec run`.")
def runs_group() -> None:
    pass


@runs_group.command("history", help=HISTORY_HELP, short_help="List recorded runs; plot the trend.")
@click.option("--history", "history_path", type=click.Path(path_type=str, dir_okay=False), help="History file.")
@click.option("--target", help="Only this target.")
@click.option("--plot", type=click.Path(path_type=Path, dir_okay=False), help="Write the trend plot (HTML) here.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Most recent runs to show.")
def runs_history_command(history_path: str | None, target: str | None, plot: Path | None, limit: int) -> None:
    from nbsec.runner.history import trend_figure

    history = _open_history(history_path, False)
    assert history is not None
    if not history.path.exists():
        raise UsageError(f"{history.path}: no run history yet", "run `nbsec run NOTEBOOK -o DIR` first")
    rows = history.runs(target, limit=limit)
    click.echo(f"{'RUN':>5}  {'RECORDED (UTC)':24}  {'STATUS':9}  {'FINDINGS':>8}  TARGET")
    for row in rows:
        click.echo(f"{row.id:>5}  {row.recorded_at:24}  {row.status:9}  {row.total:>8}  {row.target}")
    if plot is not None:
        if not rows:
            raise UsageError("no runs to plot", "check --target against the names listed without it")
        plot.parent.mkdir(parents=True, exist_ok=True)
        trend_figure(rows).write_html(str(plot), include_plotlyjs="directory")
        click.echo(f"nbsec: wrote the trend plot to {plot}", err=True)


def write_reports(report: Report, folder: Path, stem: str, formats: list[str]) -> dict[str, Path]:
    """Render `report` in each format (console excepted) into `folder/stem.<ext>`."""
    from nbsec.display import formats as rendering

    return {
        fmt: rendering.write(report, fmt, folder / f"{stem}{rendering.extension(fmt)}")
        for fmt in formats
        if fmt != "console"
    }
