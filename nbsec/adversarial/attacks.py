"""White-box evasion attacks in PyTorch: FGSM, PGD (L-inf / L2, random start, restarts), APGD (CE, DLR, targeted DLR).

Each attack takes a model function that returns logits (already in eval mode,
parameters frozen: see `inputs.attack_mode`), inputs `x` inside `bounds`, true
labels `y`, and returns an `AttackResult`: the adversarial inputs and which of
them succeed. With `target`, an attack is targeted: success means the model
predicts the target class. Gradients are taken with torch.autograd.grad with
respect to the inputs only, one forward and one backward per step, which is the
physical floor of any gradient attack (benchmarks/bench_adversarial.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from nbsec.adversarial.inputs import Bounds, ModelFn

NORMS = ("linf", "l2")
_TINY = 1e-12


@dataclass(frozen=True)
class AttackResult:
    x_adv: torch.Tensor
    success: torch.Tensor  # bool [N]: misclassified (untargeted) or predicted as the target (targeted)
    queries: torch.Tensor | None = None  # int64 [N]: model calls per sample (black-box attacks)


# -- losses (per sample, to be maximised) -----------------------------------------------------


def ce_loss(logits: torch.Tensor, y: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    if target is None:
        return F.cross_entropy(logits, y, reduction="none")
    return -F.cross_entropy(logits, target, reduction="none")


def dlr_loss(logits: torch.Tensor, y: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    """Difference of logits ratio (Croce & Hein 2020): invariant to shifting and scaling the logits."""
    ranked = logits.sort(dim=1, descending=True).values
    true = logits.gather(1, y[:, None]).squeeze(1)
    if target is None:
        others = logits.clone()
        others.scatter_(1, y[:, None], float("-inf"))
        return -(true - others.max(1).values) / (ranked[:, 0] - ranked[:, 2] + _TINY)
    wanted = logits.gather(1, target[:, None]).squeeze(1)
    return -(true - wanted) / (ranked[:, 0] - 0.5 * (ranked[:, 2] + ranked[:, 3]) + _TINY)


def is_success(logits: torch.Tensor, y: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    pred = logits.argmax(1)
    return pred != y if target is None else pred == target


def _target_tensor(target: int | torch.Tensor | None, y: torch.Tensor) -> torch.Tensor | None:
    if target is None or isinstance(target, torch.Tensor):
        return target
    return torch.full_like(y, int(target))


# -- geometry -----------------------------------------------------------------------------------


def _flat_norm(t: torch.Tensor) -> torch.Tensor:
    norms: torch.Tensor = t.flatten(1).norm(dim=1)
    return norms.view(-1, *([1] * (t.dim() - 1)))


def perturbation_norm(delta: torch.Tensor, norm: str) -> torch.Tensor:
    flat = delta.flatten(1)
    return flat.abs().amax(1) if norm == "linf" else flat.norm(dim=1)


def _direction(grad: torch.Tensor, norm: str) -> torch.Tensor:
    if norm == "linf":
        return grad.sign()
    return grad / (_flat_norm(grad) + _TINY)


def project(x_adv: torch.Tensor, x: torch.Tensor, eps: float, norm: str, bounds: Bounds) -> torch.Tensor:
    """Into the eps-ball around x, then into the bounds (clamping only shrinks the distance to x)."""
    if norm == "linf":
        x_adv = torch.max(torch.min(x_adv, x + eps), x - eps)
    else:
        delta = x_adv - x
        delta = delta * torch.clamp(eps / (_flat_norm(delta) + _TINY), max=1.0)
        x_adv = x + delta
    return x_adv.clamp(bounds[0], bounds[1])


def random_start(x: torch.Tensor, eps: float, norm: str, bounds: Bounds, generator: torch.Generator) -> torch.Tensor:
    """A uniform point of the L-inf ball, or a random direction at a random radius in the L2 ball."""
    if norm == "linf":
        noise = torch.rand(x.shape, generator=generator).to(x.device) * 2 - 1
        return (x + eps * noise).clamp(bounds[0], bounds[1])
    direction = torch.randn(x.shape, generator=generator).to(x.device)
    direction = direction / (_flat_norm(direction) + _TINY)
    radius = torch.rand((x.shape[0],) + (1,) * (x.dim() - 1), generator=generator).to(x.device)
    return project(x + eps * radius * direction, x, eps, norm, bounds)


def _loss_and_grad(
    model: ModelFn, x_adv: torch.Tensor, y: torch.Tensor, target: torch.Tensor | None, loss: str
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(logits, per-sample loss, input gradient): one forward, one backward."""
    with torch.enable_grad():
        x_adv = x_adv.detach().requires_grad_(True)
        logits = model(x_adv)
        values = (ce_loss if loss == "ce" else dlr_loss)(logits, y, target)
        (grad,) = torch.autograd.grad(values.sum(), x_adv)
    return logits.detach(), values.detach(), grad


