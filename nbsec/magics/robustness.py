"""`%aisec robustness MODEL DATA`: adversarial robustness of a PyTorch model, from the notebook.

    %aisec robustness model test_loader --eps 0.05 0.1 0.2
    r = %aisec robustness model xy --attacks pgd square --norm l2 --eps 0.5 1.0
    %aisec robustness nbsec-demo/models/digits_cnn.pt digits --arch nbsec.adversarial.demo_models:DigitsCNN
    %aisec robustness models/scripted.pt xy              # a TorchScript file needs no --arch

MODEL is a variable (an nn.Module returning logits, or a state dict with --arch) or a model file: a
state dict saved with torch.save(model.state_dict(), path) plus its class as --arch module:Class
(built with no arguments or --arch-kwargs JSON), or a TorchScript archive. A file is scanned by nbsec
first and refused if loading it could run code; a state dict is read with weights_only=True only
(nbsec.adversarial.loading). In Python the demo models load in one line:
from nbsec.adversarial.demo_models import load_demo_model; model = load_demo_model("nbsec-demo/models/digits_cnn.pt")
DATA is a variable (a DataLoader of (x, y) batches or an (inputs, labels) tuple) or `digits`:
scikit-learn's bundled 8x8 digits (no download), the test split the demo models were not trained on.

Shows the Report with its figures drawn as inline SVG (robustness curve, per-class bars, example
images): one light output that survives closing the notebook; --plotly adds the interactive plotly
figures. torch is imported in the handler.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

# The kernel-side progress bar (HTML in Jupyter, no widget), registered for the adversarial runners on %load_ext.
import nbsec.display.progress  # noqa: F401
from nbsec.magics import AisecMagics, Subcommand, add_report_options, present, register_subcommand, settings

DIGITS = "digits"
DEMO_EXAMPLE = "%aisec robustness nbsec-demo/models/digits_cnn.pt digits --arch nbsec.adversarial.demo_models:DigitsCNN"
EPILOG = f"""\
A model file is scanned by nbsec before it is loaded and refused if loading it could run code;
a state dict is read with torch.load(weights_only=True) only, then loaded into --arch's class.
  {DEMO_EXAMPLE}
In Python, the demo models in one line:
  from nbsec.adversarial.demo_models import load_demo_model; model = load_demo_model("nbsec-demo/models/digits_cnn.pt")
"""
ATTACK_CHOICES = ("fgsm", "pgd", "apgd-ce", "apgd-dlr", "apgd-t", "square")


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model",
        metavar="MODEL",
        help="an nn.Module variable (returns logits), or a model file: a state dict (with --arch) or TorchScript",
    )
    parser.add_argument(
        "data",
        metavar="DATA",
        help="a DataLoader or (inputs, labels) tuple variable, or 'digits' (scikit-learn's 8x8 digits, "
        "the demo's test split)",
    )
    parser.add_argument(
        "--arch",
        metavar="MODULE:CLASS",
        help="the class of a state dict, e.g. nbsec.adversarial.demo_models:DigitsCNN (the demo's)",
    )
    parser.add_argument("--arch-kwargs", metavar="JSON", help="its constructor arguments as a JSON object")
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
    parser.add_argument("--plotly", action="store_true", help="also show the interactive plotly figures (heavier)")
    add_report_options(parser)  # -f -o --fail-on -q -v --no-progress and the policy options
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG


def _namespace(magics: AisecMagics) -> dict[str, Any]:
    return magics.shell.user_ns if magics.shell is not None else {}


def _arch_kwargs(text: str | None) -> dict[str, Any]:
    from nbsec.errors import UsageError

    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"--arch-kwargs {text!r}: not JSON ({exc})", "e.g. --arch-kwargs '{\"hidden\": 64}'") from None
    if not isinstance(value, dict):
        raise UsageError(f"--arch-kwargs {text!r}: expected a JSON object", "e.g. --arch-kwargs '{\"hidden\": 64}'")
    return value


def _model(magics: AisecMagics, args: argparse.Namespace) -> Any:
    """The variable named MODEL (a state dict gets its --arch class), else the model file at that path."""
    from nbsec.errors import UsageError

    namespace = _namespace(magics)
    kwargs = _arch_kwargs(args.arch_kwargs)
    if args.model in namespace:
        value = namespace[args.model]
        from collections.abc import Mapping

        if isinstance(value, Mapping) and not hasattr(value, "forward"):
            from nbsec.adversarial.loading import build_module

            return build_module(value, args.arch, kwargs, what=args.model)
        return value
    if Path(args.model).is_file():
        from nbsec.adversarial.loading import load_model

        return load_model(args.model, args.arch, kwargs)
    raise UsageError(
        f"MODEL {args.model!r} is not a variable in this notebook, nor a model file",
        "define the variable, or give the path of a state dict (with --arch module:Class) or a TorchScript file; "
        f"for the demo: {DEMO_EXAMPLE}",
    )


def _data(magics: AisecMagics, name: str) -> Any:
    from nbsec.errors import UsageError

    namespace = _namespace(magics)
    if name in namespace:
        return namespace[name]
    if name == DIGITS:
        from nbsec.adversarial.demo_models import load_digits_split

        split = load_digits_split()
        return split.x_test, split.y_test
    raise UsageError(
        f"DATA {name!r} is not a variable in this notebook",
        f"define {name} (a DataLoader or an (inputs, labels) tuple) first, or use {DIGITS!r} for scikit-learn's "
        "8x8 digits",
    )


def _run(magics: AisecMagics, args: argparse.Namespace, cell: str | None) -> Any:
    model = _model(magics, args)
    data = _data(magics, args.data)
    from nbsec import api
    from nbsec.adversarial.evasion import DEFAULT_ATTACKS
    from nbsec.display.progress import progress_bar

    quiet = args.no_progress or args.quiet
    report = api.evaluate_robustness(
        model, data, config=settings(args), attacks=tuple(args.attacks or DEFAULT_ATTACKS), epsilons=args.eps,
        norm=args.norm, steps=args.steps, queries=args.queries, n_samples=args.n_samples,
        batch_size=args.batch_size, bounds=tuple(args.bounds), target=args.target, floor=args.floor,
        seed=args.seed, name=args.model, progress=False if quiet else progress_bar,
    )  # fmt: skip
    if not (args.no_plots or args.quiet):
        from nbsec.display.views import show_robustness

        try:
            report = show_robustness(report, plotly=args.plotly)
        except ImportError as exc:  # plotly missing: the SVG figures still say everything
            print(f"nbsec: interactive figures not shown ({exc}); pip install plotly", file=sys.stderr)
            report = show_robustness(report)
    return present(magics, report, args)


register_subcommand(
    Subcommand(
        "robustness",
        "adversarial robustness of a PyTorch model (evasion attacks, worst case, sanity checks); returns the Report",
        (
            "%aisec robustness model test_loader --eps 0.05 0.1 0.2",
            "r = %aisec robustness model xy --attacks pgd square --norm l2 --eps 0.5 1.0",
            DEMO_EXAMPLE,
        ),
        _arguments,
        _run,
    )
)
