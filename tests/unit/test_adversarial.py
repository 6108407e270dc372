"""Adversarial runners on the demo models: correctness against plain code, strength, masking, poisoning, privacy.

The demo models are trained once per session (a few seconds, one thread) by the
same `build(root)` that `nbsec demo` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nbsec.adversarial import detect_backdoor, evaluate, load_demo_model, membership_inference, trigger_test
from nbsec.adversarial.attacks import pgd
from nbsec.adversarial.demo_models import load_demo_data
from nbsec.adversarial.poisoning import find_poisoned_samples
from nbsec.demo import digits_checkpoints as demo_models
from nbsec.model import Report

torch.set_num_threads(1)


@dataclass(frozen=True)
class Demo:
    root: Path
    data: dict[str, torch.Tensor]

    def model(self, filename: str) -> nn.Module:
        return load_demo_model(self.root / "models" / filename)


def build_demo_models(base: Path) -> Demo:
    root = base / "adversarial-demo"
    if not (root / "models" / demo_models.DATA_FILE).exists():
        demo_models.build(root)
    return Demo(root, load_demo_data(root / "models" / demo_models.DATA_FILE))


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return build_demo_models(tmp_path_factory.getbasetemp())


class ScaledLogits(nn.Module):
    """The demo model with its logits multiplied by 1e4: cross-entropy gradients vanish (gradient masking)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.model(x) * 1e4
        return out


def metric(report: Report, name: str, **labels: str) -> float:
    [value] = [
        m.value for m in report.metrics if m.name == name and all(m.labels.get(k) == v for k, v in labels.items())
    ]
    return value


def rule_ids(report: Report) -> list[str]:
    return sorted(f.rule_id for f in report.findings)


# -- correctness: nbsec's PGD is the textbook PGD ----------------------------------------------


def plain_pgd(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, alpha: float, steps: int) -> torch.Tensor:
    """Madry et al.'s PGD as a reader would write it from the paper."""
    x_adv = x.clone()
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = F.cross_entropy(model(x_adv), y)
        (grad,) = torch.autograd.grad(loss, x_adv)
        x_adv = x_adv.detach() + alpha * grad.sign()
        x_adv = torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0.0, 1.0)
    return x_adv


def test_pgd_without_random_start_agrees_with_plain_pgd_sample_for_sample(demo: Demo) -> None:
    model = demo.model(demo_models.CLEAN_MODEL)
    x, y = demo.data["x_test"][:300], demo.data["y_test"][:300]
    eps, alpha, steps = 0.1, 0.01, 20
    reference = plain_pgd(model, x, y, eps, alpha, steps)
    with torch.no_grad():
        expected = model(reference).argmax(1)
    ours = pgd(model, x, y, eps=eps, steps=steps, step_size=alpha, random_start=False)
    with torch.no_grad():
        predicted = model(ours.x_adv).argmax(1)
    assert torch.equal(predicted, expected)
    assert float((ours.x_adv - reference).abs().max()) <= 1e-6
    assert torch.equal(ours.success, expected != y)
    report = evaluate(model, x, y, attacks=("pgd",), epsilons=(eps,), steps=steps, step_size=alpha,
                      random_start=False, sanity_checks=False, progress=False)  # fmt: skip
    assert metric(report, "robust_accuracy", attack="pgd") == pytest.approx(float((expected == y).float().mean()))


# -- strength: the default suite against an AutoAttack-style ensemble ------------------------------


