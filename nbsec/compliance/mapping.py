"""Map a Report onto one framework: for each item, the evidence, the findings, or nothing.

An item (NIST subcategory, ISO control, EU AI Act article, ATLAS technique or
mitigation, OWASP risk) is reached from a finding or a rule through:

- the finding's own references ("finding"),
- the references of the rule in nbsec's catalogue ("rule"),
- nbsec's reviewed crosswalk from an OWASP id to the other frameworks
  ("crosswalk LLM03:2025"; data in nbsec/data/frameworks/crosswalk.json).

Status of an item: **findings** when a finding reaches it; otherwise **evidence**
when a rule reaches it that ran in this report (a Check with status passed/failed
that covers the rule: nbsec.compliance.coverage) and found nothing; otherwise
**untested** ("not tested"), with the mapped rules that did not run listed as
`not_run`. A rule whose check is absent, skipped or in error is never evidence.
Evidence means "checked and nothing found", not "compliant": a scanner cannot see
policies, people or processes, which is why most governance items stay untested.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from nbsec.compliance.coverage import RAN, describe_run, rules_run
from nbsec.compliance.frameworks import (
    COMPLIANCE_FRAMEWORKS,
    Catalogue,
    Item,
    UnknownFrameworkError,
    catalogue,
    framework_key,
)
from nbsec.model import Finding, Reference, Report, Rule, Severity

RESULT_FORMAT = "nbsec-compliance/1"
STATUSES = ("findings", "evidence", "untested")
MAX_LOCATIONS = 5


@dataclass
class FindingHit:
    """Findings of one rule that reach one item."""

    rule_id: str
    title: str
    severity: Severity
    count: int = 0
    locations: list[str] = field(default_factory=list)
    via: set[str] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "severity": self.severity.value,
            "count": self.count,
            "locations": list(self.locations),
            "via": sorted(self.via),
        }


@dataclass
class EvidenceHit:
    """A rule that ran (a check covered it on `targets` targets) and found nothing, reaching one item."""

    rule_id: str
    title: str
    scanner: str
    targets: int
    via: set[str] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "scanner": self.scanner,
            "targets": self.targets,
            "via": sorted(self.via),
        }


@dataclass
class Row:
    """One item of the framework and what the report says about it."""

    item: Item
    group: Item | None
    findings: list[FindingHit] = field(default_factory=list)
    evidence: list[EvidenceHit] = field(default_factory=list)
    suppressed: list[FindingHit] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)  # rules mapped here that no check of this report ran

    @property
    def status(self) -> str:
        if self.findings:
            return "findings"
        if self.evidence:
            return "evidence"
        return "untested"

    @property
    def worst(self) -> Severity | None:
        return max((h.severity for h in self.findings), key=lambda s: s.rank, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.item.to_dict(),
            "group": None if self.group is None else {"id": self.group.id, "title": self.group.title},
            "status": self.status,
            "findings": [h.to_dict() for h in self.findings],
            "evidence": [h.to_dict() for h in self.evidence],
            "suppressed": [h.to_dict() for h in self.suppressed],
            "not_run": list(self.not_run),
        }


@dataclass
class ComplianceResult:
    """The compliance table of one report against one framework."""

    catalogue: Catalogue
    rows: list[Row]
    report_info: dict[str, Any]
    unplaced: dict[str, set[str]] = field(default_factory=dict)  # non-row id -> rule ids that cite it
    invalid: list[dict[str, str]] = field(default_factory=list)
    rule_load_failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def framework(self) -> str:
        return self.catalogue.framework

    def summary(self) -> dict[str, int]:
        counts = {status: 0 for status in STATUSES}
        for row in self.rows:
            counts[row.status] += 1
        return {
            "items": len(self.rows),
            "with_findings": counts["findings"],
            "with_evidence": counts["evidence"],
            "untested": counts["untested"],
            "tested": counts["findings"] + counts["evidence"],
        }

    def summary_line(self) -> str:
        s = self.summary()
        return (
            f"{self.catalogue.title}: {s['tested']} of {s['items']} items tested "
            f"({s['with_findings']} with findings, {s['with_evidence']} with evidence only), {s['untested']} untested"
        )

    def input_line(self) -> str:
        """Which report this table maps: where it came from (when known), the kind of run, targets and time."""
        run = str(self.report_info.get("run") or "a report")
        source = self.report_info.get("source")
        return f"{source}: {run}" if source else run

    def row(self, ident: str) -> Row | None:
        return next((r for r in self.rows if r.item.id == ident), None)

    def to_dict(self) -> dict[str, Any]:
        cat = self.catalogue
        return {
            "format": RESULT_FORMAT,
            "framework": cat.describe(),
            "report": dict(self.report_info),
            "summary": self.summary(),
            "items": [row.to_dict() for row in self.rows],
            "unplaced": [
                {**_item_dict(cat, ident), "rules": sorted(rules)} for ident, rules in sorted(self.unplaced.items())
            ],
            "invalid_references": list(self.invalid),
            "rule_load_failures": [{"module": m, "error": e} for m, e in self.rule_load_failures],
        }


def _item_dict(cat: Catalogue, ident: str) -> dict[str, Any]:
    item = cat.get(ident)
    return item.to_dict() if item is not None else {"id": ident, "title": "", "kind": ""}


@functools.lru_cache(maxsize=1)
def crosswalk() -> dict[tuple[str, str], dict[str, tuple[str, ...]]]:
    """(framework, id) -> {target framework: ids}: nbsec's reviewed crosswalk."""
    text = (resources.files("nbsec") / "data" / "frameworks" / "crosswalk.json").read_text("utf-8")
    data = json.loads(text)
    return {
        (entry["framework"], entry["id"]): {fw: tuple(ids) for fw, ids in entry["maps"].items()}
        for entry in data["entries"]
    }


