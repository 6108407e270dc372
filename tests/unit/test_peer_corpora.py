"""The peer-corpus harness (benchmarks/peer_corpora.py) reads the peers' expectations as they write them.

The harness itself needs the peers' sources and a venv of their own, so `make peers` runs it; these tests
pin the parts that decide the figures: which sites and lines count, and how nbsec's verdict is scored.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from peer_suites import bandit, detect_secrets  # noqa: E402
from peer_suites.common import Sample  # noqa: E402
from peer_suites.picklescan import score_artifacts  # noqa: E402

FUNCTIONAL = """
class FunctionalTests:
    def test_eval(self):
        expect = {"SEVERITY": {"UNDEFINED": 0, "LOW": 0, "MEDIUM": 3, "HIGH": 0}, "CONFIDENCE": {"HIGH": 3}}
        self.check_example("eval.py", expect)

    def test_pickle(self):
        expect = {"SEVERITY": {"LOW": 2, "MEDIUM": 6}, "CONFIDENCE": {"HIGH": 8}}
        self.check_example("pickle_deserialize.py", expect)
"""


def test_bandit_functional_counts_sum_the_severities_per_example(tmp_path: Path) -> None:
    (tmp_path / "tests/functional").mkdir(parents=True)
    (tmp_path / "tests/functional/test_functional.py").write_text(FUNCTIONAL)
    assert bandit.functional_counts(tmp_path) == {"eval.py": 3, "pickle_deserialize.py": 8}


def test_allow_listed_lines_include_the_line_after_nextline() -> None:
    text = "a = 1\nkey = 'x'  # pragma: allowlist secret\n# pragma: allowlist nextline secret\nsecret = 'y'\n"
    assert detect_secrets.allow_listed(text) == {2, 4}


def test_line_sites_count_only_lines_with_a_finding(tmp_path: Path) -> None:
    source = tmp_path / "load.py"
    source.write_text("import pickle\n\ndata = pickle.loads(blob)\nprint('fine')\n")
    row = bandit.score([Sample(source, ".py", "load.py", expected_lines=frozenset({3, 4}))])
    assert row.figures["found_py"] == 1 and row.figures["sites"] == 2
    assert row.misses == ["load.py: lines [4]"]


@pytest.mark.parametrize("quiet_line, loud", [(1, 0), (3, 1)])
def test_allow_listed_line_with_a_finding_is_counted(tmp_path: Path, quiet_line: int, loud: int) -> None:
    source = tmp_path / "app.py"
    source.write_text("x = 1\n\ntoken = 'ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8" + "'\n")
    row = detect_secrets.score([Sample(source, "file", "app.py", quiet_lines=frozenset({quiet_line}))])
    assert row.figures["allow_listed_with_finding"] == loud


def test_artifact_scoring_flags_misses_and_false_alarms(tmp_path: Path) -> None:
    import pickle

    # Written as opcodes: GLOBAL os.system, no REDUCE needed to be a finding; nothing here is loaded.
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"\x80\x02cos\nsystem\nq\x00.")
    good = tmp_path / "good.pkl"
    good.write_bytes(pickle.dumps({"weights": [1.0, 2.0]}, protocol=4))
    quiet = tmp_path / "quiet.pkl"
    quiet.write_bytes(pickle.dumps([1, 2, 3], protocol=2))
    samples = [
        Sample(bad, "malicious", "bad.pkl"),
        Sample(quiet, "malicious", "quiet.pkl"),
        Sample(good, "benign", "good.pkl"),
    ]
    row = score_artifacts("peer", "suite", samples)
    assert row.figures == {
        "malicious": 2,
        "flagged": 1,
        "benign": 1,
        "false_alarms": 0,
        "benign_with_a_lower_finding": 0,
    }
    assert row.misses == ["quiet.pkl (clean)"]


def test_capture_keeps_the_bytes_a_test_loaded_not_a_repaired_copy() -> None:
    # fickling's Pickled.dumps() re-serialises opcodes and so repairs a lying FRAME length; the harness must
    # hand nbsec the bytes the peer's test built, unless the test changed the opcodes after loading them.
    from peer_suites import capture_plugin

    class Parsed:
        def __init__(self, ops: list[bytes]) -> None:
            self.ops = ops

        @staticmethod
        def load(source: bytes) -> Parsed:
            return Parsed([bytes(source).replace(b"LIE", b"")])

        def dumps(self) -> bytes:
            return b"".join(self.ops)

    capture_plugin._keep_raw_bytes(Parsed)
    loaded = Parsed.load(b"headLIEbody")
    assert capture_plugin._bytes_checked(loaded) == b"headLIEbody"
    loaded.ops.append(b"+injected")
    assert capture_plugin._bytes_checked(loaded) == b"headbody+injected"