def autoattack_style(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """Robust mask under an independent ensemble: CE PGD with restarts plus a targeted margin attack on every class."""
    generator = torch.Generator().manual_seed(123)
    robust = torch.ones_like(y, dtype=torch.bool)

    def attack(loss_fn: Any, start: torch.Tensor, steps: int = 60) -> torch.Tensor:
        x_adv = start
        for i in range(steps):
            x_adv.requires_grad_(True)
            (grad,) = torch.autograd.grad(loss_fn(model(x_adv)).sum(), x_adv)
            alpha = eps / 4 if i < steps // 2 else eps / 20
            x_adv = torch.min(torch.max(x_adv.detach() + alpha * grad.sign(), x - eps), x + eps).clamp(0, 1)
            with torch.no_grad():
                robust.logical_and_(model(x_adv).argmax(1) == y)
        return x_adv

    for restart in range(3):
        noise = (torch.rand(x.shape, generator=generator) * 2 - 1) * eps if restart else torch.zeros_like(x)
        attack(lambda z: F.cross_entropy(z, y, reduction="none"), (x + noise).clamp(0, 1))
    for target in range(10):
        t = torch.full_like(y, target)
        attack(lambda z, t=t: z.gather(1, t[:, None]).squeeze(1) - z.gather(1, y[:, None]).squeeze(1), x.clone())
    with torch.no_grad():
        return robust & (model(x).argmax(1) == y)


def test_default_suite_is_no_weaker_than_an_autoattack_style_ensemble(demo: Demo) -> None:
    model = demo.model(demo_models.CLEAN_MODEL)
    x, y = demo.data["x_test"][:300], demo.data["y_test"][:300]
    report = evaluate(model, x, y, epsilons=(0.1,), sanity_checks=False, progress=False)
    ours = metric(report, "robust_accuracy", attack="worst", epsilon="0.1")
    theirs = float(autoattack_style(model, x, y, 0.1).float().mean())
    assert 0.2 < theirs < 0.9  # a meaningful epsilon for this model
    assert ours <= theirs + 0.005
    # ... and the ensemble is stronger than plain PGD alone (the reason it is the default).
    assert ours <= metric(report, "robust_accuracy", attack="pgd", epsilon="0.1")


# -- gradient masking ------------------------------------------------------------------------------


def test_scaled_logits_are_flagged_for_gradient_masking_and_the_plain_model_is_not(demo: Demo) -> None:
    plain = demo.model(demo_models.CLEAN_MODEL)
    x, y = demo.data["x_test"][:150], demo.data["y_test"][:150]
    options: dict[str, Any] = {"epsilons": (0.1, 0.2), "steps": 20, "queries": 200, "progress": False}
    masked_report = evaluate(ScaledLogits(plain), x, y, **options)
    plain_report = evaluate(plain, x, y, **options)
    masked = [f for f in masked_report.findings if f.rule_id == "NBSEC-ADV-002"]
    assert {f.location.element for f in masked} >= {"sanity:unbounded-epsilon", "sanity:zero-gradient"}
    assert "NBSEC-ADV-002" not in rule_ids(plain_report)
    assert all(c.status in ("passed", "failed") for c in plain_report.checks)
    # Plain PGD believes the masked model; the ensemble's worst case does not.
    assert metric(masked_report, "robust_accuracy", attack="pgd", epsilon="0.2") > 0.9
    masked_worst = metric(masked_report, "robust_accuracy", attack="worst", epsilon="0.2")
    assert masked_worst <= metric(plain_report, "robust_accuracy", attack="worst", epsilon="0.2") + 0.05


# -- poisoning -----------------------------------------------------------------------------------------


def test_planted_backdoor_is_found_with_high_precision_and_recall(demo: Demo) -> None:
    backdoored = demo.model(demo_models.BACKDOOR_MODEL)
    x, y = demo.data["x_train_poisoned"], demo.data["y_train_poisoned"]
    poisoned = set(demo.data["poisoned_indices"].tolist())
    flagged = set(find_poisoned_samples(backdoored, x, y).flagged_indices.tolist())
    precision = len(flagged & poisoned) / max(len(flagged), 1)
    recall = len(flagged & poisoned) / len(poisoned)
    chance = len(poisoned) / len(y)  # precision of flagging at random
    assert precision >= 0.8 and precision > 10 * chance
    assert recall >= 0.8
    report = detect_backdoor(backdoored, x, y, name="backdoor.pt")
    [finding] = report.findings
    assert finding.rule_id == "NBSEC-ADV-004" and finding.location.element == "class=0"
    assert "rows 6-7, cols 6-7" in finding.evidence  # where the 2x2 trigger is
    assert str(sorted(flagged)[0]) in finding.evidence


def test_clean_model_is_not_flagged_for_poisoning(demo: Demo) -> None:
    clean = demo.model(demo_models.CLEAN_MODEL)
    report = detect_backdoor(clean, demo.data["x_train"], demo.data["y_train"])
    assert report.findings == []
    assert [c.status for c in report.checks] == ["passed"]


def test_trigger_test_flags_the_backdoor_only(demo: Demo) -> None:
    x, y = demo.data["x_test"], demo.data["y_test"]
    backdoored = trigger_test(demo.model(demo_models.BACKDOOR_MODEL), x, y)
    clean = trigger_test(demo.model(demo_models.CLEAN_MODEL), x, y)
    assert rule_ids(backdoored) == ["NBSEC-ADV-005"]
    assert backdoored.findings[0].location.element == "class=0"
    assert metric(backdoored, "trigger_flip_rate", **{"class": "0"}) > 0.8
    assert rule_ids(clean) == []


# -- privacy --------------------------------------------------------------------------------------------


def test_membership_inference_separates_the_overfit_model(demo: Demo) -> None:
    d = demo.data
    members = d["overfit_members"]
    unseen = (d["x_test"], d["y_test"])
    overfit_model = demo.model(demo_models.OVERFIT_MODEL)
    overfit = membership_inference(overfit_model, (d["x_train"][members], d["y_train"][members]), unseen)
    regular = membership_inference(demo.model(demo_models.CLEAN_MODEL), (d["x_train"], d["y_train"]), unseen)
    overfit_auc = metric(overfit, "membership_auc", attack="loss")
    regular_auc = metric(regular, "membership_auc", attack="loss")
    assert overfit_auc >= regular_auc + 0.08
    assert rule_ids(overfit) == ["NBSEC-PRIV-002"]
    assert rule_ids(regular) == []


def test_roc_auc_matches_the_pairwise_definition() -> None:
    from nbsec.adversarial.privacy import roc_auc, roc_curve, tpr_at_fpr

    members, others = torch.tensor([0.9, 0.8, 0.8, 0.1]), torch.tensor([0.8, 0.2, 0.0])
    pairs = [(1.0 if m > o else 0.5 if m == o else 0.0) for m in members.tolist() for o in others.tolist()]
    assert roc_auc(members, others) == pytest.approx(sum(pairs) / len(pairs))
    fpr, tpr = roc_curve(members, others)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert tpr_at_fpr(fpr, tpr, 0.0) == 0.25  # only 0.9 is above every non-member


# -- the user's model is left as it was --------------------------------------------------------------


def test_model_mode_and_gradients_are_restored(demo: Demo) -> None:
    model = demo.model(demo_models.CLEAN_MODEL)
    model.train()
    model.fc1.eval()  # a mixed state must come back exactly
    model.conv1.weight.requires_grad_(False)
    evaluate(model, demo.data["x_test"][:40], demo.data["y_test"][:40], epsilons=(0.1,), steps=3, queries=20,
             progress=False)  # fmt: skip
    assert model.training and not model.fc1.training and model.conv2.training
    assert not model.conv1.weight.requires_grad
    assert all(p.requires_grad for name, p in model.named_parameters() if name != "conv1.weight")
    assert all(p.grad is None for p in model.parameters())


# -- bad input: a clear error, never a silent wrong number ------------------------------------------------


class Softmaxed(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.model(x).softmax(1)
        return out


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("probabilities", "probabilities, not logits"),
        ("out-of-bounds", "outside the declared bounds"),
        ("labels-out-of-range", "out of range for a model with 10 outputs"),
        ("empty", "empty"),
        ("device", "was asked for"),
        ("meta-model", "'meta' device"),
        ("one-hot", "one-hot"),
        ("integer-inputs", "not floating point"),
        ("count-mismatch", "inputs but"),
        ("unknown-attack", "unknown attack"),
    ],
)
def test_bad_input_is_a_clear_error(demo: Demo, case: str, message: str) -> None:
    from nbsec.adversarial.inputs import AdversarialInputError

    model: nn.Module = demo.model(demo_models.CLEAN_MODEL)
    x, y = demo.data["x_test"][:20], demo.data["y_test"][:20]
    kwargs: dict[str, Any] = {"epsilons": (0.1,), "attacks": ("fgsm",), "progress": False}
    if case == "probabilities":
        model = Softmaxed(model)
    elif case == "out-of-bounds":
        x = x * 16  # the raw 0..16 digits
    elif case == "labels-out-of-range":
        y = y + 10
    elif case == "empty":
        x, y = x[:0], y[:0]
    elif case == "device":
        kwargs["device"] = "meta"
    elif case == "meta-model":
        model = nn.Linear(64, 10, device="meta")
    elif case == "one-hot":
        y = F.one_hot(y, 10)
    elif case == "integer-inputs":
        x = (x * 16).long()
    elif case == "count-mismatch":
        y = y[:10]
    elif case == "unknown-attack":
        kwargs["attacks"] = ("pgd", "deepfool")
    with pytest.raises(AdversarialInputError, match=message) as raised:
        evaluate(model, x, y, **kwargs)
    assert raised.value.hint


