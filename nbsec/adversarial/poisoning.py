"""Poisoning and backdoors: which training samples look poisoned, and does a given trigger work?

`find_poisoned_samples` reads the model's penultimate-layer activations over the
training set and, per class, runs two detectors:

- activation clustering (Chen et al. 2018): PCA, then 2-means; poison forms a
  compact minority cluster;
- spectral signatures (Tran et al. 2018): scores along the top singular vector;
  poison ranks as outliers.

Natural sub-styles of a class form minority clusters too (two ways to write a
9), so a class is flagged only when the minority cluster also shares a fixed
input patch that the rest of the class lacks (the footprint of a patch trigger,
which also tells where the trigger is), or when it separates unusually cleanly
(silhouette above the threshold; lower confidence). `trigger_test` checks a
known trigger directly: stamped on inputs of other classes, does it flip them
to one class?
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from nbsec.adversarial import rules
from nbsec.adversarial.inputs import (
    AdversarialInputError,
    Bounds,
    attack_mode,
    check_outputs,
    collect,
    model_device,
    validate_data,
)
from nbsec.model import Check, Confidence, Figure, Location, Metric, Report, Target, utc_now_iso

SCANNER = rules.SCANNER
MAX_LISTED = 200  # sample indices written into one finding's evidence


@dataclass(frozen=True)
class ClassScan:
    label: int
    size: int
    cluster: torch.Tensor  # indices (into the data set) of the minority cluster
    silhouette: float
    spectral_overlap: float  # share of the cluster among the top spectral-signature outliers
    patch_elements: tuple[int, ...]  # flat input positions where the cluster holds a fixed value the rest lacks
    patch_value: float
    flagged: bool
    confidence: str


@dataclass
class PoisonScan:
    classes: list[ClassScan] = field(default_factory=list)

    @property
    def flagged_indices(self) -> torch.Tensor:
        """Indices (into the data set passed in) of every sample in a flagged cluster, sorted."""
        parts = [c.cluster for c in self.classes if c.flagged]
        return torch.cat(parts).sort().values if parts else torch.empty(0, dtype=torch.long)


def penultimate(model: nn.Module, layer: nn.Module | str | None = None) -> nn.Module:
    """The module whose input is the penultimate representation: `layer`, or the model's last nn.Linear."""
    if isinstance(layer, nn.Module):
        return layer
    if isinstance(layer, str):
        found: nn.Module | None = dict(model.named_modules()).get(layer)
        if found is None:
            raise AdversarialInputError(f"layer {layer!r} is not a module of the model", "see model.named_modules()")
        return found
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise AdversarialInputError(
            "the model has no nn.Linear layer to read penultimate activations from",
            "pass layer= (the output layer, or its name in model.named_modules())",
        )
    return linears[-1]


def activations(model: nn.Module, layer: nn.Module, x: torch.Tensor, device: torch.device, batch: int) -> torch.Tensor:
    """The input of `layer` for every sample, flattened: [N, D] on the CPU."""
    captured: list[torch.Tensor] = []

    def hook(_: nn.Module, args: tuple[Any, ...]) -> None:
        captured.append(args[0].detach().flatten(1).float().cpu())

    handle = layer.register_forward_pre_hook(hook)
    try:
        with torch.no_grad():
            for start in range(0, x.shape[0], batch):
                model(x[start : start + batch].to(device))
    finally:
        handle.remove()
    return torch.cat(captured)


def find_poisoned_samples(
    model: nn.Module,
    inputs: Any,
    labels: Any = None,
    *,
    layer: nn.Module | str | None = None,
    bounds: Bounds = (0.0, 1.0),
    n_components: int = 10,
    silhouette_threshold: float = 0.5,
    min_patch_elements: int = 2,
    batch_size: int = 512,
    device: str | torch.device | None = None,
) -> PoisonScan:
    """Per class: activation clustering, spectral signature, patch footprint; see the module docstring."""
    run_on = model_device(model, device)
    x, y = collect(inputs, labels, what="training set")
    data = validate_data(x, y, bounds, what="training set")
    with attack_mode(model):
        check_outputs(model, data.x[:64].to(run_on), data.y[:64], what=type(model).__name__)
        feats = activations(model, penultimate(model, layer), data.x, run_on, batch_size)
    flat = data.x.flatten(1)
    tolerance = 0.05 * (bounds[1] - bounds[0])
    scan = PoisonScan()
    for label in sorted({int(v) for v in data.y.tolist()}):
        members = (data.y == label).nonzero().flatten()
        if members.numel() < 6:
            continue
        scan.classes.append(
            _scan_class(
                label,
                members,
                feats[members],
                flat[members],
                n_components,
                tolerance,
                silhouette_threshold,
                min_patch_elements,
            )  # fmt: skip
        )
    return scan


