"""Detection depth of the pickle analysis (issue 15): precision of the denylist, false alarms on files
real users save (built with the real libraries), scanner tampering, nested streams and bombs.

Nothing here unpickles a dangerous stream: payloads would only create a marker file, checked absent.
"""

from __future__ import annotations

import http
import io
import pickle
import signal
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

import nbsec
from nbsec.model import Report, Severity
from nbsec.scanners.artifacts.pickle_vm import analyze
from nbsec.scanners.artifacts.policy import NESTED, SCANNER, Verdict, classify

SEVERE = {Severity.HIGH, Severity.CRITICAL}


def scan_bytes(tmp_path: Path, data: bytes, name: str = "sample.pkl") -> Report:
    path = tmp_path / name
    path.write_bytes(data)
    return nbsec.scan(path)


def severe(report: Report) -> list[str]:
    return [f"{f.rule_id} {f.severity.value} {f.evidence}" for f in report.findings if f.severity in SEVERE]


def ids(report: Report) -> set[str]:
    return {f.rule_id for f in report.findings}


def u(text: str) -> bytes:
    return b"\x8c" + bytes([len(text)]) + text.encode()


def sg(module: str, name: str) -> bytes:
    return u(module) + u(name) + b"\x93"


def p4(code: bytes) -> bytes:
    return b"\x80\x04" + code + b"."


# --- denylist precision ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["len", "min", "max", "isinstance", "abs", "sum", "range", "slice", "set",
                                  "frozenset", "complex", "bytearray", "dict", "ValueError"])  # fmt: skip
def test_harmless_builtins_are_not_denied(name: str) -> None:
    assert classify("builtins", name).verdict is Verdict.ALLOW


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("builtins", "eval"), ("builtins", "exec"), ("builtins", "getattr"), ("builtins", "__import__"),
        ("builtins", "open"), ("builtins", "compile"), ("builtins", "type"), ("__builtin__", "apply"),
        ("__builtin__", "reduce"), ("__builtin__", "execfile"), ("socket", "create_connection"),
        ("_io", "FileIO"), ("importlib", "import_module"), ("pathlib", "os.system"), ("numpy", "load"),
        ("_interpreters", "create"), ("__builtins__", "eval"), ("torch.compile", "dangerous"),
    ],
)  # fmt: skip
def test_what_runs_code_writes_files_imports_or_reaches_the_network_is_still_denied(module: str, name: str) -> None:
    assert classify(module, name).verdict is Verdict.DENY


def test_modules_match_by_full_dotted_name_not_by_a_component() -> None:
    # numpy.random._pickle is not the stdlib _pickle; mypkg.os is not os; http.HTTPStatus is an enum.
    assert classify("numpy.random._pickle", "__randomstate_ctor").verdict is Verdict.ALLOW
    assert classify("mypkg.os", "Block").verdict is Verdict.UNKNOWN
    assert classify("os.path", "join").verdict is Verdict.DENY  # a submodule of a denied module is denied
    assert classify("__builtin__", "xrange").qualified == "builtins.range"


def test_builtins_len_pickle_is_not_flagged(tmp_path: Path) -> None:
    # fickling's own "safe builtins" case: builtins.len([]).
    report = scan_bytes(tmp_path, b"cbuiltins\nlen\n]\x85R.")
    assert severe(report) == [] and report.findings == []


# --- false alarms on files real users save ----------------------------------------------------------


def test_sklearn_estimator_with_a_random_state_is_not_severe(tmp_path: Path) -> None:
    from sklearn.linear_model import SGDClassifier

    model = SGDClassifier(random_state=np.random.RandomState(0))
    model.fit(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1]))
    report = scan_bytes(tmp_path, pickle.dumps(model))
    assert severe(report) == []
    assert "numpy.random" not in " ".join(f.evidence for f in report.findings)


def test_numpy_generators_are_allowed(tmp_path: Path) -> None:
    data = pickle.dumps([np.random.default_rng(0), np.random.RandomState(1), np.random.Generator(np.random.PCG64(2))])
    assert scan_bytes(tmp_path, data).findings == []


def test_stdlib_enum_members_and_protocol_2_range_are_clean(tmp_path: Path) -> None:
    data = pickle.dumps([http.HTTPStatus.OK, signal.Signals.SIGINT], protocol=4)
    assert scan_bytes(tmp_path, data, "enums.pkl").findings == []
    assert b"__builtin__\nxrange" in pickle.dumps(range(5), protocol=2)
    assert scan_bytes(tmp_path, pickle.dumps(range(5), protocol=2), "range.pkl").findings == []


