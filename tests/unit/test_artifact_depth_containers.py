"""Detection depth (issue 15) in containers: 7z archives, Keras SavedModel metadata, torch.package code,
and globals whose source runs code (found on disk without importing anything).

Every sample is built here at run time; payloads would only create a marker file, checked absent.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import sys
from pathlib import Path

import pytest

import nbsec
from nbsec.model import Report, Severity
from nbsec.scanners.artifacts.base import Limits
from nbsec.scanners.artifacts.walker import Walk, walk_stream

SEVERE = {Severity.HIGH, Severity.CRITICAL}


def ids(report: Report) -> set[str]:
    return {f.rule_id for f in report.findings}


def u(text: str) -> bytes:
    return b"\x8c" + bytes([len(text)]) + text.encode()


def call_pickle(module: str, name: str, arg: str) -> bytes:
    return b"\x80\x04" + u(module) + u(name) + b"\x93" + u(arg) + b"\x85R."


# --- 7z -----------------------------------------------------------------------------------------------


def write_7z(path: Path, members: dict[str, bytes]) -> Path:
    import py7zr

    with py7zr.SevenZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return path


def test_picklescan_malicious1_7z_equivalent_is_flagged(tmp_path: Path) -> None:
    # picklescan's tests/data/malicious1.7z: one member, data.pkl, calling builtins.eval.
    marker = tmp_path / "MARKER"
    payload = call_pickle("builtins", "eval", f"open({str(marker)!r}, 'w')")
    report = nbsec.scan(write_7z(tmp_path / "malicious1.7z", {"data.pkl": payload}))
    [finding] = [f for f in report.findings if f.rule_id == "NBSEC-ART-001"]
    assert finding.severity is Severity.CRITICAL and finding.location.member == "data.pkl"
    assert report.errors == [] and not marker.exists()


def test_a_torch_checkpoint_inside_a_7z_is_read_and_clean(tmp_path: Path) -> None:
    import torch

    buffer = io.BytesIO()
    torch.save({"w": torch.ones(4)}, buffer)
    archive = write_7z(tmp_path / "release.7z", {"model/weights.pt": buffer.getvalue(), "README.md": b"# model\n"})
    report = nbsec.scan(archive)
    assert report.findings == [] and report.errors == []


def test_a_7z_nested_in_a_7z_is_opened(tmp_path: Path) -> None:
    inner = write_7z(tmp_path / "inner.7z", {"x.bin": call_pickle("os", "system", "true")})
    outer = write_7z(tmp_path / "outer.7z", {"inner.7z": inner.read_bytes()})
    members = [f.location.member for f in nbsec.scan(outer).findings if f.rule_id == "NBSEC-ART-001"]
    assert members == ["inner.7z!x.bin"]


def _walk_7z(path: Path, limits: Limits) -> list[object]:
    walk = Walk(display=path.name, folder=path.parent, limits=limits, allow=frozenset())
    with path.open("rb") as stream:
        return list(walk_stream(walk, stream, "7z", None, 0, path.name))


def test_7z_member_count_and_bomb_bounds(tmp_path: Path) -> None:
    many = write_7z(tmp_path / "many.7z", {f"m{i}.txt": b"x" for i in range(5)})
    results = _walk_7z(many, Limits(max_members=3))
    assert any("7z declares 5 members" in str(getattr(r, "message", "")) for r in results)
    bomb = write_7z(tmp_path / "bomb.7z", {"zeros.bin": b"\x00" * (24 * 1024 * 1024)})
    assert bomb.stat().st_size < 100_000
    results = _walk_7z(bomb, Limits())
    assert any("ratio" in str(getattr(r, "message", "")) for r in results)
    assert any(getattr(r, "rule_id", "") == "NBSEC-ART-006" for r in results)
    results = _walk_7z(many, Limits(max_member_bytes=0))
    assert any("decompresses past" in str(getattr(r, "message", "")) for r in results)


def test_a_7z_is_an_error_without_py7zr_and_when_broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = write_7z(tmp_path / "a.7z", {"data.pkl": call_pickle("os", "system", "true")})
    monkeypatch.setitem(sys.modules, "py7zr", None)  # as if the extra were not installed
    report = nbsec.scan(archive)
    assert report.findings == []
    [error] = report.errors
    assert "py7zr" in error.message and "nbsec[sevenzip]" in error.hint
    monkeypatch.undo()
    broken = tmp_path / "broken.7z"
    broken.write_bytes(archive.read_bytes()[:40])
    report = nbsec.scan(broken)
    assert report.errors and "could not be read" in report.errors[0].message


# --- Keras SavedModel metadata ------------------------------------------------------------------------


def _pb(number: int, value: bytes | int) -> bytes:
    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            byte, n = n & 0x7F, n >> 7
            out.append(byte | (0x80 if n else 0))
            if not n:
                return bytes(out)

    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    return varint(number << 3 | 2) + varint(len(value)) + value


LAMBDA_METADATA: dict[str, object] = {
    "name": "lambda",
    "class_name": "Lambda",
    "config": {"name": "lambda", "function": ["4wEAAAAAAAAAAAAAAAEAAAAE", None, None], "function_type": "lambda",
               "module": "__main__", "output_shape": None, "arguments": {}},
}  # fmt: skip
DENSE_METADATA: dict[str, object] = {"name": "dense", "class_name": "Dense", "config": {"name": "dense", "units": 2}}


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


def savedmodel_folder(root: Path, layers: list[dict[str, object]]) -> Path:
    """A SavedModel folder as tf.keras 2 writes it: saved_model.pb plus keras_metadata.pb."""
    root.mkdir()
    nodes = b"".join(
        _pb(1, _pb(2, i) + _pb(3, f"root.layer-{i}".encode()) + _pb(4, b"_tf_keras_layer") + _pb(5, _json(m)))
        for i, m in enumerate(layers)
    )
    (root / "keras_metadata.pb").write_bytes(nodes)
    graph = _pb(1, _pb(1, b"x") + _pb(2, b"Placeholder"))
    (root / "saved_model.pb").write_bytes(_pb(1, 1) + _pb(2, _pb(2, graph)))
    return root


def test_lambda_layer_in_keras_metadata_is_found_without_tensorflow(tmp_path: Path) -> None:
    # modelscan's test: a tf.keras SavedModel whose Lambda layer is described only in keras_metadata.pb.
    folder = savedmodel_folder(tmp_path / "lambda_model", [DENSE_METADATA, LAMBDA_METADATA])
    report = nbsec.scan(folder)
    [finding] = [f for f in report.findings if f.rule_id == "NBSEC-ART-007"]
    assert finding.severity in SEVERE and finding.location.path.endswith("keras_metadata.pb")
    assert "root.layer-1" in finding.evidence
    clean = nbsec.scan(savedmodel_folder(tmp_path / "dense_model", [DENSE_METADATA]))
    assert clean.findings == [] and clean.errors == []


def test_lambda_in_the_saved_model_object_graph_is_found(tmp_path: Path) -> None:
    user_object = _pb(1, b"_tf_keras_layer") + _pb(3, json.dumps(LAMBDA_METADATA).encode())
    object_graph = _pb(1, _pb(4, user_object))
    meta_graph = _pb(2, _pb(1, _pb(1, b"x") + _pb(2, b"Placeholder"))) + _pb(7, object_graph)
    (tmp_path / "m").mkdir()
    path = tmp_path / "m" / "saved_model.pb"
    path.write_bytes(_pb(1, 1) + _pb(2, meta_graph))
    assert "NBSEC-ART-007" in ids(nbsec.scan(path))


# --- torch.package -------------------------------------------------------------------------------------


def _package(path: Path, source: str) -> Path:
    from torch.package.package_exporter import PackageExporter

    with PackageExporter(str(path)) as exporter:
        exporter.save_source_string("helpers", source, dependencies=False)  # never imported here
        exporter.save_pickle("res", "data.pkl", {"weights": [0.5, 0.25]})
    return path


def test_torch_package_module_that_runs_code_on_import_is_reported(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    source = f"import os\nos.system('touch {marker}')\n\ndef f():\n    return 1\n"
    report = nbsec.scan(_package(tmp_path / "evil.pt", source))
    [finding] = [f for f in report.findings if f.rule_id == "NBSEC-ART-018"]
    assert finding.severity is Severity.CRITICAL and "os.system" in finding.evidence
    assert finding.location.member is not None and finding.location.member.endswith("helpers.py")
    assert not marker.exists()


def test_torch_package_with_only_definitions_is_quiet(tmp_path: Path) -> None:
    source = '"""Helpers."""\nimport math\nSCALE = 2.0\n\ndef f(x):\n    return math.sqrt(x) * SCALE\n'
    report = nbsec.scan(_package(tmp_path / "ok.pt", source))
    assert "NBSEC-ART-018" not in ids(report) and not [f for f in report.findings if f.severity in SEVERE]


def test_torch_package_function_calling_eval_is_high_and_a_module_level_call_is_medium(tmp_path: Path) -> None:
    report = nbsec.scan(_package(tmp_path / "a.pt", "def parse(text):\n    return eval(text)\n"))
    assert [f.severity for f in report.findings if f.rule_id == "NBSEC-ART-018"] == [Severity.HIGH]
    report = nbsec.scan(_package(tmp_path / "b.pt", "import logging\nlog = logging.getLogger(__name__)\n"))
    assert [f.severity for f in report.findings if f.rule_id == "NBSEC-ART-018"] == [Severity.MEDIUM]


# --- code-running globals, decided from their source ---------------------------------------------------

HELPERS = """
import subprocess
import sys


