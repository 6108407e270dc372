"""Archive handling: lenient like a loader, bounded like a scanner, anomalies reported."""

from __future__ import annotations

import io
import pickle
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import nbsec
from nbsec.model import Report

PAYLOAD = b"\x80\x04" + b"\x8c\x02os\x8c\x06system\x93" + b"\x8c\x02id\x85R."  # os.system("id"), never loaded
BENIGN = pickle.dumps({"weights": [0.5] * 8}, protocol=2)


def rules_of(report: Report) -> set[str]:
    return {f.rule_id for f in report.findings}


def write_zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def patch(path: Path, old: bytes, new: bytes, count: int = 1) -> None:
    data = path.read_bytes()
    assert data.count(old) >= count
    path.write_bytes(data.replace(old, new, count))


def test_torch_style_zip_reads_only_the_pickle_and_finds_the_payload(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "model.pt", {
        "archive/data.pkl": PAYLOAD,
        "archive/data/0": b"\x00" * 4096,
        "archive/version": b"3\n",
    })  # fmt: skip
    report = nbsec.scan(path)
    [finding] = [f for f in report.findings if f.rule_id == "NBSEC-ART-001"]
    assert finding.location.member == "archive/data.pkl" and finding.location.offset == 14  # the STACK_GLOBAL
    assert finding.severity.value == "critical"


def test_pickle_hidden_under_any_member_name_is_scanned(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "bundle.zip", {"readme.txt": b"hello", "weights.bin": PAYLOAD, "x": BENIGN}, zipfile.ZIP_DEFLATED
    )
    report = nbsec.scan(path)
    assert [f.location.member for f in report.findings if f.rule_id == "NBSEC-ART-001"] == ["weights.bin"]


def test_bad_crc_and_name_mismatch_are_read_anyway_and_reported(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "m.zip", {"archive/data.pkl": PAYLOAD})
    crc = struct.pack("<I", zlib.crc32(PAYLOAD))
    patch(path, crc, b"\x00\x00\x00\x00", count=2)  # local header and central directory
    patch(path, b"archive/data.pkl", b"archive/data.pkX")  # the local header's copy only
    report = nbsec.scan(path)
    assert {"NBSEC-ART-001", "NBSEC-ART-006"} <= rules_of(report)
    anomaly = next(f for f in report.findings if f.rule_id == "NBSEC-ART-006")
    assert "CRC-32" in anomaly.evidence and "differs from central directory" in anomaly.evidence


def test_nested_archives_are_opened_to_a_bounded_depth(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("deep/payload.pkl", PAYLOAD)
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as archive:
        info = tarfile.TarInfo("inner.zip")
        info.size = len(inner.getvalue())
        archive.addfile(info, io.BytesIO(inner.getvalue()))
    path = tmp_path / "outer.zip"
    write_zip(path, {"layer.tar": tar_bytes.getvalue()})
    report = nbsec.scan(path)
    [finding] = [f for f in report.findings if f.rule_id == "NBSEC-ART-001"]
    assert finding.location.member == "layer.tar!inner.zip!deep/payload.pkl"

    # Nest deeper than the limit: not opened, and said so (never "clean").
    data = PAYLOAD
    for level in range(6):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(f"level{level}.zip" if level else "p.pkl", data)
        data = buffer.getvalue()
    (tmp_path / "deep.zip").write_bytes(data)
    deep = nbsec.scan(tmp_path / "deep.zip")
    assert "NBSEC-ART-006" in rules_of(deep) and any("depth limit" in e.message for e in deep.errors)


def test_zip_bomb_is_stopped(tmp_path: Path) -> None:
    # A well-formed pickle whose one argument is 300 MiB of zeros: it compresses to ~300 KiB.
    size = 300 * 1024 * 1024
    bomb = b"\x80\x04\x8e" + struct.pack("<Q", size) + b"\x00" * size + b"."
    path = write_zip(tmp_path / "bomb.zip", {"data.pkl": bomb}, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 1024 * 1024
    report = nbsec.scan(path)
    assert any("compression ratio" in e.message for e in report.errors)
    assert "NBSEC-ART-006" in rules_of(report)


def test_compressed_pickles(tmp_path: Path) -> None:
    import bz2
    import gzip
    import lzma

    for name, data in {
        "a.joblib": zlib.compress(PAYLOAD),
        "b.gz": gzip.compress(PAYLOAD),
        "c.bz2": bz2.compress(PAYLOAD),
        "d.xz": lzma.compress(PAYLOAD),
        "e.lzma": lzma.compress(PAYLOAD, format=lzma.FORMAT_ALONE),
    }.items():
        (tmp_path / name).write_bytes(data)
    report = nbsec.scan(tmp_path)
    assert sorted(f.location.path for f in report.findings if f.rule_id == "NBSEC-ART-001") == [
        "a.joblib", "b.gz", "c.bz2", "d.xz", "e.lzma"
    ]  # fmt: skip


def test_numpy_object_arrays(tmp_path: Path) -> None:
    import numpy as np

    np.save(tmp_path / "floats.npy", np.arange(10.0))
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "bundle.npz", w=np.arange(4.0))
    report = nbsec.scan(tmp_path)
    assert [(f.rule_id, f.location.path) for f in report.findings] == [("NBSEC-ART-005", "objects.npy")]
    assert report.errors == []


def test_seven_zip_is_an_error_not_clean(tmp_path: Path) -> None:
    (tmp_path / "x.7z").write_bytes(b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 64)
    report = nbsec.scan(tmp_path / "x.7z")
    assert report.errors and "7z" in report.errors[0].message


def test_truncated_zip_is_a_finding(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "t.zip", {"data.pkl": BENIGN})
    path.write_bytes(path.read_bytes()[:-30])
    assert "NBSEC-ART-013" in rules_of(nbsec.scan(path))
