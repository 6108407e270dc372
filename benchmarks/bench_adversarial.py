"""Adversarial runners: nbsec's PGD against a bare forward+backward loop, torchattacks and ART; per-attack cost;
the default suite's robust accuracy against torchattacks' AutoAttack.

Model and data: the demo CNN on scikit-learn's digits (`nbsec demo`), its 539
test images, L-inf epsilon 0.1, 40 steps of 2.5 * eps / 40, no random start,
one batch holding every image. Each way runs ROUNDS times, interleaved, and the
minimum wall time counts (noise on a shared machine only ever adds time).
Measure with OMP_NUM_THREADS=1.

torchattacks and ART are never dependencies of nbsec: they live in a separate
venv (default /tmp/adv-peers-venv, or $NBSEC_ADV_PEERS_PYTHON) made with

    python3 -m venv /tmp/adv-peers-venv
    /tmp/adv-peers-venv/bin/pip install torch==2.13.0        # first: the pinned CPU build
    /tmp/adv-peers-venv/bin/pip install --no-deps torchattacks adversarial-robustness-toolbox
    /tmp/adv-peers-venv/bin/pip install scipy numpy scikit-learn tqdm packaging requests

and the timing part runs in that interpreter (nbsec comes from this checkout on
PYTHONPATH), so every way is timed in the same process. Without it, the peers
are skipped with a note and the rest is measured here.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PEERS_PYTHON = os.environ.get("NBSEC_ADV_PEERS_PYTHON", "/tmp/adv-peers-venv/bin/python")
EPS, STEPS, ROUNDS = 0.1, 40, 7
ALPHA = 2.5 * EPS / STEPS


def _build_models(folder: Path) -> None:
    from nbsec.demo.digits_checkpoints import build

    build(folder)


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure(models: Path) -> dict[str, Any]:
    """Every timing, in this process (the peers venv when there is one)."""
    import torch
    import torch.nn.functional as F

    from nbsec.adversarial import load_demo_model
    from nbsec.adversarial.attacks import pgd
    from nbsec.adversarial.demo_models import load_demo_data

    torch.set_num_threads(1)
    data = load_demo_data(models / "digits_data.pt")
    model = load_demo_model(models / "digits_cnn.pt")
    x, y = data["x_test"], data["y_test"]

    def bare() -> torch.Tensor:
        x_adv = x.clone()
        for _ in range(STEPS):
            x_adv.requires_grad_(True)
            (grad,) = torch.autograd.grad(F.cross_entropy(model(x_adv), y), x_adv)
            x_adv = torch.min(torch.max(x_adv.detach() + ALPHA * grad.sign(), x - EPS), x + EPS).clamp(0, 1)
        return x_adv

    def ours() -> torch.Tensor:
        return pgd(model, x, y, eps=EPS, steps=STEPS, step_size=ALPHA, random_start=False).x_adv

    ways: dict[str, Callable[[], Any]] = {"bare fwd+bwd loop": bare, "nbsec pgd": ours}
    outputs: dict[str, torch.Tensor] = {"bare fwd+bwd loop": bare(), "nbsec pgd": ours()}
    notes: dict[str, str] = {}
    try:
        import torchattacks

        attack = torchattacks.PGD(model, eps=EPS, alpha=ALPHA, steps=STEPS, random_start=False)
        ways["torchattacks PGD"] = lambda: attack(x, y)
        outputs["torchattacks PGD"] = attack(x, y)
    except ImportError:
        notes["torchattacks"] = "skipped: not installed (see this file's docstring)"
    try:
        import numpy as np
        from art.attacks.evasion import ProjectedGradientDescentPyTorch
        from art.estimators.classification import PyTorchClassifier

        classifier = PyTorchClassifier(model, loss=torch.nn.CrossEntropyLoss(), input_shape=(1, 8, 8), nb_classes=10,
                                       clip_values=(0.0, 1.0), device_type="cpu")  # fmt: skip
        x_np, y_np = x.numpy(), y.numpy()

        def art(batch: int) -> Callable[[], Any]:
            art_attack = ProjectedGradientDescentPyTorch(classifier, norm=np.inf, eps=EPS, eps_step=ALPHA,
                                                         max_iter=STEPS, num_random_init=0, batch_size=batch,
                                                         verbose=False)  # fmt: skip
            return lambda: torch.from_numpy(art_attack.generate(x=x_np, y=y_np))

        ways[f"ART PGD (batch {len(y)})"] = art(len(y))
        ways["ART PGD (default batch 32)"] = art(32)
        outputs[f"ART PGD (batch {len(y)})"] = ways[f"ART PGD (batch {len(y)})"]()
    except ImportError:
        notes["ART"] = "skipped: not installed (see this file's docstring)"

    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(ROUNDS):
        for name, way in ways.items():
            times[name].append(_timed(way))
    best = {name: min(values) for name, values in times.items()}
    base = best["bare fwd+bwd loop"]
    figures: dict[str, Any] = {"samples": len(y), "steps": STEPS, "epsilon": EPS, "rounds (min)": ROUNDS}
    for name, seconds in best.items():
        figures[f"{name} ms"] = round(1000 * seconds, 1)
        figures[f"{name} x bare"] = round(seconds / base, 2)
    figures["median of rounds, nbsec pgd x bare"] = round(
        statistics.median(times["nbsec pgd"]) / statistics.median(times["bare fwd+bwd loop"]), 2
    )
    with torch.no_grad():
        reference = model(outputs["bare fwd+bwd loop"]).argmax(1)
        for name, adv in outputs.items():
            if name == "bare fwd+bwd loop":
                continue
            figures[f"{name}: max |x_adv - bare|"] = float((adv - outputs["bare fwd+bwd loop"]).abs().max())
            figures[f"{name}: predictions agree"] = float((model(adv).argmax(1) == reference).float().mean())
    figures.update(_suites(model, x, y, notes))
    figures.update({f"note: {k}": v for k, v in notes.items()})
    return figures


def _suites(model: Any, x: Any, y: Any, notes: dict[str, str]) -> dict[str, Any]:
    """Per-attack cost inside evaluate, and the default suite against torchattacks' AutoAttack (standard)."""
    from nbsec.adversarial import evaluate

    out: dict[str, Any] = {}
    report = evaluate(model, x, y, attacks=("fgsm", "pgd", "apgd-ce", "apgd-t", "square"), epsilons=(EPS,),
                      sanity_checks=False, progress=False)  # fmt: skip
    for key, seconds in report.timings.items():
        out[f"evaluate {key} s"] = round(seconds, 3)
    started = time.perf_counter()
    suite = evaluate(model, x, y, epsilons=(EPS,), progress=False)
    out["default suite + sanity checks s"] = round(time.perf_counter() - started, 2)
    for metric in suite.metrics:
        if metric.name == "robust_accuracy":
            out[f"robust accuracy {metric.labels['attack']} %"] = round(100 * metric.value, 2)
    try:
        import torchattacks

        auto = torchattacks.AutoAttack(model, norm="Linf", eps=EPS, version="standard", n_classes=10, seed=0)
        started = time.perf_counter()
        adversarial = auto(x, y)
        out["torchattacks AutoAttack s"] = round(time.perf_counter() - started, 2)
        import torch

        with torch.no_grad():
            out["robust accuracy torchattacks AutoAttack %"] = round(
                100 * float((model(adversarial).argmax(1) == y).float().mean()), 2
            )
    except ImportError:
        notes["AutoAttack"] = "skipped: torchattacks not installed"
    return out


def main() -> dict[str, Any]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with tempfile.TemporaryDirectory() as tmp:
        _build_models(Path(tmp))
        models = Path(tmp) / "models"
        if Path(PEERS_PYTHON).exists():
            env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
            done = subprocess.run([PEERS_PYTHON, __file__, "--measure", str(models)], env=env, capture_output=True,
                                  text=True, check=False)  # fmt: skip
            if done.returncode == 0:
                figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
                figures["interpreter"] = f"{PEERS_PYTHON} (peers venv)"
                return figures
            print(f"   peers venv failed, measuring without peers: {done.stderr.strip()[-500:]}", flush=True)
        figures = measure(models)
        figures["interpreter"] = sys.executable
        return figures


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(Path(sys.argv[2]))))
    else:
        for key, value in main().items():
            print(f"{key:48} {value}")