def _scan_class(
    label: int,
    members: torch.Tensor,
    feats: torch.Tensor,
    flat: torch.Tensor,
    n_components: int,
    tolerance: float,
    silhouette_threshold: float,
    min_patch_elements: int,
) -> ClassScan:
    centered = feats - feats.mean(0)
    _, _, vh = torch.linalg.svd(centered, full_matrices=False)
    reduced = centered @ vh[:n_components].T
    assignment = _two_means(reduced)
    minority = int(torch.bincount(assignment, minlength=2).argmin())
    in_cluster = assignment == minority
    size = int(in_cluster.sum())
    silhouette = _silhouette(reduced, assignment)
    spectral = (centered @ vh[0]) ** 2
    top = spectral.argsort(descending=True)[: max(1, int(1.5 * size))]
    overlap = float(in_cluster[top].float().sum()) / max(size, 1)
    elements, value = _patch_footprint(flat[in_cluster], flat[~in_cluster], tolerance)
    big_enough = size >= max(3, int(0.005 * members.numel()))
    by_patch = big_enough and len(elements) >= min_patch_elements
    by_separation = big_enough and silhouette >= silhouette_threshold and size <= 0.35 * members.numel()
    confidence = "high" if by_patch and overlap >= 0.5 else "medium" if by_patch else "low"
    return ClassScan(label, int(members.numel()), members[in_cluster], silhouette, overlap, elements, value,
                     by_patch or by_separation, confidence)  # fmt: skip


def _two_means(z: torch.Tensor, iterations: int = 50) -> torch.Tensor:
    """Deterministic 2-means: start from a split at the median of the first component."""
    assignment = (z[:, 0] > z[:, 0].median()).long()
    for _ in range(iterations):
        if bool(assignment.all()) or not bool(assignment.any()):
            break
        centers = torch.stack([z[assignment == k].mean(0) for k in (0, 1)])
        updated = torch.cdist(z, centers).argmin(1)
        if bool((updated == assignment).all()):
            break
        assignment = updated
    return assignment


def _silhouette(z: torch.Tensor, assignment: torch.Tensor, limit: int = 2000) -> float:
    """Mean silhouette of a 2-cluster split (on an evenly spaced subset of at most `limit` points)."""
    if z.shape[0] > limit:
        keep = torch.linspace(0, z.shape[0] - 1, limit).long()
        z, assignment = z[keep], assignment[keep]
    if bool(assignment.all()) or not bool(assignment.any()):
        return 0.0
    distances = torch.cdist(z, z)
    same = assignment[:, None] == assignment[None, :]
    own = (distances * same).sum(1) / (same.sum(1) - 1).clamp(min=1)
    other = (distances * ~same).sum(1) / (~same).sum(1).clamp(min=1)
    return float(((other - own) / torch.max(own, other).clamp(min=1e-12)).mean())


def _patch_footprint(cluster: torch.Tensor, rest: torch.Tensor, tolerance: float) -> tuple[tuple[int, ...], float]:
    """Input positions where >= 90% of the cluster share one value that <= 10% of the rest of the class has."""
    if cluster.shape[0] == 0 or rest.shape[0] == 0:
        return (), 0.0
    typical = cluster.median(0).values
    shared = ((cluster - typical).abs() <= tolerance).float().mean(0) >= 0.9
    rare = ((rest - typical).abs() <= tolerance).float().mean(0) <= 0.1
    where = (shared & rare).nonzero().flatten()
    value = float(typical[where].mean()) if where.numel() else 0.0
    return tuple(int(i) for i in where.tolist()), value