# -- FGSM / PGD ---------------------------------------------------------------------------------


def fgsm(
    model: ModelFn,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    eps: float,
    norm: str = "linf",
    target: int | torch.Tensor | None = None,
    bounds: Bounds = (0.0, 1.0),
) -> AttackResult:
    """One step of size eps along the gradient's sign (L-inf) or direction (L2)."""
    return pgd(
        model, x, y, eps=eps, norm=norm, steps=1, step_size=eps, random_start=False, target=target, bounds=bounds
    )


def pgd(
    model: ModelFn,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    eps: float,
    norm: str = "linf",
    steps: int = 40,
    step_size: float | None = None,
    random_start: bool = True,
    restarts: int = 1,
    target: int | torch.Tensor | None = None,
    bounds: Bounds = (0.0, 1.0),
    generator: torch.Generator | None = None,
) -> AttackResult:
    """Madry et al.'s PGD on the cross-entropy: x <- P(x + step * sign(grad)), the final iterate kept.

    `step_size` defaults to 2.5 * eps / steps. With restarts, each restart attacks
    only the samples no earlier restart broke; a sample keeps its first success.
    """
    _check_norm(norm)
    tgt = _target_tensor(target, y)
    alpha = step_size if step_size is not None else 2.5 * eps / max(steps, 1)
    gen = generator or torch.Generator().manual_seed(0)
    best = x.clone()
    success = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
    todo = torch.arange(x.shape[0], device=x.device)
    for _ in range(max(restarts, 1)):
        xs, ys = x[todo], y[todo]
        ts = tgt[todo] if tgt is not None else None
        x_adv = _random_start_or_copy(xs, eps, norm, bounds, gen, random_start)
        for _ in range(steps):
            _, _, grad = _loss_and_grad(model, x_adv, ys, ts, "ce")
            x_adv = project(x_adv + alpha * _direction(grad, norm), xs, eps, norm, bounds)
        with torch.no_grad():
            won = is_success(model(x_adv), ys, ts)
        best[todo] = x_adv
        success[todo] = won
        todo = todo[~won]
        if todo.numel() == 0:
            break
    return AttackResult(best, success)


def _random_start_or_copy(
    x: torch.Tensor, eps: float, norm: str, bounds: Bounds, generator: torch.Generator, random: bool
) -> torch.Tensor:
    return random_start(x, eps, norm, bounds, generator) if random else x.clone()


def _check_norm(norm: str) -> None:
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; choose one of: {', '.join(NORMS)}")


# -- APGD -----------------------------------------------------------------------------------------


def apgd_checkpoints(steps: int) -> set[int]:
    """Iterations where APGD may halve its step: p0=0, p1=0.22, p(j+1) = p(j) + max(p(j) - p(j-1) - 0.03, 0.06)."""
    points = [0.0, 0.22]
    while points[-1] < 1.0:
        points.append(points[-1] + max(points[-1] - points[-2] - 0.03, 0.06))
    return {math.ceil(p * steps) for p in points[1:] if p <= 1.0}


