"""JUnit XML: for CI systems that show test results (GitLab, Jenkins, Azure Pipelines, GitHub test reporters).

One <testsuite> per scanner, one <testcase> per check (classname = scanner,
name = target): <failure> when findings for that target remain after policy,
<error> when the scanner could not run, <skipped> when it did not apply.
Targets no scanner applied to, and errors that belong to no check (a broken
plugin, an empty folder), become test cases of an "nbsec" suite, so nothing
the Report says is missing here.

Built with ElementTree so attribute and text escaping is right; characters
that XML 1.0 cannot hold at all (NUL, ESC, ...) are replaced first, since
ElementTree would write them and leave a file no parser accepts.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field

from nbsec.model import Finding, Report, ScanError, Suppressed
from nbsec.reporters._common import suppression_text
from nbsec.rule_catalogue import get_rule

ENGINE_SUITE = "nbsec"

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Replace characters XML 1.0 forbids with a visible escape (\\x1b)."""
    return _XML_ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


@dataclass
class _Case:
    scanner: str
    target: str
    status: str  # passed | failed | error | skipped (from the Check)
    detail: str = ""
    findings: list[Finding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        # What is reported now, not what the scanner saw: findings moved out by a baseline
        # or threshold do not fail the build.
        if self.errors or self.status == "error":
            return "error"
        if self.findings:
            return "failure"
        if self.status == "skipped":
            return "skipped"
        return "passed"


def render(report: Report) -> str:
    root = to_element(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def to_element(report: Report) -> ET.Element:
    """The <testsuites> element (what `render` serializes)."""
    cases = _cases(report)
    suites: dict[str, list[_Case]] = {}
    for case in cases:
        suites.setdefault(case.scanner, []).append(case)
    if not suites:
        suites[ENGINE_SUITE] = []  # some CI parsers reject a <testsuites> with no suite at all

    root = ET.Element("testsuites", name="nbsec")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for name, members in suites.items():
        suite = ET.SubElement(root, "testsuite", name=xml_text(name))
        counts = {
            "tests": len(members),
            "failures": sum(1 for c in members if c.outcome == "failure"),
            "errors": sum(1 for c in members if c.outcome == "error"),
            "skipped": sum(1 for c in members if c.outcome == "skipped"),
        }
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", f"{report.timings.get(name, 0.0):.3f}")
        if report.started_at:
            suite.set("timestamp", report.started_at)
        for case in members:
            _testcase(suite, case)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{report.timings.get('total', sum(report.timings.values())):.3f}")
    return root


def _cases(report: Report) -> list[_Case]:
    cases = [_Case(c.scanner, c.target, c.status, c.detail) for c in report.checks]
    by_key = {(c.scanner, c.target): c for c in cases}

    for finding in report.findings:
        case = _owner_case(finding, cases, by_key) or _orphan_case(finding, cases, by_key)
        case.findings.append(finding)
    for item in report.suppressed:
        # Noted on the check that saw it; a suppressed finding never makes a test case of its own.
        owner = _owner_case(item.finding, cases, by_key)
        if owner is not None:
            owner.suppressed.append(item)
    for error in report.errors:
        failed = by_key.get((error.scanner, error.target))
        if failed is None:  # a broken plugin, an empty folder: no check to hang it on
            failed = _Case(error.scanner or ENGINE_SUITE, error.target, "error")
            cases.append(failed)
            by_key[(failed.scanner, failed.target)] = failed
        failed.errors.append(error)
    checked = {c.target for c in report.checks}
    for target in report.targets:
        if target.status == "skipped" and target.path not in checked:
            cases.append(_Case(ENGINE_SUITE, target.path, "skipped", target.detail or f"{target.kind}: not scanned"))
    return cases


def _owner_case(finding: Finding, cases: list[_Case], by_key: dict[tuple[str, str], _Case]) -> _Case | None:
    """The check that produced a finding: Findings do not name their scanner, their rule does."""
    path = finding.location.path
    rule = get_rule(finding.rule_id)
    if rule is not None and rule.scanner and (rule.scanner, path) in by_key:
        return by_key[(rule.scanner, path)]
    on_target = [c for c in cases if c.target == path]
    if on_target:
        return next((c for c in on_target if c.status == "failed"), on_target[0])
    return None


def _orphan_case(finding: Finding, cases: list[_Case], by_key: dict[tuple[str, str], _Case]) -> _Case:
    """A finding with no check (a hand-built or merged report) gets its own case, so it still fails the run."""
    rule = get_rule(finding.rule_id)
    scanner = rule.scanner if rule is not None and rule.scanner else ENGINE_SUITE
    case = _Case(scanner, finding.location.path, "failed")
    cases.append(case)
    by_key[(scanner, case.target)] = case
    return case


def _testcase(suite: ET.Element, case: _Case) -> None:
    element = ET.SubElement(suite, "testcase", classname=xml_text(case.scanner), name=xml_text(case.target))
    outcome = case.outcome
    if outcome == "error":
        messages = [e.message for e in case.errors] or [case.detail or "scanner could not run"]
        error = ET.SubElement(element, "error", message=xml_text("; ".join(messages)), type="ScanError")
        error.text = xml_text("\n".join(_error_line(e) for e in case.errors) or messages[0])
    if case.findings:
        # An error on a target can come with findings from the part that was read: report both.
        worst = max((f.severity for f in case.findings), key=lambda s: s.rank)
        n = len(case.findings)
        failure = ET.SubElement(
            element,
            "failure",
            message=xml_text(f"{n} finding{'s' if n != 1 else ''}, worst {worst.value}"),
            type=worst.value,
        )
        failure.text = xml_text("\n".join(_finding_line(f) for f in _worst_first(case.findings)))
    if outcome == "skipped":
        ET.SubElement(element, "skipped", message=xml_text(case.detail or "did not apply"))
    notes = _notes(case)
    if notes:
        ET.SubElement(element, "system-out").text = xml_text(notes)


def _worst_first(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.severity.rank, f.location.cell or 0, f.location.line or 0))


def _finding_line(finding: Finding) -> str:
    line = f"{finding.severity.value.upper()} {finding.rule_id} {finding.location.describe()}: {finding.title}"
    if finding.evidence:
        line += f" | {' '.join(finding.evidence.split())}"
    return line


def _error_line(error: ScanError) -> str:
    return f"{error.target}: {error.message}" + (f" (hint: {error.hint})" if error.hint else "")


def _notes(case: _Case) -> str:
    lines = [case.detail] if case.detail and case.outcome != "skipped" else []
    for item in case.suppressed:
        lines.append(f"suppressed ({suppression_text(item)}): {_finding_line(item.finding)}")
    return "\n".join(lines)
