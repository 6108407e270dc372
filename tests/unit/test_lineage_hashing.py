"""Full-content hashing of lineage artifacts: every byte, row and element counts; equal content, equal hash."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nbsec.errors import UsageError
from nbsec.lineage.artifacts import artifact, describe, hash_object, memory_kind


def digest(obj: object) -> str:
    return hash_object(obj)[1]


def test_file_hash_is_plain_sha256_and_paths_are_project_relative(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.csv").write_bytes(b"1,2\n")
    item = describe(tmp_path / "d" / "a.csv", tmp_path)
    assert item.sha256 == hashlib.sha256(b"1,2\n").hexdigest()
    assert (item.path, item.kind, item.role, item.size, item.outside) == ("d/a.csv", "file", "dataset", 4, False)
    outside = describe(tmp_path / "d" / "a.csv", tmp_path / "elsewhere")
    assert outside.outside and outside.path == (tmp_path / "d" / "a.csv").as_posix()


def test_folder_hash_is_a_merkle_root_over_every_file(tmp_path: Path) -> None:
    folder = tmp_path / "shards"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.bin").write_bytes(b"a")
    (folder / "sub" / "b.bin").write_bytes(b"b")
    first = describe(folder, tmp_path)
    assert first.kind == "folder" and first.meta == {"files": 2} and first.size == 2
    (folder / "sub" / "b.bin").write_bytes(b"B")
    assert describe(folder, tmp_path).sha256 != first.sha256
    (folder / "sub" / "b.bin").write_bytes(b"b")
    assert describe(folder, tmp_path).sha256 == first.sha256
    os.symlink("/etc/hostname", folder / "link")  # recorded by target, never followed
    assert describe(folder, tmp_path).sha256 != first.sha256


def test_dataframe_hash_covers_every_row_order_dtype_and_index() -> None:
    frame = pd.DataFrame({"x": np.arange(50_000), "label": ["a", "b"] * 25_000})
    base = digest(frame)
    assert digest(frame.copy()) == base
    last_row_changed = frame.copy()
    last_row_changed.iloc[-1, 1] = "c"  # row 50,000: MLflow's 10,000-row digest would not see it
    assert digest(last_row_changed) != base
    assert digest(frame.iloc[::-1].reset_index(drop=True)) != base
    assert digest(frame.astype({"x": "int32"})) != base
    assert digest(frame.set_axis(range(1, 50_001))) != base
    assert digest(frame[["label", "x"]]) != base
    mixed = pd.DataFrame({"v": [1, None, "1", 1.0, b"1", pd.Timestamp("2024-01-01")]}, dtype=object)
    assert len({digest(mixed), digest(mixed.iloc[::-1])}) == 2
    assert hash_object(frame)[3] == {"rows": 50_000, "columns": 2}
    assert memory_kind(frame["x"]) == "series" and digest(frame["x"]) != digest(frame["x"].iloc[:-1])


def test_numpy_hash_covers_dtype_shape_and_every_element() -> None:
    array = np.arange(12, dtype=np.float64)
    base = digest(array)
    assert digest(array.copy()) == base
    assert digest(np.asfortranarray(array.reshape(3, 4))) == digest(array.reshape(3, 4))  # content, not layout
    assert digest(array.reshape(3, 4)) != base
    assert digest(array.astype(np.float32)) != base
    changed = array.copy()
    changed[-1] += 1e-12
    assert digest(changed) != base
    assert digest(np.array(["a", "b"], dtype=object)) != digest(np.array(["a", "c"], dtype=object))


def test_torch_tensor_and_module_hash_over_the_state_dict() -> None:
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    kind, base, size, meta = hash_object(model)
    assert kind == "module" and size == (4 * 3 + 3 + 3 * 2 + 2) * 4 and meta["class"].endswith("Sequential")
    clone = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    clone.load_state_dict(model.state_dict())
    assert digest(clone) == base
    with torch.no_grad():
        clone[2].bias[1] += 1e-6
    assert digest(clone) != base
    tensor = torch.arange(6, dtype=torch.float32)
    assert digest(tensor) == digest(tensor.clone()) != digest(tensor.to(torch.float64))
    assert digest(tensor.to(torch.bfloat16)) != digest(tensor.to(torch.float16))
    assert digest(torch.tensor(True)) != digest(torch.tensor(False))
    assert describe(model, Path(".")).role == "model"


def test_names_roles_urls_and_unhashable_objects(tmp_path: Path) -> None:
    named = describe(artifact(np.zeros(3), name="weights", role="model"), tmp_path)
    assert (named.name, named.role, named.kind) == ("weights", "model", "ndarray")
    url = describe("https://example.com/data.csv", tmp_path)
    assert (url.kind, url.uri, url.sha256) == ("url", "https://example.com/data.csv", None)
    assert describe(b"abc", tmp_path).sha256 == hashlib.sha256(b"abc").hexdigest()
    with pytest.raises(UsageError, match="cannot hash an object of type builtins.object"):
        describe(object(), tmp_path)
    with pytest.raises(UsageError):
        artifact(1, role="weights")
