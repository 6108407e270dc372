"""Fuzzing the pickle machine and the archive walker: hostile bytes end as findings or errors, never a crash."""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nbsec
from nbsec.scanners.artifacts.pickle_vm import analyze

SEEDS = [pickle.dumps({"a": [1, 2.5, "x", b"y"], "b": (None, True)}, protocol=p) for p in range(6)] + [
    b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R."
]


@st.composite
def mutated_pickles(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=9))
        elif action == "delete" and data:
            del data[at]
        elif action == "truncate":
            del data[at:]
    return bytes(data)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=512), mutated_pickles()))
def test_the_pickle_machine_never_raises(data: bytes) -> None:
    result = analyze(io.BytesIO(data))
    assert result.ops >= 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(member=mutated_pickles(), cut=st.integers(0, 400), junk=st.binary(max_size=64))
def test_scanning_damaged_archives_never_crashes(tmp_path: Path, member: bytes, cut: int, junk: bytes) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", member)
        archive.writestr("archive/data/0", b"\x00" * 64)
    data = buffer.getvalue()
    damaged = data[:cut] + junk + data[cut + len(junk) :]
    path = tmp_path / "fuzz.pt"
    path.write_bytes(damaged)
    report = nbsec.scan(path)
    assert not [e for e in report.errors if "scanner crashed" in e.message]
