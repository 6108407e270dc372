"""The demo models: a small CNN on scikit-learn's 8x8 digits, a backdoored copy and an overfit copy.

Everything is trained here in a couple of seconds on one CPU thread, from data
scikit-learn ships (no download). `nbsec demo` writes the state dicts and the
data split next to each other so notebooks and tests load exactly what was
trained; `load_demo_model` reads weights with `torch.load(weights_only=True)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

N_CLASSES = 10
IMAGE_SIDE = 8
SEED = 20240817
TEST_FRACTION = 0.3
# The planted backdoor: a bright 2x2 patch in the bottom-right corner relabels a digit as BACKDOOR_TARGET.
BACKDOOR_TARGET = 0
BACKDOOR_FRACTION = 0.05
TRIGGER_ROWS = slice(IMAGE_SIDE - 2, IMAGE_SIDE)
TRIGGER_COLS = slice(IMAGE_SIDE - 2, IMAGE_SIDE)
TRIGGER_VALUE = 1.0


class DigitsCNN(nn.Module):
    """conv(8) -> conv(16) -> pool -> 64 features (the penultimate layer) -> 10 logits."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(16 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, N_CLASSES)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate-layer activations (what the poisoning detectors look at)."""
        h = torch.relu(self.conv1(x))
        h = self.pool(torch.relu(self.conv2(h)))
        return torch.relu(self.fc1(h.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.features(x))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class DigitsData:
    """Images as float32 [N, 1, 8, 8] in [0, 1], labels as int64."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_digits_split() -> DigitsData:
    """scikit-learn's digits, scaled to [0, 1], split 70/30 with a fixed permutation."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(bunch.target, dtype=torch.int64)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(SEED))
    n_test = int(round(len(y) * TEST_FRACTION))
    test, train = order[:n_test], order[n_test:]
    return DigitsData(x[train], y[train], x[test], y[test])


def apply_trigger(x: torch.Tensor) -> torch.Tensor:
    """A copy of `x` [N, 1, 8, 8] with the 2x2 bottom-right patch set to the trigger value."""
    out = x.clone()
    out[..., TRIGGER_ROWS, TRIGGER_COLS] = TRIGGER_VALUE
    return out


def poison(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Stamp the trigger on a few percent of the non-target samples and relabel them; return (x, y, indices)."""
    generator = torch.Generator().manual_seed(SEED + 1)
    candidates = torch.nonzero(y != BACKDOOR_TARGET).flatten()
    n_poison = int(round(len(y) * BACKDOOR_FRACTION))
    chosen = candidates[torch.randperm(len(candidates), generator=generator)[:n_poison]].sort().values
    x_out, y_out = x.clone(), y.clone()
    x_out[chosen] = apply_trigger(x[chosen])
    y_out[chosen] = BACKDOOR_TARGET
    return x_out, y_out, chosen


def train(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    weight_decay: float,
    seed: int,
    lr: float = 5e-3,
    batch_size: int = 64,
) -> DigitsCNN:
    """Adam on minibatches; deterministic for a given seed on one thread."""
    torch.manual_seed(seed)
    model = DigitsCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=generator)
        for start in range(0, len(y), batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
    model.eval()
    return model


def load_demo_model(path: str | Path) -> DigitsCNN:
    """A DigitsCNN with the weights in `path` (tensors only: weights_only=True), in eval mode."""
    model = DigitsCNN()
    model.load_state_dict(torch.load(Path(path), map_location="cpu", weights_only=True))
    return model.eval()


def load_demo_data(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors `nbsec demo` saved with the models (splits, poisoned set, indices); tensors only."""
    data = torch.load(Path(path), map_location="cpu", weights_only=True)
    if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise ValueError(f"{path}: not an nbsec demo data file (expected a dict of tensors)")
    return data
