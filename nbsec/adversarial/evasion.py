"""`evaluate`: robust accuracy of a PyTorch model under an ensemble of evasion attacks, as a Report.

Each sample is attacked by every attack at every epsilon (only samples the
model gets right: a wrong one is already "broken"); the worst case per sample
over the attacks is the headline number. Every adversarial input is re-checked
by one more forward pass and against its budget, so the reported accuracy is
the accuracy on the returned inputs. Sanity checks (sanity.py) and the floor
verdict turn into findings; curves, per-class bars and example images into
figures.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from nbsec.adversarial import attacks as atk
from nbsec.adversarial.blackbox import square
from nbsec.adversarial.inputs import (
    AdversarialInputError,
    Bounds,
    ModelFn,
    Normalized,
    attack_mode,
    check_outputs,
    collect,
    model_device,
    validate_data,
)
from nbsec.adversarial.progress import Factory as ProgressFactory
from nbsec.adversarial.progress import open_bar
from nbsec.adversarial.report import EvaluationResult, build_report
from nbsec.model import Report, utc_now_iso

ATTACKS = ("fgsm", "pgd", "apgd-ce", "apgd-dlr", "apgd-t", "square")
DEFAULT_ATTACKS = ("pgd", "apgd-ce", "apgd-t", "square")
DEFAULT_EPSILONS = {"linf": (1 / 255, 2 / 255, 4 / 255, 8 / 255), "l2": (0.25, 0.5, 1.0)}


@dataclass(frozen=True)
class Settings:
    attacks: tuple[str, ...]
    epsilons: tuple[float, ...]
    norm: str
    steps: int
    step_size: float | None
    random_start: bool
    restarts: int
    batch_size: int
    seed: int
    bounds: Bounds
    target: int | None
    queries: int
    n_targets: int


def evaluate(
    model: nn.Module,
    inputs: Any,
    labels: Any = None,
    *,
    attacks: Sequence[str] = DEFAULT_ATTACKS,
    epsilons: Sequence[float] | None = None,
    norm: str = "linf",
    steps: int = 40,
    step_size: float | None = None,
    random_start: bool = True,
    restarts: int = 1,
    batch_size: int = 256,
    seed: int = 0,
    bounds: Bounds = (0.0, 1.0),
    normalize: tuple[Sequence[float], Sequence[float]] | None = None,
    target: int | None = None,
    n_samples: int | None = None,
    queries: int = 1000,
    n_targets: int = 3,
    floor: float = 0.5,
    floor_epsilon: float | None = None,
    sanity_checks: bool = True,
    sanity_samples: int = 256,
    device: str | torch.device | None = None,
    name: str | None = None,
    progress: bool | ProgressFactory = True,
    examples: int = 8,
) -> Report:
    """Attack `model` on (inputs, labels) at each epsilon; return an nbsec Report.

    model: any nn.Module returning logits (it is put in eval mode while attacked and
      restored after; no gradient is left in its parameters). inputs/labels: tensors or
      arrays, an (inputs, labels) tuple as `inputs`, or a DataLoader of (x, y) batches
      (read once, up to `n_samples`). Inputs must lie inside `bounds`; a normalisation
      the model expects goes in `normalize=(mean, std)` and runs inside the model.
    attacks: any of fgsm, pgd, apgd-ce, apgd-dlr, apgd-t, square (default: an ensemble,
      scored per sample as the worst case). steps/step_size/random_start/restarts: PGD and
      APGD iterations (APGD tunes its own step). queries: Square's budget per sample.
      n_targets: classes APGD-T aims at. target: a class index makes every attack targeted.
    progress: False, True (the bar nbsec.display registered: in a Jupyter kernel a small HTML line
      updated in place; else tqdm on stderr) or a factory `(total, description) -> bar`.
    floor/floor_epsilon: NBSEC-ADV-001 when worst-case accuracy is below `floor` at an
      epsilon <= floor_epsilon (default: any). sanity_checks: the gradient-masking checks.
    Metrics: clean_accuracy; robust_accuracy, attack_success_rate, mean_perturbation_norm
      (labels attack, epsilon, norm; attack="worst" is the per-sample worst case);
      per_class_robust_accuracy (label class); mean_queries for square.
    """
    started_at, started = utc_now_iso(), time.perf_counter()
    settings = _settings(attacks, epsilons, norm, steps, step_size, random_start, restarts, batch_size, seed,
                         bounds, target, queries, n_targets)  # fmt: skip
    model_name = name or type(model).__name__
    run_on = model_device(model, device)
    x, y = collect(inputs, labels, limit=n_samples)
    data = validate_data(x, y, settings.bounds)
    net: nn.Module = Normalized(model, *normalize).to(run_on) if normalize is not None else model
    with attack_mode(model):
        probe = slice(0, min(len(data), 64))
        info = check_outputs(net, data.x[probe].to(run_on), data.y[probe], what=model_name)
        if target is not None and not 0 <= target < info.n_classes:
            raise AdversarialInputError(
                f"target class {target} is out of range for a model with {info.n_classes} outputs",
                f"choose a class index 0..{info.n_classes - 1}",
            )
        result = _attack_all(net, data.x, data.y, settings, info.n_classes, run_on, progress, examples, floor_epsilon)
        result.deterministic_gap = info.deterministic_gap
        if sanity_checks:
            _sanity(net, data.x, data.y, result, settings, run_on, sanity_samples)
    result.seconds_total = time.perf_counter() - started
    return build_report(
        result, settings_labels(settings), model_name=model_name, floor=floor, floor_epsilon=floor_epsilon,
        started_at=started_at, device=str(run_on),
    )  # fmt: skip


def _settings(
    attacks: Sequence[str],
    epsilons: Sequence[float] | None,
    norm: str,
    steps: int,
    step_size: float | None,
    random_start: bool,
    restarts: int,
    batch_size: int,
    seed: int,
    bounds: Bounds,
    target: int | None,
    queries: int,
    n_targets: int,
) -> Settings:
    norm = norm.lower().replace("-", "")
    if norm not in atk.NORMS:
        raise AdversarialInputError(f"norm {norm!r} is not supported", f"choose one of: {', '.join(atk.NORMS)}")
    names = tuple(dict.fromkeys(a.strip().lower() for a in attacks))
    unknown = [a for a in names if a not in ATTACKS]
    if unknown or not names:
        raise AdversarialInputError(
            f"unknown attack(s): {', '.join(unknown) or '(none given)'}", f"choose from: {', '.join(ATTACKS)}"
        )
    grid = tuple(sorted({float(e) for e in (epsilons if epsilons is not None else DEFAULT_EPSILONS[norm])}))
    if not grid or grid[0] <= 0:
        raise AdversarialInputError(f"epsilons {list(grid)}: each must be > 0", "e.g. epsilons=(0.05, 0.1, 0.2)")
    for value, what in ((steps, "steps"), (batch_size, "batch_size"), (queries, "queries"), (restarts, "restarts")):
        if value < 1:
            raise AdversarialInputError(f"{what}={value}: must be at least 1", f"pass a positive {what}")
    return Settings(names, grid, norm, steps, step_size, random_start, restarts, batch_size, seed,
                    (float(bounds[0]), float(bounds[1])), target, queries, n_targets)  # fmt: skip


def settings_labels(settings: Settings) -> dict[str, Any]:
    return {
        "attacks": list(settings.attacks),
        "epsilons": list(settings.epsilons),
        "norm": settings.norm,
        "steps": settings.steps,
        "target": settings.target,
        "bounds": list(settings.bounds),
        "queries": settings.queries,
        "seed": settings.seed,
    }


def _attack_all(
    net: ModelFn,
    x: torch.Tensor,
    y: torch.Tensor,
    settings: Settings,
    n_classes: int,
    device: torch.device,
    progress: bool | ProgressFactory,
    n_examples: int,
    floor_epsilon: float | None,
) -> EvaluationResult:
    n, eps_grid = x.shape[0], settings.epsilons
    result = EvaluationResult(n=n, n_classes=n_classes, labels=y.clone(), epsilons=list(eps_grid))
    result.example_epsilon = _example_epsilon(eps_grid, floor_epsilon)
    result.clean_pred = torch.empty(n, dtype=torch.long)
    for name in settings.attacks:
        for e in range(len(eps_grid)):
            result.robust[(name, e)] = torch.zeros(n, dtype=torch.bool)
            result.norms[(name, e)] = torch.full((n,), float("nan"))
            if name == "square":
                result.queries[(name, e)] = torch.zeros(n, dtype=torch.long)
    batches = list(range(0, n, settings.batch_size))
    bar = open_bar(progress, len(batches) * len(eps_grid) * len(settings.attacks), "nbsec robustness")
    try:
        for b, start in enumerate(batches):
            rows = slice(start, min(start + settings.batch_size, n))
            xb, yb = x[rows].to(device), y[rows].to(device)
            with torch.no_grad():
                pred = net(xb).argmax(1)
            result.clean_pred[rows] = pred.cpu()
            attackable = pred == yb
            if settings.target is not None:
                attackable &= yb != settings.target
            index = attackable.nonzero().flatten()
            for e, eps in enumerate(eps_grid):
                for a, name in enumerate(settings.attacks):
                    bar.set_postfix_str(f"{name} eps={eps:g}", refresh=False)
                    began = time.perf_counter()
                    attack_seed = settings.seed + 7919 * b + 104729 * e + 15485863 * a
                    _one_attack(net, name, xb, yb, index, pred, rows, e, eps, settings, n_classes, result,
                                seed=attack_seed, n_examples=n_examples)  # fmt: skip
                    result.seconds[name] = result.seconds.get(name, 0.0) + time.perf_counter() - began
                    bar.update(1)
    finally:
        bar.close()
    return result


def _example_epsilon(grid: Sequence[float], floor_epsilon: float | None) -> int:
    if floor_epsilon is not None:
        below = [i for i, e in enumerate(grid) if e <= floor_epsilon + 1e-12]
        if below:
            return below[-1]
    return len(grid) // 2


def _one_attack(
    net: ModelFn,
    name: str,
    xb: torch.Tensor,
    yb: torch.Tensor,
    index: torch.Tensor,
    pred: torch.Tensor,
    rows: slice,
    e: int,
    eps: float,
    settings: Settings,
    n_classes: int,
    result: EvaluationResult,
    *,
    seed: int,
    n_examples: int,
) -> None:
    start = rows.start or 0
    robust = (pred == yb).cpu()
    if index.numel() > 0:
        xs, ys = xb[index], yb[index]
        outcome = run_attack(net, name, xs, ys, eps, settings, n_classes, torch.Generator().manual_seed(seed))
        with torch.no_grad():
            adv_pred = net(outcome.x_adv).argmax(1)
        won = adv_pred != ys if settings.target is None else adv_pred == settings.target
        distance = atk.perturbation_norm(outcome.x_adv - xs, settings.norm)
        lower, upper = settings.bounds
        valid = (distance <= eps * (1 + 1e-5) + 1e-7) & (outcome.x_adv.flatten(1).amin(1) >= lower - 1e-6)
        valid &= outcome.x_adv.flatten(1).amax(1) <= upper + 1e-6
        if not bool(valid.all()):
            result.invalid[name] = result.invalid.get(name, 0) + int((~valid).sum())
        won &= valid
        picked = index.cpu()
        robust[picked] = ~won.cpu()
        global_rows = picked + start
        result.norms[(name, e)][global_rows[won.cpu()]] = distance[won].float().cpu()
        if outcome.queries is not None:
            result.queries[(name, e)][global_rows] = outcome.queries.cpu()
        if e == result.example_epsilon and len(result.examples) < n_examples:
            result.add_examples(xs[won], outcome.x_adv[won], ys[won], pred[index][won], adv_pred[won], name,
                                n_examples)  # fmt: skip
    result.robust[(name, e)][rows] = robust


def run_attack(
    net: ModelFn,
    name: str,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    settings: Settings,
    n_classes: int,
    generator: torch.Generator,
) -> atk.AttackResult:
    """One named attack from the suite on one batch, with the evaluation's settings."""
    common: dict[str, Any] = {"eps": eps, "norm": settings.norm, "bounds": settings.bounds}
    target = settings.target
    if name == "fgsm":
        return atk.fgsm(net, x, y, target=target, **common)
    if name == "pgd":
        return atk.pgd(net, x, y, steps=settings.steps, step_size=settings.step_size,
                       random_start=settings.random_start, restarts=settings.restarts, target=target,
                       generator=generator, **common)  # fmt: skip
    if name == "apgd-ce":
        return atk.apgd(net, x, y, steps=settings.steps, loss="ce", target=target, generator=generator, **common)
    if name == "apgd-dlr":
        usable = n_classes >= (4 if target is not None else 3)
        return atk.apgd(net, x, y, steps=settings.steps, loss="dlr" if usable else "ce", target=target,
                        generator=generator, **common)  # fmt: skip
    if name == "apgd-t":
        if target is not None:
            loss = "dlr" if n_classes >= 4 else "ce"
            return atk.apgd(net, x, y, steps=settings.steps, loss=loss, target=target, generator=generator, **common)
        return atk.apgd_targeted(net, x, y, steps=settings.steps, n_targets=settings.n_targets, generator=generator,
                                 **common)  # fmt: skip
    if name == "square":
        return square(net, x, y, queries=settings.queries, target=target, generator=generator, **common)
    raise AdversarialInputError(f"unknown attack {name!r}", f"choose from: {', '.join(ATTACKS)}")


def _sanity(
    net: ModelFn,
    x: torch.Tensor,
    y: torch.Tensor,
    result: EvaluationResult,
    settings: Settings,
    device: torch.device,
    limit: int,
) -> None:
    from nbsec.adversarial.sanity import run_checks

    began = time.perf_counter()
    correct = (result.clean_pred == y).nonzero().flatten()[:limit]
    result.sanity = run_checks(
        net, x[correct].to(device), y[correct].to(device), accuracy=result.accuracy_curves(),
        epsilons=list(settings.epsilons), n_samples=result.n, norm=settings.norm, steps=settings.steps,
        bounds=settings.bounds,
    )  # fmt: skip
    result.seconds["sanity checks"] = time.perf_counter() - began


__all__ = ["ATTACKS", "DEFAULT_ATTACKS", "DEFAULT_EPSILONS", "Settings", "evaluate", "run_attack"]
