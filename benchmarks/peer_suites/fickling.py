"""fickling's pickles, built inside its own `test/` suite and captured as its tests check them.

capture_plugin.py wraps `fickling.analysis.check_safety`: every pickle a test checks is written out
(as the bytes `Pickled.dumps()` gives) with fickling's severity. Unsafe: severity above LIKELY_SAFE
(what its tests assert with `assertGreater(..., Severity.LIKELY_SAFE)`); safe: LIKELY_SAFE. A pickle
checked by a test that failed in fickling itself keeps fickling's verdict, and the count says so.
"""

from __future__ import annotations

from pathlib import Path

from .common import HIGH, Row, Sample, log, nbsec_findings, worst
from .modelscan import records, run_suite


def collect(source: Path, work: Path, python: Path) -> list[Sample]:
    capture = work / "fickling"
    run_suite(source, capture, python, "fickling", ["test"])
    samples: dict[str, Sample] = {}
    for entry in records(capture):
        if "sample" not in entry:
            continue
        path = capture / "samples" / str(entry["sample"])
        label = "safe" if entry["severity"] == "LIKELY_SAFE" else "unsafe"
        origin = f"{str(entry['test']).split('::')[-1]} ({entry['severity']})"
        samples.setdefault(str(entry["sample"]), Sample(path, label, origin))
    log(f"fickling: {len(samples)} distinct pickles")
    return list(samples.values())


def score(samples: list[Sample]) -> Row:
    unsafe = [s for s in samples if s.label == "unsafe"]
    safe = [s for s in samples if s.label == "safe"]
    misses, alarms = [], []
    for sample in unsafe:
        findings, _ = nbsec_findings(sample.path)
        if worst(findings) not in HIGH:
            misses.append(f"{sample.origin}: nbsec {worst(findings)}")
    quieter = 0  # safe pickles with a finding below high (an unknown global, ...): shown, not counted as alarms
    for sample in safe:
        findings, _ = nbsec_findings(sample.path)
        quieter += bool(findings) and worst(findings) not in HIGH
        if findings and worst(findings) in HIGH:
            rules = sorted({f["rule_id"] for f in findings})
            alarms.append(f"{sample.origin}: nbsec {worst(findings)} ({', '.join(rules)})")
    return Row(
        "fickling",
        "test/ pickles",
        f"{len(unsafe) - len(misses)}/{len(unsafe)} unsafe flagged high, {len(alarms)}/{len(safe)} safe flagged high",
        f"{len(unsafe)} unsafe, {len(safe)} safe (fickling's own severities)",
        misses,
        alarms,
        {
            "unsafe": len(unsafe),
            "flagged": len(unsafe) - len(misses),
            "safe": len(safe),
            "false_alarms": len(alarms),
            "safe_with_a_lower_finding": quieter,
        },
    )
