"""`%aisec fix PATH`: the fixes of PATH's findings as diffs in the notebook, and an Apply button.

    %aisec fix notebooks/                         # the diffs (secrets redacted) and an Apply button
    %aisec fix demo.ipynb --rule NBSEC-NB-011     # only credentials in outputs
    %aisec fix . --apply                          # write them now, show what was fixed

The view is the plan's diffs (nbsec.display.fix_view) with an Apply button that writes exactly the plan shown
(a file changed since is refused) and then shows, per finding, fixed or remains and why. It is shown with its
static twin, so a reopened notebook still shows the diffs and the result. The Report (with its `fixes`) is kept
in `_aisec_report` as every subcommand's. The fix machinery is imported in the handler.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from nbsec.magics import Subcommand, add_report_options, present, register_subcommand, settings

if TYPE_CHECKING:
    import argparse

    from nbsec.magics import AisecMagics


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders whose findings to fix")
    parser.add_argument(
        "--rule", dest="rules", action="append", default=[], metavar="RULE", help="only this rule id or prefix"
    )
    parser.add_argument("--apply", action="store_true", help="write the changes now (no button)")
    parser.add_argument(
        "--no-backup", dest="backup", action="store_false", help="do not keep the old bytes in .nbsec/backups/"
    )
    parser.add_argument(
        "--outputs",
        choices=("redact", "clear", "strip"),
        default="redact",
        type=str.lower,
        help="how to fix an output that holds a finding [redact]",
    )
    add_report_options(parser)


def _run(magics: AisecMagics, args: argparse.Namespace, cell: str | None) -> Any:
    from nbsec import api

    cfg = settings(args, args.paths[0])
    options = {"outputs": args.outputs}
    rules = args.rules or None
    if args.apply:
        report = api.fix(args.paths, rules=rules, apply=True, backup=args.backup, options=options, config=cfg)
        return _show(magics, report, args)
    pending = api.plan_fix(args.paths, rules=rules, options=options, config=cfg)
    if args.formats or args.output or args.quiet or args.verbose:
        return present(magics, pending.report, args)
    magics.remember(pending.report)
    try:
        from nbsec.display.fix_view import FixView

        return FixView(pending, backup=args.backup, on_apply=magics.remember)
    except ImportError:  # no ipywidgets: the diffs, and how to apply them
        print("hint: install ipywidgets for the Apply button, or run %aisec fix ... --apply", file=sys.stderr)
        return _html(pending.report)


def _show(magics: AisecMagics, report: Any, args: argparse.Namespace) -> Any:
    if args.formats or args.output or args.quiet or args.verbose:
        return present(magics, report, args)
    magics.remember(report)
    return _html(report)


def _html(report: Any) -> Any:
    from IPython.display import HTML

    from nbsec.display.fix_view import fixes_html

    return HTML(fixes_html(report.fixes)) if report.fixes is not None else report


register_subcommand(
    Subcommand(
        "fix",
        "fix findings: the diffs (secrets redacted) and an Apply button; --apply writes at once",
        (
            "%aisec fix notebooks/",
            "%aisec fix demo.ipynb --rule NBSEC-NB-011",
            "%aisec fix . --outputs strip --apply",
        ),
        _arguments,
        _run,
    )
)
