"""Membership inference: can someone who queries the model tell its training samples from unseen ones?

Two attacks that need no shadow models: the loss threshold (members have lower
loss; Yeom et al. 2018) and the confidence threshold (members get more
confident predictions; label-free). Each is scored by ROC AUC and by the
true-positive rate at 1% false positives, which shows confident leakage that
AUC alone hides (Carlini et al. 2022).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from nbsec.adversarial import rules
from nbsec.adversarial.inputs import Bounds, attack_mode, check_outputs, collect, model_device, validate_data
from nbsec.model import Check, Figure, Location, Metric, Report, Severity, Target, utc_now_iso

SCANNER = rules.SCANNER
MIA_ATTACKS = ("loss", "confidence")
LOW_FPR = 0.01


def roc_auc(member_scores: torch.Tensor, nonmember_scores: torch.Tensor) -> float:
    """P(score of a random member > score of a random non-member), ties counted half (Mann-Whitney U)."""
    scores = torch.cat([member_scores, nonmember_scores]).double()
    order = scores.argsort()
    ranks = torch.empty_like(scores)
    ranks[order] = torch.arange(1, scores.numel() + 1, dtype=torch.float64)
    # Average the ranks of tied scores.
    unique, inverse = torch.unique(scores, return_inverse=True)
    sums = torch.zeros(unique.numel(), dtype=torch.float64).index_add_(0, inverse, ranks)
    counts = torch.zeros(unique.numel(), dtype=torch.float64).index_add_(0, inverse, torch.ones_like(ranks))
    ranks = (sums / counts)[inverse]
    m, n = member_scores.numel(), nonmember_scores.numel()
    return float((ranks[:m].sum() - m * (m + 1) / 2) / (m * n))


def roc_curve(member_scores: torch.Tensor, nonmember_scores: torch.Tensor) -> tuple[list[float], list[float]]:
    """(false-positive rates, true-positive rates) over every threshold, highest score first."""
    scores = torch.cat([member_scores, nonmember_scores])
    is_member = torch.cat([torch.ones(member_scores.numel()), torch.zeros(nonmember_scores.numel())])
    order = scores.argsort(descending=True)
    sorted_scores, hits = scores[order], is_member[order]
    tp, fp = hits.cumsum(0), (1 - hits).cumsum(0)
    # Only the last position of a run of tied scores is a reachable threshold.
    last = torch.ones_like(sorted_scores, dtype=torch.bool)
    last[:-1] = sorted_scores[:-1] != sorted_scores[1:]
    fpr = [0.0, *(fp[last] / max(nonmember_scores.numel(), 1)).tolist()]
    tpr = [0.0, *(tp[last] / max(member_scores.numel(), 1)).tolist()]
    return fpr, tpr


def tpr_at_fpr(fpr: list[float], tpr: list[float], limit: float = LOW_FPR) -> float:
    return max((t for f, t in zip(fpr, tpr, strict=True) if f <= limit + 1e-12), default=0.0)


def _scores(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device, batch: int) -> dict[str, Any]:
    losses, confidences, correct = [], [], []
    with torch.no_grad():
        for start in range(0, x.shape[0], batch):
            logits = model(x[start : start + batch].to(device)).float()
            target = y[start : start + batch].to(device)
            losses.append(F.cross_entropy(logits, target, reduction="none").cpu())
            confidences.append(logits.softmax(1).amax(1).cpu())
            correct.append((logits.argmax(1) == target).cpu())
    return {"loss": -torch.cat(losses), "confidence": torch.cat(confidences), "correct": torch.cat(correct)}


def membership_inference(
    model: nn.Module,
    members: Any,
    nonmembers: Any,
    *,
    member_labels: Any = None,
    nonmember_labels: Any = None,
    auc_threshold: float = 0.6,
    tpr_threshold: float = 0.05,
    bounds: Bounds = (0.0, 1.0),
    batch_size: int = 512,
    name: str | None = None,
    device: str | torch.device | None = None,
) -> Report:
    """Loss- and confidence-threshold attacks on member vs non-member data; NBSEC-PRIV-002 when the model leaks.

    members / nonmembers: tensors with *_labels, (x, y) tuples, or DataLoaders (members: data
    the model was trained on; non-members: data from the same distribution it never saw).
    The finding fires when an attack's AUC >= auc_threshold or its TPR at 1% FPR >= tpr_threshold.
    """
    started = utc_now_iso()
    model_name = name or type(model).__name__
    run_on = model_device(model, device)
    xm, ym = collect(members, member_labels, what="members")
    xn, yn = collect(nonmembers, nonmember_labels, what="non-members")
    member_data = validate_data(xm, ym, bounds, what="members")
    other_data = validate_data(xn, yn, bounds, what="non-members")
    with attack_mode(model):
        check_outputs(model, member_data.x[:64].to(run_on), member_data.y[:64], what=model_name)
        check_outputs(model, other_data.x[:64].to(run_on), other_data.y[:64], what=model_name)
        inside = _scores(model, member_data.x, member_data.y, run_on, batch_size)
        outside = _scores(model, other_data.x, other_data.y, run_on, batch_size)
    report = Report(started_at=started)
    report.targets.append(
        Target(model_name, "torch-model", "scanned", f"{len(member_data)} members, {len(other_data)} non-members")
    )
    member_acc, other_acc = float(inside["correct"].float().mean()), float(outside["correct"].float().mean())
    report.metrics.append(Metric("member_accuracy", member_acc, "fraction"))
    report.metrics.append(Metric("nonmember_accuracy", other_acc, "fraction"))
    report.metrics.append(Metric("generalization_gap", member_acc - other_acc, "fraction"))
    series, leaks = [], []
    for attack in MIA_ATTACKS:
        auc = roc_auc(inside[attack], outside[attack])
        fpr, tpr = roc_curve(inside[attack], outside[attack])
        low = tpr_at_fpr(fpr, tpr)
        advantage = max(t - f for f, t in zip(fpr, tpr, strict=True))
        labels = {"attack": attack}
        report.metrics.append(Metric("membership_auc", auc, "", labels))
        report.metrics.append(Metric("membership_tpr_at_1pct_fpr", low, "fraction", labels))
        report.metrics.append(Metric("membership_advantage", advantage, "fraction", labels))
        series.append({"name": f"{attack} (AUC {auc:.3f})", **_thinned(fpr, tpr)})
        if auc >= auc_threshold or low >= tpr_threshold:
            leaks.append((attack, auc, low))
    series.append({"name": "chance", "x": [0.0, 1.0], "y": [0.0, 1.0]})
    report.figures.append(
        Figure(
            "membership-roc",
            "Membership inference ROC",
            "line",
            {
                "x_label": "false-positive rate",
                "y_label": "true-positive rate",
                "y_range": [0.0, 1.0],
                "series": series,
            },
        )  # fmt: skip
    )
    rule = rules.MEMBERSHIP_LEAK
    limits = f"AUC >= {auc_threshold:g} or TPR at 1% FPR >= {tpr_threshold:g}"
    if leaks:
        attack, auc, low = max(leaks, key=lambda item: item[1])
        severity = Severity.HIGH if auc >= 0.8 else Severity.MEDIUM if auc >= 0.65 else Severity.LOW
        report.checks.append(Check(SCANNER, model_name, "failed", f"membership inference: {limits}", (rule.id,)))
        report.findings.append(
            rule.finding(
                Location(model_name, element="membership"),
                "; ".join(f"{a}: AUC {u:.3f}, TPR at 1% FPR {t:.3f}" for a, u, t in leaks)
                + f"; member accuracy {member_acc:.3f} vs non-member {other_acc:.3f} ({limits})",
                title=f"Membership inference succeeds ({attack} attack, AUC {auc:.2f})",
                severity=severity,
            )
        )
    else:
        report.checks.append(Check(SCANNER, model_name, "passed", f"membership inference below {limits}", (rule.id,)))
    report.finished_at = utc_now_iso()
    return report


def _thinned(fpr: list[float], tpr: list[float], points: int = 101) -> dict[str, list[float]]:
    """At most `points` points of the ROC curve, first and last kept: a report stays small."""
    if len(fpr) <= points:
        return {"x": fpr, "y": tpr}
    step = (len(fpr) - 1) / (points - 1)
    picks = sorted({round(i * step) for i in range(points)})
    return {"x": [fpr[i] for i in picks], "y": [tpr[i] for i in picks]}
