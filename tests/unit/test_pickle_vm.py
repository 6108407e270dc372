"""The static pickle machine and the policy, on hand-assembled opcode streams.

Nothing here is ever unpickled: the streams are bytes, the assertions are about what
the machine reports.
"""

from __future__ import annotations

import io
import pickle
import struct
from pathlib import Path

import pytest

from nbsec.scanners.artifacts.pickle_vm import analyze
from nbsec.scanners.artifacts.policy import Verdict, classify

PROTO4 = b"\x80\x04"


def unicode(text: str) -> bytes:
    data = text.encode()
    return b"\x8c" + bytes([len(data)]) + data  # SHORT_BINUNICODE


def stack_global(module: str, name: str) -> bytes:
    return unicode(module) + unicode(name) + b"\x93"  # STACK_GLOBAL


def call1(arg: str) -> bytes:
    return unicode(arg) + b"\x85R"  # TUPLE1, REDUCE


def qualified(data: bytes) -> list[str]:
    return [f"{g.module}.{g.name}" for g in analyze(io.BytesIO(data)).globals]


def test_globals_calls_and_arguments_are_reported() -> None:
    data = PROTO4 + stack_global("posix", "system") + call1("touch /tmp/x") + b"."
    result = analyze(io.BytesIO(data))
    assert qualified(data) == ["posix.system"]
    assert result.calls[0].func == "posix.system" and "touch /tmp/x" in result.calls[0].args
    assert result.anomalies == [] and result.pickles == 1


def test_names_through_the_memo_are_resolved() -> None:
    # The module string is stored in the memo and fetched back: still a plain string.
    data = PROTO4 + unicode("os") + b"\x94" + b"0" + b"h\x00" + unicode("system") + b"\x93" + call1("id") + b"."
    assert qualified(data) == ["os.system"]


def test_computed_operands_are_flagged() -> None:
    # STACK_GLOBAL whose module is the result of a call (rot13 of "bf" is "os").
    data = (
        PROTO4 + stack_global("_codecs", "encode") + unicode("bf") + unicode("rot13") + b"\x86R"
        + unicode("system") + b"\x93" + call1("id") + b"."
    )  # fmt: skip
    result = analyze(io.BytesIO(data))
    assert [c.opcode for c in result.computed] == ["STACK_GLOBAL"]


def test_ext_codes_are_computed_globals() -> None:
    assert [c.opcode for c in analyze(io.BytesIO(PROTO4 + b"\x82\x01.")).computed] == ["EXT1"]


@pytest.mark.parametrize("protocol", range(6))
def test_every_protocol_of_a_reduce_is_seen(protocol: int) -> None:
    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            import os

            return (os.system, ("true",))

    result = analyze(io.BytesIO(pickle.dumps(Payload(), protocol=protocol)))
    assert [c.func for c in result.calls] == ["posix.system"]
    assert result.anomalies == []


def test_inst_and_obj_calls() -> None:
    inst = b"(" + unicode("id") + b"ios\nsystem\n."  # INST os system with one argument
    result = analyze(io.BytesIO(inst))
    assert qualified(inst) == ["os.system"] and result.calls[0].opcode == "INST"
    obj = PROTO4 + b"(" + stack_global("subprocess", "Popen") + unicode("id") + b"o."
    assert analyze(io.BytesIO(obj)).calls[0].opcode == "OBJ"


def test_broken_stream_after_payload_keeps_what_was_seen() -> None:
    data = PROTO4 + stack_global("os", "system") + call1("id") + b"\xff"
    result = analyze(io.BytesIO(data))
    assert qualified(data) == ["os.system"]
    assert [a.kind for a in result.anomalies] == ["invalid-opcode"]


def test_truncation_and_memo_misses_are_anomalies() -> None:
    assert [a.kind for a in analyze(io.BytesIO(PROTO4 + unicode("x"))).anomalies] == ["truncated"]
    assert "memo" in [a.kind for a in analyze(io.BytesIO(PROTO4 + b"h\x07.")).anomalies]


def test_stacked_pickles_are_all_analysed_and_junk_after_stop_reported() -> None:
    benign = pickle.dumps({"a": 1}, protocol=4)
    payload = PROTO4 + stack_global("os", "system") + call1("id") + b"."
    result = analyze(io.BytesIO(benign + payload))
    assert result.pickles == 2 and qualified(benign + payload) == ["os.system"]
    trailing = analyze(io.BytesIO(benign + b"not a pickle"))
    assert [a.kind for a in trailing.anomalies] == ["trailing"]


