"""`%aisec robustness MODEL DATA`: adversarial robustness of a PyTorch model in the notebook's namespace.

    %aisec robustness model test_loader --eps 0.05 0.1 0.2
    r = %aisec robustness model xy --attacks pgd square --norm l2 --eps 0.5 1.0
    %aisec robustness model xy --eps 0.1 --no-plots --no-progress

MODEL and DATA name variables: MODEL an nn.Module returning logits, DATA a
DataLoader of (x, y) batches or an (inputs, labels) tuple. Shows the plotly
figures (robustness curve, per-class bars, clean-vs-adversarial examples for
images) and returns the Report. torch and plotly are imported in the handler.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nbsec.magics import AisecMagics, Subcommand, add_report_options, present, register_subcommand, settings

ATTACK_CHOICES = ("fgsm", "pgd", "apgd-ce", "apgd-dlr", "apgd-t", "square")


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="name of an nn.Module variable (returns logits)")
    parser.add_argument("data", metavar="DATA", help="name of a DataLoader or an (inputs, labels) tuple variable")
    parser.add_argument("--eps", nargs="+", type=float, metavar="EPS", help="epsilons (default: by norm)")
    parser.add_argument("--attacks", nargs="+", choices=ATTACK_CHOICES, type=str.lower, metavar="ATTACK",
                        help=f"attacks, worst case per sample (default: pgd apgd-ce apgd-t square); "
                        f"choices: {', '.join(ATTACK_CHOICES)}")  # fmt: skip
    parser.add_argument("--norm", choices=("linf", "l2"), default="linf", type=str.lower)
    parser.add_argument("--steps", type=int, default=40, help="PGD/APGD iterations (default 40)")
    parser.add_argument("--queries", type=int, default=1000, help="Square queries per sample (default 1000)")
    parser.add_argument("--n", dest="n_samples", type=int, metavar="N", help="attack only the first N samples")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--bounds", nargs=2, type=float, default=(0.0, 1.0), metavar=("LO", "HI"))
    parser.add_argument("--target", type=int, help="make every attack targeted at this class")
    parser.add_argument("--floor", type=float, default=0.5, help="robust-accuracy floor for NBSEC-ADV-001")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-plots", action="store_true", help="return the Report without showing figures")
    add_report_options(parser)  # -f -o --fail-on -q -v --no-progress and the policy options


def _lookup(magics: AisecMagics, name: str, what: str) -> Any:
    from nbsec.errors import UsageError

    namespace = magics.shell.user_ns if magics.shell is not None else {}
    if name not in namespace:
        raise UsageError(f"{what} {name!r} is not a variable in this notebook", f"define {name} first, then re-run")
    return namespace[name]


def _run(magics: AisecMagics, args: argparse.Namespace, cell: str | None) -> Any:
    model = _lookup(magics, args.model, "MODEL")
    data = _lookup(magics, args.data, "DATA")
    from nbsec import api
    from nbsec.adversarial.evasion import DEFAULT_ATTACKS

    report = api.evaluate_robustness(
        model, data, config=settings(args), attacks=tuple(args.attacks or DEFAULT_ATTACKS), epsilons=args.eps,
        norm=args.norm, steps=args.steps, queries=args.queries, n_samples=args.n_samples,
        batch_size=args.batch_size, bounds=tuple(args.bounds), target=args.target, floor=args.floor,
        seed=args.seed, name=args.model, progress=not (args.no_progress or args.quiet),
    )  # fmt: skip
    if not (args.no_plots or args.quiet):
        try:
            from nbsec.display.views import show_robustness

            show_robustness(report)
        except ImportError as exc:  # plotly missing: the Report still says everything
            print(f"nbsec: figures not shown ({exc}); pip install plotly", file=sys.stderr)
    return present(magics, report, args)


register_subcommand(
    Subcommand(
        "robustness",
        "adversarial robustness of a PyTorch model (evasion attacks, worst case, sanity checks); returns the Report",
        (
            "%aisec robustness model test_loader --eps 0.05 0.1 0.2",
            "r = %aisec robustness model xy --attacks pgd square --norm l2 --eps 0.5 1.0",
        ),
        _arguments,
        _run,
    )
)
