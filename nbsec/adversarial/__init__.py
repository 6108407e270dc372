"""Adversarial test runners for PyTorch models: evasion, poisoning/backdoors, membership inference.

    from nbsec.adversarial import evaluate, detect_backdoor, trigger_test, membership_inference
    report = evaluate(model, x_test, y_test, epsilons=(0.05, 0.1, 0.2))

A saved model: `nbsec.adversarial.loading.load_model(path, arch="module:Class")` (scanned first, then
weights_only=True; TorchScript needs no class); the demo's: `load_demo_model(path)`.

Each runner returns an nbsec Report. torch is imported when a runner is first
used, not with this package: `nbsec.adversarial.rules` (the rule catalogue)
stays importable without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.adversarial.demo_models import DigitsCNN, load_demo_model
    from nbsec.adversarial.evasion import evaluate
    from nbsec.adversarial.poisoning import detect_backdoor, trigger_test
    from nbsec.adversarial.privacy import membership_inference

_LAZY = {
    "evaluate": "nbsec.adversarial.evasion",
    "detect_backdoor": "nbsec.adversarial.poisoning",
    "trigger_test": "nbsec.adversarial.poisoning",
    "membership_inference": "nbsec.adversarial.privacy",
    "DigitsCNN": "nbsec.adversarial.demo_models",
    "load_demo_model": "nbsec.adversarial.demo_models",
}

__all__ = ["DigitsCNN", "detect_backdoor", "evaluate", "load_demo_model", "membership_inference", "trigger_test"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nbsec.adversarial' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
