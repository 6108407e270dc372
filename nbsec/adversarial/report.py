"""From per-sample attack outcomes to an nbsec Report: metrics, verdict findings, sanity checks, figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from nbsec.adversarial import rules
from nbsec.adversarial.figures import Example, example_grid, is_image_batch, per_class_bars, robustness_curve
from nbsec.adversarial.sanity import SanityResult
from nbsec.model import Check, Confidence, Location, Metric, Report, ScanError, Severity, Target, utc_now_iso

SCANNER = rules.SCANNER
FLOOR = (rules.LOW_ROBUST_ACCURACY.id,)  # the rule the robust-accuracy floor verdict tests


@dataclass
class EvaluationResult:
    """Per-sample outcomes of one evaluation, on the CPU. Keys are (attack, epsilon index)."""

    n: int
    n_classes: int
    labels: torch.Tensor
    epsilons: list[float]
    clean_pred: torch.Tensor = field(default_factory=lambda: torch.empty(0, dtype=torch.long))
    robust: dict[tuple[str, int], torch.Tensor] = field(default_factory=dict)
    norms: dict[tuple[str, int], torch.Tensor] = field(default_factory=dict)
    queries: dict[tuple[str, int], torch.Tensor] = field(default_factory=dict)
    invalid: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    examples: list[Example] = field(default_factory=list)
    example_epsilon: int = 0
    image_inputs: bool = False
    deterministic_gap: float = 0.0
    sanity: SanityResult | None = None
    seconds_total: float = 0.0

    @property
    def attacks(self) -> list[str]:
        return list(dict.fromkeys(name for name, _ in self.robust))

    @property
    def correct(self) -> torch.Tensor:
        return self.clean_pred == self.labels

    def worst(self, e: int) -> torch.Tensor:
        """Robust under every attack at epsilon index e (the per-sample worst case)."""
        out = self.correct.clone()
        for name in self.attacks:
            out &= self.robust[(name, e)]
        return out

    def accuracy_curves(self) -> dict[str, list[float]]:
        curves = {
            name: [float(self.robust[(name, e)].float().mean()) for e in range(len(self.epsilons))]
            for name in self.attacks
        }
        if len(self.attacks) > 1:
            curves["worst"] = [float(self.worst(e).float().mean()) for e in range(len(self.epsilons))]
        return curves

    def add_examples(
        self,
        clean: torch.Tensor,
        adversarial: torch.Tensor,
        labels: torch.Tensor,
        clean_pred: torch.Tensor,
        adv_pred: torch.Tensor,
        attack: str,
        limit: int,
    ) -> None:
        self.image_inputs = self.image_inputs or is_image_batch(clean)
        if not is_image_batch(clean):
            return
        for i in range(min(clean.shape[0], limit - len(self.examples))):
            self.examples.append(
                Example(
                    clean[i].cpu(), adversarial[i].cpu(), int(labels[i]), int(clean_pred[i]), int(adv_pred[i]), attack
                )  # fmt: skip
            )


def _eps(value: float) -> str:
    return f"{value:g}"


def build_report(
    result: EvaluationResult,
    settings: dict[str, Any],
    *,
    model_name: str,
    floor: float,
    floor_epsilon: float | None,
    started_at: str,
    device: str,
) -> Report:
    norm = str(settings["norm"])
    report = Report(started_at=started_at)
    from nbsec._version import __version__

    report.tool_version = __version__
    detail = f"{result.n} samples, {len(result.attacks)} attack(s), {norm} epsilons {settings['epsilons']}, {device}"
    report.targets.append(Target(model_name, "torch-model", "scanned", detail))
    extra = {"target": str(settings["target"])} if settings["target"] is not None else {}
    curves = result.accuracy_curves()
    clean = float(result.correct.float().mean())
    report.metrics.append(Metric("samples", float(result.n), "count"))
    report.metrics.append(Metric("clean_accuracy", clean, "fraction"))
    _attack_metrics(report, result, curves, norm, extra)
    _per_class(report, result, norm, extra)
    for name in result.attacks:
        attacked = f"{name}: {norm} attack at {len(result.epsilons)} epsilon(s)"
        report.checks.append(
            Check(
                SCANNER,
                model_name,
                "passed",
                f"{attacked} on {int(result.correct.sum())} correctly classified samples",
                (rules.LOW_ROBUST_ACCURACY.id,),
            )
        )
    for name, count in result.invalid.items():
        report.errors.append(ScanError(SCANNER, model_name, f"{name}: {count} adversarial input(s) broke the budget "
                                       "and were not counted", "report this as an nbsec bug"))  # fmt: skip
    _floor_verdict(report, result, curves, clean, norm, model_name, floor, floor_epsilon)
    _determinism(report, result, model_name)
    if result.sanity is not None:
        _sanity_findings(report, result.sanity, model_name, norm)
    _figures(report, result, curves, clean, norm, settings)
    report.timings = {f"attack:{k}" if k in result.attacks else k: v for k, v in result.seconds.items()}
    report.timings["total"] = result.seconds_total
    report.finished_at = utc_now_iso()
    return report


def _attack_metrics(
    report: Report, result: EvaluationResult, curves: dict[str, list[float]], norm: str, extra: dict[str, str]
) -> None:
    attacked = result.correct
    n_attacked = max(int(attacked.sum()), 1)
    for name, values in curves.items():
        for e, eps in enumerate(result.epsilons):
            labels = {"attack": name, "epsilon": _eps(eps), "norm": norm, **extra}
            report.metrics.append(Metric("robust_accuracy", values[e], "fraction", labels))
            broken = attacked & ~(result.worst(e) if name == "worst" else result.robust[(name, e)])
            report.metrics.append(Metric("attack_success_rate", int(broken.sum()) / n_attacked, "fraction", labels))
            if name == "worst":
                continue
            norms = result.norms[(name, e)]
            norms = norms[~torch.isnan(norms)]
            if norms.numel():
                report.metrics.append(Metric("mean_perturbation_norm", float(norms.mean()), norm, labels))
            if (name, e) in result.queries:
                used = result.queries[(name, e)][attacked]
                if used.numel():
                    report.metrics.append(Metric("mean_queries", float(used.float().mean()), "queries", labels))


def _per_class(report: Report, result: EvaluationResult, norm: str, extra: dict[str, str]) -> None:
    for c in range(result.n_classes):
        members = result.labels == c
        if not bool(members.any()):
            continue
        report.metrics.append(
            Metric(
                "per_class_clean_accuracy", float(result.correct[members].float().mean()), "fraction", {"class": str(c)}
            )  # fmt: skip
        )
        for e, eps in enumerate(result.epsilons):
            labels = {"attack": "worst", "epsilon": _eps(eps), "norm": norm, "class": str(c), **extra}
            value = float(result.worst(e)[members].float().mean())
            report.metrics.append(Metric("per_class_robust_accuracy", value, "fraction", labels))


def _floor_verdict(
    report: Report,
    result: EvaluationResult,
    curves: dict[str, list[float]],
    clean: float,
    norm: str,
    model_name: str,
    floor: float,
    floor_epsilon: float | None,
) -> None:
    worst = curves.get("worst") or next(iter(curves.values()))
    judged = [e for e, eps in enumerate(result.epsilons) if floor_epsilon is None or eps <= floor_epsilon + 1e-12]
    failing = [e for e in judged if worst[e] < floor]
    scope = "every epsilon" if floor_epsilon is None else f"epsilons <= {floor_epsilon:g}"
    if not judged:
        report.checks.append(Check(SCANNER, model_name, "skipped", f"no epsilon <= {floor_epsilon} to judge", FLOOR))
        return
    if not failing:
        report.checks.append(
            Check(SCANNER, model_name, "passed", f"worst-case robust accuracy >= floor {floor:g} at {scope}", FLOOR)
        )
        return
    e = failing[0]
    drop = clean - worst[e]
    severity = Severity.HIGH if drop >= 0.5 else Severity.MEDIUM if drop >= 0.25 else Severity.LOW
    at = ", ".join(_eps(result.epsilons[i]) for i in failing)
    rule = rules.LOW_ROBUST_ACCURACY
    report.checks.append(
        Check(SCANNER, model_name, "failed", f"worst-case robust accuracy < floor {floor:g} at {at}", FLOOR)
    )
    report.findings.append(
        rule.finding(
            Location(model_name, element=f"epsilon={_eps(result.epsilons[e])}"),
            f"worst case over {', '.join(result.attacks)} on {result.n} samples: clean accuracy {clean:.3f}, "
            f"robust accuracy {worst[e]:.3f} (drop {100 * drop:.1f} points); below {floor:g} at {norm} epsilon(s) {at}",
            title=f"Robust accuracy {worst[e]:.1%} at {norm} epsilon {_eps(result.epsilons[e])} is below the floor "
            f"{floor:.0%}",
            severity=severity,
        )
    )


def _determinism(report: Report, result: EvaluationResult, model_name: str) -> None:
    rule = rules.NONDETERMINISTIC_MODEL
    if result.deterministic_gap <= 1e-4:
        report.checks.append(
            Check(SCANNER, model_name, "passed", "outputs identical on repeated calls in eval mode", (rule.id,))
        )
        return
    report.checks.append(
        Check(SCANNER, model_name, "failed", "outputs differ on repeated calls in eval mode", (rule.id,))
    )
    report.findings.append(
        rule.finding(
            Location(model_name, element="determinism"),
            f"max |logit difference| {result.deterministic_gap:.3g} between two calls on the same inputs",
        )
    )


def _sanity_findings(report: Report, sanity: SanityResult, model_name: str, norm: str) -> None:
    rule = rules.GRADIENT_MASKING
    for outcome in sanity.outcomes:
        report.checks.append(
            Check(SCANNER, model_name, outcome.status, f"{outcome.description}: {outcome.detail}", (rule.id,))
        )
        if outcome.status != "failed":
            continue
        report.findings.append(
            rule.finding(
                Location(model_name, element=f"sanity:{outcome.id}"),
                outcome.detail,
                title=f"{rule.title}: {outcome.problem}",
                confidence=Confidence.parse(outcome.confidence),
            )
        )
    for key, value in sanity.figures.items():
        check, _, variant = key.partition(":")
        labels = {"check": check, "norm": norm, **({"steps": variant} if variant else {})}
        report.metrics.append(Metric("sanity_" + check.replace("-", "_"), value, "fraction", labels))


def _figures(
    report: Report,
    result: EvaluationResult,
    curves: dict[str, list[float]],
    clean: float,
    norm: str,
    settings: dict[str, Any],
) -> None:
    report.figures.append(robustness_curve(result.epsilons, clean, curves, norm))
    e = result.example_epsilon
    classes = [str(c) for c in range(result.n_classes)]
    clean_by_class: list[float | None] = []
    worst_by_class: list[float | None] = []
    worst = result.worst(e)
    for c in range(result.n_classes):
        members = result.labels == c
        has = bool(members.any())
        clean_by_class.append(float(result.correct[members].float().mean()) if has else None)
        worst_by_class.append(float(worst[members].float().mean()) if has else None)
    eps_text = _eps(result.epsilons[e])
    report.figures.append(
        per_class_bars(
            classes,
            {"clean": clean_by_class, f"worst case, epsilon {eps_text}": worst_by_class},
            f"Accuracy per class, clean and at {norm} epsilon {eps_text}",
        )  # fmt: skip
    )
    if result.examples:
        bounds = settings["bounds"]
        report.figures.append(example_grid(result.examples, (bounds[0], bounds[1]), result.epsilons[e], norm))
