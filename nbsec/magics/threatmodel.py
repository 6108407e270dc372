"""`%aisec threatmodel [FILE]`: the threat-model builder widget, backed by a YAML file.

The cell shows three outputs: the model's data (saved with the notebook, MIME
type application/vnd.nbsec.threatmodel.v1+json with a one-line text/plain, see
nbsec.threatmodel.notebook; updated when the builder saves), the live builder,
and the builder's static twin (header, threat list, SVG diagram and risk matrix:
what a reopened notebook shows once the kernel is gone; nbsec.display.twin).
The magic returns the builder, or with --report the Report, which is also kept
as the last report.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from nbsec.magics import Subcommand, add_report_options, present, register_subcommand, settings

if TYPE_CHECKING:
    import argparse

    from nbsec.magics import AisecMagics

DEFAULT_FILE = "threatmodel.nbsec.yaml"


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", nargs="?", default=DEFAULT_FILE, metavar="FILE", help=f"threat model YAML [{DEFAULT_FILE}]"
    )
    parser.add_argument(
        "--new", action="store_true", help="create FILE from the commented starter if it does not exist"
    )
    parser.add_argument(
        "--report", action="store_true", help="return the Report (NBSEC-TM-* findings) instead of the widget"
    )
    add_report_options(parser)


def _run(magics: AisecMagics, args: argparse.Namespace, cell: str | None) -> Any:
    from pathlib import Path

    from nbsec import api
    from nbsec.threatmodel import load

    path = Path(args.file)
    if not path.exists():
        if not args.new:
            print(f"error: {args.file}: no such threat model", file=sys.stderr)
            print(f"hint: %aisec threatmodel {args.file} --new creates it from a commented starter", file=sys.stderr)
            return None
        from nbsec.threatmodel.starter import STARTER

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(STARTER, encoding="utf-8")
    report = api.check_threat_model(path, config=settings(args, str(path)))
    if args.report:
        return present(magics, report, args)
    magics.remember(report)
    from IPython.display import display

    from nbsec.display.views import ThreatModelBuilder
    from nbsec.threatmodel.notebook import snapshot

    model = load(path, args.file)

    handle = display(snapshot(model, args.file), display_id=True)
    builder = ThreatModelBuilder(model, args.file)
    builder.snapshot_handle = handle  # Save refreshes the notebook's copy of the model
    return builder  # shown by its _ipython_display_: the live builder, then its static twin


register_subcommand(
    Subcommand(
        "threatmodel",
        "threat-model builder: elements, flows, controls, live threats, risk matrix, diagram",
        (
            "%aisec threatmodel threatmodel.nbsec.yaml",
            "%aisec threatmodel new-system.yaml --new",
            "r = %aisec threatmodel threatmodel.nbsec.yaml --report",
        ),
        _arguments,
        _run,
    )
)
