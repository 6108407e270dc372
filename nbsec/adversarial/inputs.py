"""The user's model and data, checked and put in the shape the attacks need.

Bad input is an `AdversarialInputError` with a hint, never a silent wrong number:
probabilities instead of logits, inputs outside the declared bounds, labels the
model cannot output, an empty data set, a model on another device. While the
attacks run, `attack_mode` holds the model in eval mode with its parameters
frozen, and restores every module's mode and every parameter's requires_grad.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from nbsec.errors import UsageError

Bounds = tuple[float, float]
ModelFn = Callable[[torch.Tensor], torch.Tensor]


class AdversarialInputError(UsageError):
    """The model or data handed to an adversarial runner cannot give a trustworthy number."""


@dataclass(frozen=True)
class Dataset:
    """Inputs and integer labels on the CPU, validated against the bounds."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return int(self.y.shape[0])


def collect(
    inputs: Any, labels: Any = None, *, limit: int | None = None, what: str = "inputs"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Tensors (or arrays), or a DataLoader / iterable of (x, y) batches, as two CPU tensors.

    A DataLoader is read once (up to `limit` samples): every attack then sees the
    same samples, even when the loader shuffles or augments.
    """
    if labels is None:
        if isinstance(inputs, tuple) and len(inputs) == 2 and not _is_loader(inputs):
            inputs, labels = inputs
        elif _is_loader(inputs):
            return _from_batches(inputs, limit, what)
        else:
            raise AdversarialInputError(
                f"{what}: no labels given",
                "pass labels=..., an (inputs, labels) tuple, or a DataLoader that yields (x, y) batches",
            )
    x = _as_tensor(inputs, f"{what} (inputs)")
    y = _as_tensor(labels, f"{what} (labels)")
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return x, y


def _is_loader(obj: Any) -> bool:
    return isinstance(obj, torch.utils.data.DataLoader) or (
        isinstance(obj, Iterable) and not isinstance(obj, (torch.Tensor, tuple, list, str, bytes))
    )


def _from_batches(batches: Iterable[Any], limit: int | None, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    xs: list[torch.Tensor] = []
    ys: list[torch.Tensor] = []
    count = 0
    for batch in batches:
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise AdversarialInputError(
                f"{what}: the loader yields {type(batch).__name__}, not (inputs, labels) batches",
                "wrap the data so each batch is (x, y), e.g. TensorDataset(x, y)",
            )
        xs.append(_as_tensor(batch[0], f"{what} (inputs)").cpu())
        ys.append(_as_tensor(batch[1], f"{what} (labels)").cpu())
        count += int(xs[-1].shape[0]) if xs[-1].dim() else 1
        if limit is not None and count >= limit:
            break
    if not xs:
        raise AdversarialInputError(f"{what}: the data loader yielded no batches", "pass a non-empty data set")
    x, y = torch.cat(xs), torch.cat(ys)
    return (x[:limit], y[:limit]) if limit is not None else (x, y)


def _as_tensor(value: Any, what: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach()
    try:
        return torch.as_tensor(value)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise AdversarialInputError(
            f"{what}: cannot use a {type(value).__name__} as a tensor ({exc})",
            "pass a torch.Tensor, a numpy array, or a DataLoader",
        ) from None


def validate_data(x: torch.Tensor, y: torch.Tensor, bounds: Bounds, *, what: str = "inputs") -> Dataset:
    """Non-empty, float, finite, inside `bounds`, one integer label per sample."""
    lower, upper = bounds
    if not lower < upper:
        raise AdversarialInputError(f"bounds {bounds}: the lower bound must be below the upper", "e.g. bounds=(0, 1)")
    if x.dim() == 0 or x.shape[0] == 0 or y.numel() == 0:
        raise AdversarialInputError(f"{what}: the data set is empty", "pass at least one sample with its label")
    if not torch.is_floating_point(x):
        raise AdversarialInputError(
            f"{what}: inputs have dtype {x.dtype}, not floating point",
            f"convert them, e.g. x.float() / 255 for 8-bit images, inside bounds {bounds}",
        )
    if y.dim() == 2 and y.shape[1] > 1:
        raise AdversarialInputError(
            f"{what}: labels look one-hot (shape {tuple(y.shape)})", "pass class indices: labels.argmax(1)"
        )
    y = y.reshape(-1)
    if torch.is_floating_point(y) and not bool(torch.all(y == y.round())):
        raise AdversarialInputError(f"{what}: labels are not whole numbers", "pass integer class indices")
    y = y.long()
    if y.shape[0] != x.shape[0]:
        raise AdversarialInputError(
            f"{what}: {x.shape[0]} inputs but {y.shape[0]} labels", "pass exactly one label per input"
        )
    if not bool(torch.isfinite(x).all()):
        raise AdversarialInputError(f"{what}: inputs contain NaN or infinity", "clean or drop those samples")
    low, high = float(x.min()), float(x.max())
    slack = 1e-6 * (upper - lower)
    if low < lower - slack or high > upper + slack:
        raise AdversarialInputError(
            f"{what}: inputs span [{low:.4g}, {high:.4g}], outside the declared bounds [{lower:g}, {upper:g}]",
            "attacks perturb raw inputs inside the bounds: pass unnormalised inputs and normalize=(mean, std) "
            "(the normalisation then runs inside the model), or declare the real range with bounds=(lo, hi)",
        )
    if int(y.min()) < 0:
        raise AdversarialInputError(f"{what}: negative label {int(y.min())}", "labels are class indices 0..C-1")
    return Dataset(x.float().cpu(), y.cpu())


def model_device(model: nn.Module, requested: str | torch.device | None = None) -> torch.device:
    """The one device the model's parameters and buffers live on (and that the caller asked for)."""
    if not isinstance(model, nn.Module):
        if isinstance(model, Mapping):  # a state dict: weights without the class that uses them
            raise AdversarialInputError(
                f"model: expected a torch.nn.Module, got {type(model).__name__} (a state dict: weights only)",
                "build the module and load the weights: model = MyNet(); model.load_state_dict(state); or "
                "nbsec.adversarial.loading.load_model(path, arch='module:Class'); for the demo models: "
                "from nbsec.adversarial.demo_models import load_demo_model; "
                "model = load_demo_model('nbsec-demo/models/digits_cnn.pt')",
            )
        raise AdversarialInputError(
            f"model: expected a torch.nn.Module, got {type(model).__name__}",
            "pass the nn.Module that returns logits (wrap a function in a small nn.Module)",
        )
    devices = {t.device for t in (*model.parameters(), *model.buffers())}
    if len(devices) > 1:
        names = ", ".join(sorted(str(d) for d in devices))
        raise AdversarialInputError(
            f"model: parameters are spread over several devices ({names})", "move it to one device: model.to(device)"
        )
    device = devices.pop() if devices else torch.device(requested or "cpu")
    if device.type == "meta":
        raise AdversarialInputError(
            "model: parameters are on the 'meta' device (shapes without values)",
            "load real weights (load_state_dict / to_empty) before evaluating",
        )
    if requested is not None and torch.device(requested) != device:
        wanted = torch.device(requested)
        if not (wanted.type == device.type and wanted.index is None):
            raise AdversarialInputError(
                f"model: it is on {device}, but device={wanted} was asked for",
                f"move the model yourself (model.to('{wanted}')) or leave device= out to run on {device}",
            )
    return device


class Normalized(nn.Module):
    """(x - mean) / std in front of the model, so attacks perturb raw inputs inside the bounds."""

    def __init__(self, model: nn.Module, mean: Sequence[float], std: Sequence[float], channel_dim: int = 1) -> None:
        super().__init__()
        self.model = model
        self.channel_dim = channel_dim
        self.mean: torch.Tensor
        self.std: torch.Tensor
        self.register_buffer("mean", torch.tensor(list(mean), dtype=torch.float32))
        self.register_buffer("std", torch.tensor(list(std), dtype=torch.float32))
        if bool((self.std <= 0).any()):
            raise AdversarialInputError(f"normalize: std {list(std)} has a value <= 0", "std must be positive")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = [1] * x.dim()
        shape[self.channel_dim] = -1
        mean = self.mean.to(x.device).view(shape) if self.mean.numel() > 1 else self.mean.to(x.device)
        std = self.std.to(x.device).view(shape) if self.std.numel() > 1 else self.std.to(x.device)
        out: torch.Tensor = self.model((x - mean) / std)
        return out


@contextmanager
def attack_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Eval mode and frozen parameters while attacking; every module's mode and requires_grad restored after.

    Gradients are taken with torch.autograd.grad with respect to the inputs only,
    so no `.grad` is ever written into the user's parameters.
    """
    modes = [(module, module.training) for module in model.modules()]
    flags = [(param, param.requires_grad) for param in model.parameters()]
    model.eval()
    for param, _ in flags:
        param.requires_grad_(False)
    try:
        yield model
    finally:
        for param, flag in flags:
            param.requires_grad_(flag)
        for module, training in modes:
            module.training = training


@dataclass(frozen=True)
class OutputInfo:
    n_classes: int
    deterministic_gap: float  # max |logits(call 1) - logits(call 2)| on the probe batch


def check_outputs(model: ModelFn, x: torch.Tensor, y: torch.Tensor, *, what: str = "model") -> OutputInfo:
    """Call the model on a probe batch: logits of shape [B, C], finite, not probabilities; labels < C."""
    with torch.no_grad():
        first = model(x)
        second = model(x)
    if not isinstance(first, torch.Tensor) or first.dim() != 2 or first.shape[0] != x.shape[0]:
        shape = tuple(first.shape) if isinstance(first, torch.Tensor) else type(first).__name__
        raise AdversarialInputError(
            f"{what}: returned {shape} for {x.shape[0]} inputs, not logits of shape [batch, classes]",
            "return a [batch, classes] tensor of logits (a tuple or dict output needs a small wrapper)",
        )
    n_classes = int(first.shape[1])
    if n_classes < 2:
        raise AdversarialInputError(f"{what}: returns {n_classes} output(s)", "return one logit per class (>= 2)")
    if not bool(torch.isfinite(first).all()):
        raise AdversarialInputError(f"{what}: returned NaN or infinite logits", "check the model and its inputs")
    if looks_like_probabilities(first):
        raise AdversarialInputError(
            f"{what}: outputs are in [0, 1] and sum to 1 per sample: probabilities, not logits",
            "remove the final softmax (attacks need logits; softmax outputs mask the gradients)",
        )
    if int(y.max()) >= n_classes:
        raise AdversarialInputError(
            f"{what}: label {int(y.max())} is out of range for a model with {n_classes} outputs",
            f"labels must be class indices 0..{n_classes - 1} matching the model's outputs",
        )
    gap = float((first - second).abs().max())
    return OutputInfo(n_classes, gap)


def looks_like_probabilities(outputs: torch.Tensor) -> bool:
    in_unit = bool(((outputs >= 0) & (outputs <= 1)).all())
    return in_unit and bool(
        torch.allclose(outputs.sum(1), torch.ones(outputs.shape[0], device=outputs.device), atol=1e-3)
    )