def test_a_randomized_model_gets_a_warning_finding(demo: Demo) -> None:
    noisy = nn.Sequential(demo.model(demo_models.CLEAN_MODEL), nn.Dropout(0.5))
    noisy[1].eval = lambda: noisy[1]  # type: ignore[method-assign]  # dropout that ignores eval mode
    noisy[1].train = lambda mode=True: noisy[1]  # type: ignore[method-assign,misc]
    noisy[1].training = True
    report = evaluate(noisy, demo.data["x_test"][:30], demo.data["y_test"][:30], epsilons=(0.1,), attacks=("fgsm",),
                      progress=False)  # fmt: skip
    assert "NBSEC-ADV-003" in rule_ids(report)


# -- report shape, other norms, data loaders, targeted attacks -----------------------------------------------


def test_report_metrics_figures_and_schema(demo: Demo, report_schema: dict[str, Any]) -> None:
    import jsonschema

    model = demo.model(demo_models.CLEAN_MODEL)
    report = evaluate(model, demo.data["x_test"][:60], demo.data["y_test"][:60], epsilons=(0.05, 0.2), steps=5,
                      queries=50, progress=False, name="digits_cnn.pt")  # fmt: skip
    jsonschema.validate(report.to_dict(), report_schema)
    names = {m.name for m in report.metrics}
    assert {"clean_accuracy", "robust_accuracy", "attack_success_rate", "mean_perturbation_norm",
            "per_class_robust_accuracy", "mean_queries"} <= names  # fmt: skip
    attacks = {m.labels["attack"] for m in report.metrics if m.name == "robust_accuracy"}
    assert attacks == {"pgd", "apgd-ce", "apgd-t", "square", "worst"}
    assert all(m.labels["norm"] == "linf" for m in report.metrics if m.name == "robust_accuracy")
    worst = metric(report, "robust_accuracy", attack="worst", epsilon="0.05")
    assert worst == min(metric(report, "robust_accuracy", attack=a, epsilon="0.05") for a in attacks)
    assert metric(report, "mean_perturbation_norm", attack="pgd", epsilon="0.05") <= 0.05 + 1e-6
    assert 0 < metric(report, "mean_queries", attack="square", epsilon="0.05") <= 50
    assert [f.kind for f in report.figures] == ["line", "bar", "image-grid"]
    curve = report.figures[0].data["series"]
    # Attacks that agree at every epsilon share a line ("apgd-ce = apgd-t = worst"); each appears exactly once.
    named = [name for s in curve for name in s["name"].split(" = ")]
    assert sorted(named) == sorted(attacks) and all(s["x"] == [0.0, 0.05, 0.2] for s in curve)
    for s in curve:
        for name in s["name"].split(" = "):
            assert s["y"][1:] == [metric(report, "robust_accuracy", attack=name, epsilon=e) for e in ("0.05", "0.2")]
    assert Report.from_dict(report.to_dict()).figures == report.figures


