"""Demo models for the adversarial runners: `nbsec demo` writes DIR/models/.

- digits_cnn.pt: a small CNN trained on scikit-learn's digits (bundled, no download);
- digits_cnn_backdoor.pt: the same CNN trained with a planted 2x2 corner backdoor on 5% of the data;
- digits_cnn_overfit.pt: a copy overfit on 100 samples, for membership inference;
- digits_data.pt: the splits, the poisoned training set and the poisoned indices (tensors only).

State dicts load with `nbsec.adversarial.load_demo_model(path)` (torch.load with
weights_only=True). Training takes a few seconds on one CPU thread and is
deterministic (fixed seeds, one thread), so two builds write the same bytes.
Without torch, one line on stderr says how to get it and nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path

MODELS_DIR = "models"
CLEAN_MODEL = "digits_cnn.pt"
BACKDOOR_MODEL = "digits_cnn_backdoor.pt"
OVERFIT_MODEL = "digits_cnn_overfit.pt"
DATA_FILE = "digits_data.pt"
OVERFIT_MEMBERS = 100


def build(root: Path) -> list[Path]:
    try:
        import torch
    except ImportError:
        print("nbsec demo: skipping the demo models (install them with: pip install 'nbsec[torch]')", file=sys.stderr)
        return []
    from nbsec.adversarial import demo_models as dm

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # faster on small machines, and bit-for-bit reproducible
    try:
        data = dm.load_digits_split()
        x_poisoned, y_poisoned, poisoned = dm.poison(data.x_train, data.y_train)
        members = torch.arange(OVERFIT_MEMBERS)
        models = {
            CLEAN_MODEL: dm.train(data.x_train, data.y_train, epochs=12, weight_decay=1e-4, seed=1),
            BACKDOOR_MODEL: dm.train(x_poisoned, y_poisoned, epochs=12, weight_decay=1e-4, seed=1),
            # Full batches, many epochs, no weight decay: it memorises its 100 members.
            OVERFIT_MODEL: dm.train(
                data.x_train[members],
                data.y_train[members],
                epochs=100,
                weight_decay=0.0,
                seed=1,
                lr=1e-2,
                batch_size=OVERFIT_MEMBERS,
            ),  # fmt: skip
        }
    finally:
        torch.set_num_threads(threads)
    folder = root / MODELS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, model in models.items():
        path = folder / filename
        torch.save(model.state_dict(), path)
        written.append(path)
    tensors = {
        "x_train": data.x_train,
        "y_train": data.y_train,
        "x_test": data.x_test,
        "y_test": data.y_test,
        "x_train_poisoned": x_poisoned,
        "y_train_poisoned": y_poisoned,
        "poisoned_indices": poisoned,
        "overfit_members": members,
        "backdoor_target": torch.tensor(dm.BACKDOOR_TARGET),
    }
    torch.save(tensors, folder / DATA_FILE)
    written.append(folder / DATA_FILE)
    return written
