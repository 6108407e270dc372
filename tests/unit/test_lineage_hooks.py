"""Opt-in hooks: pd.read_csv, np.load, torch.save/torch.load record events, never break the call, and come off."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nbsec.lineage import hooks
from nbsec.lineage.store import Store
from nbsec.lineage.verifier import verify_store


@pytest.fixture(autouse=True)
def _unhook() -> object:
    yield
    hooks.uninstall_hooks()


def bodies() -> list[dict[str, object]]:
    return [json.loads(row.body) for row in Store(".nbsec/lineage.db").rows()]


def test_hooks_record_reads_and_writes_and_link_by_content(tmp_path: Path) -> None:
    import torch

    torch.set_num_threads(1)
    original_read_csv = pd.read_csv
    Path("d.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    np.save("arr.npy", np.arange(4))
    assert set(hooks.install_hooks()) == {"pandas.read_csv", "numpy.load", "torch.save", "torch.load"}
    frame = pd.read_csv("d.csv", sep=",")
    array = np.load("arr.npy")
    model = torch.nn.Linear(2, 1)
    torch.save(model.state_dict(), "sd.pt")
    torch.save(model, "m.pt")
    assert list(frame.columns) == ["a", "b"] and array.tolist() == [0, 1, 2, 3]
    events = bodies()
    assert [e["name"] for e in events] == ["pandas.read_csv", "numpy.load", "torch.save", "torch.save"]
    assert events[0]["type"] == "hook" and events[0]["params"] == {"sep": ","}
    assert events[0]["inputs"][0]["path"] == "d.csv" and events[0]["outputs"][0]["kind"] == "dataframe"
    assert events[3]["inputs"][0]["kind"] == "module" and events[3]["outputs"][0]["path"] == "m.pt"
    # A saved state dict hashes like its module: the file links back to the model object.
    assert events[2]["inputs"][0]["kind"] == "state_dict"
    assert events[2]["inputs"][0]["sha256"] == events[3]["inputs"][0]["sha256"]
    assert verify_store().findings == []
    assert hooks.uninstall_hooks() and pd.read_csv is original_read_csv
    pd.read_csv("d.csv")
    assert len(bodies()) == 4  # nothing recorded once unhooked


def test_the_wrapped_call_behaves_exactly_as_before(tmp_path: Path) -> None:
    hooks.install_hooks(packages=("pandas",))
    with pytest.raises(FileNotFoundError):
        pd.read_csv("absent.csv")  # the original error, untouched
    from io import StringIO

    assert pd.read_csv(StringIO("a\n1\n")).shape == (1, 1)  # buffers are read, just not recorded
    assert not Path(".nbsec/lineage.db").exists()


def test_a_recording_failure_is_a_warning_not_an_error(tmp_path: Path) -> None:
    Path("blocker").write_text("not a folder", encoding="utf-8")  # the store cannot be created below a file
    Path("d.csv").write_text("a\n1\n", encoding="utf-8")
    hooks.install_hooks("blocker/lineage.db", packages=("pandas",))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert pd.read_csv("d.csv").shape == (1, 1)
    assert any("could not record pandas.read_csv" in str(w.message) for w in caught)


def test_unknown_package_is_refused() -> None:
    from nbsec.errors import UsageError

    with pytest.raises(UsageError, match="cannot hook"):
        hooks.install_hooks(packages=("sklearn",))
