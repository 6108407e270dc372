"""Golden report for the demo workspace: what it finds, where, how bad (jupytext's habit).

Regenerate after an intended change with NBSEC_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbsec
from nbsec.demo import FAKE_AWS_KEY_ID, FAKE_DB_URL, FAKE_OPENAI_KEY, build_demo

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "demo-findings.json"
UPDATE = bool(os.environ.get("NBSEC_UPDATE_GOLDEN"))  # read before the fixtures clear NBSEC_*


def normalized(report: nbsec.Report) -> dict[str, object]:
    return {
        "findings": [
            {
                "rule_id": f.rule_id,
                "severity": f.severity.value,
                "confidence": f.confidence.value,
                "location": f.location.to_dict(),
                "fingerprint": f.fingerprint,
            }
            for f in report.findings  # the order every surface lists them in (nbsec.api.finish)
        ],
        "suppressed": sorted([s.reason, s.finding.rule_id, s.finding.location.describe()] for s in report.suppressed),
        "targets": [t.to_dict() for t in report.targets],
        "errors": [e.to_dict() for e in report.errors],
    }


def test_demo_report_matches_golden(tmp_path: Path) -> None:
    build_demo(tmp_path / "demo")
    os.chdir(tmp_path)
    actual = normalized(nbsec.scan("demo"))
    if UPDATE:
        GOLDEN.write_text(json.dumps(actual, indent=2) + "\n")
    assert actual == json.loads(GOLDEN.read_text())


def test_demo_is_deterministic_and_plants_fake_credentials(tmp_path: Path) -> None:
    first = [p.read_bytes() for p in build_demo(tmp_path / "a")]
    second = [p.read_bytes() for p in build_demo(tmp_path / "b")]
    assert first == second
    notebook = (tmp_path / "a" / "demo.ipynb").read_text()
    for fake in (FAKE_OPENAI_KEY, FAKE_AWS_KEY_ID, FAKE_DB_URL):
        assert fake in notebook
    report = nbsec.scan(tmp_path / "a")
    dumped = report.to_json()
    for fake in (FAKE_OPENAI_KEY, FAKE_AWS_KEY_ID, FAKE_DB_URL):
        assert fake not in dumped, "a credential reached the report"


def test_demo_checkpoints_are_well_formed_and_only_one_is_flagged(tmp_path: Path) -> None:
    import io
    import pickletools
    import zipfile

    build_demo(tmp_path / "demo")
    for name in ("base.pt", "finetuned.pt"):
        with zipfile.ZipFile(tmp_path / "demo" / "checkpoints" / name) as archive:
            pickletools.dis(archive.read("archive/data.pkl"), out=io.StringIO())  # valid, never loaded
    report = nbsec.scan(tmp_path / "demo" / "checkpoints")
    assert [(f.rule_id, f.location.path.rsplit("/", 1)[-1]) for f in report.findings] == [
        ("NBSEC-ART-001", "finetuned.pt")
    ]
    assert "builtins.print" in report.findings[0].evidence
