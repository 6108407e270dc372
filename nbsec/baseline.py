"""Baselines: accept today's findings, report only what is new tomorrow.

A baseline file holds fingerprints (with rule id, path and title to make it
reviewable), never evidence, so it cannot leak what a finding saw. Secrets a
detect-secrets baseline accepted can be imported into it (`detect_secrets`: their
SHA-1s, file names and audit verdicts, never a value; see nbsec.baseline_detect_secrets).
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
IMPORTED = "detect_secrets"  # entries imported from a detect-secrets baseline (nbsec.baseline_detect_secrets)
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
    """Write the report's findings as a baseline; returns how many were recorded. Entries imported from
    detect-secrets into the file being replaced are kept (a re-created baseline must not drop them)."""
    data = baseline_dict(report)
    target = Path(path)
    imported = _imported_in(target)
    if imported:
        data[IMPORTED] = imported
    _write(target, data)
    return len(data["findings"])


def _write(target: Path, data: dict[str, Any]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _imported_in(target: Path) -> list[Any]:
    if not target.is_file():
        return []
    try:
        data = _load(target)
    except BaselineError:
        return []
    items = data.get(IMPORTED)
    return items if isinstance(items, list) else []


def _load(path: str | Path) -> dict[str, Any]:
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
        hint = "re-create it with `nbsec baseline create PATH -o FILE`"
        if isinstance(data, dict) and isinstance(data.get("results"), dict):
            hint = f"this looks like a detect-secrets baseline: `nbsec baseline import-detect-secrets {source}`"
        raise BaselineError(f"{source}: not an nbsec baseline (expected format '{FORMAT}')", hint)
    return data


def read_baseline(path: str | Path) -> Counter[str]:
    """Fingerprints in a baseline, with multiplicity (the same line twice counts twice)."""
    data = _load(path)
    return Counter(str(e.get("fingerprint", "")) for e in data["findings"] if isinstance(e, dict))


def import_detect_secrets(source: str | Path, output: str | Path) -> tuple[int, int, bool]:
    """Put the secrets a detect-secrets baseline accepted into the nbsec baseline `output` (created, or
    updated: its findings are kept, its imported entries replaced). Returns (entries, audited false
    positives among them, whether `output` already existed). Only SHA-1s are copied, never a value."""
    from nbsec.baseline_detect_secrets import read_detect_secrets

    entries = read_detect_secrets(source)
    target = Path(output)
    existed = target.exists()
    data = _load(target) if existed else {"format": FORMAT, "version": VERSION, "findings": []}
    data["created_at"] = data.get("created_at") or utc_now_iso()
    data["imported_from"] = {"tool": "detect-secrets", "path": str(source), "at": utc_now_iso()}
    data[IMPORTED] = [e.to_dict() for e in entries]
    _write(target, data)
    return len(entries), sum(1 for e in entries if e.false_positive), existed


def apply_baseline(report: Report, path: str | Path) -> None:
    """Move findings already in the baseline to `suppressed`; record new/fixed/unchanged.

    Imported detect-secrets entries match secret findings by the SHA-1 of their value
    (`Report.secret_sha1`, kept by the scanning loop) and path; an audited false positive among them
    (`is_secret: false`) is suppressed too, but not counted as unchanged."""
    from nbsec.baseline_detect_secrets import Matcher, entries_from_baseline

    data = _load(path)
    remaining = Counter(str(e.get("fingerprint", "")) for e in data["findings"] if isinstance(e, dict))
    imported = entries_from_baseline(data)
    matcher = Matcher(imported) if imported and report.secret_sha1 else None
    new: list[Finding] = []
    unchanged = 0
    for finding in report.findings:
        if remaining[finding.fingerprint] > 0:
            remaining[finding.fingerprint] -= 1
            unchanged += 1
            report.suppressed.append(Suppressed(finding, "baseline"))
            continue
        digests = report.secret_sha1.get(finding.fingerprint) if matcher is not None else None
        entries = matcher.match(finding.location.path, digests) if matcher is not None and digests else []
        if not entries:
            new.append(finding)
            continue
        unchanged += 0 if entries[0].false_positive else 1
        report.suppressed.append(Suppressed(finding, "baseline", entries[0].detail()))
    report.findings = new
    # An imported entry nothing matched is not counted as fixed: nbsec may simply not detect what
    # detect-secrets did (another plugin, another notion of a secret), and "fixed" must mean gone.
    report.baseline = {
        "path": str(path),
        "new": len(new),
        "fixed": sum(remaining.values()),
        "unchanged": unchanged,
    }
