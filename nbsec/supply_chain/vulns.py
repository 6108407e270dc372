"""Installed packages against advisories: `scan_environment`, and the findings both scans share.

`scan_environment` is what `nbsec scan --env` and `%aisec scan --env` call: it
reads the distributions of the running interpreter (or of a site-packages
folder), matches each against the advisory database offline, and adds the
findings, the target and the check to a Report.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nbsec._version import __version__
from nbsec.model import Check, Finding, Location, Reference, Report, ScanError, Target, utc_now_iso
from nbsec.supply_chain.cvss import advisory_severity
from nbsec.supply_chain.environment import environment_label, installed_packages
from nbsec.supply_chain.osv import Match
from nbsec.supply_chain.rules import SCANNER, STALE_DATABASE, VULNERABLE
from nbsec.supply_chain.store import STALE_AFTER_DAYS, AdvisoryDatabase, load_database

if TYPE_CHECKING:
    from nbsec.config import Config

ENVIRONMENT_KIND = "environment"
SUMMARY_MAX = 120
UPDATE_HINT = (
    "download https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip and run `nbsec db update --from all.zip`"
)


def match_evidence(match: Match) -> str:
    """'torch 2.5.1: GHSA-53q9-r3pm-6pq6 (CVE-2025-32434) fixed in 2.6.0: <summary>'."""
    primary, *others = match.all_ids
    ids = f"{primary} ({', '.join(others)})" if others else primary
    if match.fixed:
        fix = f"fixed in {match.fixed}"
    elif match.last_affected:
        fix = f"no fix published; last affected {match.last_affected}"
    else:
        fix = "no fixed version published"
    summary = match.advisory.summary
    if len(summary) > SUMMARY_MAX:  # the advisory link has the full text; the evidence stays one line
        summary = summary[: SUMMARY_MAX - 1].rstrip() + "…"
    return f"{match.package} {match.version}: {ids} {fix}" + (f": {summary}" if summary else "")


def vulnerability_finding(match: Match, location: Location) -> Finding:
    severity, basis = advisory_severity(match.advisory, VULNERABLE.severity)
    if match.fixed:
        remediation = (
            f"Upgrade {match.package} to >= {match.fixed} (pip install -U '{match.package}>={match.fixed}') "
            f"and pin it. Severity: {basis}."
        )
    else:
        remediation = (
            f"No fixed release of {match.package} is known for {match.advisory.id}: remove it, or keep what it "
            f"processes trusted and isolated, and watch the advisory. Severity: {basis}."
        )
    refs: list[Reference] = [
        Reference("OSV", match.advisory.id, f"https://osv.dev/vulnerability/{match.advisory.id}"),
        *(Reference("CVE", c, f"https://nvd.nist.gov/vuln/detail/{c}") for c in match.advisory.cve_ids),
        *VULNERABLE.references,
    ]
    return VULNERABLE.finding(
        location,
        match_evidence(match),
        severity=severity,
        remediation=remediation,
        references=refs,
        tags=("advisory:" + match.advisory.id,),
    )


def stale_database_finding(db: AdvisoryDatabase, location: Location) -> Finding | None:
    """DEP-005 when the newest advisory data is older than STALE_AFTER_DAYS."""
    age = db.age_days
    if age is None or age <= STALE_AFTER_DAYS:
        return None
    names = ", ".join(s.name for s in db.sources)
    return STALE_DATABASE.finding(
        location, f"advisory data dated {db.date} ({age} days old; sources: {names}); to update: {UPDATE_HINT}"
    )


def scan_environment(
    report: Report | None = None,
    *,
    site_packages: Path | None = None,
    config: Config | None = None,
    db: AdvisoryDatabase | None = None,
) -> Report:
    """Match installed distributions against advisories; add to `report` (or a new one) and return it.

    `site_packages` audits another environment's folder instead of the running
    interpreter. `config` applies rule include/exclude and min_severity (kept
    in `suppressed`, as for file scans).
    """
    started = time.perf_counter()
    if report is None:
        report = Report(tool_version=__version__, started_at=utc_now_iso())
    label = environment_label(site_packages)
    database = db if db is not None else load_database()
    packages = installed_packages(site_packages)
    location = Location(label)
    found: list[Finding] = []
    for package in packages:
        for match in database.matches(package.name, package.version):
            found.append(vulnerability_finding(match, location))
    for problem in database.problems:
        report.errors.append(ScanError(SCANNER, label, problem, "re-run `nbsec db update --from FILE`"))
    stale = stale_database_finding(database, location)
    if stale is not None:
        found.append(stale)
    kept = _apply_policy(found, report, config)
    report.findings.extend(kept)
    detail = f"{len(packages)} distributions against {len(database.advisories)} advisories dated {database.date}"
    report.targets.append(Target(label, ENVIRONMENT_KIND, "scanned", detail))
    vulnerable = sum(1 for f in found if f.rule_id == VULNERABLE.id)
    status = "failed" if vulnerable else "passed"
    report.checks.append(Check(SCANNER, label, status, f"{detail}; {vulnerable} vulnerable"))
    report.timings[f"{SCANNER}:environment"] = time.perf_counter() - started
    report.finished_at = utc_now_iso()
    return report


def _apply_policy(found: list[Finding], report: Report, config: Config | None) -> list[Finding]:
    if config is None:
        return found
    from nbsec.config import apply_policy

    kept, dropped = apply_policy(found, config)
    report.suppressed.extend(dropped)
    return kept


def scan_with_environment(
    paths: Sequence[str | os.PathLike[str]],
    config: Config,
    *,
    only: list[str] | None = None,
    site_packages: Path | None = None,
) -> Report:
    """`nbsec scan [PATHS] --env`: the file scan (if any paths), then the environment, then the baseline.

    The baseline is applied once, over both, so environment findings can be baselined too.
    """
    from dataclasses import replace

    from nbsec.api import scan
    from nbsec.baseline import apply_baseline

    report = scan(list(paths), only=only, config=replace(config, baseline=None)) if paths else None
    report = scan_environment(report, site_packages=site_packages, config=config)
    if config.baseline:
        apply_baseline(report, config.baseline)
    return report