def scale(x):
    return x * 2


def run_script(path):
    return _spawn([sys.executable, path])


def _spawn(command):
    return subprocess.run(command, check=False)


def parse_expression(text):
    return eval(text, {})


class Config:
    def __setstate__(self, state):
        self._apply(state)

    def _apply(self, state):
        import importlib
        importlib.import_module(state["module"])
"""


@pytest.fixture
def throwaway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """A package on sys.path that writes a marker if it is ever imported."""
    marker = tmp_path / "IMPORTED"
    package = tmp_path / "site" / "nbsec_throwaway_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    (package / "helpers.py").write_text(f"open({str(marker)!r}, 'w').close()\n" + HELPERS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return "nbsec_throwaway_pkg.helpers", marker


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("run_script", "run_script -> nbsec_throwaway_pkg.helpers._spawn -> subprocess.run"),
        ("parse_expression", "parse_expression -> builtins.eval"),
        ("Config", "Config -> nbsec_throwaway_pkg.helpers.Config._apply -> importlib.import_module"),
    ],
)
def test_a_helper_that_reaches_a_sink_is_high_with_its_path(
    name: str, path: str, throwaway: tuple[str, Path], tmp_path: Path
) -> None:
    module, marker = throwaway
    sample = tmp_path / "helper.pkl"
    sample.write_bytes(call_pickle(module, name, "x"))
    report = nbsec.scan(sample)
    [finding] = [f for f in report.findings if f.rule_id == "NBSEC-ART-017"]
    assert finding.severity is Severity.HIGH and f"{module}.{path}" in finding.evidence
    assert "NBSEC-ART-002" not in ids(report)
    assert not marker.exists() and "nbsec_throwaway_pkg" not in sys.modules


def test_a_harmless_helper_stays_an_unknown_global(throwaway: tuple[str, Path], tmp_path: Path) -> None:
    module, marker = throwaway
    sample = tmp_path / "scale.pkl"
    sample.write_bytes(call_pickle(module, "scale", "x"))
    report = nbsec.scan(sample)
    assert [(f.rule_id, f.severity) for f in report.findings] == [("NBSEC-ART-002", Severity.MEDIUM)]
    assert not marker.exists() and "nbsec_throwaway_pkg" not in sys.modules


def test_the_answer_is_cached_per_module_file(throwaway: tuple[str, Path]) -> None:
    from nbsec.scanners.artifacts import code_reach

    module, _ = throwaway
    first = code_reach.reaches(module, "run_script")
    assert first is not None and code_reach.reaches(module, "run_script") is first
    source = code_reach.find_source(module)
    assert source is not None
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # "a new installed version"
    source.write_text(source.read_text(encoding="utf-8").replace("subprocess.run(", "print("), encoding="utf-8")
    assert code_reach.reaches(module, "run_script") is None


def test_the_answer_survives_the_process_in_the_user_cache(
    throwaway: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new process (here: empty in-memory caches) reads the answer from disk instead of parsing again.
    from nbsec.scanners.artifacts import code_reach

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(code_reach, "_disk", None)
    monkeypatch.setattr(code_reach, "_answers", {})
    module, _ = throwaway
    first = code_reach.reaches(module, "run_script")
    assert first is not None and code_reach.cache_file().is_file()
    monkeypatch.setattr(code_reach, "_disk", None)
    monkeypatch.setattr(code_reach, "_answers", {})
    monkeypatch.setattr(code_reach, "_parse", lambda *_: pytest.fail("parsed again despite the disk cache"))
    assert code_reach.reaches(module, "run_script") == first
    # A broken or hostile cache file costs time, never a crash.
    code_reach.cache_file().write_text('{"x": [1, 2], "y": "z"', encoding="utf-8")
    monkeypatch.setattr(code_reach, "_disk", None)
    assert code_reach._disk_cache() == {}


@pytest.mark.parametrize(
    ("module", "name"), [("typing", "get_type_hints"), ("yaml", "unsafe_load"), ("collections", "namedtuple")]
)
def test_real_code_running_library_functions(module: str, name: str, tmp_path: Path) -> None:
    sample = tmp_path / "real.pkl"
    sample.write_bytes(call_pickle(module, name, "x"))
    assert "NBSEC-ART-017" in ids(nbsec.scan(sample))


def test_real_estimators_and_modules_are_not_code_running(tmp_path: Path) -> None:
    import torch
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    model = make_pipeline(StandardScaler(), DecisionTreeClassifier(random_state=0))
    model.fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    (tmp_path / "sk.pkl").write_bytes(pickle.dumps(model))
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()), tmp_path / "module.pt")
    for name in ("sk.pkl", "module.pt"):
        report = nbsec.scan(tmp_path / name)
        assert "NBSEC-ART-017" not in ids(report), name
        assert not [f for f in report.findings if f.severity in SEVERE], name
