"""Which rules a Report actually ran, and what kind of run it was: the only ground for "evidence".

A file scanner's Check records one scanner on one target: that scanner ran each of its rules on it,
and the rules that did not fire found nothing there. A runner's Check (`adversarial`: an evasion run,
a poisoning scan, a trigger test, membership inference; `lineage`: chain, signature and artifact
checks) names the rules it tested in `Check.rules`; a Report from one of them says nothing about the
others. A runner's check that names no rule counts for no rule, so a control is "not tested" unless
a check that ran its rule says so (tests/unit/test_compliance_coverage.py runs the real producers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nbsec.model import Check, Report, Rule
from nbsec.rule_catalogue import RUNNERS

RAN = ("passed", "failed")  # "error" and "skipped" checks ran nothing

# What a run is called, by the rules it ran (runners) or by its scanner.
TEST_NAMES = {
    "NBSEC-ADV-001": "robustness evaluation",
    "NBSEC-ADV-002": "robustness evaluation",
    "NBSEC-ADV-003": "robustness evaluation",
    "NBSEC-ADV-004": "poisoning scan",
    "NBSEC-ADV-005": "trigger test",
    "NBSEC-PRIV-002": "membership inference",
}
SCANNER_RUNS = {
    "adversarial": "robustness evaluation",  # the attack checks themselves name no rule
    "lineage": "lineage verification",
    "threat-model": "threat-model check",
    "manifest": "manifest verification",
    "manifest-signature": "manifest verification",
}
MAX_TARGETS_NAMED = 2


def check_rules(check: Check) -> tuple[str, ...] | None:
    """The rule ids one check ran: those it names; None for a file scanner's check (it ran all its rules)."""
    if check.rules:
        return check.rules
    return () if check.scanner in RUNNERS else None


def rules_run(report: Report, rules: Iterable[Rule]) -> dict[str, set[str]]:
    """Rule id -> the targets where a check that ran (passed or failed) covered that rule."""
    by_scanner: dict[str, list[str]] = {}
    for rule in rules:
        by_scanner.setdefault(rule.scanner, []).append(rule.id)
    ran: dict[str, set[str]] = {}
    for check in report.checks:
        if check.status not in RAN:
            continue
        attributed = check_rules(check)
        for rule_id in by_scanner.get(check.scanner, ()) if attributed is None else attributed:
            ran.setdefault(rule_id, set()).add(check.target)
    return ran


def run_kinds(report: Report) -> list[str]:
    """What kind of run made the report ('scan', 'robustness evaluation', ...), in the order they appear."""
    kinds: list[str] = []
    for check in report.checks:
        attributed = check_rules(check)
        names = [TEST_NAMES[i] for i in attributed if i in TEST_NAMES] if attributed else []
        for name in names or [SCANNER_RUNS.get(check.scanner, "scan")]:
            if name not in kinds:
                kinds.append(name)
    return kinds


def describe_run(report: Report) -> str:
    """One line naming a report: kind of run, targets, when ('trigger test of model.pt, finished ...')."""
    what = " + ".join(run_kinds(report)) or "report"
    paths = list(dict.fromkeys(t.path for t in report.targets))
    if len(paths) == 1:
        what += f" of {paths[0]}"
    elif paths:
        shown = ", ".join(paths[:MAX_TARGETS_NAMED]) + (", ..." if len(paths) > MAX_TARGETS_NAMED else "")
        what += f" of {len(paths)} targets ({shown})"
    when = when_text(report.finished_at or report.started_at)
    return f"{what}, finished {when}" if when else what


def when_text(stamp: str) -> str:
    """'2025-06-01T14:02:05.123Z' -> '2025-06-01 14:02:05 UTC'; anything else as given."""
    found = re.fullmatch(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?Z", stamp.strip())
    return f"{found.group(1)} {found.group(2)} UTC" if found else stamp.strip()
