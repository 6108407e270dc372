"""Confidence intervals for attack success rates (stdlib only).

A probe runs N attempts; k of them succeed. The point estimate k/N says little for small N (5/5 and
50/50 are not the same evidence), so every rate in a Report carries a 95% Wilson score interval: it
stays inside [0, 1], is not degenerate at k=0 or k=N, and is accurate for the small N a scan can afford.
"""

from __future__ import annotations

import math


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval (low, high) for `successes` out of `n` at normal quantile `z`.

    n == 0 gives (0.0, 1.0): no attempt answered, nothing is known.
    """
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"wilson: need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n)) / denominator
    # Clamp rounding noise at the ends (k=0 gives a low of -1e-17, not 0).
    return max(0.0, centre - half), min(1.0, centre + half)