def compliance_catalogue(framework: str) -> Catalogue:
    """The catalogue for a compliance table; frameworks without one (CWE) are refused with the choices."""
    key = framework_key(framework)
    if key not in COMPLIANCE_FRAMEWORKS:
        raise UnknownFrameworkError(framework, COMPLIANCE_FRAMEWORKS)
    return catalogue(key)


class _Mapper:
    def __init__(self, cat: Catalogue, rules: Mapping[str, Rule]) -> None:
        self.cat = cat
        self.rules = rules
        self.walk = crosswalk()
        self.rows = {item.id: Row(item, _group(cat, item)) for item in cat.assessable()}
        self.unplaced: dict[str, set[str]] = {}
        self.invalid: dict[tuple[str, str, str], dict[str, str]] = {}

    def targets(self, rule_id: str, refs: Iterable[tuple[Reference, str]], *, note: bool = True) -> dict[str, set[str]]:
        """Row id -> how it was reached, for references tagged with where they came from.

        `note`: record ids above row level and ids not in the catalogue (for the rules this report speaks of).
        """
        reached: dict[str, set[str]] = {}
        for ref, origin in refs:
            if ref.framework == self.cat.framework:
                self._reach(rule_id, ref, ref.id, origin, reached, note)
            for target in self.walk.get((ref.framework, ref.id), {}).get(self.cat.framework, ()):
                self._reach(rule_id, ref, target, f"crosswalk {ref.id}", reached, note)
        return reached

    def _reach(
        self, rule_id: str, ref: Reference, ident: str, via: str, reached: dict[str, set[str]], note: bool
    ) -> None:
        item = self.cat.resolve(ident)
        if not note:
            if item is not None and item.id in self.rows:
                reached.setdefault(item.id, set()).add(via)
            return
        if item is None:
            key = (rule_id, ref.framework, ident)
            self.invalid[key] = {"rule_id": rule_id, "framework": self.cat.framework, "id": ident}
            return
        if item.id in self.rows:
            reached.setdefault(item.id, set()).add(via)
        else:  # a tactic, category, chapter, or an article without duties: not a row of its own
            self.unplaced.setdefault(item.id, set()).add(rule_id)

    def finding_refs(self, finding: Finding) -> list[tuple[Reference, str]]:
        refs = [(ref, "finding") for ref in finding.references]
        rule = self.rules.get(finding.rule_id)
        if rule is not None:
            refs += [(ref, "rule") for ref in rule.references if ref not in finding.references]
        return refs

    def add_finding(self, finding: Finding, suppressed: bool) -> None:
        for row_id, via in self.targets(finding.rule_id, self.finding_refs(finding)).items():
            row = self.rows[row_id]
            hits = row.suppressed if suppressed else row.findings
            hit = next((h for h in hits if h.rule_id == finding.rule_id), None)
            if hit is None:
                hit = FindingHit(finding.rule_id, finding.title, finding.severity)
                hits.append(hit)
            hit.count += 1
            if finding.severity.rank > hit.severity.rank:
                hit.severity = finding.severity
            if len(hit.locations) < MAX_LOCATIONS:
                hit.locations.append(finding.location.describe())
            hit.via |= via

    def add_evidence(self, rule: Rule, targets: int) -> None:
        refs = [(ref, "rule") for ref in rule.references]
        for row_id, via in self.targets(rule.id, refs).items():
            self.rows[row_id].evidence.append(EvidenceHit(rule.id, rule.title, rule.scanner, targets, via))

    def add_not_run(self, rule: Rule) -> None:
        refs = [(ref, "rule") for ref in rule.references]
        for row_id in self.targets(rule.id, refs, note=False):
            self.rows[row_id].not_run.append(rule.id)


