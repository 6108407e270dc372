"""SARIF 2.1.0: what GitHub code scanning, Azure DevOps and VS Code's SARIF viewer read.

One run, one `tool.driver` with a rule for every rule id that appears, one
result per finding (suppressed findings too, marked with `suppressions`, so
nothing is silently lost), and one invocation whose notifications carry the
targets that could not be scanned.

Notebook cells: SARIF regions are lines of the artifact, but a finding's line
is counted within its cell, and the cell's first line in the .ipynb JSON is not
in the Report. So a cell finding gets no `region` (a wrong line in the JSON
file would send a reader to the wrong place); the cell goes into a logical
location and into `properties` (cell, executionCount, cellLine, cellColumn),
and the message names it ("cell 2 [3], line 2").

Fixes (`nbsec fix ... -f sarif`): a result that a planned change removes carries that change as a SARIF
`fix`: replacements of regions of the file as it is on disk (lines and columns of the file itself, for
notebooks lines of the .ipynb JSON), computed from the change's diff. The inserted text is the fixed text,
which never holds the value the fix removes (nbsec.fix.plan leaves out a change's edits otherwise).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from nbsec.escaping import md_inline
from nbsec.model import Finding, FixChange, FixSection, Location, Reference, Report, Rule, ScanError, Severity
from nbsec.reporters._common import reference_label, rule_catalogue_problems, suppression_text
from nbsec.rule_catalogue import get_rule, report_order

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "nbsec/v1"

# GitHub maps security-severity to its levels: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, < 4 low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# Suppressions a person wrote next to the code vs. ones decided outside it (config, baseline, threshold).
IN_SOURCE_REASONS = frozenset({"inline", "cell-metadata"})

_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_WEB_URL = re.compile(r"^https?://[^\s()<>\[\]]+$")


def render(report: Report) -> str:
    return json.dumps(to_sarif(report), indent=2, ensure_ascii=False)


def to_sarif(report: Report) -> dict[str, Any]:
    """The SARIF log as a dict (what `render` serializes)."""
    catalogue_problems = rule_catalogue_problems()
    all_findings = [*report.findings, *(s.finding for s in report.suppressed)]
    rule_ids = sorted({f.rule_id for f in all_findings})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    rules = [_rule_descriptor(rule_id, [f for f in all_findings if f.rule_id == rule_id]) for rule_id in rule_ids]

    ordered = report_order(report)
    results = [_result(f, index, report) for f in ordered]
    if report.fixes is not None:
        _add_fixes(results, ordered, report.fixes)
    for item in report.suppressed:
        result = _result(item.finding, index, report)
        result["suppressions"] = [
            {
                "kind": "inSource" if item.reason in IN_SOURCE_REASONS else "external",
                "status": "accepted",
                "justification": suppression_text(item),
            }
        ]
        if item.reason == "baseline":
            result["baselineState"] = "unchanged"
        results.append(result)

    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": report.tool_name or "nbsec",
                "version": report.tool_version or "0",
                "rules": rules,
            }
        },
        "invocations": [_invocation(report, catalogue_problems)],
        # nbsec's Location columns count code points, not SARIF's default UTF-16 units.
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "summary": report.summary_line(),
            "counts": report.counts(),
            "targets": len(report.targets),
            "metrics": [m.to_dict() for m in report.metrics],
        },
    }
    if report.baseline is not None:
        run["properties"]["baseline"] = dict(report.baseline)
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


# -- rules ------------------------------------------------------------------------


def _rule_descriptor(rule_id: str, findings: list[Finding]) -> dict[str, Any]:
    """`reportingDescriptor` from the catalogue, or from the findings when the rule is unknown here."""
    rule: Rule | None = get_rule(rule_id)
    first = findings[0]
    title = rule.title if rule else first.title
    description = rule.description if rule and rule.description else title
    remediation = rule.remediation if rule else first.remediation
    references = rule.references if rule else first.references
    severity = rule.severity if rule else max((f.severity for f in findings), key=lambda s: s.rank)
    confidence = rule.confidence if rule else first.confidence
    tags = ["security", *_reference_ids(references)]
    if rule is not None:
        tags.extend([rule.category, *rule.tags])
    tags.extend(t for f in findings for t in f.tags)

    descriptor: dict[str, Any] = {
        "id": rule_id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {
            "text": _help_text(remediation, references),
            # GitHub renders help.markdown. The catalogue's text is nbsec's own Markdown; a finding's is not.
            "markdown": _help_markdown(remediation if rule else md_inline(remediation), references),
        },
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {
            "tags": _unique(t for t in tags if t),
            "security-severity": SECURITY_SEVERITY[severity],
            "precision": confidence.value,  # GitHub reads very-high/high/medium/low
        },
    }
    help_uri = next((r.url for r in references if r.url), None)
    if help_uri:
        descriptor["helpUri"] = help_uri
    return descriptor


def _reference_ids(references: Iterable[Reference]) -> list[str]:
    # Framework ids as tags ("CWE-502", "ML06:2023", "AML.T0011.000"): code-scanning UIs filter on tags.
    return [r.id for r in references]


def _help_text(remediation: str, references: Iterable[Reference]) -> str:
    lines = [remediation or "No remediation recorded."]
    for ref in references:
        lines.append(reference_label(ref) + (f": {ref.url}" if ref.url else ""))
    return "\n".join(lines)


def _help_markdown(remediation: str, references: Iterable[Reference]) -> str:
    lines = [remediation or "No remediation recorded."]
    refs = list(references)
    if refs:
        lines.append("")
        lines.append("References:")
        for ref in refs:
            label = md_inline(reference_label(ref))
            linkable = bool(ref.url) and _WEB_URL.match(ref.url or "") is not None  # a finding's url may be any text
            lines.append(f"- [{label}]({ref.url})" if linkable else f"- {label}")
    return "\n".join(lines)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# -- results ----------------------------------------------------------------------


def _result(finding: Finding, index: dict[str, int], report: Report) -> dict[str, Any]:
    loc = finding.location
    text = finding.title
    if loc.cell is not None:
        text += f" ({_cell_label(loc)})"
    if finding.evidence:
        text += f": {finding.evidence}"
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id],
        "level": LEVEL[finding.severity],
        "message": {"text": text},
        "locations": [_location(loc)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": _result_properties(finding),
    }
    if report.baseline is not None:
        result["baselineState"] = "new"  # findings still in `findings` after a baseline are the new ones
    return result


def _cell_label(loc: Location) -> str:
    """'cell 2 [3], line 2, col 5': where in the notebook, since the region cannot say it."""
    # Location.describe() without the path (and member) part.
    return (
        Location(path="", cell=loc.cell, execution_count=loc.execution_count, line=loc.line, column=loc.column)
        .describe()
        .lstrip(", ")
    )


def _location(loc: Location) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(loc.path)}
    region = _region(loc)
    if region:
        physical["region"] = region
    out: dict[str, Any] = {"physicalLocation": physical}
    logical = _logical_locations(loc)
    if logical:
        out["logicalLocations"] = logical
    return out


def artifact_location(path: str) -> dict[str, Any]:
    """URI for a report path: relative posix paths under %SRCROOT%, absolute ones as file:// URIs."""
    if _URI_SCHEME.match(path):
        return {"uri": path}
    if PurePosixPath(path).is_absolute():
        return {"uri": "file://" + quote(PurePosixPath(path).as_posix())}
    windows = PureWindowsPath(path)
    if windows.drive:
        return {"uri": windows.as_uri() if windows.is_absolute() else quote(windows.as_posix())}
    return {"uri": quote(path.replace("\\", "/")), "uriBaseId": SRCROOT}


