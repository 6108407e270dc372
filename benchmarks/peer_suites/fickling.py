"""fickling's pickles, built inside its own `test/` suite and captured as its tests check them.

capture_plugin.py wraps `fickling.analysis.check_safety`: every pickle a test checks is written out
(as the bytes `Pickled.dumps()` gives) with fickling's severity. Unsafe: severity above LIKELY_SAFE
(what its tests assert with `assertGreater(..., Severity.LIKELY_SAFE)`); safe: LIKELY_SAFE. A pickle
checked by a test that failed in fickling itself keeps fickling's verdict, and the count says so.
"""

from __future__ import annotations

from pathlib import Path

from .common import Row, Sample, log
from .modelscan import captured, run_suite
from .picklescan import score_artifacts


def collect(source: Path, work: Path, python: Path) -> list[Sample]:
    capture = work / "fickling"
    run_suite(source, capture, python, "fickling", ["test"])
    samples = captured(capture, lambda entry: "safe" if entry["severity"] == "LIKELY_SAFE" else "unsafe")
    log(f"fickling: {len(samples)} distinct pickles")
    return samples


def score(samples: list[Sample]) -> Row:
    return score_artifacts("fickling", "test/ pickles", samples, bad="unsafe", good="safe")