def test_a_frame_that_ends_inside_an_argument_is_reported_and_the_hidden_ops_found() -> None:
    # genops (and a loader with peek()) reads a 40-byte string that starts inside the frame, then
    # one opaque BINBYTES whose content is the payload. The C unpickler on a stream without peek()
    # (io.BytesIO: torch.load of a zip member) drops the 5 frame bytes the string does not fit in,
    # reads the string from after the frame, and so executes the payload as opcodes.
    payload = stack_global("posix", "system") + call1("id")
    frame_body = b"\x8c" + bytes([40]) + b"TTTTT"
    filler = b"A" * 35 + b"B" + struct.pack("<I", len(payload))
    data = PROTO4 + b"\x95" + struct.pack("<Q", len(frame_body)) + frame_body + filler + payload + b"\x86."
    assert "STACK_GLOBAL" not in pickletools_ops(data)  # genops sees no import at all
    result = analyze(io.BytesIO(data))
    assert "frame" in [a.kind for a in result.anomalies]
    assert [f"{g.module}.{g.name}" for g in result.globals] == ["posix.system"]


def pickletools_ops(data: bytes) -> list[str]:
    import pickletools

    return [op.name for op, _, _ in pickletools.genops(data)]


def test_big_arguments_are_skipped_not_read(tmp_path: Path) -> None:
    # A 2 GiB BINBYTES8 in a sparse file: analysing it must not read (or allocate) 2 GiB.
    size = 2 * 1024**3
    path = tmp_path / "big.pkl"
    with path.open("wb") as handle:
        handle.write(PROTO4 + b"\x8e" + struct.pack("<Q", size))
        handle.seek(size, io.SEEK_CUR)
        handle.write(b".")
    import tracemalloc

    tracemalloc.start()
    with path.open("rb") as handle:
        result = analyze(handle)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.pickles == 1 and result.anomalies == []
    assert peak < 10 * 1024 * 1024


def test_joblib_inline_arrays_are_stepped_over() -> None:
    import joblib
    import numpy as np

    buffer = io.BytesIO()
    joblib.dump({"w": np.arange(1000, dtype="float64"), "o": np.array([{"k": 1}], dtype=object)}, buffer)
    result = analyze(io.BytesIO(buffer.getvalue()))
    assert result.anomalies == []
    names = {f"{g.module}.{g.name}" for g in result.globals}
    assert "joblib.numpy_pickle.NumpyArrayWrapper" in names


@pytest.mark.parametrize(
    ("module", "name", "verdict"),
    [
        ("posix", "system", Verdict.DENY),
        ("__builtin__", "eval", Verdict.DENY),
        ("commands", "getoutput", Verdict.DENY),
        ("pathlib", "os.system", Verdict.DENY),
        ("torch", "serialization.os.system", Verdict.DENY),
        ("pkgutil", "resolve_name", Verdict.DENY),
        ("operator", "methodcaller", Verdict.DENY),
        ("functools", "partial", Verdict.DENY),
        ("asyncio.unix_events", "_UnixSubprocessTransport._start", Verdict.DENY),
        ("numpy", "savetxt", Verdict.DENY),
        ("collections", "OrderedDict", Verdict.ALLOW),
        ("torch._utils", "_rebuild_tensor_v2", Verdict.ALLOW),
        ("__builtin__", "set", Verdict.ALLOW),
        ("argparse", "Namespace", Verdict.ALLOW),
        ("numpy", "float64", Verdict.ALLOW),
        ("torch.nn.modules.linear", "Linear", Verdict.UNKNOWN),
        ("sklearn.linear_model._logistic", "LogisticRegression", Verdict.UNKNOWN),
    ],
)
def test_policy(module: str, name: str, verdict: Verdict) -> None:
    assert classify(module, name).verdict is verdict


def test_configuration_cannot_allow_a_denied_global() -> None:
    assert classify("os", "system", frozenset({"os.system", "os"})).verdict is Verdict.DENY
    assert classify("mylib.layers", "Block", frozenset({"mylib.layers.Block"})).verdict is Verdict.ALLOW


def test_the_opcode_table_matches_pickletools() -> None:
    import pickletools

    from nbsec.scanners.artifacts.pickle_vm import OPCODES

    expected = {op.code.encode("latin-1"): (op.name, op.arg.name if op.arg else None) for op in pickletools.opcodes}
    assert OPCODES == expected
