"""Compliance tables: time to map a large Report onto each framework, and the CLI's cold start.

A synthetic report of 10,000 findings (every registered rule, round-robin, on
2,000 files, with their rules' references) and one check per scanner and file.
Times `map_report` for each of the six frameworks (median of 3, catalogues and
rules already loaded, as in a notebook), the Markdown/HTML/JSON rendering of the
largest table, and `nbsec compliance REPORT --framework atlas -f json` as a new
process (what a CI step pays). Goal: a table in well under a second.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FINDINGS = 10_000
FILES = 2_000
RUNS = 3


def build_report() -> object:
    from nbsec.model import Check, Confidence, Finding, Location, Report
    from nbsec.rule_catalogue import load_catalogue

    rules = load_catalogue().rules
    findings = [
        Finding(
            rule_id=rule.id,
            title=rule.title,
            severity=rule.severity,
            confidence=Confidence.HIGH,
            location=Location(f"src/file{n % FILES}.py", line=n % 97 + 1),
            evidence=f"sample {n}",
            references=rule.references,
        )
        for n, rule in ((n, rules[n % len(rules)]) for n in range(FINDINGS))
    ]
    scanners = sorted({r.scanner for r in rules})
    checks = [Check(s, f"src/file{n}.py", "failed") for s in scanners for n in range(FILES)]
    return Report(findings=findings, checks=checks, tool_version="bench")


def _median(fn: object) -> float:
    assert callable(fn)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> dict[str, object]:
    from nbsec.compliance import COMPLIANCE_FRAMEWORKS, map_report
    from nbsec.compliance.render import render
    from nbsec.model import Report
    from nbsec.rule_catalogue import load_catalogue

    report = build_report()
    assert isinstance(report, Report)
    rules = load_catalogue().rules
    figures: dict[str, object] = {"findings": FINDINGS, "checks": len(report.checks), "rules": len(rules)}
    for key in COMPLIANCE_FRAMEWORKS:
        map_report(report, key, rules=rules)  # warm: catalogue read once per process
        figures[f"map_{key}_s"] = round(_median(lambda k=key: map_report(report, k, rules=rules)), 4)
    atlas = map_report(report, "atlas", rules=rules)
    for fmt in ("md", "html", "json"):
        figures[f"render_atlas_{fmt}_s"] = round(_median(lambda f=fmt: render(atlas, f)), 4)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.json"
        path.write_text(json.dumps(report.to_dict()), encoding="utf-8")
        figures["report_json_mib"] = round(path.stat().st_size / 2**20, 1)
        command = [sys.executable, "-m", "nbsec.cli", "compliance", str(path), "--framework", "atlas", "-f", "json"]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        figures["cli_atlas_json_cold_s"] = round(time.perf_counter() - start, 3)
    return figures


if __name__ == "__main__":
    for name, value in main().items():
        print(f"{name:32} {value}")
