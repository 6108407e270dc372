"""Report figures of a robustness evaluation, as data (`nbsec.model.Figure`): every surface draws them.

Images become small inline PNGs (written here with zlib, no imaging library),
scaled up with nearest-neighbour so an 8x8 digit is visible, and capped in size.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from nbsec.model import Figure

MAX_SIDE = 256  # pixels, after upscaling: a report stays small whatever the input size
TARGET_SIDE = 96  # small images are upscaled to about this
IDENTICAL = 1e-9  # robustness curves closer than this at every epsilon are drawn as one line
WORST = "worst"


def png_data_uri(image: torch.Tensor, bounds: tuple[float, float]) -> str:
    """A [C, H, W] or [H, W] tensor (C = 1 or 3) as data:image/png;base64,... scaled into 0..255."""
    img = image.detach().float().cpu()
    if img.dim() == 3 and img.shape[0] in (1, 3):
        img = img.permute(1, 2, 0)
    elif img.dim() == 2:
        img = img.unsqueeze(-1)
    else:
        raise ValueError(f"cannot draw an image of shape {tuple(image.shape)}")
    lower, upper = bounds
    pixels = ((img - lower) / (upper - lower)).clamp(0, 1).mul(255).round().to(torch.uint8)
    height, width, channels = pixels.shape
    scale = max(1, min(TARGET_SIDE // max(height, width), MAX_SIDE // max(height, width)))
    pixels = pixels.repeat_interleave(scale, 0).repeat_interleave(scale, 1)
    if max(pixels.shape[:2]) > MAX_SIDE:
        step = -(-max(pixels.shape[:2]) // MAX_SIDE)
        pixels = pixels[::step, ::step]
    return "data:image/png;base64," + base64.b64encode(_png(pixels.contiguous())).decode("ascii")


def _png(pixels: torch.Tensor) -> bytes:
    height, width, channels = pixels.shape
    color_type = 0 if channels == 1 else 2  # grayscale or RGB, 8 bits
    raw = bytes(pixels.flatten().tolist())
    stride = width * channels
    rows = b"".join(b"\x00" + raw[r * stride : (r + 1) * stride] for r in range(height))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def is_image_batch(x: torch.Tensor) -> bool:
    """[N, 1|3, H, W] or [N, H, W] with H, W >= 4: worth drawing as pictures."""
    if x.dim() == 4:
        return x.shape[1] in (1, 3) and min(x.shape[2:]) >= 4
    return x.dim() == 3 and min(x.shape[1:]) >= 4


def robustness_curve(
    epsilons: Sequence[float],
    clean: float,
    accuracy: dict[str, list[float]],
    norm: str,
    *,
    figure_id: str = "robustness",
) -> Figure:
    """Accuracy against epsilon, one line per attack plus the worst case; epsilon 0 is clean accuracy.

    Attacks that gave the same accuracy at every epsilon would draw lines exactly on top of each other,
    which reads as one attack: they become one line named "pgd = apgd-ce = square", and the figure's
    `note` says so. The worst case stays its own line unless it equals one of them.
    """
    xs = [0.0, *epsilons]
    merged, groups = merge_identical(accuracy)
    series = [{"name": name, "x": xs, "y": [clean, *values]} for name, values in merged.items()]
    data: dict[str, Any] = {"x_label": f"epsilon ({norm})", "y_label": "accuracy", "y_range": [0.0, 1.0],
                            "series": series}  # fmt: skip
    notes = [identical_note(group) for group in groups]
    if notes:
        data["note"] = "; ".join(notes)
    return Figure(figure_id, f"Robust accuracy vs epsilon ({norm})", "line", data)


def merge_identical(curves: dict[str, list[float]]) -> tuple[dict[str, list[float]], list[list[str]]]:
    """Curves equal within IDENTICAL at every point, merged: ({"a = b": values, "c": values}, [["a", "b"]])."""
    groups: list[list[str]] = []
    values: list[list[float]] = []
    for name, ys in curves.items():
        for group, reference in zip(groups, values, strict=True):
            if len(reference) == len(ys) and all(abs(a - b) <= IDENTICAL for a, b in zip(reference, ys, strict=True)):
                group.append(name)
                break
        else:
            groups.append([name])
            values.append(list(ys))
    return {" = ".join(g): v for g, v in zip(groups, values, strict=True)}, [g for g in groups if len(g) > 1]


def identical_note(group: Sequence[str]) -> str:
    """'attacks pgd, apgd-ce, square gave identical robust accuracy at every epsilon' (and the worst case, if so)."""
    attacks = [name for name in group if name != WORST]
    if len(attacks) == 1:
        return f"attack {attacks[0]} gave the worst-case robust accuracy at every epsilon"
    note = f"attacks {', '.join(attacks)} gave identical robust accuracy at every epsilon"
    return note + (" (the worst case too)" if WORST in group else "")


def per_class_bars(classes: Sequence[str], series: dict[str, list[float | None]], title: str) -> Figure:
    return Figure(
        "per-class",
        title,
        "bar",
        {
            "x_label": "class",
            "y_label": "accuracy",
            "y_range": [0.0, 1.0],
            "categories": list(classes),
            "series": [{"name": name, "values": values} for name, values in series.items()],
        },
    )


@dataclass(frozen=True)
class Example:
    clean: torch.Tensor
    adversarial: torch.Tensor
    label: int
    clean_pred: int
    adv_pred: int
    attack: str


def example_grid(examples: Sequence[Example], bounds: tuple[float, float], eps: float, norm: str) -> Figure:
    """Clean image, adversarial image and the perturbation (stretched to full contrast), with predictions."""
    rows = []
    for ex in examples:
        delta = ex.adversarial - ex.clean
        spread = float(delta.abs().max()) or 1.0
        stretched = (delta / (2 * spread) + 0.5).clamp(0, 1)
        rows.append(
            {
                "label": f"label {ex.label}",
                "images": [
                    {"src": png_data_uri(ex.clean, bounds), "caption": f"clean: predicted {ex.clean_pred}"},
                    {"src": png_data_uri(ex.adversarial, bounds), "caption": f"{ex.attack}: predicted {ex.adv_pred}"},
                    {"src": png_data_uri(stretched, (0.0, 1.0)), "caption": f"perturbation (max {spread:.3g})"},
                ],
            }
        )
    return Figure(
        "examples",
        f"Clean vs adversarial examples at epsilon {eps:g} ({norm})",
        "image-grid",
        {"columns": ["clean", "adversarial", "perturbation"], "rows": rows},
    )
