"""Fuzzing the pickle machine and the archive walker: hostile bytes end as findings or errors, never a crash.

The oracle is the standard library's disassembler (pickletools.genops reads opcodes, runs nothing): bytes it
cannot walk to a STOP (unknown opcode, truncated argument, no STOP) must never come back clean, and every
import it sees must be one the analysis reports. genops is stricter than the unpickler about argument text
(ASCII-only names, quoting, memo numbers); the analysis reading such arguments anyway only adds to what it
reports, so those are not counted as unparseable.
"""

from __future__ import annotations

import io
import pickle
import pickletools
import re
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import nbsec
from nbsec.scanners.artifacts.pickle_vm import analyze

SEEDS = [pickle.dumps({"a": [1, 2.5, "x", b"y"], "b": (None, True)}, protocol=p) for p in range(6)] + [
    b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R."
]


# genops' words for bytes that are not a pickle stream (as opposed to an argument it reads more strictly).
STRUCTURAL = re.compile(
    r"opcode .* unknown|exhausted before seeing STOP|not enough data|expected \d+ bytes|no newline found|byte count"
)


def disassemble(data: bytes) -> tuple[set[tuple[str, str]], bool]:
    """(the GLOBAL/INST imports genops sees, whether the bytes are structurally not a pickle)."""
    imports: set[tuple[str, str]] = set()
    try:
        for opcode, arg, _ in pickletools.genops(data):
            if opcode.name in ("GLOBAL", "INST"):
                module, _, name = str(arg).partition(" ")
                imports.add((module, name))
    except ValueError as exc:  # UnicodeDecodeError included
        return imports, bool(STRUCTURAL.search(str(exc)))
    return imports, False


def is_this_file(shown: str, path: Path) -> bool:
    """Reports show a path relative to the working folder when it is inside it."""
    return Path(shown).resolve() == path.resolve()


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
@example(b"\x80\x02\x8d\x00\x00\x00\x00\x00\x00\x00\x80.")  # BINUNICODE8 of 2**63 bytes
def test_the_pickle_machine_flags_what_is_not_a_pickle_and_sees_every_import(data: bytes) -> None:
    result = analyze(io.BytesIO(data))  # never raises: a crash fails the test here
    imports, broken = disassemble(data)
    if broken:
        assert result.anomalies, f"{data!r}: not a pickle stream, but the analysis saw nothing wrong"
    seen = {(g.module, g.name) for g in result.globals}
    assert imports <= seen, f"{data!r}: imports {sorted(imports - seen)} not reported"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(member=mutated_pickles(), cut=st.integers(0, 400), junk=st.binary(max_size=64))
# data.pkl that no sniffer calls a pickle: torch.load unpickles it anyway, so it must be analysed, not skipped
@example(member=b"\x00(cposix\nsystem\n(Vid\ntR.", cut=0, junk=b"")
@example(member=b"(cposix\nsystem\n(Vid\ntR.", cut=0, junk=b"")  # a MARK nothing closes: valid to torch
@example(member=b"\x8d\x00\x00\x00\x00\x00\x00\x00\x80.", cut=0, junk=b"")  # a 2**63-byte argument in a file
def test_a_damaged_archive_is_never_a_crash_nor_a_silent_clean(
    tmp_path: Path, member: bytes, cut: int, junk: bytes
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", member)
        archive.writestr("archive/data/0", b"\x00" * 64)
    data = buffer.getvalue()
    damaged = data[:cut] + junk + data[cut + len(junk) :]
    path = tmp_path / "fuzz.pt"
    path.write_bytes(damaged)
    report = nbsec.scan(path)
    assert not [e for e in report.errors if "scanner crashed" in e.message], report.errors
    named = [e for e in report.errors if is_this_file(e.target.split("!")[0], path)]  # the file or a member
    scanned = [t for t in report.targets if is_this_file(t.path, path) and t.status == "scanned"]
    assert named or scanned, f"the file is neither scanned nor named in an error: {report.targets}"
    imports, broken = disassemble(member)
    if broken:  # whatever the damage did to the container, the pickle inside was never parseable
        assert report.findings or named, f"data.pkl {member!r} is not a pickle stream, yet the scan is clean"
    if ("posix", "system") in imports:
        assert report.findings, f"data.pkl {member!r} imports posix.system, yet the scan is clean"