def test_l2_dataloader_and_targeted(demo: Demo) -> None:
    from torch.utils.data import DataLoader, TensorDataset

    model = demo.model(demo_models.CLEAN_MODEL)
    x, y = demo.data["x_test"][:64], demo.data["y_test"][:64]
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    options: dict[str, Any] = {"norm": "l2", "epsilons": (1.0,), "steps": 10, "queries": 50, "progress": False}
    from_loader = evaluate(model, loader, **options)
    from_tensors = evaluate(model, x, y, **options)
    assert metric(from_loader, "robust_accuracy", attack="worst") == metric(
        from_tensors, "robust_accuracy", attack="worst"
    )
    assert metric(from_loader, "mean_perturbation_norm", attack="pgd", norm="l2") <= 1.0 + 1e-5
    targeted = evaluate(model, x, y, target=3, epsilons=(0.3,), steps=20, attacks=("pgd", "apgd-t"),
                        sanity_checks=False, progress=False)  # fmt: skip
    assert metric(targeted, "attack_success_rate", attack="pgd", target="3") > 0.5
    grid = next(f for f in targeted.figures if f.kind == "image-grid")
    assert all(row["images"][1]["caption"].endswith("predicted 3") for row in grid.data["rows"])


# -- attacks that agree: one line and a note ---------------------------------------------------------------