def test_sparse_tensors_and_stored_layouts_are_clean(tmp_path: Path) -> None:
    path = tmp_path / "sparse.pt"
    torch.save(
        {"coo": torch.eye(3).to_sparse(), "csr": torch.eye(3).to_sparse_csr(), "layout": torch.sparse_coo},
        path,
    )
    report = nbsec.scan(path)
    assert severe(report) == [] and report.errors == []


def test_torchscript_archive_own_pickles_are_not_severe_but_a_payload_in_one_is(tmp_path: Path) -> None:
    scripted = torch.jit.script(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU()))
    path = tmp_path / "scripted.pt"
    torch.jit.save(scripted, str(path))
    report = nbsec.scan(path)
    assert severe(report) == [] and "NBSEC-ART-002" not in ids(report)
    # The same archive with os.system appended as another pickle member is still critical.
    marker = tmp_path / "MARKER"
    with zipfile.ZipFile(path, "a") as archive:
        prefix = archive.namelist()[0].split("/")[0]
        archive.writestr(f"{prefix}/extra.pkl", p4(sg("os", "system") + u("touch") + b"\x85R"))
    report = nbsec.scan(path)
    assert "NBSEC-ART-001" in ids(report) and not marker.exists()


def test_a_plain_pickle_of_tensors_is_analysed_through_load_from_bytes_and_clean(tmp_path: Path) -> None:
    # pickle.dumps(tensor) stores torch.storage._load_from_bytes(<legacy torch.save bytes>).
    data = pickle.dumps({f"w{i}": torch.ones(3) for i in range(40)}, protocol=2)
    report = scan_bytes(tmp_path, data)
    assert severe(report) == [] and report.errors == []
    [nested] = [f for f in report.findings if f.rule_id == "NBSEC-ART-015"]  # one summary, not one per tensor
    assert nested.severity is Severity.MEDIUM and "39 more call(s)" in nested.evidence


def test_npy_object_dtype_spelled_out_is_an_object_array(tmp_path: Path) -> None:
    payload = p4(sg("os", "system") + u("touch") + b"\x85R")
    header = b"{'descr': 'object', 'fortran_order': False, 'shape': (1,), }"
    header += b" " * (63 - len(header) % 64) + b"\n"
    data = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + payload
    report = scan_bytes(tmp_path, data, "objects.npy")
    assert {"NBSEC-ART-005", "NBSEC-ART-001"} <= ids(report)


# --- scanner tampering --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module", ["fickling.hook", "picklescan.scanner", "modelscan.modelscan", "modelaudit", "nbsec.scanners"]
)
def test_importing_a_scanner_module_is_critical(module: str, tmp_path: Path) -> None:
    assert classify(module, "remove_hook").kind == SCANNER
    report = scan_bytes(tmp_path, p4(sg(module, "remove_hook") + b")R"))
    [finding] = [f for f in report.findings if f.rule_id == "NBSEC-ART-014"]
    assert finding.severity is Severity.CRITICAL and module in finding.evidence


def test_protocol_0_global_to_a_scanner_is_critical_too(tmp_path: Path) -> None:
    report = scan_bytes(tmp_path, b"cfickling.hook\ndeactivate_safe_ml_environment\n)R.")
    assert "NBSEC-ART-014" in ids(report)


def test_collections_import_is_not_scanner_tampering(tmp_path: Path) -> None:
    assert scan_bytes(tmp_path, p4(sg("collections", "OrderedDict") + b")R")).findings == []


# --- nested streams -----------------------------------------------------------------------------------


