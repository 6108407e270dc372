"""Sanity checks against gradient masking (Carlini et al. 2019; AutoAttack's checks.py; ART's SecurityCurve).

A robustness number is only as good as the attack behind it. These checks look
for the signs that the gradient attacks were fooled rather than the model being
robust; each one that fails becomes an NBSEC-ADV-002 finding, each one that
passes a Check in the Report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from nbsec.adversarial.attacks import _loss_and_grad, pgd
from nbsec.adversarial.inputs import Bounds, ModelFn

ITERATIVE_GRADIENT_ATTACKS = ("pgd", "apgd-ce", "apgd-dlr", "apgd-t")
# A gradient-free attack beating a gradient attack by this much (accuracy points / 100) is "a wide margin".
BLACKBOX_MARGIN = 0.10
UNBOUNDED_ACCURACY_LIMIT = 0.05
ZERO_GRADIENT_LIMIT = 0.10


@dataclass(frozen=True)
class CheckOutcome:
    id: str
    description: str  # what a sound evaluation shows
    status: str  # passed | failed | skipped
    detail: str
    confidence: str = "medium"

    @property
    def problem(self) -> str:
        """What a failure of this check means, for a finding's title."""
        return PROBLEMS.get(self.id, self.id)


PROBLEMS = {
    "monotone-epsilon": "robust accuracy rises with epsilon",
    "blackbox-vs-whitebox": "a black-box attack beats gradient attacks",
    "more-steps": "more attack steps raise robust accuracy",
    "unbounded-epsilon": "an unbounded epsilon leaves accuracy above zero",
    "zero-gradient": "loss gradients are exactly zero",
}


@dataclass
class SanityResult:
    outcomes: list[CheckOutcome] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)  # name -> value, become metrics


def run_checks(
    model: ModelFn,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    accuracy: dict[str, list[float]],
    epsilons: list[float],
    n_samples: int,
    norm: str,
    steps: int,
    bounds: Bounds,
) -> SanityResult:
    """`x`, `y`: a subset of correctly classified samples, on the model's device; `accuracy`: per attack, per eps."""
    result = SanityResult()
    tolerance = max(0.01, 2.0 / max(n_samples, 1))
    result.outcomes.append(_monotone(accuracy, epsilons, tolerance))
    result.outcomes.append(_blackbox_vs_whitebox(accuracy, epsilons))
    if x.shape[0] == 0:
        for check_id, text in (
            ("more-steps", "more attack steps do not raise robust accuracy"),
            ("unbounded-epsilon", "an unbounded epsilon drives accuracy to about zero"),
            ("zero-gradient", "the loss gradient is not exactly zero for many inputs"),
        ):
            result.outcomes.append(CheckOutcome(check_id, text, "skipped", "no correctly classified sample to attack"))
        return result
    sub_tolerance = max(0.01, 2.0 / x.shape[0])
    result.outcomes.append(_more_steps(model, x, y, epsilons, norm, steps, bounds, sub_tolerance, result.figures))
    result.outcomes.append(_unbounded(model, x, y, norm, steps, bounds, result.figures))
    result.outcomes.append(_zero_gradients(model, x, y, result.figures))
    return result


def _monotone(accuracy: dict[str, list[float]], epsilons: list[float], tolerance: float) -> CheckOutcome:
    text = "robust accuracy does not rise with epsilon"
    if len(epsilons) < 2:
        return CheckOutcome("monotone-epsilon", text, "skipped", "needs at least two epsilons")
    rises = []
    for attack, values in accuracy.items():
        for i in range(len(values) - 1):
            if values[i + 1] > values[i] + tolerance:
                rises.append(
                    f"{attack}: {values[i]:.3f} at {epsilons[i]:g} -> {values[i + 1]:.3f} at {epsilons[i + 1]:g}"
                )
    if rises:
        return CheckOutcome("monotone-epsilon", text, "failed", "; ".join(rises), "medium")
    return CheckOutcome("monotone-epsilon", text, "passed", f"{len(accuracy)} curve(s), tolerance {tolerance:.3f}")


