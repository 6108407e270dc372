"""Baselines: accept today's findings, report only what is new tomorrow.

A baseline file holds fingerprints (with rule id, path and title to make it
reviewable), never evidence, so it cannot leak what a finding saw.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from nbsec.errors import BaselineError, InputError
from nbsec.model import Finding, Report, Suppressed, utc_now_iso
from nbsec.safe_input import read_json

FORMAT = "nbsec-baseline"
VERSION = 1
MAX_BASELINE_BYTES = 256 * 1024 * 1024  # fingerprints only: even a huge project's baseline is far smaller


def baseline_dict(report: Report) -> dict[str, Any]:
    """Every current finding, including those an older baseline already accepted."""
    accepted = [s.finding for s in report.suppressed if s.reason == "baseline"]
    current = Report(findings=[*report.findings, *accepted]).sorted_findings()
    entries = [
        {"fingerprint": f.fingerprint, "rule_id": f.rule_id, "path": f.location.path, "title": f.title} for f in current
    ]
    return {"format": FORMAT, "version": VERSION, "created_at": utc_now_iso(), "findings": entries}


def write_baseline(report: Report, path: str | Path) -> int:
    """Write the report's findings as a baseline; returns how many were recorded."""
    data = baseline_dict(report)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return len(data["findings"])


def read_baseline(path: str | Path) -> Counter[str]:
    """Fingerprints in a baseline, with multiplicity (the same line twice counts twice)."""
    source = Path(path)
    hint = "re-create it with `nbsec baseline create PATH -o FILE`"
    try:
        data = read_json(source, what="baseline", hint=hint, max_bytes=MAX_BASELINE_BYTES)
    except InputError as exc:
        if exc.kind == "missing":
            raise BaselineError(
                f"{source}: baseline file not found", "create one with `nbsec baseline create PATH -o FILE`"
            ) from None
        raise BaselineError(exc.message, exc.hint) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("findings"), list):
        raise BaselineError(
            f"{source}: not an nbsec baseline (expected format '{FORMAT}')",
            "re-create it with `nbsec baseline create PATH -o FILE`",
        )
    return Counter(str(e.get("fingerprint", "")) for e in data["findings"] if isinstance(e, dict))


def apply_baseline(report: Report, path: str | Path) -> None:
    """Move findings already in the baseline to `suppressed`; record new/fixed/unchanged."""
    known = read_baseline(path)
    remaining = Counter(known)
    new: list[Finding] = []
    unchanged = 0
    for finding in report.findings:
        if remaining[finding.fingerprint] > 0:
            remaining[finding.fingerprint] -= 1
            unchanged += 1
            report.suppressed.append(Suppressed(finding, "baseline"))
        else:
            new.append(finding)
    report.findings = new
    report.baseline = {
        "path": str(path),
        "new": len(new),
        "fixed": sum(remaining.values()),
        "unchanged": unchanged,
    }
