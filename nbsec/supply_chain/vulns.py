"""Installed packages against advisories: `scan_environment`, and the findings both scans share.

`scan_environment` is what `nbsec.api.scan(environment=True)` (so `nbsec scan --env` and
`%aisec scan --env`) runs: it reads the distributions of the running interpreter (or of a
site-packages folder), matches each against the advisory database offline, and adds the
findings, the target and the check to a Report.
"""

from __future__ import annotations

import time
from pathlib import Path

from nbsec.model import Check, Finding, Location, Reference, Report, ScanError, Target
from nbsec.supply_chain.cvss import advisory_severity
from nbsec.supply_chain.environment import environment_label, installed_packages
from nbsec.supply_chain.osv import Match
from nbsec.supply_chain.rules import SCANNER, STALE_DATABASE, VULNERABLE
from nbsec.supply_chain.store import STALE_AFTER_DAYS, AdvisoryDatabase, load_database

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


def scan_environment(report: Report, *, site_packages: Path | None = None, db: AdvisoryDatabase | None = None) -> None:
    """Match installed distributions against the advisories and add what was found to `report`.

    `site_packages` audits another environment's folder instead of the running interpreter.
    `nbsec.api.scan(environment=True)` calls this, then applies the config policy and baseline.
    """
    started = time.perf_counter()
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
    report.findings.extend(found)
    detail = f"{len(packages)} distributions against {len(database.advisories)} advisories dated {database.date}"
    report.targets.append(Target(label, ENVIRONMENT_KIND, "scanned", detail))
    vulnerable = sum(1 for f in found if f.rule_id == VULNERABLE.id)
    status = "failed" if vulnerable else "passed"
    report.checks.append(Check(SCANNER, label, status, f"{detail}; {vulnerable} vulnerable"))
    report.timings[f"{SCANNER}:environment"] = time.perf_counter() - started