def _blackbox_vs_whitebox(accuracy: dict[str, list[float]], epsilons: list[float]) -> CheckOutcome:
    text = "the black-box attack does not beat white-box attacks by a wide margin"
    white = [a for a in ITERATIVE_GRADIENT_ATTACKS if a in accuracy]
    if "square" not in accuracy or not white:
        return CheckOutcome(
            "blackbox-vs-whitebox", text, "skipped", "needs 'square' and an iterative gradient attack in the suite"
        )
    beaten = []
    for i, eps in enumerate(epsilons):
        for attack in white:
            if accuracy["square"][i] < accuracy[attack][i] - BLACKBOX_MARGIN:
                beaten.append(f"square {accuracy['square'][i]:.3f} vs {attack} {accuracy[attack][i]:.3f} at {eps:g}")
    if beaten:
        return CheckOutcome("blackbox-vs-whitebox", text, "failed", "; ".join(beaten), "high")
    return CheckOutcome("blackbox-vs-whitebox", text, "passed", f"margin {BLACKBOX_MARGIN:.2f}, {len(white)} attack(s)")


def _accuracy_after_pgd(
    model: ModelFn, x: torch.Tensor, y: torch.Tensor, eps: float, norm: str, steps: int, bounds: Bounds
) -> float:
    result = pgd(model, x, y, eps=eps, norm=norm, steps=steps, random_start=False, bounds=bounds)
    return 1.0 - float(result.success.float().mean())


def _more_steps(
    model: ModelFn,
    x: torch.Tensor,
    y: torch.Tensor,
    epsilons: list[float],
    norm: str,
    steps: int,
    bounds: Bounds,
    tolerance: float,
    figures: dict[str, float],
) -> CheckOutcome:
    text = "more attack steps do not raise robust accuracy"
    eps = epsilons[len(epsilons) // 2]
    few = _accuracy_after_pgd(model, x, y, eps, norm, steps, bounds)
    many = _accuracy_after_pgd(model, x, y, eps, norm, 2 * steps, bounds)
    figures[f"more-steps:{steps}"] = few
    figures[f"more-steps:{2 * steps}"] = many
    detail = (
        f"PGD at epsilon {eps:g} on {x.shape[0]} samples: {few:.3f} with {steps} steps, {many:.3f} with {2 * steps}"
    )
    return CheckOutcome("more-steps", text, "failed" if many > few + tolerance else "passed", detail, "medium")


def _unbounded(
    model: ModelFn, x: torch.Tensor, y: torch.Tensor, norm: str, steps: int, bounds: Bounds, figures: dict[str, float]
) -> CheckOutcome:
    text = "an unbounded epsilon drives accuracy to about zero"
    span = bounds[1] - bounds[0]
    eps = span if norm == "linf" else span * float(x[0].numel()) ** 0.5
    accuracy = _accuracy_after_pgd(model, x, y, eps, norm, max(steps, 20), bounds)
    figures["unbounded-epsilon"] = accuracy
    detail = f"PGD at epsilon {eps:g} (the whole input range) leaves {accuracy:.3f} of {x.shape[0]} samples correct"
    status = "failed" if accuracy > UNBOUNDED_ACCURACY_LIMIT else "passed"
    return CheckOutcome("unbounded-epsilon", text, status, detail, "high")


def _zero_gradients(model: ModelFn, x: torch.Tensor, y: torch.Tensor, figures: dict[str, float]) -> CheckOutcome:
    text = "the loss gradient is not exactly zero for many inputs"
    _, _, grad = _loss_and_grad(model, x, y, None, "ce")
    zero = float((grad.flatten(1).abs().amax(1) == 0).float().mean())
    figures["zero-gradient-fraction"] = zero
    detail = f"{zero:.1%} of {x.shape[0]} correctly classified inputs have an exactly zero cross-entropy gradient"
    return CheckOutcome("zero-gradient", text, "failed" if zero > ZERO_GRADIENT_LIMIT else "passed", detail, "high")
