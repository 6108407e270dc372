"""Evaluate a threat model against the library: pure, ordered, and the same every time.

`evaluate(model)` returns the threats that apply (library matches plus the
custom threats a reviewer recorded), each with inherent and residual risk and
the review status. `to_report` turns them into the one nbsec Report: open
threats are findings whose severity is the residual risk's band; threats a
reviewer marked mitigated, accepted, transferred or not-applicable are kept in
`suppressed` with reason "inline" (the decision is written in the scanned file
itself, like an inline ignore) and tagged with their status, owner and due date.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nbsec.model import Check, Confidence, Finding, Location, Metric, Reference, Report, Suppressed
from nbsec.threatmodel.conditions import FlowWhen, Graph, When, describe
from nbsec.threatmodel.document import Element, Flow, ThreatEntry, ThreatModel
from nbsec.threatmodel.library import CATALOGUE_RULE, CUSTOM_THREAT, THREAT_RULES
from nbsec.threatmodel.risk import Risk, residual
from nbsec.threatmodel.threatrule import SCANNER, ThreatRule

# Threat Dragon / free-text severities of custom threats -> (likelihood, impact)
SEVERITY_RISK = {"critical": (4, 5), "high": (3, 4), "medium": (3, 3), "low": (2, 2), "info": (1, 2)}


@dataclass(frozen=True)
class Threat:
    """One threat that applies to one element or flow (or the whole system), with its risk and review state."""

    rule_id: str
    title: str
    target: str
    target_label: str
    reasons: tuple[str, ...]
    stride: tuple[str, ...]
    inherent: Risk
    residual: Risk
    controls_present: tuple[str, ...]
    controls_missing: tuple[str, ...]
    status: str
    owner: str = ""
    due: str = ""
    note: str = ""
    line: int | None = None
    remediation: str = ""
    references: tuple[Reference, ...] = ()
    confidence: Confidence = Confidence.MEDIUM
    custom_id: str = ""

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule_id if not self.custom_id else f"custom:{self.custom_id}", self.target)


@dataclass(frozen=True)
class Assessment:
    threats: tuple[Threat, ...]
    stale_entries: tuple[ThreatEntry, ...] = field(default=())  # recorded decisions whose threat no longer applies

    def open(self) -> list[Threat]:
        return [t for t in self.threats if t.is_open]


def evaluate(model: ThreatModel, rules: tuple[ThreatRule, ...] = THREAT_RULES) -> Assessment:
    """The threats that apply to `model`. Pure: the same model always gives the same tuple."""
    graph = Graph(model)
    threats: list[Threat] = []
    matched: set[tuple[str, str]] = set()
    for rule in rules:
        for target, reasons, line in _matches(graph, rule):
            threats.append(_library_threat(model, graph, rule, target, reasons, line))
            matched.add((rule.id, target.id))
    stale = tuple(t for t in model.threats if not t.is_custom and (t.rule, t.target) not in matched)
    threats += [_custom_threat(model, entry) for entry in model.threats if entry.is_custom]
    return Assessment(tuple(threats), stale)


def _matches(graph: Graph, rule: ThreatRule) -> list[tuple[Element | Flow, list[str], int | None]]:
    out: list[tuple[Element | Flow, list[str], int | None]] = []
    if isinstance(rule.when, FlowWhen):
        for flow in graph.model.flows:
            reasons = graph.match_flow(flow, rule.when)
            if reasons is not None:
                out.append((flow, reasons, flow.line))
    elif isinstance(rule.when, When):
        for element in graph.model.elements:
            reasons = graph.match(element, rule.when)
            if reasons is not None:
                out.append((element, reasons, element.line))
    return out


def _controls_in_place(model: ThreatModel, graph: Graph, target: Element | Flow) -> set[str]:
    """Controls on the target, system-wide ones, and for an element those on the flows into it."""
    present = set(model.controls) | set(target.controls)
    if isinstance(target, Element):
        for flow in graph.inbound.get(target.id, []):
            present |= set(flow.controls)
    return present


def _library_threat(
    model: ThreatModel, graph: Graph, rule: ThreatRule, target: Element | Flow, reasons: list[str], line: int | None
) -> Threat:
    entry = model.entry(rule.id, target.id)
    inherent = rule.inherent
    if entry is not None and (entry.likelihood or entry.impact):
        inherent = Risk(entry.likelihood or inherent.likelihood, entry.impact or inherent.impact)
    present = _controls_in_place(model, graph, target)
    have = tuple(c for c in rule.controls if c in present)
    missing = tuple(c for c in rule.controls if c not in present)
    label = (
        describe(target) if isinstance(target, Element) else f"flow '{target.id}' ({target.source} -> {target.target})"
    )
    return Threat(
        rule_id=rule.id,
        title=rule.title,
        target=target.id,
        target_label=label,
        reasons=tuple(reasons),
        stride=rule.stride_names,
        inherent=inherent,
        residual=residual(inherent, len(rule.controls), len(have)),
        controls_present=have,
        controls_missing=missing,
        status=entry.status if entry else "open",
        owner=entry.owner if entry else "",
        due=entry.due if entry else "",
        note=entry.note if entry else "",
        line=line,
        remediation=rule.full_remediation(),
        references=rule.references(),
        confidence=rule.confidence,
    )


def _custom_threat(model: ThreatModel, entry: ThreatEntry) -> Threat:
    severity = str(entry.extra.get("severity", "")).strip().lower()
    likelihood, impact = SEVERITY_RISK.get(severity, (3, 3))
    inherent = Risk(entry.likelihood or likelihood, entry.impact or impact)
    target = model.element(entry.target) or model.flow(entry.target)
    if isinstance(target, Element):
        label = describe(target)
    elif isinstance(target, Flow):
        label = f"flow '{target.id}'"
    else:
        label = "the system"
    detail = entry.description or entry.title
    return Threat(
        rule_id=CUSTOM_THREAT.id,
        title=entry.title,
        target=entry.target,
        target_label=label,
        reasons=(detail,),
        stride=(entry.stride,) if entry.stride else (),
        inherent=inherent,
        residual=inherent,
        controls_present=(),
        controls_missing=(),
        status=entry.status,
        owner=entry.owner,
        due=entry.due,
        note=entry.note,
        line=entry.line or (target.line if target is not None else None),
        remediation=entry.mitigation or CUSTOM_THREAT.remediation,
        references=CUSTOM_THREAT.references,
        confidence=CUSTOM_THREAT.confidence,
        custom_id=entry.id,
    )


# -- the Report -----------------------------------------------------------------------------


def finding_for(threat: Threat, path: str) -> Finding:
    tags = [f"stride:{s}" for s in threat.stride]
    tags += [
        f"status:{threat.status}",
        f"risk:inherent={threat.inherent.likelihood}x{threat.inherent.impact}={threat.inherent.score}",
        f"risk:residual={threat.residual.likelihood}x{threat.residual.impact}={threat.residual.score}",
    ]
    tags += [f"control:{c}" for c in threat.controls_present]
    tags += [f"{name}:{value}" for name, value in (("owner", threat.owner), ("due", threat.due)) if value]
    because = "; ".join(threat.reasons) or "applies to every element of this kind"
    evidence = f"{threat.target_label}: {because}"
    if threat.custom_id:
        evidence = f"[{threat.custom_id}] {evidence}"
    if threat.note:
        evidence += f" | note: {threat.note}"
    # The residual risk (after the declared controls) is the severity; a custom threat's own
    # mitigation is its remediation.
    return CATALOGUE_RULE[threat.rule_id].finding(
        Location(path=path, line=threat.line, element=threat.target or None),
        evidence,
        title=threat.title,
        severity=threat.residual.severity,
        confidence=threat.confidence,
        remediation=threat.remediation,
        references=threat.references,
        tags=tuple(tags),
    )


def report_items(assessment: Assessment, path: str) -> list[Finding | Suppressed]:
    """Open threats as findings, decided ones as Suppressed("inline"), in evaluation order."""
    out: list[Finding | Suppressed] = []
    for threat in assessment.threats:
        finding = finding_for(threat, path)
        out.append(finding if threat.is_open else Suppressed(finding, "inline"))
    return out


def to_report(
    model: ThreatModel, assessment: Assessment, path: str, rules: tuple[ThreatRule, ...] = THREAT_RULES
) -> Report:
    """A Report with findings, decided threats, one coverage check per library rule, and risk metrics."""
    report = Report()
    for item in report_items(assessment, path):
        if isinstance(item, Finding):
            report.findings.append(item)
        else:
            report.suppressed.append(item)
    catalogue = [(r.id, r.title) for r in rules] + [(CUSTOM_THREAT.id, CUSTOM_THREAT.title)]
    for rule_id, title in catalogue:
        mine = [t for t in assessment.threats if t.rule_id == rule_id]
        open_count = sum(1 for t in mine if t.is_open)
        status = "failed" if open_count else "passed"
        detail = f"{rule_id} {title}: {len(mine)} applicable, {open_count} open"
        report.checks.append(Check(SCANNER, path, status, detail))
    report.metrics += _metrics(model, assessment)
    return report


def _metrics(model: ThreatModel, assessment: Assessment) -> list[Metric]:
    out = [
        Metric("threat_model_elements", len(model.elements), "elements"),
        Metric("threat_model_flows", len(model.flows), "flows"),
        Metric("threats", len(assessment.threats), "threats"),
        Metric("inherent_risk_total", sum(t.inherent.score for t in assessment.threats), "score"),
        Metric("residual_risk_total", sum(t.residual.score for t in assessment.threats if t.is_open), "score"),
        Metric("stale_threat_entries", len(assessment.stale_entries), "entries"),
    ]
    statuses: dict[str, int] = {}
    for threat in assessment.threats:
        statuses[threat.status] = statuses.get(threat.status, 0) + 1
    out += [Metric("threats_by_status", n, "threats", {"status": s}) for s, n in sorted(statuses.items())]
    return out