def apgd(
    model: ModelFn,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    eps: float,
    norm: str = "linf",
    steps: int = 100,
    loss: str = "ce",
    target: int | torch.Tensor | None = None,
    bounds: Bounds = (0.0, 1.0),
    generator: torch.Generator | None = None,
    rho: float = 0.75,
    momentum: float = 0.75,
    any_error: bool = False,
) -> AttackResult:
    """Auto-PGD (Croce & Hein 2020): momentum, and a step size halved when progress stalls. No tuning.

    Every iterate is checked: a sample counts as broken at the first iterate the
    model gets wrong (the logits of that forward pass are the verdict). With
    `target` the loss pulls towards it; `any_error` then counts any wrong class as
    success (APGD-T), else only the target.
    """
    _check_norm(norm)
    tgt = _target_tensor(target, y)
    won_if = None if any_error else tgt
    gen = generator or torch.Generator().manual_seed(0)
    checkpoints = apgd_checkpoints(steps)
    n = x.shape[0]
    shape = (n,) + (1,) * (x.dim() - 1)
    eta = torch.full(shape, 2.0 * eps, device=x.device)

    x_adv = random_start(x, eps, norm, bounds, gen)
    logits, values, grad = _loss_and_grad(model, x_adv, y, tgt, loss)
    found = is_success(logits, y, won_if)
    x_found = torch.where(found.view(shape), x_adv, x)
    best_loss, x_best, grad_best = values.clone(), x_adv.clone(), grad.clone()
    x_prev = x_adv.clone()
    previous_values = values
    increases = torch.zeros(n, device=x.device)
    eta_at_checkpoint, best_at_checkpoint = eta.clone(), best_loss.clone()
    last_checkpoint = 0
    for k in range(steps):
        with torch.no_grad():
            z = project(x_adv + eta * _direction(grad, norm), x, eps, norm, bounds)
            if k > 0:
                z = project(x_adv + momentum * (z - x_adv) + (1 - momentum) * (x_adv - x_prev), x, eps, norm, bounds)
            x_prev, x_adv = x_adv, z
        logits, values, grad = _loss_and_grad(model, x_adv, y, tgt, loss)
        with torch.no_grad():
            won = is_success(logits, y, won_if)
            fresh = won & ~found
            x_found[fresh] = x_adv[fresh]
            found |= won
            increases += (values > previous_values).float()
            previous_values = values
            better = values > best_loss
            x_best[better], grad_best[better], best_loss[better] = x_adv[better], grad[better], values[better]
            if k + 1 in checkpoints:
                stalled = increases < rho * (k + 1 - last_checkpoint)
                stalled |= (eta.view(n) == eta_at_checkpoint.view(n)) & (best_loss <= best_at_checkpoint)
                eta_at_checkpoint, best_at_checkpoint = eta.clone(), best_loss.clone()
                eta[stalled] /= 2.0
                # Restart the halved samples from their best point, without momentum.
                x_adv[stalled], grad[stalled] = x_best[stalled], grad_best[stalled]
                x_prev[stalled] = x_best[stalled]
                increases.zero_()
                last_checkpoint = k + 1
        if bool(found.all()):
            break
    return AttackResult(torch.where(found.view(shape), x_found, x_best), found)


def apgd_targeted(
    model: ModelFn,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    eps: float,
    norm: str = "linf",
    steps: int = 100,
    n_targets: int = 3,
    bounds: Bounds = (0.0, 1.0),
    generator: torch.Generator | None = None,
) -> AttackResult:
    """APGD-T: targeted DLR towards each of the `n_targets` most likely wrong classes in turn (untargeted success).

    DLR needs at least 4 classes; with fewer, the targeted cross-entropy is used.
    """
    gen = generator or torch.Generator().manual_seed(0)
    with torch.no_grad():
        logits = model(x)
    n_classes = logits.shape[1]
    loss = "dlr" if n_classes >= 4 else "ce"
    ranked = logits.scatter(1, y[:, None], float("-inf")).argsort(dim=1, descending=True)
    x_out = x.clone()
    success = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
    for rank in range(min(n_targets, n_classes - 1)):
        todo = (~success).nonzero().flatten()
        if todo.numel() == 0:
            break
        result = apgd(model, x[todo], y[todo], eps=eps, norm=norm, steps=steps, loss=loss,
                      target=ranked[todo, rank], any_error=True, bounds=bounds, generator=gen)  # fmt: skip
        x_out[todo] = result.x_adv
        success[todo] = result.success
    return AttackResult(x_out, success)