def _group(cat: Catalogue, item: Item) -> Item | None:
    group = cat.group_of(item)
    if group is None and item.kind == "mitigation":
        return Item(id="mitigations", title="Mitigations", kind="group")
    return group


def map_report(
    report: Report, framework: str, *, rules: Iterable[Rule] | None = None, source: str | None = None
) -> ComplianceResult:
    """The compliance table of `report` for `framework` (a key such as 'nist-ai-rmf', or its name).

    `rules` defaults to every rule nbsec has (`nbsec.rule_catalogue`). `source` says where the report
    came from ("report.json", "the last report in this kernel"); every rendering names it.
    """
    cat = compliance_catalogue(framework)
    failures: list[tuple[str, str]] = []
    if rules is None:
        from nbsec.rule_catalogue import load_catalogue

        catalogue = load_catalogue()
        rules, failures = catalogue.rules, list(catalogue.failures)
    by_id = {rule.id: rule for rule in rules}
    mapper = _Mapper(cat, by_id)
    for finding in report.findings:
        mapper.add_finding(finding, suppressed=False)
    for entry in report.suppressed:
        mapper.add_finding(entry.finding, suppressed=True)

    # Evidence: a check of this report covered the rule (coverage.rules_run) and it reported nothing, not even
    # a suppressed finding. A rule no check covered tested nothing, whatever its scanner did elsewhere.
    ran = rules_run(report, by_id.values())
    reported = {f.rule_id for f in report.findings} | {s.finding.rule_id for s in report.suppressed}
    for rule in sorted(by_id.values(), key=lambda r: r.id):
        if rule.id in reported:
            continue
        if rule.id in ran:
            mapper.add_evidence(rule, len(ran[rule.id]))
        else:
            mapper.add_not_run(rule)

    rows = _ordered(cat, list(mapper.rows.values()))
    for row in rows:
        row.findings.sort(key=lambda h: (-h.severity.rank, h.rule_id))
        row.evidence.sort(key=lambda h: h.rule_id)
        row.suppressed.sort(key=lambda h: h.rule_id)
    return ComplianceResult(
        catalogue=cat,
        rows=rows,
        report_info=_report_info(report, source),
        unplaced=mapper.unplaced,
        invalid=sorted(mapper.invalid.values(), key=lambda d: (d["rule_id"], d["id"])),
        rule_load_failures=failures,
    )


def _ordered(cat: Catalogue, rows: list[Row]) -> list[Row]:
    """Rows under their headings, headings in catalogue order (mitigations last), items in catalogue order."""
    position = {ident: n for n, ident in enumerate(cat.ids())}
    end = len(position)

    def key(row: Row) -> tuple[int, int]:
        group = -1 if row.group is None else position.get(row.group.id, end)
        return group, position[row.item.id]

    return sorted(rows, key=key)


def _report_info(report: Report, source: str | None) -> dict[str, Any]:
    return {
        "source": source,
        "run": describe_run(report),
        "tool_version": report.tool_version,
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "targets": len(report.targets),
        "checks": len(report.checks),
        "checks_ran": sum(1 for check in report.checks if check.status in RAN),
        "findings": len(report.findings),
        "suppressed": len(report.suppressed),
        "errors": len(report.errors),
        "summary": report.summary_line(),
    }