def _region(loc: Location) -> dict[str, Any]:
    if loc.cell is not None:
        return {}  # cell-relative lines are not lines of the .ipynb file (module docstring)
    if loc.member is None and loc.line is None and loc.offset is not None:
        return {"byteOffset": loc.offset}  # pickle opcode offset in the file itself
    if loc.line is None or loc.member is not None:
        return {}
    region: dict[str, Any] = {"startLine": loc.line}
    if loc.column is not None:
        region["startColumn"] = loc.column
    if loc.end_line is not None:
        region["endLine"] = loc.end_line
    if loc.end_column is not None:
        region["endColumn"] = loc.end_column
    return region


def _logical_locations(loc: Location) -> list[dict[str, Any]]:
    # SARIF has no "notebook cell" kind; "object" is the closest valid one for a named part of a file.
    out: list[dict[str, Any]] = []
    if loc.cell is not None:
        name = f"cell {loc.cell + 1}"
        if loc.execution_count is not None:
            name += f" [{loc.execution_count}]"
        # The execution count changes on every run; the qualified name stays stable without it.
        out.append({"name": name, "fullyQualifiedName": f"{loc.path}#cell {loc.cell + 1}", "kind": "object"})
    if loc.member is not None:
        out.append({"name": loc.member, "fullyQualifiedName": f"{loc.path}!{loc.member}", "kind": "member"})
    if loc.element is not None:
        out.append({"name": loc.element, "kind": "element"})
    if loc.endpoint is not None:
        out.append({"name": loc.endpoint, "kind": "resource"})
    return out


