"""Square attack (Andriushchenko et al. 2020): score-based black-box evasion, with query counts.

Only the model's scores are used, never its gradients, so it sees through
gradient masking: when it beats a gradient attack by a wide margin, the gradient
attack was fooled (a sanity check in `evaluate`). L-inf follows the paper
(vertical-stripe start, square windows set to +-eps per channel, window side
shrinking on the paper's schedule); L2 uses the same square windows with
Gaussian proposals projected back onto the eps-ball, a simplified variant.
Inputs of any shape are viewed as [N, C, H, W] (a vector is one row).
"""

from __future__ import annotations

import math

import torch

from nbsec.adversarial.attacks import AttackResult, project
from nbsec.adversarial.inputs import Bounds, ModelFn

# Iterations (out of 10,000) after which the window fraction p halves, as in the paper.
_SCHEDULE = (10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000)


def as_image(x: torch.Tensor) -> torch.Tensor:
    """[N, C, H, W] view: 4-D as is, [N, H, W] as one channel, anything else flattened to one row."""
    if x.dim() == 4:
        return x
    if x.dim() == 3:
        return x.unsqueeze(1)
    return x.reshape(x.shape[0], 1, 1, -1)


def window_fraction(p_init: float, iteration: int, n_queries: int) -> float:
    scaled = int(iteration / max(n_queries, 1) * 10000)
    halvings = sum(1 for mark in _SCHEDULE if scaled > mark)
    return float(p_init / (2**halvings))


def margin(logits: torch.Tensor, y: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    """Below zero means success: true logit minus the best other (untargeted), best other minus target (targeted)."""
    if target is None:
        others = logits.scatter(1, y[:, None], float("-inf"))
        return logits.gather(1, y[:, None]).squeeze(1) - others.max(1).values
    others = logits.scatter(1, target[:, None], float("-inf"))
    return others.max(1).values - logits.gather(1, target[:, None]).squeeze(1)


def square(
    model: ModelFn,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    eps: float,
    norm: str = "linf",
    queries: int = 1000,
    p_init: float | None = None,
    target: int | torch.Tensor | None = None,
    bounds: Bounds = (0.0, 1.0),
    generator: torch.Generator | None = None,
) -> AttackResult:
    """Random search over square windows; a proposal is kept when it lowers the margin. Stops per sample on success."""
    gen = generator or torch.Generator().manual_seed(0)
    tgt = torch.full_like(y, int(target)) if isinstance(target, int) else target
    p_start = p_init if p_init is not None else (0.8 if norm == "linf" else 0.1)
    shape = x.shape
    img = as_image(x)
    n, channels, height, width = img.shape

    def scores(candidate: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            logits = model(candidate.reshape((candidate.shape[0],) + tuple(shape[1:])))
        return margin(logits, y[rows], tgt[rows] if tgt is not None else None)

    every = torch.arange(n, device=x.device)
    current = _initial(img, eps, norm, bounds, gen)
    best = scores(current, every)
    used = torch.ones(n, dtype=torch.long, device=x.device)
    for i in range(max(queries - 1, 0)):
        active = (best >= 0).nonzero().flatten()
        if active.numel() == 0:
            break
        p = window_fraction(p_start, i, queries)
        side_h, side_w = _window(p, height, width)
        top = int(torch.randint(0, height - side_h + 1, (1,), generator=gen))
        left = int(torch.randint(0, width - side_w + 1, (1,), generator=gen))
        base = img[active]
        proposal = current[active].clone()
        window = (slice(None), slice(None), slice(top, top + side_h), slice(left, left + side_w))
        if norm == "linf":
            signs = torch.randint(0, 2, (active.numel(), channels, 1, 1), generator=gen).to(x.device) * 2 - 1
            proposal[window] = base[window] + eps * signs.to(x.dtype)
            proposal = proposal.clamp(bounds[0], bounds[1])
        else:
            noise = torch.randn((active.numel(), channels, side_h, side_w), generator=gen).to(x.device)
            noise *= eps * math.sqrt(p) / (noise.flatten(1).norm(dim=1).view(-1, 1, 1, 1) + 1e-12)
            proposal[window] += noise
            proposal = project(proposal, base, eps, norm, bounds)
        value = scores(proposal, active)
        used[active] += 1
        better = value < best[active]
        chosen = active[better]
        current[chosen] = proposal[better]
        best[chosen] = value[better]
    return AttackResult(current.reshape(shape), best < 0, used)


def _initial(img: torch.Tensor, eps: float, norm: str, bounds: Bounds, generator: torch.Generator) -> torch.Tensor:
    n, channels, _, width = img.shape
    if norm == "linf":
        stripes = torch.randint(0, 2, (n, channels, 1, width), generator=generator).to(img.device) * 2 - 1
        return (img + eps * stripes.to(img.dtype)).clamp(bounds[0], bounds[1])
    noise = torch.randn(img.shape, generator=generator).to(img.device)
    noise *= eps / (noise.flatten(1).norm(dim=1).view(-1, 1, 1, 1) + 1e-12)
    return project(img + noise, img, eps, norm, bounds)


def _window(p: float, height: int, width: int) -> tuple[int, int]:
    """Side lengths of a window covering about a fraction p of the image (a run of p * width for a row)."""
    if height == 1:
        return 1, max(1, min(width, round(p * width)))
    side = max(1, min(height, width, round(math.sqrt(p * height * width))))
    return side, side