def detect_backdoor(
    model: nn.Module,
    inputs: Any,
    labels: Any = None,
    *,
    name: str | None = None,
    input_shape: tuple[int, ...] | None = None,
    **options: Any,
) -> Report:
    """`find_poisoned_samples` as a Report: one NBSEC-ADV-004 finding per class that looks poisoned.

    Each finding names the suspicious samples (indices into the training set given)
    and, for a patch trigger, where the patch is. Options are those of
    find_poisoned_samples (layer, bounds, n_components, silhouette_threshold, ...).
    """
    started = utc_now_iso()
    model_name = name or type(model).__name__
    scan = find_poisoned_samples(model, inputs, labels, **options)
    report = Report(started_at=started)
    report.targets.append(Target(model_name, "torch-model", "scanned", "training set through the penultimate layer"))
    rule = rules.POISONED_SAMPLES
    shape = input_shape or _shape_of(inputs)
    for c in scan.classes:
        labels_ = {"class": str(c.label)}
        report.metrics.append(Metric("poison_cluster_fraction", c.cluster.numel() / c.size, "fraction", labels_))
        report.metrics.append(Metric("poison_cluster_silhouette", c.silhouette, "", labels_))
        report.metrics.append(Metric("poison_spectral_overlap", c.spectral_overlap, "fraction", labels_))
        if not c.flagged:
            continue
        listed = ", ".join(str(i) for i in c.cluster.tolist()[:MAX_LISTED])
        more = f" and {c.cluster.numel() - MAX_LISTED} more" if c.cluster.numel() > MAX_LISTED else ""
        patch = f"; they share a fixed input patch {_describe(c.patch_elements, shape)} (value {c.patch_value:.3g}) " \
            "that the rest of the class lacks" if c.patch_elements else ""  # fmt: skip
        report.findings.append(
            rule.finding(
                Location(model_name, element=f"class={c.label}"),
                f"activation clustering: minority cluster of {c.cluster.numel()}/{c.size} (silhouette "
                f"{c.silhouette:.2f}); spectral signature puts {c.spectral_overlap:.0%} of them among its top "
                f"outliers{patch}; sample indices: {listed}{more}",
                title=f"{c.cluster.numel()} of {c.size} training samples labelled {c.label} look poisoned",
                confidence=Confidence.parse(c.confidence),
            )
        )
    flagged = [c.label for c in scan.classes if c.flagged]
    status = "failed" if flagged else "passed"
    scanned = f"poisoning scan of {len(scan.classes)} classes (activation clustering + spectral signature)"
    report.checks.append(Check(SCANNER, model_name, status, f"{scanned}: flagged {flagged or 'none'}", (rule.id,)))
    report.metrics.append(Metric("flagged_samples", float(scan.flagged_indices.numel()), "count"))
    report.figures.append(
        Figure(
            "poisoning",
            "Minority activation cluster per class",
            "bar",
            {
                "x_label": "class",
                "y_label": "share / score",
                "y_range": [0.0, 1.0],
                "categories": [str(c.label) for c in scan.classes],
                "series": [
                    {"name": "minority cluster share", "values": [c.cluster.numel() / c.size for c in scan.classes]},
                    {"name": "silhouette", "values": [max(c.silhouette, 0.0) for c in scan.classes]},
                ],
            },
        )  # fmt: skip
    )
    report.finished_at = utc_now_iso()
    return report


def _shape_of(inputs: Any) -> tuple[int, ...] | None:
    first = inputs[0] if isinstance(inputs, tuple) else inputs
    return tuple(first.shape[1:]) if isinstance(first, torch.Tensor) else None