def _result_properties(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    props: dict[str, Any] = {"severity": finding.severity.value, "confidence": finding.confidence.value}
    if loc.cell is not None:
        props["cell"] = loc.cell + 1  # 1-based, as JupyterLab shows it
        if loc.execution_count is not None:
            props["executionCount"] = loc.execution_count
        if loc.line is not None:
            props["cellLine"] = loc.line
        if loc.column is not None:
            props["cellColumn"] = loc.column
    for key, value in (("member", loc.member), ("offset", loc.offset), ("element", loc.element)):
        if value is not None:
            props[key] = value
    if loc.output is not None:
        props["output"] = loc.output + 1
    if loc.endpoint is not None:
        props["endpoint"] = loc.endpoint
    if finding.tags:
        props["tags"] = list(finding.tags)
    return props


# -- invocation -------------------------------------------------------------------


def _invocation(report: Report, catalogue_problems: list[str]) -> dict[str, Any]:
    invocation: dict[str, Any] = {
        "executionSuccessful": not report.errors,
        "toolExecutionNotifications": [_notification(e, report) for e in report.errors],
    }
    if catalogue_problems:
        # Findings of these rules still carry their own title and remediation; their rule descriptors
        # lack the catalogue's description. Say so where a SARIF viewer shows configuration problems.
        invocation["toolConfigurationNotifications"] = [
            {"level": "warning", "message": {"text": text}} for text in catalogue_problems
        ]
    if report.started_at:
        invocation["startTimeUtc"] = report.started_at
    if report.finished_at:
        invocation["endTimeUtc"] = report.finished_at
    return invocation


def _notification(error: ScanError, report: Report) -> dict[str, Any]:
    text = f"{error.target}: {error.message}"
    if error.hint:
        text += f" (hint: {error.hint})"
    notification: dict[str, Any] = {
        "level": "error",
        "message": {"text": text},
        "properties": {"scanner": error.scanner, "target": error.target, "hint": error.hint},
    }
    # ScanError.target is free text (a plugin's entry point, a list of paths); only a known file gets a location.
    if any(t.path == error.target for t in report.targets):
        notification["locations"] = [{"physicalLocation": {"artifactLocation": artifact_location(error.target)}}]
    return notification


# -- fixes ------------------------------------------------------------------------------------------------------


def _add_fixes(results: list[dict[str, Any]], findings: list[Finding], fixes: FixSection) -> None:
    """Give each result that a planned change fixes that change as a SARIF `fix` (only planned ones: proposals).

    Only a result whose finding the plan calls fixable: a change names its findings by fingerprint, which an
    identical finding in another place of the file shares, and that twin's fix may have been refused.
    """
    by_fingerprint: dict[str, list[FixChange]] = {}
    for change in fixes.changes:
        if change.status == "planned" and change.edits:
            for fingerprint in change.findings:
                by_fingerprint.setdefault(fingerprint, []).append(change)
    fixable = {(o.finding.fingerprint, o.finding.location) for o in fixes.outcomes if o.status == "fixable"}
    for result, finding in zip(results, findings, strict=True):
        changes = by_fingerprint.get(finding.fingerprint, [])
        if changes and (finding.fingerprint, finding.location) in fixable:
            result["fixes"] = [_fix(change) for change in changes]


def _fix(change: FixChange) -> dict[str, Any]:
    return {
        "description": {"text": f"nbsec fix: {change.summary}"},
        "artifactChanges": [
            {
                "artifactLocation": artifact_location(change.path),
                "replacements": [
                    {
                        "deletedRegion": {
                            "startLine": edit.start_line,
                            "startColumn": edit.start_column,
                            "endLine": edit.end_line,
                            "endColumn": edit.end_column,
                        },
                        "insertedContent": {"text": edit.text},
                    }
                    for edit in change.edits
                ],
            }
        ],
    }
