"""Saved models for the robustness runner: state dict + class, TorchScript, and what is refused (never unpickled)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from nbsec.adversarial.demo_models import DigitsCNN
from nbsec.adversarial.inputs import AdversarialInputError
from nbsec.adversarial.loading import DEMO_CLASS, build_module, load_model, resolve_class

torch.set_num_threads(1)


class Wide(nn.Module):
    """A class that needs constructor arguments (for --arch-kwargs)."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.layer = nn.Linear(4, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.layer(x)
        return out


class Payload:
    """Unpickling this runs os.system: the file must never be unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def model() -> DigitsCNN:
    torch.manual_seed(0)
    return DigitsCNN().eval()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, model: DigitsCNN) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("models")
    paths = {name: folder / f"{name}.pt" for name in ("state", "checkpoint", "scripted", "whole", "evil")}
    torch.save(model.state_dict(), paths["state"])
    torch.save({"model_state_dict": model.state_dict(), "epoch": 3}, paths["checkpoint"])
    torch.jit.save(torch.jit.script(model), str(paths["scripted"]))
    torch.save(model, paths["whole"])
    torch.save({"weight": torch.zeros(2), "x": Payload(folder / "PWNED")}, paths["evil"])
    return paths


def same_outputs(a: nn.Module, b: nn.Module) -> bool:
    x = torch.rand(4, 1, 8, 8)
    with torch.no_grad():
        return bool(torch.equal(a(x), b(x)))


def test_a_state_dict_with_its_class_loads_the_same_weights_in_eval_mode(
    files: dict[str, Path], model: nn.Module
) -> None:
    loaded = load_model(files["state"], DEMO_CLASS)
    assert isinstance(loaded, DigitsCNN) and not loaded.training and same_outputs(loaded, model)
    assert same_outputs(load_model(files["checkpoint"], DEMO_CLASS), model)  # {"model_state_dict": ...}
    assert same_outputs(load_model(files["state"], DigitsCNN), model)  # the class itself


def test_a_state_dict_without_its_class_says_how_to_give_it(files: dict[str, Path]) -> None:
    with pytest.raises(AdversarialInputError) as raised:
        load_model(files["state"])
    assert raised.value.message == (
        f"{files['state']} is a state dict; give its class: --arch module:Class (the demo's models: "
        "--arch nbsec.adversarial.demo_models:DigitsCNN for digits_cnn.pt, digits_cnn_backdoor.pt, "
        "digits_cnn_overfit.pt)"
    )
    assert "load_demo_model(" in raised.value.hint and "--arch-kwargs" in raised.value.hint


def test_torchscript_needs_no_class(files: dict[str, Path], model: nn.Module) -> None:
    loaded = load_model(files["scripted"])
    assert isinstance(loaded, torch.jit.ScriptModule) and same_outputs(loaded, model)


def test_a_whole_pickled_module_is_refused_with_a_hint(files: dict[str, Path]) -> None:
    with pytest.raises(AdversarialInputError) as raised:
        load_model(files["whole"], DEMO_CLASS)
    message = raised.value.message
    assert "weights_only=False" in message and "it imports nbsec.adversarial.demo_models.DigitsCNN" in message
    assert "model.state_dict()" in raised.value.hint and "torch.jit.save" in raised.value.hint


def test_a_file_that_runs_code_on_load_is_refused_before_torch_reads_it(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[Any] = []
    monkeypatch.setattr(torch, "load", lambda *a, **k: read.append(a))
    monkeypatch.setenv("NBSEC_EXCLUDE_RULES", "NBSEC-ART-001")  # a project's policy cannot switch the check off
    with pytest.raises(AdversarialInputError) as raised:
        load_model(files["evil"], DEMO_CLASS)
    assert "code execution on load" in raised.value.message and "NBSEC-ART-001" in raised.value.message
    assert "system" in raised.value.message and "not loaded" in raised.value.message
    assert read == [] and not (files["evil"].parent / "PWNED").exists()


def test_a_torchscript_archive_with_a_pickle_payload_is_refused(tmp_path: Path, files: dict[str, Path]) -> None:
    """The TorchScript exception covers torch.jit's own list builders only, not a payload in the same archive."""
    import zipfile

    evil = tmp_path / "scripted_evil.pt"
    with zipfile.ZipFile(files["scripted"]) as src, zipfile.ZipFile(evil, "w") as out:
        for item in src.infolist():
            out.writestr(item, src.read(item.filename))
        payload = zipfile.ZipFile(files["evil"])
        out.writestr("scripted/extra.pkl", payload.read(next(n for n in payload.namelist() if n.endswith("data.pkl"))))
    with pytest.raises(AdversarialInputError, match="NBSEC-ART-001"):
        load_model(evil)
    assert not (files["evil"].parent / "PWNED").exists()


@pytest.mark.parametrize(
    ("arch", "kwargs", "message"),
    [
        ("nbsec.adversarial.demo_models", None, "expected module:Class"),
        ("nbsec.adversarial.demo_models:Nope", None, "has no Nope"),
        ("no_such_module_here:Net", None, "cannot import no_such_module_here"),
        ("nbsec.adversarial.demo_models:load_demo_model", None, "is not a class"),
        ("collections:OrderedDict", None, "is not a torch.nn.Module class"),
        (f"{__name__}:Wide", None, "cannot build it with {}"),
        (f"{__name__}:Wide", {"hidden": 3}, "its weights do not fit"),
    ],
)
def test_a_wrong_class_is_a_clear_error(
    files: dict[str, Path], arch: str, kwargs: dict[str, Any] | None, message: str
) -> None:
    with pytest.raises(AdversarialInputError, match=message) as raised:
        load_model(files["state"], arch, kwargs)
    assert raised.value.hint


def test_arch_kwargs_build_the_class(model: DigitsCNN) -> None:
    weights = Wide(5).state_dict()
    built = build_module(weights, f"{__name__}:Wide", {"hidden": 5}, what="w")
    assert isinstance(built, Wide) and built.layer.out_features == 5
    assert resolve_class(DEMO_CLASS) is DigitsCNN


def test_a_missing_file_and_a_non_torch_file_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(AdversarialInputError, match="no such model file"):
        load_model(tmp_path / "nope.pt", DEMO_CLASS)
    text = tmp_path / "notes.pt"
    text.write_text("not a model\n", encoding="utf-8")
    with pytest.raises(AdversarialInputError, match="not loaded|not a PyTorch file"):
        load_model(text, DEMO_CLASS)


def test_a_state_dict_variable_gets_the_same_message_as_a_file(model: DigitsCNN) -> None:
    from nbsec.adversarial import evaluate

    with pytest.raises(AdversarialInputError) as raised:
        evaluate(model.state_dict(), torch.rand(4, 1, 8, 8), torch.zeros(4, dtype=torch.long), progress=False)
    assert "a state dict" in raised.value.message and "load_demo_model(" in raised.value.hint