def _describe(elements: tuple[int, ...], shape: tuple[int, ...] | None) -> str:
    """'rows 6-7, cols 6-7' for image inputs, else the flat positions."""
    if shape is None or len(shape) < 2:
        return f"at input positions {list(elements)[:20]}"
    height, width = shape[-2], shape[-1]
    rows = sorted({(e // width) % height for e in elements})
    cols = sorted({e % width for e in elements})
    return f"at rows {rows[0]}-{rows[-1]}, cols {cols[0]}-{cols[-1]}"


def corner_patch(
    size: int = 2, value: float = 1.0, corner: str = "bottom-right"
) -> Callable[[torch.Tensor], torch.Tensor]:
    """A trigger function: a size x size square of `value` in one corner of image inputs [..., H, W]."""
    vertical, _, horizontal = corner.partition("-")

    def stamp(x: torch.Tensor) -> torch.Tensor:
        out = x.clone()
        rows = slice(-size, None) if vertical == "bottom" else slice(0, size)
        cols = slice(-size, None) if horizontal == "right" else slice(0, size)
        out[..., rows, cols] = value
        return out

    return stamp


def trigger_test(
    model: nn.Module,
    inputs: Any,
    labels: Any = None,
    *,
    trigger: Callable[[torch.Tensor], torch.Tensor] | None = None,
    threshold: float = 0.5,
    bounds: Bounds = (0.0, 1.0),
    batch_size: int = 512,
    name: str | None = None,
    device: str | torch.device | None = None,
) -> Report:
    """Stamp `trigger` (default: a 2x2 bottom-right patch of 1.0) on held-out inputs; NBSEC-ADV-005 when it flips
    at least `threshold` of the correctly classified inputs of other classes to one class."""
    started = utc_now_iso()
    model_name = name or type(model).__name__
    stamp = trigger or corner_patch()
    run_on = model_device(model, device)
    x, y = collect(inputs, labels, what="held-out set")
    data = validate_data(x, y, bounds, what="held-out set")
    clean, triggered = [], []
    with attack_mode(model):
        info = check_outputs(model, data.x[:64].to(run_on), data.y[:64], what=model_name)
        with torch.no_grad():
            for start in range(0, len(data), batch_size):
                xb = data.x[start : start + batch_size].to(run_on)
                clean.append(model(xb).argmax(1).cpu())
                triggered.append(model(stamp(xb).clamp(bounds[0], bounds[1])).argmax(1).cpu())
    clean_pred, trig_pred = torch.cat(clean), torch.cat(triggered)
    correct = clean_pred == data.y
    report = Report(started_at=started)
    report.targets.append(Target(model_name, "torch-model", "scanned", f"trigger test on {len(data)} samples"))
    rates: list[float] = []
    for c in range(info.n_classes):
        eligible = correct & (data.y != c)
        rate = float((trig_pred[eligible] == c).float().mean()) if bool(eligible.any()) else 0.0
        rates.append(rate)
        report.metrics.append(Metric("trigger_flip_rate", rate, "fraction", {"class": str(c)}))
    worst = max(range(len(rates)), key=lambda c: rates[c])
    report.metrics.append(Metric("trigger_attack_success_rate", rates[worst], "fraction", {"class": str(worst)}))
    rule = rules.BACKDOOR_TRIGGER
    if rates[worst] >= threshold:
        report.checks.append(
            Check(SCANNER, model_name, "failed", f"trigger flips {rates[worst]:.1%} to {worst}", (rule.id,))
        )
        report.findings.append(
            rule.finding(
                Location(model_name, element=f"class={worst}"),
                f"{int(((trig_pred == worst) & correct & (data.y != worst)).sum())} of "
                f"{int((correct & (data.y != worst)).sum())} correctly classified inputs of other classes are "
                f"predicted {worst} once the trigger is stamped on them (threshold {threshold:.0%})",
                title=f"The trigger flips {rates[worst]:.0%} of other-class inputs to class {worst}",
            )
        )
    else:
        report.checks.append(Check(SCANNER, model_name, "passed", f"trigger flips at most {rates[worst]:.1%} "
                                   f"of inputs to one class (threshold {threshold:.0%})", (rule.id,)))  # fmt: skip
    report.figures.append(
        Figure("trigger", "Share of other-class inputs flipped to each class by the trigger", "bar",
               {"x_label": "class", "y_label": "flip rate", "y_range": [0.0, 1.0],
                "categories": [str(c) for c in range(len(rates))], "series": [{"name": "flip rate", "values": rates}]})
    )  # fmt: skip
    report.finished_at = utc_now_iso()
    return report
