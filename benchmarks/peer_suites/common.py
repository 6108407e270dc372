"""What every peer module shares: a sample, nbsec's verdict on it, the peers' virtualenv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HIGH = frozenset({"critical", "high"})


@dataclass
class Sample:
    """One file (or folder) a peer's suite tests, and what the peer expects of it."""

    path: Path
    label: str  # "malicious"/"benign" for artifacts; for line-level peers, the file
    origin: str  # where it came from in the peer's repository (or which test built it)
    expected_lines: frozenset[int] = frozenset()  # line-level peers: lines that hold a secret / unsafe site
    quiet_lines: frozenset[int] = frozenset()  # lines that must have no finding (allow-listed)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    """One line of the summary table."""

    peer: str
    suite: str
    nbsec: str
    peer_verdicts: str
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


def nbsec_findings(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """nbsec's findings on `path` (dicts as in the JSON report) and its scan errors: in-process, read only."""
    from nbsec import api

    report = api.scan(path).to_dict()
    return list(report["findings"]), [str(e.get("message", e)) for e in report.get("errors", [])]


def worst(findings: list[dict[str, Any]]) -> str:
    order = ["critical", "high", "medium", "low", "info"]
    severities = [f["severity"] for f in findings]
    return next((s for s in order if s in severities), "clean")


def run_peer(
    python: Path,
    code: str,
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 900,
) -> Any:
    """Run `code` in the peers' interpreter; it prints one JSON document."""
    done = subprocess.run(
        [str(python), "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        raise RuntimeError(f"peer script failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
