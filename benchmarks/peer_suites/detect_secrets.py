"""detect-secrets' `test_data/`: the lines its own scan reports, and its allow-listed lines.

Expected lines: what `detect-secrets scan --all-files` (its default plugins) reports in each file.
Allow-listed lines (`pragma: allowlist secret`, and the line after `pragma: allowlist nextline
secret`) must carry no nbsec finding: detect-secrets users rely on those comments.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from .common import Row, Sample, log, nbsec_findings

SKIP = ("performance", "word_list.txt", "baseline.file")


def allow_listed(text: str) -> frozenset[int]:
    lines = text.splitlines()
    quiet = set()
    for number, line in enumerate(lines, start=1):
        if "pragma: allowlist secret" in line:
            quiet.add(number)
        if "pragma: allowlist nextline secret" in line:
            quiet.add(number + 1)
    return frozenset(quiet)


def collect(source: Path, work: Path, python: Path) -> list[Sample]:
    corpus = work / "detect-secrets" / "test_data"
    shutil.copytree(source / "test_data", corpus, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*SKIP))
    done = subprocess.run(
        [str(python.parent / "detect-secrets"), "scan", "--all-files", "."],
        cwd=corpus,
        capture_output=True,
        text=True,
        check=True,
    )
    results = json.loads(done.stdout)["results"]
    samples = []
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        relative = str(path.relative_to(corpus))
        lines = frozenset(entry["line_number"] for entry in results.get(relative, []))
        quiet = allow_listed(path.read_text(encoding="utf-8", errors="replace"))
        if lines or quiet:
            samples.append(Sample(path, "file", relative, expected_lines=lines, quiet_lines=quiet))
    log(f"detect-secrets: {len(samples)} files, {sum(len(s.expected_lines) for s in samples)} expected lines")
    return samples


def score(samples: list[Sample]) -> Row:
    found = total = loud = quiet_total = 0
    misses, alarms = [], []
    for sample in samples:
        findings, _ = nbsec_findings(sample.path)
        lines = {f["location"].get("line") for f in findings}
        hit = sample.expected_lines & lines
        found, total = found + len(hit), total + len(sample.expected_lines)
        if sample.expected_lines - hit:
            misses.append(f"{sample.origin}: lines {sorted(sample.expected_lines - hit)}")
        noisy = sample.quiet_lines & lines
        loud, quiet_total = loud + len(noisy), quiet_total + len(sample.quiet_lines)
        if noisy:
            alarms.append(f"{sample.origin}: allow-listed lines {sorted(noisy)} have a finding")
    return Row(
        "detect-secrets",
        "test_data/",
        f"{found}/{total} expected secret lines; {loud} findings on {quiet_total} allow-listed lines",
        f"{total} lines its own scan reports",
        misses,
        alarms,
        {"expected_lines": total, "found": found, "allow_listed": quiet_total, "allow_listed_with_finding": loud},
    )
