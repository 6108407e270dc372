"""picklescan's stored samples (`tests/data`, `tests/data2`) with picklescan's own verdict on each.

Malicious: picklescan reports at least one dangerous global (what its tests assert per file).
Benign: no dangerous global and no scan error. Scan errors alone (a PNG named .pt) count as neither.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .common import HIGH, Row, Sample, log, nbsec_findings, run_peer, worst

PEER_SCRIPT = r"""
import json, sys
from pathlib import Path
from picklescan.scanner import scan_file_path
out = []
for path in sorted(p for p in Path(sys.argv[1]).rglob("*") if p.is_file()):
    r = scan_file_path(str(path))
    out.append({"path": str(path), "dangerous": r.issues_count, "error": bool(r.scan_err),
                "globals": sorted({f"{g.module}.{g.name}" for g in r.globals if g.safety.name == "Dangerous"})})
print(json.dumps(out))
"""


def collect(source: Path, work: Path, python: Path) -> list[Sample]:
    corpus = work / "picklescan"
    for folder in ("tests/data", "tests/data2"):
        if (source / folder).is_dir():
            shutil.copytree(source / folder, corpus / Path(folder).name, dirs_exist_ok=True)
    samples = []
    for entry in run_peer(python, PEER_SCRIPT, str(corpus)):
        path = Path(entry["path"])
        if entry["dangerous"]:
            label = "malicious"
        elif entry["error"]:
            continue
        else:
            label = "benign"
        samples.append(Sample(path, label, str(path.relative_to(corpus)), detail={"peer": entry["globals"]}))
    log(f"picklescan: {len(samples)} samples")
    return samples


def score(samples: list[Sample]) -> Row:
    return score_artifacts("picklescan", "tests/data, tests/data2", samples)


def score_artifacts(peer: str, suite: str, samples: list[Sample], bad: str = "malicious", good: str = "benign") -> Row:
    """`bad` samples flagged high or critical; `good` samples flagged high or critical (a false alarm)."""
    bad_samples = [s for s in samples if s.label == bad]
    good_samples = [s for s in samples if s.label == good]
    misses, alarms = [], []
    for sample in bad_samples:
        findings, errors = nbsec_findings(sample.path)
        if worst(findings) not in HIGH:
            misses.append(f"{sample.origin} ({worst(findings)}{'; error: ' + errors[0] if errors else ''})")
    quieter = 0  # good samples with a finding below high (an unknown global, ...): shown, not counted as alarms
    for sample in good_samples:
        findings, _ = nbsec_findings(sample.path)
        quieter += bool(findings) and worst(findings) not in HIGH
        if worst(findings) in HIGH:
            rules = sorted({f["rule_id"] for f in findings if f["severity"] in HIGH})
            alarms.append(f"{sample.origin} ({worst(findings)}: {', '.join(rules)})")
    flagged = len(bad_samples) - len(misses)
    return Row(
        peer,
        suite,
        f"{flagged}/{len(bad_samples)} {bad} flagged high, {len(alarms)}/{len(good_samples)} {good} flagged high",
        f"{len(bad_samples)} {bad}, {len(good_samples)} {good} (the peer's own verdicts)",
        misses,
        alarms,
        {
            bad: len(bad_samples),
            "flagged": flagged,
            good: len(good_samples),
            "false_alarms": len(alarms),
            f"{good}_with_a_lower_finding": quieter,
        },
    )
