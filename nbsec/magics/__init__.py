"""`%aisec`: nbsec inside IPython, Jupyter and VS Code notebooks.

    %load_ext nbsec
    %aisec scan notebooks/            # shows the Report below the cell
    r = %aisec scan "My Models/"      # ... or keeps it
    %aisec report --format html -o report.html

Each subcommand is a `Subcommand` in `SUBCOMMANDS` (its options and its
handler). Feature subcommands (`robustness`, `threatmodel`, `lineage`, ...) live
in their own modules in this package and call `register_subcommand()`; every
module here is imported when the magics load, so a new one plugs in without
touching the dispatcher. Those modules import their feature inside `run`.
Nothing here raises at the user for a typo: bad input prints usage or
`error:`/`hint:` and returns None. `%load_ext nbsec` stays fast because the
engine, reporters and rich are imported inside the handlers, on first use.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, line_cell_magic, magics_class

if TYPE_CHECKING:
    import argparse

    from nbsec.config import Config
    from nbsec.errors import NbsecError
    from nbsec.model import Report
    from nbsec.options import Option

MAGIC_NAME = "aisec"
USER_NS_REPORT = "_aisec_report"
NO_REPORT_MESSAGE = "no report yet: run %aisec scan PATH first"
HISTORY_SIZE = 20  # Reports kept for `%aisec compliance --report N` (the Report objects, not copies)


@dataclass(frozen=True)
class Subcommand:
    """One `%aisec NAME ...`: how to parse it and what to do with the parsed arguments.

    `run(magics, args, cell)` returns what the magic returns (displayed when it is
    a cell's last expression); `cell` is the body of `%%aisec NAME`, else None.
    """

    name: str
    summary: str
    examples: tuple[str, ...]
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[AisecMagics, argparse.Namespace, str | None], Any]
    takes_cell: bool = False


# -- help ------------------------------------------------------------------------------


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def help_text() -> str:
    lines = [
        "%aisec: AI-security checks in the notebook (nbsec).",
        "",
        "Subcommands:",
    ]
    width = max(len(name) for name in SUBCOMMANDS)
    for spec in SUBCOMMANDS.values():
        lines.append(f"  {spec.name:<{width}}  {spec.summary}")
    lines += ["", "Examples:"]
    for spec in SUBCOMMANDS.values():
        lines.extend(f"  {example}" for example in spec.examples)
    lines += [
        "",
        "Options of one subcommand: %aisec SUBCOMMAND -h. Quote paths with spaces.",
        f"The last report is kept in the variable {USER_NS_REPORT}.",
    ]
    return "\n".join(lines)


def _run_help(magics: AisecMagics, args: argparse.Namespace, cell: str | None) -> None:
    print(help_text())


# -- the options every Report subcommand shares (one table with the CLI: nbsec.options) -----------------


def add_options(parser: argparse.ArgumentParser, options: tuple[Option, ...]) -> None:
    """Add options from the shared table as argparse arguments (the CLI adds the same as click options)."""
    for option in options:
        kwargs: dict[str, Any] = {"dest": option.dest, "help": option.help}
        if option.kind == "flag":
            kwargs["action"] = "store_true"
        elif option.kind == "multiple":
            kwargs.update(action="append", default=[], metavar=option.metavar)
        elif option.kind == "choice":
            kwargs.update(choices=option.choices, type=str.lower)
        else:
            kwargs["metavar"] = option.metavar
        parser.add_argument(*option.flags, **kwargs)


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """-f -o --fail-on -q -v --no-progress, and --min-severity --exclude-rule --baseline --config."""
    from nbsec.options import OUTPUT_OPTIONS, POLICY_OPTIONS

    add_options(parser, (*OUTPUT_OPTIONS, *POLICY_OPTIONS))


def settings(args: argparse.Namespace, start: str | None = None) -> Config:
    """The config for this magic: the file found above `start` (or the kernel's folder), NBSEC_*, the options."""
    from nbsec.api import configure

    return configure(
        start,
        fail_on=args.fail_on,
        min_severity=args.min_severity,
        baseline=args.baseline,
        exclude_rules=args.exclude_rule,
        allow_globals=getattr(args, "allow_global", ()) or (),
        config_file=args.config_file,
    )


def present(magics: AisecMagics, report: Report, args: argparse.Namespace) -> Any:
    """Keep the Report, then show it as the shared output options say.

    No option: the Report is returned, so the cell shows it (and `r = %aisec ...` keeps it).
    `-o PATH`: written there (formats from -f or the file name), and still returned.
    `-f FMT` alone: shown in that format (HTML is returned as HTML, so the cell displays it).
    `-q`: the summary line. `-v`: the console view with remediation and suppressed findings.
    `--fail-on`: a warning line (a notebook has no exit code).
    The Report is always kept in `_aisec_report` and for `%aisec report`.
    """
    from nbsec.display import formats

    magics.remember(report)
    _warn_fail_on(report, args.fail_on)
    show = bool(args.formats) and not args.quiet and not args.verbose  # -f alone: shown in that format
    shown, displayable = _write_or_show(report, args.formats, args.output, show=show)
    if args.verbose:
        formats.print_console(report, verbose=True)
        return None
    if args.quiet:
        print(report.summary_line())
        return None
    return displayable if shown else report


def _warn_fail_on(report: Report, fail_on: str | None) -> None:
    """A notebook has no exit code: say on stderr what the CLI would have failed on."""
    from nbsec.model import Severity

    if fail_on is None or fail_on == "never":
        return
    over = report.at_or_above(Severity.parse(fail_on))
    if over:
        print(f"nbsec: {len(over)} finding(s) at or above {fail_on} (--fail-on {fail_on})", file=sys.stderr)
    if report.errors:
        print(f"nbsec: {len(report.errors)} target(s) could not be scanned", file=sys.stderr)


def _write_or_show(report: Report, fmts: list[str], output: str | None, *, show: bool = True) -> tuple[bool, Any]:
    """Write the formats that have a path (-o); show the one that has none when `show`.

    Returns (whether a format was shown, what the cell should display: HTML, or None when it was
    printed). Both `present` and `%aisec report` use it.
    """
    from nbsec.display import formats

    shown, displayable = False, None
    for fmt, path in formats.plan(formats.parse(fmts, output), output):
        if path is not None:
            print(f"wrote {fmt} report to {formats.write(report, fmt, path)}")
        elif show:
            shown, displayable = True, _show_format(report, fmt)
    return shown, displayable


def _show_format(report: Report, fmt: str) -> Any:
    """The report in `fmt` the way IPython shows it best: HTML returned as HTML (the cell displays it),
    the console view printed with rich (colours included), text formats printed."""
    from nbsec.display import formats

    if fmt == "html":
        from IPython.display import HTML

        return HTML(formats.render(report, fmt))
    if fmt == "console":
        formats.print_console(report)
    else:
        print(formats.render(report, fmt))
    return None


# -- scan ------------------------------------------------------------------------------


def _scan_arguments(parser: argparse.ArgumentParser) -> None:
    from nbsec.options import SCAN_OPTIONS

    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to scan")
    parser.add_argument(
        "--env",
        action="store_true",
        help="check the installed packages against known advisories (offline)",
    )
    parser.add_argument(
        "--kernel",
        action="store_true",
        help="scan this kernel: variables, DataFrames, credential env vars, input history",
    )
    add_report_options(parser)
    add_options(parser, SCAN_OPTIONS)


def _run_scan(magics: AisecMagics, args: argparse.Namespace, cell: str | None) -> Any:
    from nbsec import api

    if not args.paths and not args.kernel and not args.env:
        print("error: nothing to scan", file=sys.stderr)
        print(
            "hint: give a PATH, --kernel for this kernel's variables and history, or --env for its packages",
            file=sys.stderr,
        )
        return None
    kernel = None
    if args.kernel:
        from nbsec.scanners.notebook.kernel import KernelState

        namespace = magics.shell.user_ns if magics.shell is not None else {}
        kernel = KernelState(namespace, tuple(str(line) for line in namespace.get("In", [])[1:]))
    # One call, one Report: the config policy and the baseline apply to files, packages and kernel alike.
    report = api.scan(
        args.paths,
        only=args.only or None,
        config=settings(args, args.paths[0] if args.paths else None),
        environment=args.env,
        kernel=kernel,
    )
    return present(magics, report, args)


# -- report ----------------------------------------------------------------------------


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    from nbsec.options import FORMAT, OUTPUT

    add_options(parser, (FORMAT, OUTPUT))


def _run_report(magics: AisecMagics, args: argparse.Namespace, cell: str | None) -> Any:
    report = magics.last_report
    if report is None:
        print(NO_REPORT_MESSAGE)
        return None
    if not args.formats and args.output is None:
        return report
    return _write_or_show(report, args.formats, args.output)[1]


# -- the registry of subcommands ------------------------------------------------------------

SUBCOMMANDS: dict[str, Subcommand] = {
    spec.name: spec
    for spec in (
        Subcommand(
            "help",
            "show this help",
            ("%aisec help",),
            _no_arguments,
            _run_help,
        ),
        Subcommand(
            "scan",
            "scan files or folders; returns (and shows) the Report",
            (
                "%aisec scan notebooks/",
                'r = %aisec scan "My Models/" --only NBSEC-NB-001',
                "%aisec scan . --min-severity high --baseline .nbsec-baseline.json",
                "%aisec scan . -f sarif,html -o reports/           # written, and the Report still returned",
                "%aisec scan --kernel                      # this kernel: variables, env, history",
                "%aisec scan --env                         # installed packages vs advisories (offline)",
            ),
            _scan_arguments,
            _run_scan,
        ),
        Subcommand(
            "report",
            "the last report: shown, rendered in a format, or written to a file",
            (
                "%aisec report",
                "%aisec report -f md",
                "%aisec report --format html -o report.html",
                "%aisec report -o nbsec.sarif",
            ),
            _report_arguments,
            _run_report,
        ),
    )
}


def register_subcommand(spec: Subcommand) -> Subcommand:
    """Add `%aisec NAME`; a feature module in this package calls this at import."""
    if spec.name in SUBCOMMANDS:
        raise ValueError(f"%aisec {spec.name} is already registered")
    SUBCOMMANDS[spec.name] = spec
    return spec


def _load_feature_modules() -> None:
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


# -- parsing ------------------------------------------------------------------------------


def split_line(line: str) -> list[str]:
    """Shell-style words; quoted paths with spaces stay one word.

    On Windows, backslashes are path separators, not escapes, so posix rules
    would eat them; there the quotes are stripped by hand instead.
    """
    if os.name != "nt":
        return shlex.split(line)
    return [_unquote(word) for word in shlex.split(line, posix=False)]


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        return word[1:-1]
    return word


def build_parser() -> argparse.ArgumentParser:
    """`%aisec` with one argparse subparser per entry in SUBCOMMANDS."""
    import argparse

    parser = argparse.ArgumentParser(prog=f"%{MAGIC_NAME}", add_help=False)
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")
    for spec in SUBCOMMANDS.values():
        child = sub.add_parser(
            spec.name, prog=f"%{MAGIC_NAME} {spec.name}", help=spec.summary, description=spec.summary
        )
        spec.add_arguments(child)
    return parser


def parse(words: list[str]) -> argparse.Namespace | None:
    """Parsed arguments, or None when argparse already printed usage/help (it calls sys.exit)."""
    try:
        return build_parser().parse_args(words)
    except SystemExit:
        # argparse has printed the usage and the error (or -h's help): that is the answer.
        return None


def _print_error(exc: NbsecError) -> None:
    print(f"error: {exc.message}", file=sys.stderr)
    if exc.hint:
        print(f"hint: {exc.hint}", file=sys.stderr)


# -- the magic ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeptReport:
    """A Report this session made through %aisec: its number (1, 2, ... in order) and the command that made it."""

    number: int
    report: Report
    command: str = ""


@magics_class
class AisecMagics(Magics):
    """Holds the Reports of this IPython session (the last one, and a bounded history) and dispatches `%aisec`."""

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.last_report: Report | None = None
        self.history: list[KeptReport] = []  # oldest first, at most HISTORY_SIZE
        self._kept = 0
        self._command = ""

    def remember(self, report: Report) -> None:
        """Keep `report` as the last one and in the history (once, however often it is shown)."""
        self.last_report = report
        if not self.history or self.history[-1].report is not report:
            self._kept += 1
            self.history.append(KeptReport(self._kept, report, self._command))
            del self.history[:-HISTORY_SIZE]
        if self.shell is not None:
            self.shell.user_ns[USER_NS_REPORT] = report

    @line_cell_magic
    def aisec(self, line: str, cell: str | None = None) -> Any:
        """AI-security checks with nbsec. `%aisec help` lists the subcommands."""
        from nbsec.errors import NbsecError

        try:
            words = split_line(line)
        except ValueError as exc:  # unbalanced quotes
            print(f"error: cannot read the command line: {exc}", file=sys.stderr)
            print('hint: close the quote, e.g. %aisec scan "My Notebooks/"', file=sys.stderr)
            return None
        spec = SUBCOMMANDS.get(words[0]) if words else None
        if spec is None:
            print(help_text())
            return None
        if cell is not None and cell.strip() and not spec.takes_cell:
            print(f"error: %%{MAGIC_NAME} {spec.name} does not take a cell body", file=sys.stderr)
            print(f"hint: use the line magic: %{MAGIC_NAME} {line.strip()}", file=sys.stderr)
            return None
        args = parse(words)
        if args is None:
            return None
        self._command = f"%{MAGIC_NAME} {line.strip()}"  # what `remember` records a Report was made by
        try:
            return spec.run(self, args, cell)
        except NbsecError as exc:
            _print_error(exc)
            return None


def register_magics(ipython: Any) -> None:
    """Called by `%load_ext nbsec`."""
    ipython.register_magics(AisecMagics(shell=ipython))


def unregister_magics(ipython: Any) -> None:
    """Called by `%unload_ext nbsec`: remove `%aisec` / `%%aisec` if they are ours.

    IPython has no public unregister, so this undoes what `register_magics` did
    in the MagicsManager's tables.
    """
    manager = ipython.magics_manager
    ours = manager.registry.pop(AisecMagics.__name__, None)
    for kind in ("line", "cell"):
        table = manager.magics.get(kind, {})
        bound = table.get(MAGIC_NAME)
        if bound is not None and (ours is None or getattr(bound, "__self__", None) is ours):
            del table[MAGIC_NAME]


_load_feature_modules()