class _Reduce:
    def __init__(self, func: object, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return self.func, self.args


def _payload(marker: Path) -> bytes:
    import os

    return pickle.dumps(_Reduce(os.system, f"touch {marker}"))


def test_load_from_bytes_nested_twice_reports_the_inner_payload_where_it_is(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    inner = pickle.dumps(_Reduce(torch.storage._load_from_bytes, _payload(marker)))
    data = pickle.dumps(_Reduce(pickle.loads, inner))
    report = scan_bytes(tmp_path, data)
    [denied] = [f for f in report.findings if f.rule_id == "NBSEC-ART-001"]
    assert denied.severity is Severity.CRITICAL
    assert denied.evidence.startswith(("os.system", "posix.system"))
    assert denied.location.member is not None
    assert "pickle.loads bytes" in denied.location.member and "_load_from_bytes bytes" in denied.location.member
    assert not marker.exists()


def test_pickle_loads_of_benign_embedded_bytes_is_high_not_critical(tmp_path: Path) -> None:
    # No pickler writes a second layer by itself; picklescan calls pickle.loads("I12345\n.") malicious and
    # fickling blocks pickle.loads unless a user allows it. The inner bytes hold nothing that runs: high, once.
    data = pickle.dumps(_Reduce(pickle.loads, pickle.dumps(np.dtype(">i4"))))
    report = scan_bytes(tmp_path, data)
    assert [(f.rule_id, f.severity) for f in report.findings if f.severity in SEVERE] == [
        ("NBSEC-ART-015", Severity.HIGH)
    ]


def test_a_deserializer_without_embedded_bytes_is_high(tmp_path: Path) -> None:
    assert classify("torch", "load").kind == NESTED
    report = scan_bytes(tmp_path, p4(sg("torch", "load") + u("/tmp/x.pt") + b"\x85R"))
    [finding] = [f for f in report.findings if f.rule_id == "NBSEC-ART-015"]
    assert finding.severity is Severity.HIGH and "not bytes stored" in finding.evidence


def test_a_large_nested_blob_is_read_from_the_stream_not_kept(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    # The payload, then a benign stacked pickle: > 64 KiB in all, so the reader skips it and re-reads it later.
    blob = _payload(marker) + pickle.dumps(b"x" * 200_000, protocol=4)
    data = pickle.dumps(_Reduce(pickle.loads, blob), protocol=4)
    report = scan_bytes(tmp_path, data)
    assert "NBSEC-ART-001" in ids(report) and not marker.exists()


# --- resource exhaustion (never built) ----------------------------------------------------------------


def test_dup_list_bomb_is_estimated_not_built(tmp_path: Path) -> None:
    code = b"(" * 9 + b"\x8c\x03lol" + (b"2" * 8 + b"l") * 9
    analysis = analyze(io.BytesIO(p4(code)))
    assert analysis.dups == 72 and analysis.expansion >= 9**9
    report = scan_bytes(tmp_path, p4(code))
    [finding] = [f for f in report.findings if f.rule_id == "NBSEC-ART-016"]
    assert finding.severity is Severity.HIGH and "DUP" in finding.evidence


def test_many_dups_without_expansion_are_reported(tmp_path: Path) -> None:
    report = scan_bytes(tmp_path, p4(b"]" + b"2" * 150))  # fickling's test_dup_expansion_detection
    assert "NBSEC-ART-016" in ids(report)


def test_self_appending_list_is_reported_and_one_cycle_is_not(tmp_path: Path) -> None:
    many = p4(b"]\x94" + b"h\x00a" * 60)  # L.append(L) 60 times (fickling's memo expansion)
    assert "NBSEC-ART-016" in ids(scan_bytes(tmp_path, many, "many.pkl"))
    cycle: list[object] = []
    cycle.append(cycle)
    assert scan_bytes(tmp_path, pickle.dumps(cycle), "one.pkl").findings == []


def test_memo_billion_laughs_without_dup(tmp_path: Path) -> None:
    code = b"\x8c\x03lolq\x00"
    for level in range(10):
        code += b"(" + (b"h" + bytes([level])) * 9 + b"lq" + bytes([level + 1])
    report = scan_bytes(tmp_path, p4(code))
    [finding] = [f for f in report.findings if f.rule_id == "NBSEC-ART-016"]
    assert "elements" in finding.evidence


def test_legitimate_shared_references_are_not_a_bomb(tmp_path: Path) -> None:
    label = "positive"
    data = {"labels": [label] * 5000, "nested": [[1, 2, 3]] * 100, "values": list(range(100))}
    assert scan_bytes(tmp_path, pickle.dumps(data)).findings == []


@pytest.mark.parametrize(
    "code",
    [
        b"}\x94h\x00\x8c\x05values",  # d[d] = 'value'
        b"\x8f\x94(h\x00\x90",  # s.add(s)
        b"}\x94]\x8c\x01vs",  # d[[]] = 'v'
    ],
)
def test_unhashable_keys_and_self_containing_sets_are_malformed(code: bytes, tmp_path: Path) -> None:
    report = scan_bytes(tmp_path, p4(code))
    assert any(f.rule_id == "NBSEC-ART-004" and f.severity in SEVERE for f in report.findings)


def test_a_second_proto_is_malformed(tmp_path: Path) -> None:
    data = pickle.dumps([1, 2, 3, 4], protocol=4)
    assert scan_bytes(tmp_path, data, "ok.pkl").findings == []
    edited = data[:-1] + b"\x80\x01\x80\x02."  # fickling's test_duplicate_proto
    assert "NBSEC-ART-004" in ids(scan_bytes(tmp_path, edited, "dup.pkl"))