class Threshold(nn.Module):
    """Class 0 when x > 0.5, else class 1: every attack finds the same samples (those within eps of 0.5)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(1, 2)
        with torch.no_grad():
            self.linear.weight.copy_(torch.tensor([[4.0], [-4.0]]))
            self.linear.bias.copy_(torch.tensor([-2.0, 2.0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.linear(x)
        return out


def test_attacks_that_agree_share_one_line_and_the_figure_says_so() -> None:
    x = torch.tensor([[0.05], [0.2], [0.8], [0.95]])
    y = torch.tensor([1, 1, 0, 0])
    report = evaluate(Threshold(), x, y, attacks=("fgsm", "pgd", "apgd-ce"), epsilons=(0.1, 0.35), steps=10,
                      sanity_checks=False, progress=False)  # fmt: skip
    for attack in ("fgsm", "pgd", "apgd-ce", "worst"):  # the metrics keep every attack
        assert metric(report, "robust_accuracy", attack=attack, epsilon="0.35") == 0.5
    [curve] = [f for f in report.figures if f.kind == "line"]
    [series] = curve.data["series"]
    assert series["name"] == "fgsm = pgd = apgd-ce = worst" and series["y"] == [1.0, 1.0, 0.5]
    assert curve.data["note"] == (
        "attacks fgsm, pgd, apgd-ce gave identical robust accuracy at every epsilon (the worst case too)"
    )


def test_a_worst_case_that_differs_keeps_its_own_line() -> None:
    from nbsec.adversarial.figures import robustness_curve

    curves = {"pgd": [0.5, 0.2], "apgd-ce": [0.5, 0.2 + 1e-12], "fgsm": [0.7, 0.4], "square": [0.5, 0.2],
              "worst": [0.4, 0.1]}  # fmt: skip
    figure = robustness_curve([0.1, 0.2], 0.9, curves, "linf")
    assert [(s["name"], s["y"]) for s in figure.data["series"]] == [
        ("pgd = apgd-ce = square", [0.9, 0.5, 0.2]),
        ("fgsm", [0.9, 0.7, 0.4]),
        ("worst", [0.9, 0.4, 0.1]),
    ]
    assert figure.data["note"] == "attacks pgd, apgd-ce, square gave identical robust accuracy at every epsilon"
    apart = robustness_curve([0.1], 0.9, {"pgd": [0.5], "square": [0.5 + 1e-6], "worst": [0.4]}, "linf")
    assert [s["name"] for s in apart.data["series"]] == ["pgd", "square", "worst"] and "note" not in apart.data


def test_progress_goes_to_the_factory_it_is_given() -> None:
    calls: list[tuple[str, Any]] = []

    class Bar:
        def update(self, n: int = 1) -> None:
            calls.append(("update", n))

        def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
            calls.append(("postfix", s))

        def close(self) -> None:
            calls.append(("close", None))

    def factory(total: int, description: str) -> Bar:
        calls.append(("open", (total, description)))
        return Bar()

    x = torch.tensor([[0.05], [0.2], [0.8], [0.95]])
    evaluate(Threshold(), x, torch.tensor([1, 1, 0, 0]), attacks=("fgsm", "pgd"), epsilons=(0.1, 0.35), steps=2,
             sanity_checks=False, progress=factory, batch_size=2)  # fmt: skip
    assert calls[0] == ("open", (8, "nbsec robustness")) and calls[-1] == ("close", None)
    assert sum(n for kind, n in calls if kind == "update") == 8
    assert ("postfix", "pgd eps=0.35") in calls
